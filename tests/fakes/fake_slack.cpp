#include "tests/fakes/fake_slack.hpp"

#include "common/text.hpp"

#include <rapidjson/document.h>

namespace pinwatch::test {

FakeSlack::FakeSlack(TestServerOptions options)
    : server_(std::make_unique<TestServer>([this](TestRequest const& r) { return answer(r); },
                                           options)) {}

std::string FakeSlack::webhook_url() const {
    return server_->url("/services/" + token_);
}

void FakeSlack::script(std::vector<TestResponse> replies) {
    std::lock_guard lock(mutex_);
    script_.assign(replies.begin(), replies.end());
}

std::vector<SlackPost> FakeSlack::posts() const {
    std::lock_guard lock(mutex_);
    return posts_;
}

TestResponse FakeSlack::ok() {
    return TestResponse::text("ok");
}
TestResponse FakeSlack::rate_limited(int retry_after_seconds) {
    return TestResponse::text("rate_limited", 429)
        .header("Retry-After", std::to_string(retry_after_seconds));
}
TestResponse FakeSlack::server_error() {
    return TestResponse::text("rollup_error", 500);
}
TestResponse FakeSlack::no_service() {
    return TestResponse::text("no_service", 404);
}
TestResponse FakeSlack::error(int status, std::string code) {
    return TestResponse::text(std::move(code), status);
}

TestResponse FakeSlack::answer(TestRequest const& request) {
    if (request.method != "POST") return TestResponse::text("invalid_method", 405);
    if (request.path() != "/services/" + token_) return no_service();
    auto const type = request.header("Content-Type").value_or("");
    if (!iequals(type.substr(0, type.find(';')), "application/json"))
        return error(400, "invalid_payload");
    rapidjson::Document doc;
    doc.Parse(request.body.data(), request.body.size());
    if (doc.HasParseError() || !doc.IsObject()) return error(400, "invalid_payload");
    if (!doc.HasMember("text") && !doc.HasMember("blocks")) return error(400, "no_text");
    if (doc.HasMember("blocks") && (!doc["blocks"].IsArray() || doc["blocks"].Size() > 50))
        return error(400, "invalid_blocks");
    std::lock_guard lock(mutex_);
    posts_.push_back({std::string(request.path()), std::string(type), request.body});
    if (script_.empty()) return ok();
    auto reply = std::move(script_.front());
    script_.pop_front();
    return reply;
}

} // namespace pinwatch::test
