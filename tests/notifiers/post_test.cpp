#define BOOST_TEST_MODULE post
#include <boost/test/unit_test.hpp>

// Helpers of the posting channels: Retry-After, scrubbing a secret URL, excerpts, and the
// memory of what already arrived.

#include "common/secret.hpp"
#include "notifiers/post.hpp"

using namespace pinwatch;
using namespace pinwatch::notifiers;

namespace {
net::Response with_retry_after(std::string value) {
    net::Response r;
    r.status = 429;
    r.headers = {{"retry-after", std::move(value)}};
    return r;
}
} // namespace

BOOST_AUTO_TEST_CASE(retry_after_in_seconds_or_as_a_date) {
    // 1994-11-06 08:49:37 UTC, the RFC's own example date.
    auto const now = std::chrono::system_clock::from_time_t(784111777);
    BOOST_TEST(retry_after(with_retry_after("7"), now)->count() == 7);
    BOOST_TEST(retry_after(with_retry_after(" 0 "), now)->count() == 0);
    BOOST_TEST(retry_after(with_retry_after("Sun, 06 Nov 1994 08:50:07 GMT"), now)->count() == 30);
    BOOST_TEST(retry_after(with_retry_after("Sun, 06 Nov 1994 08:00:00 GMT"), now)->count() == 0);
    BOOST_TEST(retry_after(with_retry_after("99999999"), now)->count() == kMaxRetryAfter.count());
    BOOST_TEST(retry_after(with_retry_after("99999999999999999999999"), now)->count() ==
               kMaxRetryAfter.count());
    BOOST_TEST(retry_after(with_retry_after("-5"), now)->count() == 0); // no waiting
    BOOST_TEST(!retry_after(with_retry_after("soon"), now).has_value());
    BOOST_TEST(!retry_after(net::Response{}, now).has_value());
}

BOOST_AUTO_TEST_CASE(scrub_removes_every_form_of_the_url) {
    std::string const url = "https://user:pw@hooks.slack.com/services/T0/B0/tok?x=secret#f";
    BOOST_TEST(scrub("failed: " + url, url) == "failed: <redacted>");
    BOOST_TEST(scrub("fetching https://hooks.slack.com/services/T0/B0/tok", url) ==
               "fetching <redacted>");
    BOOST_TEST(scrub("POST /services/T0/B0/tok HTTP/1.1", url) == "POST <redacted> HTTP/1.1");
    BOOST_TEST(scrub("query x=secret seen", url) == "query <redacted> seen");
    BOOST_TEST(scrub("TLS handshake with hooks.slack.com:443 failed", url) ==
               "TLS handshake with hooks.slack.com:443 failed");
    BOOST_TEST(scrub("a/b", "https://h/") == "a/b"); // a bare "/" path is no secret
}

BOOST_AUTO_TEST_CASE(excerpts_and_cuts) {
    BOOST_TEST(body_excerpt("  no_service\n", "https://h/p") == "no_service");
    BOOST_TEST(body_excerpt(std::string(300, 'x'), "https://h/p") == std::string(200, 'x') + "...");
    BOOST_TEST(body_excerpt("a\x1b[2Jb", "https://h/p") == "a\\x1b[2Jb");
    BOOST_TEST(truncate_text("ünïcödé", 3) == "ünï…");
    BOOST_TEST(truncate_text("short", 10) == "short");
}

BOOST_AUTO_TEST_CASE(recently_delivered_is_bounded) {
    RecentlyDelivered seen(2);
    seen.remember("a");
    seen.remember("b");
    BOOST_TEST(seen.contains("a"));
    seen.remember("c"); // forgets the oldest
    BOOST_TEST(!seen.contains("a"));
    BOOST_TEST(seen.contains("b"));
    seen.forget("b");
    BOOST_TEST(!seen.contains("b"));
    BOOST_TEST(seen.contains("c"));
}

// Issue #20: a receiver's error body that quoted only the token part of a webhook URL was
// logged and shown by `status` and `notify-test`. Each path segment of the URL is scrubbed, and
// so is every other secret the process has resolved.
BOOST_AUTO_TEST_CASE(bodies_are_scrubbed_of_url_segments_and_every_known_secret) {
    std::string const url = "https://hooks.example/services/T0AAA1/B0BBB2/XyZtokenPart";
    auto const quoted = body_excerpt("no_team: T0AAA1 / bad token XyZtokenPart", url);
    BOOST_TEST(quoted.find("T0AAA1") == std::string::npos, quoted);
    BOOST_TEST(quoted.find("XyZtokenPart") == std::string::npos, quoted);
    BOOST_TEST(quoted.find("no_team") != std::string::npos, quoted);

    remember_secret("whsec-signing-key-42");
    remember_secret("https://other.example/hook/Zq9secretpath");
    auto const other =
        body_excerpt("echo: whsec-signing-key-42 and Zq9secretpath", "https://third.example/x");
    BOOST_TEST(other.find("whsec-signing-key-42") == std::string::npos, other);
    BOOST_TEST(other.find("Zq9secretpath") == std::string::npos, other);
    BOOST_TEST(other.find("echo:") != std::string::npos, other);
}
