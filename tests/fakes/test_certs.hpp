// Throwaway TLS material for tests: a fresh CA and a server certificate it signed, made in
// memory with OpenSSL at run time. Nothing here is ever written to git or trusted outside
// the test that created it.
#pragma once

#include <string>
#include <vector>

namespace pinwatch::test {

struct TestCertificates {
    std::string ca_cert_pem;   // what clients add to their trust store
    std::string leaf_cert_pem; // the server's certificate, signed by the CA
    std::string leaf_key_pem;  // the server's private key (unencrypted PEM)
};

// A new CA (P-256, valid one day either side of now) and a leaf certificate for the given
// DNS names and IP addresses (subjectAltName), usable for TLS server authentication.
// Throws std::runtime_error if OpenSSL fails.
TestCertificates make_test_certificates(std::vector<std::string> const& dns_names,
                                        std::vector<std::string> const& ip_addresses);

} // namespace pinwatch::test
