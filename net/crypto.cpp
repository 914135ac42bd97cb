#include "net/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace pinwatch::net {

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    static unsigned char const kNoKey = 0; // OpenSSL wants a pointer even for an empty key
    void const* const key_bytes =
        key.empty() ? static_cast<void const*>(&kNoKey) : static_cast<void const*>(key.data());
    if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
             reinterpret_cast<unsigned char const*>(data.data()), data.size(), out,
             &length) == nullptr)
        throw std::runtime_error("HMAC-SHA256 failed"); // only without memory: a bug or worse
    return std::string(reinterpret_cast<char const*>(out), length);
}

std::string sha256(std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), out, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed"); // only without memory: a bug or worse
    return std::string(reinterpret_cast<char const*>(out), length);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace pinwatch::net
