// TLS client setup shared by HTTPS and SMTP (see tls.hpp). Verification is never optional.
#include "net/tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

namespace pinwatch::net {

namespace ssl = boost::asio::ssl;

namespace {

namespace fs = std::filesystem;

// A name `openssl rehash` gives a certificate link: eight hex digits of the subject hash, '.',
// a sequence number ("3513523f.0").
bool hashed_name(std::string_view name) {
    auto const dot = name.find('.');
    if (dot != 8 || name.size() == 9) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char const c = name[i];
        bool const ok = i < 8   ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                        : i > 8 ? c >= '0' && c <= '9'
                                : true;
        if (!ok) return false;
    }
    return true;
}

bool has_hashed_links(fs::path const& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (hashed_name(it->path().filename().native())) return true;
    return false;
}

// The folders OpenSSL's hashed lookup searches: $SSL_CERT_DIR (a ':'-separated list) or the
// built-in default, as SSL_CTX_set_default_verify_paths reads them.
std::vector<fs::path> default_cert_dirs() {
    char const* env = std::getenv(X509_get_default_cert_dir_env());
    std::string_view list = env ? env : X509_get_default_cert_dir();
    std::vector<fs::path> out;
    while (!list.empty()) {
        auto const colon = list.find(':');
        if (auto part = list.substr(0, colon); !part.empty()) out.emplace_back(part);
        list = colon == std::string_view::npos ? std::string_view{} : list.substr(colon + 1);
    }
    return out;
}

// The system trust store. SSL_CTX_set_default_verify_paths parses the whole bundle file
// (~140 certificates) up front: about 230 M instructions with OpenSSL 3, most of a warm
// `check`'s CPU. Where the bundle sits in a folder of `openssl rehash` links — Debian's
// /etc/ssl/certs, which update-ca-certificates writes from the same certificates as
// ca-certificates.crt — the folder holds the same trust, and its hashed lookup reads only the
// certificates a handshake asks for. Anywhere else (a bundle without links, $SSL_CERT_FILE
// pointing outside the folder), the bundle is read as before.
void trust_system_store(ssl::context& ctx) {
    char const* env_file = std::getenv(X509_get_default_cert_file_env());
    std::error_code ec;
    auto const file = fs::canonical(env_file ? env_file : X509_get_default_cert_file(), ec);
    if (!ec) {
        for (auto const& dir : default_cert_dirs()) {
            std::error_code dec;
            auto const real = fs::canonical(dir, dec);
            if (dec || file.parent_path() != real || !has_hashed_links(real)) continue;
            X509_LOOKUP* lookup = X509_STORE_add_lookup(SSL_CTX_get_cert_store(ctx.native_handle()),
                                                        X509_LOOKUP_hash_dir());
            if (lookup && X509_LOOKUP_add_dir(lookup, real.c_str(), X509_FILETYPE_PEM) == 1) return;
            break;
        }
    }
    ctx.set_default_verify_paths();
}

} // namespace

void configure_tls_client(ssl::context& ctx, std::optional<std::string> const& extra_ca_file) {
    // The system trust store, plus the extra CA file if any: load_verify_file adds to the
    // store, it does not replace it.
    trust_system_store(ctx);
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
