// Generates a CA and a server certificate with OpenSSL's C API (see test_certs.hpp).
#include "tests/fakes/test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace pinwatch::test {

namespace {

template <class T, void (*Free)(T*)> struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void openssl_failure(char const* what) {
    char buf[256] = "unknown error";
    if (auto code = ERR_get_error(); code != 0) ERR_error_string_n(code, buf, sizeof buf);
    throw std::runtime_error(std::string("test certificates: ") + what + ": " + buf);
}

void check(int ok, char const* what) {
    if (ok != 1) openssl_failure(what);
}

KeyPtr new_key() {
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key) openssl_failure("EC key generation");
    return key;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, std::string const& value) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext) openssl_failure("X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

// Issuer null means self-signed (the CA).
CertPtr new_certificate(EVP_PKEY* key, std::string const& common_name, X509* issuer,
                        EVP_PKEY* issuer_key, std::string const& subject_alt_names) {
    CertPtr cert(X509_new());
    if (!cert) openssl_failure("X509_new");
    check(X509_set_version(cert.get(), 2), "X509_set_version");

    // Random 64-bit serial: two CAs made in the same second must not collide in caches.
    BnPtr serial(BN_new());
    check(BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand");
    if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        openssl_failure("BN_to_ASN1_INTEGER");

    // A day either side of now tolerates clock skew between test processes.
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600))
        openssl_failure("X509_gmtime_adj");
    check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");

    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<unsigned char const*>("pinwatch tests"), -1,
                                     -1, 0),
          "subject O");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<unsigned char const*>(common_name.c_str()),
                                     -1, -1, 0),
          "subject CN");
    check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name),
          "X509_set_issuer_name");

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    if (issuer == nullptr) {
        add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    } else {
        add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
        add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
        add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
        if (!subject_alt_names.empty())
            add_extension(cert.get(), &ctx, NID_subject_alt_name, subject_alt_names);
    }
    if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0)
        openssl_failure("X509_sign");
    return cert;
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string to_pem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
    return bio_contents(bio.get());
}

std::string to_pem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey");
    return bio_contents(bio.get());
}

} // namespace

TestCertificates make_test_certificates(std::vector<std::string> const& dns_names,
                                        std::vector<std::string> const& ip_addresses) {
    std::string sans;
    for (auto const& dns : dns_names)
        sans += (sans.empty() ? "DNS:" : ",DNS:") + dns;
    for (auto const& ip : ip_addresses)
        sans += (sans.empty() ? "IP:" : ",IP:") + ip;
    std::string const common_name =
        !dns_names.empty() ? dns_names.front()
                           : (!ip_addresses.empty() ? ip_addresses.front() : "pinwatch test");

    KeyPtr ca_key = new_key();
    CertPtr ca = new_certificate(ca_key.get(), "pinwatch test CA", nullptr, nullptr, {});
    KeyPtr leaf_key = new_key();
    CertPtr leaf = new_certificate(leaf_key.get(), common_name, ca.get(), ca_key.get(), sans);
    return TestCertificates{to_pem(ca.get()), to_pem(leaf.get()), to_pem(leaf_key.get())};
}

} // namespace pinwatch::test
