// A webhook receiver on loopback that verifies Standard Webhooks signatures itself, with its
// own code (OpenSSL's EVP_Q_mac and EVP base64, nothing from pinwatch), and records every
// delivery as verified or not. Unverified deliveries get 401; verified ones the next scripted
// answer, or 204 once the script runs out. Thread-safe.
#pragma once

#include "tests/fakes/test_server.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pinwatch::test {

struct ReceivedWebhook {
    std::string method;
    std::string target;
    std::string id;        // webhook-id
    std::string timestamp; // webhook-timestamp
    std::string signature; // webhook-signature
    std::string content_type;
    std::string body;
    bool verified = false;
    std::string problem; // why not verified
};

class WebhookReceiver {
  public:
    // `whsec_key`: "whsec_" + base64 of the shared key. Timestamps further than `tolerance`
    // from the receiver's clock are refused, as the reference libraries do (5 minutes).
    explicit WebhookReceiver(std::string whsec_key, TestServerOptions options = {},
                             std::chrono::seconds tolerance = std::chrono::minutes(5));

    // Where to post; the path and the query carry a token, as real endpoints often do.
    std::string url() const;
    TestServer& server() { return *server_; }

    void script(std::vector<TestResponse> replies);
    std::vector<ReceivedWebhook> deliveries() const;
    std::size_t verified() const;
    std::size_t unverified() const;

  private:
    TestResponse answer(TestRequest const& request);

    std::string key_;
    std::chrono::seconds tolerance_;
    mutable std::mutex mutex_;
    std::deque<TestResponse> script_;
    std::vector<ReceivedWebhook> deliveries_;
    std::unique_ptr<TestServer> server_; // last: stopped before the state it uses goes
};

} // namespace pinwatch::test
