// TLS client setup shared by HTTPS and SMTP (see tls.hpp). Verification is never optional.
#include "net/tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace pinwatch::net {

namespace ssl = boost::asio::ssl;

void configure_tls_client(ssl::context& ctx, std::optional<std::string> const& extra_ca_file) {
    // The system trust store, plus the extra CA file if any: load_verify_file adds to the
    // store set_default_verify_paths filled, it does not replace it.
    ctx.set_default_verify_paths();
    if (extra_ca_file) {
        boost::system::error_code ec;
        ctx.load_verify_file(*extra_ca_file, ec);
        if (ec) {
            std::string why = ec.message();
            if (!why.empty() && why.front() >= 'A' && why.front() <= 'Z')
                why.front() = static_cast<char>(why.front() - 'A' + 'a');
            throw std::runtime_error("extra_ca_file " + *extra_ca_file + ": " + why);
        }
    }
    ctx.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
}

std::function<bool(bool, ssl::verify_context&)> verify_host(std::string const& host,
                                                            std::shared_ptr<std::string> why) {
    return [check = ssl::host_name_verification(host), why = std::move(why),
            host](bool preverified, ssl::verify_context& ctx) {
        bool const ok = check(preverified, ctx);
        if (!ok && why && why->empty()) {
            if (!preverified)
                *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.native_handle()));
            else
                *why = "certificate does not match host name " + host;
        }
        return ok;
    };
}

bool set_server_name(SSL* ssl, std::string const& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    if (!ec) return true; // SNI carries names only (RFC 6066), never IP literals
    return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
}

} // namespace pinwatch::net
