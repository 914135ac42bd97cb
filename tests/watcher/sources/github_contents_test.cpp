#define BOOST_TEST_MODULE github_contents
#include <boost/test/unit_test.hpp>

// github:OWNER/REPO/PATH@REF, the GitHub source's file host, pure: a spec's parts and the
// shape a bad one is told to have; the contents API request (path and ref
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

BOOST_AUTO_TEST_CASE(a_github_spec_splits_into_owner_repo_path_and_ref) {
    auto f = parse_github_file("github:acme/api/services/api/requirements.txt@main");
    BOOST_REQUIRE(f);
    BOOST_TEST(f->owner == "acme");
    BOOST_TEST(f->repo == "api");
    BOOST_TEST(f->path == "services/api/requirements.txt");
    BOOST_TEST(f->ref == "main");
    BOOST_TEST(f->spec() == "github:acme/api/services/api/requirements.txt@main");
    // A ref may hold slashes (a branch "release/2.x"); it is what follows the last '@'.
    auto g = parse_github_file("github:acme/api.py/req@dev.txt@release/2.x");
    BOOST_REQUIRE(g);
    BOOST_TEST(g->repo == "api.py");
    BOOST_TEST(g->path == "req@dev.txt");
    BOOST_TEST(g->ref == "release/2.x");
}

BOOST_AUTO_TEST_CASE(a_bad_github_spec_says_the_expected_shape) {
    std::string const shape = "expected github:OWNER/REPO/PATH@REF";
    for (auto bad :
         {"github:acme", "github:acme/api@main", "github:acme/api/req.txt",
          "github:/api/req.txt@main", "github:acme//req.txt@main", "github:acme/api/req.txt@"}) {
        auto f = parse_github_file(bad);
        BOOST_TEST(!f, bad);
        if (!f) BOOST_TEST(f.error() == shape, bad << ": " << f.error());
    }
    auto up = parse_github_file("github:acme/api/../x.txt@main");
    BOOST_REQUIRE(!up);
    BOOST_TEST(up.error() == shape + " ('../x.txt' is not a file path in the repository)");
    auto ref = parse_github_file("github:acme/api/x.txt@a..b");
    BOOST_REQUIRE(!ref);
    BOOST_TEST(ref.error() == shape + " ('a..b' is not a git ref name)");
    auto owner = parse_github_file("github:ac me/api/x.txt@main");
    BOOST_REQUIRE(!owner);
    BOOST_TEST(owner.error() == shape + " ('ac me' is not a GitHub owner name)");
}

BOOST_AUTO_TEST_CASE(the_request_names_the_file_at_its_ref_with_the_raw_media_type) {
    GithubFile f{"acme", "api", "services/api/req uire#ments.txt", "release/2.x"};
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
