#define BOOST_TEST_MODULE github_contents
#include <boost/test/unit_test.hpp>

// GitHub's contents API for a github: requirements file, pure: the request (path and ref
// encoded, the raw media type, the token only when there is one) and the file read from the
// answer (raw, or base64 in GitHub's JSON; a directory is an error).

#include "watcher/sources/github/contents.hpp"

using namespace pinwatch;
using namespace pinwatch::watcher;

namespace {

std::string header(net::Request const& r, std::string const& name) {
    for (auto const& [k, v] : r.headers)
        if (iequals(k, name)) return v;
    return "";
}

net::Response answer(std::string type, std::string body) {
    net::Response r;
    r.status = 200;
    r.headers = {{"Content-Type", std::move(type)}};
    r.body = std::move(body);
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_request_names_the_file_at_its_ref_with_the_raw_media_type) {
    config::GithubFile f{"acme", "api", "services/api/req uire#ments.txt", "release/2.x"};
    GithubFileAccess a;
    a.api_url = "https://ghe.example/api/v3";
    auto r = github_contents_request(f, a);
    BOOST_TEST(r.url == "https://ghe.example/api/v3/repos/acme/api/contents/services/api/"
                        "req%20uire%23ments.txt?ref=release%2F2.x");
    BOOST_TEST(header(r, "Accept") == "application/vnd.github.raw+json");
    BOOST_TEST(header(r, "X-GitHub-Api-Version") == "2022-11-28");
    BOOST_TEST(header(r, "Authorization").empty());
    a.token = Secret("ghp_T");
    BOOST_TEST(header(github_contents_request(f, a), "Authorization") == "Bearer ghp_T");
}

BOOST_AUTO_TEST_CASE(the_file_is_the_raw_body_or_the_base64_content) {
    auto raw = github_contents_body(answer("application/vnd.github.raw+json", "a==1\n"));
    BOOST_TEST(*raw == "a==1\n");
    // "a==1\nb==2\n" in base64, wrapped as GitHub wraps it.
    auto json = github_contents_body(
        answer("application/json; charset=utf-8",
               R"({"type":"file","encoding":"base64","content":"YT09MQpi\nPT0yCg==\n"})"));
    BOOST_REQUIRE(json);
    BOOST_TEST(*json == "a==1\nb==2\n");
    auto dir = github_contents_body(answer("application/json", R"([{"type":"file"}])"));
    BOOST_REQUIRE(!dir);
    BOOST_TEST(dir.error() == "a directory, not a file");
    auto sub = github_contents_body(answer("application/json", R"({"type":"submodule"})"));
    BOOST_REQUIRE(!sub);
    BOOST_TEST(sub.error() == "a submodule, not a file");
    auto large = github_contents_body(
        answer("application/json", R"({"type":"file","encoding":"none","content":""})"));
    BOOST_TEST(!large);
}
