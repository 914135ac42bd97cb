// A fake Slack incoming webhook on loopback: accepts POSTs to one secret path, checks they are
// JSON with text or blocks (as Slack does), records them, and answers from a script (200 "ok"
// once the script runs out). Thread-safe: the server answers on its own thread.
#pragma once

#include "tests/fakes/test_server.hpp"

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pinwatch::test {

struct SlackPost {
    std::string path;
    std::string content_type;
    std::string body;
};

class FakeSlack {
  public:
    explicit FakeSlack(TestServerOptions options = {});

    // The webhook's URL; its path holds the token, as Slack's do.
    std::string webhook_url() const;
    std::string const& token() const { return token_; }
    TestServer& server() { return *server_; }

    // Answers for the next accepted posts, in order; afterwards 200 "ok".
    void script(std::vector<TestResponse> replies);
    std::vector<SlackPost> posts() const; // accepted posts, in arrival order

    // Slack's answers
    // (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks).
    static TestResponse ok();
    static TestResponse rate_limited(int retry_after_seconds);
    static TestResponse server_error();
    static TestResponse no_service(); // 404: the webhook was removed
    static TestResponse error(int status, std::string code);

  private:
    TestResponse answer(TestRequest const& request);

    std::string token_ = "T0FAKE/B0FAKE/s3cr3tSlackToken";
    mutable std::mutex mutex_;
    std::deque<TestResponse> script_;
    std::vector<SlackPost> posts_;
    std::unique_ptr<TestServer> server_; // last: stopped before the state it uses goes
};

} // namespace pinwatch::test
