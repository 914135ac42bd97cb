// The one TLS client setup every pinwatch connection uses (HTTPS in client.cpp, SMTP in
// smtp.cpp): the trust store, the protocol floor, and per connection SNI, peer verification and
// host-name verification. Asio's SSL declarations only; no Beast, no sockets.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/ssl/verify_mode.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace pinwatch::net {

// A client context trusting the system store (which honours SSL_CERT_FILE / SSL_CERT_DIR) plus
// `extra_ca_file` (PEM) when given, verifying peers, TLS 1.2 at least.
// Throws std::runtime_error if extra_ca_file cannot be loaded.
void configure_tls_client(boost::asio::ssl::context& ctx,
                          std::optional<std::string> const& extra_ca_file);

// The verify callback for one connection to `host`: the chain must verify against the trust
// store and the leaf must match `host` (ssl::host_name_verification). The first reason a
// certificate was refused lands in *why, for the error message.
std::function<bool(bool, boost::asio::ssl::verify_context&)>
verify_host(std::string const& host, std::shared_ptr<std::string> why);

// SNI for `host` on one connection (skipped for IP literals, RFC 6066). False if OpenSSL refuses.
bool set_server_name(SSL* ssl, std::string const& host);

// Everything a client connection needs before its handshake: SNI, verify_peer and the host
// check. Verification is always on; there is no switch to turn it off. `Stream` is an
// asio::ssl::stream (or Beast's ssl_stream over one). False if SNI cannot be set.
template <class Stream>
bool prepare_tls_client(Stream& stream, std::string const& host, std::shared_ptr<std::string> why) {
    if (!set_server_name(stream.native_handle(), host)) return false;
    stream.set_verify_mode(boost::asio::ssl::verify_peer);
    stream.set_verify_callback(verify_host(host, std::move(why)));
    return true;
}

} // namespace pinwatch::net
