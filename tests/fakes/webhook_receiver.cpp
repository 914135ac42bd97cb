#include "tests/fakes/webhook_receiver.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace pinwatch::test {

namespace {

// EVP_DecodeBlock wants whole quanta and counts padding as zero bytes: restore both.
std::string decode_base64(std::string text) {
    while (text.size() % 4 != 0)
        text += '=';
    std::string out(text.size() / 4 * 3, '\0');
    int const n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) throw std::invalid_argument("WebhookReceiver: the key is not base64");
    std::size_t padding = 0;
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it)
        ++padding;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

std::string encode_base64(std::string const& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string mac(std::string const& key, std::string const& content) {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                   reinterpret_cast<unsigned char const*>(content.data()), content.size(), out,
                   sizeof out, &length))
        throw std::runtime_error("WebhookReceiver: EVP_Q_mac failed");
    return std::string(reinterpret_cast<char const*>(out), length);
}

} // namespace

WebhookReceiver::WebhookReceiver(std::string whsec_key, TestServerOptions options,
                                 std::chrono::seconds tolerance)
    : tolerance_(tolerance) {
    if (whsec_key.rfind("whsec_", 0) != 0)
        throw std::invalid_argument("WebhookReceiver: the key must start with whsec_");
    key_ = decode_base64(whsec_key.substr(6));
    server_ =
        std::make_unique<TestServer>([this](TestRequest const& r) { return answer(r); }, options);
}

std::string WebhookReceiver::url() const {
    return server_->url("/hooks/s3cr3tPathToken?token=s3cr3tQueryToken");
}

void WebhookReceiver::script(std::vector<TestResponse> replies) {
    std::lock_guard lock(mutex_);
    script_.assign(replies.begin(), replies.end());
}

std::vector<ReceivedWebhook> WebhookReceiver::deliveries() const {
    std::lock_guard lock(mutex_);
    return deliveries_;
}

std::size_t WebhookReceiver::verified() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (auto const& d : deliveries_)
        n += d.verified;
    return n;
}

std::size_t WebhookReceiver::unverified() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (auto const& d : deliveries_)
        n += !d.verified;
    return n;
}

TestResponse WebhookReceiver::answer(TestRequest const& request) {
    ReceivedWebhook d;
    d.method = request.method;
    d.target = request.target;
    d.id = std::string(request.header("webhook-id").value_or(""));
    d.timestamp = std::string(request.header("webhook-timestamp").value_or(""));
    d.signature = std::string(request.header("webhook-signature").value_or(""));
    d.content_type = std::string(request.header("Content-Type").value_or(""));
    d.body = request.body;

    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    char* end = nullptr;
    long long const ts = std::strtoll(d.timestamp.c_str(), &end, 10);
    if (request.method != "POST") {
        d.problem = "not a POST";
    } else if (d.id.empty() || d.timestamp.empty() || d.signature.empty()) {
        d.problem = "missing webhook-id, webhook-timestamp or webhook-signature";
    } else if (*end != '\0' || ts < now - tolerance_.count() || ts > now + tolerance_.count()) {
        d.problem = "timestamp outside the tolerance";
    } else {
        // Signed content: "{id}.{timestamp}.{body}"; the header lists "v1,<base64>" entries.
        auto const expected =
            "v1," + encode_base64(mac(key_, d.id + "." + d.timestamp + "." + d.body));
        std::size_t start = 0;
        while (start <= d.signature.size() && !d.verified) {
            auto const stop = std::min(d.signature.find(' ', start), d.signature.size());
            auto const entry = d.signature.substr(start, stop - start);
            d.verified = entry.size() == expected.size() &&
                         CRYPTO_memcmp(entry.data(), expected.data(), entry.size()) == 0;
            start = stop + 1;
        }
        if (!d.verified) d.problem = "no signature matches";
    }

    std::lock_guard lock(mutex_);
    bool const verified = d.verified;
    deliveries_.push_back(std::move(d));
    if (!verified) return TestResponse::text("invalid signature", 401);
    if (script_.empty()) {
        TestResponse no_content;
        no_content.status = 204;
        return no_content;
    }
    auto reply = std::move(script_.front());
    script_.pop_front();
    return reply;
}

} // namespace pinwatch::test
