#define BOOST_TEST_MODULE faults
#include <boost/test/unit_test.hpp>

// `pinwatch check --json` against an index that misbehaves in every way an index can: one
// package ("bad") shows the fault, the other ("good") is served normally by the same server.
// Each fault must end as exit status 3 with a row error naming the reason, the good row
// intact, and a state file that a later run (fault cleared) uses without trouble.

#include "cli/commands.hpp"
#include "tests/fakes/test_server.hpp"

#include <rapidjson/document.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

constexpr char const* kJsonType = "application/vnd.pypi.simple.v1+json";

// A valid PEP 691 project page with versions 1.0 and 2.0.
std::string project_page(std::string const& name) {
    std::string files;
    for (std::string v : {"1.0", "2.0"}) {
        if (!files.empty()) files += ",";
        files += R"({"filename":")" + name + "-" + v + R"(.tar.gz","url":"https://files.example/)" +
                 name + "-" + v + R"(.tar.gz","hashes":{"sha256":")" + std::string(64, 'a') +
                 R"("},"upload-time":"2023-11-14T22:13:20Z","yanked":false})";
    }
    return R"({"meta":{"api-version":"1.1"},"name":")" + name +
           R"(","versions":["1.0","2.0"],"files":[)" + files + "]}";
}

TestResponse valid(std::string const& name) {
    return TestResponse::json(project_page(name)).header("Content-Type", kJsonType);
}

struct Dir {
    fs::path dir;
    Dir() {
        static int n = 0;
        dir = fs::temp_directory_path() /
              ("pinwatch-faults-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        fs::create_directories(dir);
        std::ofstream(dir / "requirements.txt") << "good\nbad\n";
    }
    ~Dir() { fs::remove_all(dir); }
    std::string path(std::string const& name) const { return (dir / name).string(); }
};

struct Run {
    int rc = -1;
    std::string out, err;
    rapidjson::Document doc;
    rapidjson::Value const* row(std::string const& name) const {
        if (!doc.IsObject() || !doc.HasMember("requirements")) return nullptr;
        for (auto const& r : doc["requirements"].GetArray())
            if (r["name"].GetString() == name) return &r;
        return nullptr;
    }
};

Run check(Dir const& d, std::string const& index_url, std::string const& ca_file) {
    std::vector<std::string> args{
        "-r",      d.path("requirements.txt"), "--index-url", index_url, "--json", "-q",
        "--state", d.path("state.db"),         "--timeout",   "2"};
    if (!ca_file.empty()) {
        args.push_back("--ca-file");
        args.push_back(ca_file);
    }
    std::ostringstream out, err;
    Run r;
    r.rc = cli::run_check(args, out, err);
    r.out = out.str();
    r.err = err.str();
    r.doc.Parse(r.out.c_str());
    return r;
}

// The row of a package that was checked: no error, latest 2.0.
void expect_ok(Run const& r, std::string const& name, std::string const& label) {
    auto const* row = r.row(name);
    BOOST_TEST_REQUIRE(row != nullptr, label << ": no row for " << name << " in " << r.out);
    BOOST_TEST((*row)["error"].IsNull(), label << ": " << name << " has an error: " << r.out);
    BOOST_TEST(((*row)["latest"].IsString() && std::string((*row)["latest"].GetString()) == "2.0"),
               label << ": " << name << " latest is not 2.0: " << r.out);
}

void expect_error(Run const& r, std::string const& name, std::vector<std::string> const& reasons,
                  std::string const& label) {
    auto const* row = r.row(name);
    BOOST_TEST_REQUIRE(row != nullptr, label << ": no row for " << name << " in " << r.out);
    BOOST_TEST_REQUIRE((*row)["error"].IsString(), label << ": " << name << " has no error");
    std::string const error = (*row)["error"].GetString();
    BOOST_TEST_MESSAGE(label << ": " << name << ": " << error);
    bool named = false;
    for (auto const& reason : reasons)
        named = named || contains(error, reason);
    BOOST_TEST(named, label << ": error does not name the reason: " << error);
}

// How the index misbehaves for "bad": a handler producing the fault. Index-wide faults (TLS,
// DNS) break "good" too; they get their own setups below.
struct Fault {
    std::string name;
    std::function<TestResponse()> respond;
    std::vector<std::string> reasons; // the error names at least one
};

std::vector<Fault> per_package_faults() {
    std::vector<Fault> f;
    f.push_back({"wrong-shaped JSON",
                 [] { return TestResponse::json("[1,2,3]").header("Content-Type", kJsonType); },
                 {"not a Simple API"}});
    f.push_back({"HTML without links",
                 [] {
                     return TestResponse::text("<!DOCTYPE html><html><body>nothing</body></html>")
                         .header("Content-Type", "text/html");
                 },
                 {"not a Simple API"}});
    for (int status : {500, 502, 503})
        f.push_back({"http " + std::to_string(status),
                     [status] { return TestResponse::text("down", status); },
                     {"http " + std::to_string(status)}});
    f.push_back({"429 with Retry-After",
                 [] { return TestResponse::text("slow down", 429).header("Retry-After", "120"); },
                 {"http 429"}}); // and the long pause delays neither "good" nor the next run
    f.push_back({"connection reset mid-body",
                 [] {
                     auto r = valid("bad");
                     r.truncate_body = true;
                     return r;
                 },
                 {"connection closed before the end of the message"}});
    f.push_back({"connection closed before the response",
                 [] {
                     TestResponse r;
                     r.close_before_response = true;
                     return r;
                 },
                 {"connection closed by"}});
    f.push_back({"truncated gzip",
                 [] {
                     auto const gz = gzip_compress(project_page("bad"));
                     return TestResponse::json(gz.substr(0, gz.size() / 2))
                         .header("Content-Type", kJsonType)
                         .header("Content-Encoding", "gzip");
                 },
                 {"corrupt gzip body"}});
    // 80 MiB of one byte inflate from about 80 KiB: past the 64 MiB cap on the decoded body.
    auto const bomb = std::make_shared<std::string>(gzip_compress(std::string(80u << 20, 'a')));
    f.push_back({"gzip bomb",
                 [bomb] {
                     return TestResponse::json(*bomb)
                         .header("Content-Type", kJsonType)
                         .header("Content-Encoding", "gzip");
                 },
                 {"too large", "exceeds"}});
    auto const huge = std::make_shared<std::string>(std::string(80u << 20, ' '));
    f.push_back({"oversized plain body",
                 [huge] {
                     auto r = TestResponse::json(*huge).header("Content-Type", kJsonType);
                     r.until_close = true;
                     return r;
                 },
                 {"too large", "exceeds"}});
    f.push_back({"drip past the deadline",
                 [] {
                     auto r = valid("bad");
                     r.drip = std::chrono::milliseconds(50); // ~50 s for the page; deadline 2 s
                     return r;
                 },
                 {"deadline 2s exceeded"}});
    f.push_back({"redirect loop",
                 [] { return TestResponse::redirect(301, "/simple/bad/"); },
                 {"too many redirects"}});
    return f;
}

// A server for both packages; "bad" answers with `fault` while it is set.
struct Index {
    std::shared_ptr<std::function<TestResponse()>> fault =
        std::make_shared<std::function<TestResponse()>>();
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    TestServer server;
    explicit Index(TestServerOptions options = {})
        : server(
              [fault = fault, mutex = mutex](TestRequest const& req) {
                  auto const path = req.path();
                  if (path == "/simple/good/") return valid("good");
                  if (path == "/simple/bad/") {
                      std::lock_guard lock(*mutex);
                      return *fault ? (*fault)() : valid("bad");
                  }
                  return TestResponse::text("not found", 404);
              },
              options) {}
    void set(std::function<TestResponse()> f) {
        std::lock_guard lock(*mutex);
        *fault = std::move(f);
    }
    std::string url() const { return server.url("/simple/"); }
};

// The fault run, then the same state with the fault gone.
void fault_then_recovery(std::string const& label, Run const& faulty, Run const& recovered,
                         std::vector<std::string> const& reasons, bool good_too = false) {
    BOOST_TEST(faulty.rc == 3, label << ": exit " << faulty.rc << ": " << faulty.err);
    BOOST_TEST(!contains(faulty.err, "pinwatch check: bad"), label << ": " << faulty.err);
    BOOST_TEST(!contains(faulty.err, "pinwatch check: good"), label << ": " << faulty.err);
    if (good_too)
        expect_error(faulty, "good", reasons, label);
    else
        expect_ok(faulty, "good", label);
    expect_error(faulty, "bad", reasons, label);

    BOOST_TEST(recovered.rc == 0, label << ": recovery exit " << recovered.rc << ": "
                                        << recovered.err << recovered.out);
    expect_ok(recovered, "good", label + " (recovered)");
    expect_ok(recovered, "bad", label + " (recovered)");
}

bool invalid_names_fail_locally() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int const rc = ::getaddrinfo("pinwatch-faults-test.invalid", "80", &hints, &res);
    if (res) ::freeaddrinfo(res);
    return rc == EAI_NONAME;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_index_fault_is_a_row_error_and_leaves_the_state_usable) {
    for (auto const& fault : per_package_faults()) {
        Dir d;
        Index index;
        index.set(fault.respond);
        auto const faulty = check(d, index.url(), "");
        index.set(nullptr);
        auto const recovered = check(d, index.url(), "");
        fault_then_recovery(fault.name, faulty, recovered, fault.reasons);
    }

    { // https -> http redirect: refused, though the http page is fine.
        Dir d;
        Index plain;
        Index secure({.tls = true});
        std::string const target = plain.server.url("/simple/bad/");
        secure.set([target] { return TestResponse::redirect(302, target); });
        auto const faulty = check(d, secure.url(), secure.server.ca_file());
        secure.set(nullptr);
        auto const recovered = check(d, secure.url(), secure.server.ca_file());
        fault_then_recovery("https to http redirect", faulty, recovered,
                            {"refusing redirect from https to http"});
    }

    { // An untrusted certificate: every package fails; trusting the CA cures it.
        Dir d;
        Index secure({.tls = true});
        auto const faulty = check(d, secure.url(), "");
        auto const recovered = check(d, secure.url(), secure.server.ca_file());
        fault_then_recovery("untrusted certificate", faulty, recovered,
                            {"certificate verification failed"}, true);
    }

    { // A certificate for another name (its CA trusted); then a server with the right one.
        Dir d;
        Index wrong({.tls = true, .wrong_name = true});
        auto const faulty = check(d, wrong.url(), wrong.server.ca_file());
        Index right({.tls = true});
        auto const recovered = check(d, right.url(), right.server.ca_file());
        fault_then_recovery("wrong host name", faulty, recovered, {"does not match host name"},
                            true);
    }

    if (invalid_names_fail_locally()) { // DNS failure, then a resolvable index.
        Dir d;
        auto const faulty = check(d, "http://pinwatch-faults-test.invalid/simple/", "");
        Index index;
        auto const recovered = check(d, index.url(), "");
        fault_then_recovery("DNS failure", faulty, recovered,
                            {"resolve pinwatch-faults-test.invalid: host not found"}, true);
    } else {
        BOOST_TEST_MESSAGE("skipped DNS failure: the resolver does not fail .invalid names "
                           "locally here");
    }
}
