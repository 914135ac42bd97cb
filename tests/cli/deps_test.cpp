#define BOOST_TEST_MODULE deps_command_test
#include <boost/test/unit_test.hpp>

#include "cli/commands.hpp"
#include "tests/fakes/special_files.hpp"

#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using pinwatch::cli::Args;
using pinwatch::cli::run_deps;
namespace fs = std::filesystem;

namespace {

struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

Run deps(Args const& args) {
    std::ostringstream out, err;
    Run r;
    r.status = run_deps(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

struct TempDir {
    fs::path root;
    TempDir() {
        std::random_device rd;
        root = fs::temp_directory_path() / ("pinwatch-deps-" + std::to_string(rd()));
        fs::create_directories(root);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    std::string write(std::string const& name, std::string const& text) {
        fs::path p = root / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
};

rapidjson::Document json_of(std::string const& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << text);
    return doc;
}

std::set<std::string> keys_of(rapidjson::Value const& obj) {
    std::set<std::string> keys;
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it)
        keys.insert(it->name.GetString());
    return keys;
}

bool contains(std::set<std::string> const& have, std::set<std::string> const& want) {
    for (auto const& k : want)
        if (!have.count(k)) return false;
    return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(help_and_usage_errors) {
    auto help = deps({"--help"});
    BOOST_TEST(help.status == 0);
    BOOST_TEST(help.out.find("usage: pinwatch deps -r FILE") == 0u);
    BOOST_TEST(help.out.find("--python-version X.Y") != std::string::npos);
    BOOST_TEST(help.err.empty());

    struct Case {
        Args args;
        char const* message;
    };
    std::vector<Case> const cases = {
        {{}, "give at least one -r FILE or --pyproject FILE"},
        {{"--json"}, "give at least one -r FILE or --pyproject FILE"},
        {{"-r"}, "-r needs a requirements FILE after it"},
        {{"--requirement"}, "--requirement needs a requirements FILE after it"},
        {{"--pyproject"}, "--pyproject needs a pyproject.toml FILE after it"},
        {{"-r", "x.txt", "--python-version"}, "--python-version needs a Python version like 3.11"},
        {{"--requirement="}, "--requirement needs a requirements FILE, got an empty value"},
        {{"-r", "x.txt", "--frobnicate"}, "unknown option '--frobnicate'"},
        {{"-r", "x.txt", "-q"}, "unknown option '-q'"},
        {{"x.txt"}, "unexpected argument 'x.txt': requirements files go after -r"},
        {{"-r", "x.txt", "--python-version", "three"},
         "--python-version: expected a Python version like 3.11 or 3.11.4, got 'three'"},
    };
    for (auto const& c : cases) {
        auto r = deps(c.args);
        BOOST_TEST_INFO("message: " << c.message);
        BOOST_TEST(r.status == 2);
        BOOST_TEST(r.out.empty());
        BOOST_TEST(r.err.find(c.message) != std::string::npos, r.err);
    }
}

BOOST_AUTO_TEST_CASE(json_has_the_documented_shape) {
    TempDir d;
    std::string req =
        d.write("requirements.txt", "Requests[socks]>=2.8,<3 ; python_version >= '3.8'\n"
                                    "Django==4.2.1\n"
                                    "-c constraints.txt\n"
                                    "-e git+https://github.com/o/r.git#egg=r\n"
                                    "--index-url https://mirror.example/simple\n"
                                    "--extra-index-url https://extra.example/simple\n"
                                    "--pre\n");
    d.write("constraints.txt", "urllib3<2 ; os_name == \"posix\"\n");
    auto r = deps({"-r", req, "--json"});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.err.empty());
    auto doc = json_of(r.out);
    BOOST_TEST(contains(keys_of(doc), {"requirements", "options", "errors"}));

    auto const& reqs = doc["requirements"];
    BOOST_REQUIRE(reqs.IsArray());
    BOOST_REQUIRE(reqs.Size() == 4u);
    for (auto const& e : reqs.GetArray()) {
        BOOST_TEST(contains(keys_of(e), {"name", "specifier", "extras", "marker", "url", "editable",
                                         "pinned", "applies", "file", "line", "constraint"}));
        BOOST_TEST(e["name"].IsString());
        BOOST_TEST(e["specifier"].IsString());
        BOOST_TEST(e["extras"].IsArray());
        BOOST_TEST((e["marker"].IsString() || e["marker"].IsNull()));
        BOOST_TEST((e["url"].IsString() || e["url"].IsNull()));
        BOOST_TEST(e["editable"].IsBool());
        BOOST_TEST((e["pinned"].IsString() || e["pinned"].IsNull()));
        BOOST_TEST(e["applies"].IsBool());
        BOOST_TEST(e["file"].IsString());
        BOOST_TEST(e["line"].IsInt());
        BOOST_TEST(e["constraint"].IsBool());
    }
    auto const& first = reqs[0];
    BOOST_TEST(std::string(first["name"].GetString()) == "requests");
    BOOST_TEST(std::string(first["specifier"].GetString()) == "<3,>=2.8");
    BOOST_TEST(first["extras"].Size() == 1u);
    BOOST_TEST(std::string(first["extras"][0].GetString()) == "socks");
    BOOST_TEST(std::string(first["marker"].GetString()) == R"(python_version >= "3.8")");
    BOOST_TEST(first["url"].IsNull());
    BOOST_TEST(first["pinned"].IsNull());
    BOOST_TEST(std::string(first["file"].GetString()) == req);
    BOOST_TEST(first["line"].GetInt() == 1);
    BOOST_TEST(!first["constraint"].GetBool());

    BOOST_TEST(std::string(reqs[1]["name"].GetString()) == "django");
    BOOST_TEST(std::string(reqs[1]["pinned"].GetString()) == "4.2.1");
    BOOST_TEST(std::string(reqs[2]["name"].GetString()) == "urllib3");
    BOOST_TEST(reqs[2]["constraint"].GetBool());
    BOOST_TEST(std::string(reqs[2]["marker"].GetString()) == R"(os_name == "posix")");
    BOOST_TEST(std::string(reqs[2]["file"].GetString()) == (d.root / "constraints.txt").string());
    BOOST_TEST(reqs[3]["editable"].GetBool());
    BOOST_TEST(std::string(reqs[3]["url"].GetString()) == "git+https://github.com/o/r.git#egg=r");
    BOOST_TEST(!reqs[3]["watchable"].GetBool());

    auto const& opts = doc["options"];
    BOOST_TEST(contains(keys_of(opts), {"index_url", "extra_index_urls", "pre"}));
    BOOST_TEST(std::string(opts["index_url"].GetString()) == "https://mirror.example/simple");
    BOOST_REQUIRE(opts["extra_index_urls"].Size() == 1u);
    BOOST_TEST(opts["pre"].GetBool());
    BOOST_TEST(doc["errors"].IsArray());
    BOOST_TEST(doc["errors"].Size() == 0u);
}

BOOST_AUTO_TEST_CASE(rejected_lines_exit_1_and_go_to_stderr) {
    TempDir d;
    std::string req = d.write("requirements.txt", "good==1\n"
                                                  "bad>=\n"
                                                  "--no-such-option\n"
                                                  "-r missing.txt\n"
                                                  "also-good\n");
    auto r = deps({"--requirement=" + req, "--json"});
    BOOST_TEST(r.status == 1);
    auto doc = json_of(r.out);
    BOOST_TEST(doc["requirements"].Size() == 2u);
    auto const& errors = doc["errors"];
    BOOST_REQUIRE(errors.Size() == 3u);
    for (auto const& e : errors.GetArray()) {
        BOOST_TEST(contains(keys_of(e), {"file", "line", "message"}));
        BOOST_TEST(std::string(e["file"].GetString()) == req);
    }
    BOOST_TEST(errors[0]["line"].GetInt() == 2);
    BOOST_TEST(errors[1]["line"].GetInt() == 3);
    BOOST_TEST(errors[2]["line"].GetInt() == 4);
    // The same errors, one per line, on stderr as file:line: message.
    std::istringstream lines(r.err);
    std::string line;
    std::vector<std::string> got;
    while (std::getline(lines, line))
        got.push_back(line);
    BOOST_REQUIRE(got.size() == 3u);
    BOOST_TEST(got[0].find(req + ":2: invalid requirement 'bad>='") == 0u, got[0]);
    BOOST_TEST(got[1].find(req + ":3: invalid option") == 0u, got[1]);
    BOOST_TEST(got[2].find(req + ":4: could not open requirements file") == 0u, got[2]);
}

BOOST_AUTO_TEST_CASE(unreadable_top_level_file_exits_2) {
    TempDir d;
    std::string ok = d.write("ok.txt", "good==1\n");
    auto r = deps({"-r", ok, "-r", (d.root / "absent.txt").string()});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.find("absent.txt: could not open requirements file") != std::string::npos,
               r.err);
    BOOST_TEST(r.out.find("good") != std::string::npos); // what could be read is still shown

    auto p = deps({"--pyproject", (d.root / "pyproject.toml").string()});
    BOOST_TEST(p.status == 2);
    BOOST_TEST(p.err.find("pyproject.toml: cannot open") != std::string::npos, p.err);
}

BOOST_AUTO_TEST_CASE(table_is_aligned) {
    TempDir d;
    // A local project must exist, as for pip (relative to the working directory, so absolute).
    d.write("local/dir/setup.py", "");
    std::string req = d.write("r.txt", "a-very-long-package-name==1.0 ; sys_platform == 'win32'\n"
                                       "b>=2\n" +
                                           (d.root / "local/dir").string() +
                                           "\n"
                                           "-c c.txt\n");
    d.write("c.txt", "b<3\n");
    auto r = deps({"-r" + req});
    BOOST_TEST(r.status == 0, r.err);
    std::istringstream in(r.out);
    std::string header, row1, row2, row3, row4;
    std::getline(in, header);
    std::getline(in, row1);
    std::getline(in, row2);
    std::getline(in, row3);
    std::getline(in, row4);
    BOOST_TEST(header.find("NAME") == 0u);
    auto col = header.find("SPECIFIER");
    BOOST_REQUIRE(col != std::string::npos);
    BOOST_TEST(row1.find("==1.0") == col);
    BOOST_TEST(row2.find(">=2") == col);
    auto applies = header.find("APPLIES");
    BOOST_TEST(row1.substr(applies, 2) == "no");
    BOOST_TEST(row2.substr(applies, 3) == "yes");
    auto where = header.find("WHERE");
    BOOST_TEST(row2.substr(where, req.size() + 2) == req + ":2");
    BOOST_TEST(row3.find("not watchable: local path") != std::string::npos, row3);
    BOOST_TEST(row4.find("constraint") != std::string::npos, row4);
    BOOST_TEST(r.out.find("4 requirements, 0 rejected lines") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(python_version_and_pyproject) {
    TempDir d;
    std::string req = d.write("r.txt", "tomli ; python_version < '3.11'\n");
    std::string py =
        d.write("pyproject.toml", "[project]\n"
                                  "dependencies = [\"attrs>=23\"]\n"
                                  "[project.optional-dependencies]\n"
                                  "test = [\"pytest==8.0.0\"]\n"
                                  "[dependency-groups]\n"
                                  "dev = [\"ruff\", {include-group = \"test-tools\"}]\n"
                                  "test-tools = [\"bad>=\"]\n");
    auto old = deps({"-r", req, "--python-version", "3.10", "--json"});
    BOOST_TEST(old.status == 0, old.err);
    BOOST_TEST(json_of(old.out)["requirements"][0]["applies"].GetBool());
    auto now = deps({"-r", req, "--python-version=3.12.1", "--json"});
    auto doc = json_of(now.out);
    BOOST_TEST(!doc["requirements"][0]["applies"].GetBool());
    BOOST_TEST(std::string(doc["environment"]["python_full_version"].GetString()) == "3.12.1");
    BOOST_TEST(std::string(doc["environment"]["python_version"].GetString()) == "3.12");
    BOOST_TEST(std::string(doc["environment"]["sys_platform"].GetString()) == "linux");
    // What only python3 knows is null unless some marker made pinwatch ask it.
    auto const& name = doc["environment"]["implementation_name"];
    BOOST_TEST((name.IsNull() || name.IsString()));
    auto table = deps({"-r", req, "--python-version=3.12.1"});
    BOOST_TEST(table.out.find("markers judged for Python 3.12.1 on linux (") != std::string::npos,
               table.out);

    auto p = deps({"--pyproject", py, "--json"});
    BOOST_TEST(p.status == 1); // "bad>=" is rejected, the rest is printed
    auto pdoc = json_of(p.out);
    auto const& reqs = pdoc["requirements"];
    BOOST_REQUIRE(reqs.Size() == 3u);
    BOOST_TEST(std::string(reqs[0]["name"].GetString()) == "attrs");
    BOOST_TEST(std::string(reqs[1]["group"].GetString()) == "test");
    BOOST_TEST(std::string(reqs[1]["section"].GetString()) == "project.optional-dependencies");
    BOOST_TEST(std::string(reqs[2]["group"].GetString()) == "dev");
    BOOST_REQUIRE(pdoc["errors"].Size() == 1u);
    BOOST_TEST(pdoc["errors"][0]["line"].GetInt() == 7);
    BOOST_TEST(p.err.find(py + ":7: dependency-groups.test-tools: invalid requirement") == 0u,
               p.err);
}

BOOST_AUTO_TEST_CASE(json_escapes_everything) {
    TempDir d;
    // Quotes and backslashes in markers, control characters, and a file name that is not UTF-8.
    std::string req = d.write("we\"ird\\name\xff.txt", "a ; os_name == 'x\"y\\\\z\\t'\n"
                                                       "b @ https://example.com/p?q=\"1\"&r=<2>\n");
    auto r = deps({"-r", req, "--json"});
    BOOST_TEST(r.status == 0, r.err);
    auto doc = json_of(r.out);
    BOOST_REQUIRE(doc["requirements"].Size() == 2u);
    BOOST_TEST(std::string(doc["requirements"][0]["marker"].GetString()) ==
               "os_name == \"x\"y\\z\t\"");
    std::string file = doc["requirements"][0]["file"].GetString();
    BOOST_TEST(file.find("we\"ird\\name\xEF\xBF\xBD.txt") != std::string::npos, file);
    BOOST_TEST(std::string(doc["requirements"][1]["url"].GetString()) ==
               "https://example.com/p?q=\"1\"&r=<2>");
}

BOOST_AUTO_TEST_CASE(require_hashes_is_only_the_explicit_option) {
    TempDir d;
    // A --hash puts pip in hash-checking mode, but it is not --require-hashes: two fields.
    std::string hashed = d.write("hashed.txt", "django==4.2.1 --hash=sha256:aaa\n");
    auto h = deps({"-r", hashed, "--json"});
    BOOST_TEST(h.status == 0, h.err);
    auto hdoc = json_of(h.out);
    BOOST_TEST(!hdoc["options"]["require_hashes"].GetBool());
    BOOST_TEST(hdoc["options"]["has_hashes"].GetBool());
    auto table = deps({"-r", hashed});
    BOOST_TEST(table.out.find("require hashes:") == std::string::npos, table.out);
    BOOST_TEST(table.out.find("given with --hash") != std::string::npos, table.out);

    std::string required = d.write("required.txt", "--require-hashes\ndjango==4.2.1\n");
    auto r = deps({"-r", required, "--json"});
    auto rdoc = json_of(r.out);
    BOOST_TEST(rdoc["options"]["require_hashes"].GetBool());
    BOOST_TEST(!rdoc["options"]["has_hashes"].GetBool());
    BOOST_TEST(deps({"-r", required}).out.find("require hashes:   yes") != std::string::npos);

    std::string plain = d.write("plain.txt", "django==4.2.1\n");
    auto p = json_of(deps({"-r", plain, "--json"}).out);
    BOOST_TEST(!p["options"]["require_hashes"].GetBool());
    BOOST_TEST(!p["options"]["has_hashes"].GetBool());
}

// Only regular files of 4 MiB at most are read: -r /dev/zero used to grow without bound and a
// FIFO hung deps forever (and the daemon with it). Named on the command line, each is a usage
// error (exit 2); named by -r/-c inside a file, a rejected line (exit 1). The FIFO has no writer:
// the open must not wait for one.
BOOST_AUTO_TEST_CASE(special_files_are_refused_by_name) {
    TempDir d;
    pinwatch::testing::Fifo fifo(d.root / "fifo.txt");
    std::string const dir = (d.root / "folder").string();
    fs::create_directories(dir);
    std::string const big = pinwatch::testing::write_file_of_size(d.root / "big.txt", 5 << 20);
    struct Case {
        std::string path;
        std::string why;
    };
    std::vector<Case> const cases = {
        {"/dev/zero", "not a regular file (a character device)"},
        {fifo.str(), "not a regular file (a FIFO)"},
        {dir, "not a regular file (a directory)"},
        {big, "larger than 4 MiB"},
    };
    for (auto const& c : cases) {
        BOOST_TEST_INFO("file: " << c.path);
        auto r = deps({"-r", c.path});
        BOOST_TEST(r.status == 2);
        BOOST_TEST(r.err ==
                   c.path + ": could not open requirements file '" + c.path + "': " + c.why + "\n");
        BOOST_TEST(r.out.find("0 requirements, 1 rejected line") != std::string::npos, r.out);
    }

    std::string const main = d.write("main.txt", "ok==1\n-r fifo.txt\n-c /dev/zero\n-r " + big +
                                                     "\n-r folder\nalso-ok\n");
    auto nested = deps({"-r", main});
    BOOST_TEST(nested.status == 1);
    BOOST_TEST(nested.out.find("2 requirements, 4 rejected lines") != std::string::npos,
               nested.out);
    BOOST_TEST(nested.err.find(main + ":2: could not open requirements file") == 0u, nested.err);
    for (auto const& part :
         {std::string("fifo.txt': not a regular file (a FIFO)\n"),
          main + ":3: could not open requirements file '/dev/zero': not a "
                 "regular file (a character device)\n",
          main + ":4: could not open requirements file '" + big + "': larger than 4 MiB\n",
          std::string("folder': not a regular file (a directory)\n")})
        BOOST_TEST(nested.err.find(part) != std::string::npos, part << " in\n" << nested.err);

    for (auto const& c : cases) {
        BOOST_TEST_INFO("pyproject: " << c.path);
        auto p = deps({"--pyproject", c.path});
        BOOST_TEST(p.status == 2);
        BOOST_TEST(p.err == c.path + ": cannot open: " + c.why + "\n");
    }
}

// Control characters in a rejected line (ESC starting a colour, BEL, NUL) are shown as \xNN on
// stderr, in the table and in JSON messages; JSON values stay exact but escaped.
BOOST_AUTO_TEST_CASE(control_bytes_from_files_never_reach_the_terminal) {
    TempDir d;
    std::string const req =
        d.write("requirements.txt", std::string("ok==1\nreq\x1b[31m==1.0\x07\0x\n", 23) +
                                        "marked ; os_name == 'x\x1b]0;title\x07'\n");
    auto const raw_controls = [](std::string const& s) {
        for (char c : s)
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return true;
        return false;
    };
    std::string const shown = "invalid requirement 'req\\x1b[31m==1.0\\x07\\x00x'";
    for (bool json : {false, true}) {
        BOOST_TEST_INFO("json: " << json);
        auto r = json ? deps({"-r", req, "--json"}) : deps({"-r", req});
        BOOST_TEST(r.status == 1);
        BOOST_TEST(!raw_controls(r.err), r.err);
        BOOST_TEST(!raw_controls(r.out), r.out);
        BOOST_TEST(r.err.find(req + ":2: " + shown) == 0u, r.err);
        if (!json) {
            BOOST_TEST(r.out.find("os_name == \"x\\x1b]0;title\\x07\"") != std::string::npos,
                       r.out);
            continue;
        }
        auto doc = json_of(r.out);
        std::string const message = doc["errors"][0]["message"].GetString();
        BOOST_TEST(!raw_controls(message), message);
        BOOST_TEST(message.find(shown) == 0u, message);
        // A value is data: exact once decoded (whoever prints it sanitises), escaped in the text.
        BOOST_TEST(std::string(doc["requirements"][1]["marker"].GetString()) ==
                   "os_name == \"x\x1b]0;title\x07\"");
        BOOST_TEST(r.out.find("\\u001b]0;title\\u0007") != std::string::npos, r.out);
    }
}

// Credentials in URLs are never echoed: not in a rejected line quoted on stderr or in
// errors[].message, not in a direct or VCS URL's `url` and `text`, not in the options.
BOOST_AUTO_TEST_CASE(credentials_in_urls_are_redacted_everywhere) {
    TempDir d;
    std::string const req = d.write(
        "requirements.txt", "--extra-index-url https://user:PASS1@pypi.example/simple --bogus\n"
                            "--extra-index-url https://user:PASS2@extra.example/simple\n"
                            "--find-links https://user:PASS3@links.example/wheels/\n"
                            "pkg @ https://user:TOKEN1@files.example/pkg-1.0.tar.gz\n"
                            "-e git+https://oauth2:TOKEN2@gitlab.example/g/r.git#egg=r\n"
                            "bad line https://u:TOKEN3@host.example/x\n");
    auto const no_secret = [](std::string const& s) {
        return s.find("PASS") == std::string::npos && s.find("TOKEN") == std::string::npos;
    };
    auto table = deps({"-r", req});
    auto json = deps({"-r", req, "--json"});
    for (auto const* r : {&table, &json}) {
        BOOST_TEST(r->status == 1);
        BOOST_TEST(no_secret(r->out), r->out);
        BOOST_TEST(no_secret(r->err), r->err);
        BOOST_TEST(r->err.find(req + ":1: invalid option in '--extra-index-url "
                                     "https://pypi.example/simple --bogus'") == 0u,
                   r->err);
        BOOST_TEST(r->err.find(req + ":6: invalid requirement 'bad line https://host.example/x'") !=
                       std::string::npos,
                   r->err);
    }
    BOOST_TEST(table.out.find("extra index urls: https://extra.example/simple") !=
                   std::string::npos,
               table.out);
    auto doc = json_of(json.out);
    auto const& reqs = doc["requirements"];
    BOOST_REQUIRE(reqs.Size() == 2u);
    BOOST_TEST(std::string(reqs[0]["url"].GetString()) == "https://files.example/pkg-1.0.tar.gz");
    BOOST_TEST(std::string(reqs[0]["text"].GetString()) ==
               "pkg @ https://files.example/pkg-1.0.tar.gz");
    BOOST_TEST(std::string(reqs[1]["url"].GetString()) ==
               "git+https://gitlab.example/g/r.git#egg=r");
    BOOST_TEST(std::string(reqs[1]["text"].GetString()) ==
               "git+https://gitlab.example/g/r.git#egg=r");
    BOOST_TEST(std::string(doc["options"]["extra_index_urls"][0].GetString()) ==
               "https://extra.example/simple");
    BOOST_TEST(std::string(doc["options"]["find_links"][0].GetString()) ==
               "https://links.example/wheels/");
    BOOST_TEST(std::string(doc["errors"][0]["message"].GetString()) ==
               "invalid option in '--extra-index-url https://pypi.example/simple --bogus': no "
               "such option: --bogus");
}

// [dependency-groups] whose includes stack up (30 levels, each including the next twice) or run
// long (3,000 groups in a chain) are read in linear time: deps ran for minutes, then aborted
// with std::bad_alloc.
BOOST_AUTO_TEST_CASE(deep_dependency_group_includes) {
    TempDir d;
    std::string diamond = "[dependency-groups]\n";
    for (int i = 0; i < 30; ++i)
        diamond += "l" + std::to_string(i) + " = [{include-group = \"l" + std::to_string(i + 1) +
                   "\"}, {include-group = \"L" + std::to_string(i + 1) + "\"}]\n";
    diamond += "l30 = [\"leaf==1.0\"]\n";
    auto r = deps({"--pyproject", d.write("diamond.toml", diamond), "--json"});
    BOOST_TEST(r.status == 0, r.err);
    auto doc = json_of(r.out);
    BOOST_REQUIRE(doc["requirements"].Size() == 1u);
    BOOST_TEST(std::string(doc["requirements"][0]["name"].GetString()) == "leaf");
    BOOST_TEST(std::string(doc["requirements"][0]["group"].GetString()) == "l30");

    std::string chain = "[dependency-groups]\n";
    for (int i = 0; i < 3000; ++i)
        chain += "g" + std::to_string(i) + " = [\"pkg" + std::to_string(i) + "\"" +
                 (i + 1 < 3000 ? ", {include-group = \"g" + std::to_string(i + 1) + "\"}" : "") +
                 "]\n";
    auto c = deps({"--pyproject", d.write("chain.toml", chain)});
    BOOST_TEST(c.status == 0, c.err);
    BOOST_TEST(c.out.find("3000 requirements, 0 rejected lines") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Lock files: every requirement of every format says direct, index and groups.
// ---------------------------------------------------------------------------------------------

namespace {
std::string const kLocks = PINWATCH_LOCK_DATA;

rapidjson::Value const& by_name(rapidjson::Value const& reqs, std::string const& name) {
    for (auto const& e : reqs.GetArray())
        if (name == e["name"].GetString()) return e;
    BOOST_FAIL("no requirement " + name);
    throw std::logic_error("unreachable");
}
std::string text(rapidjson::Value const& v) {
    return v.IsNull() ? "null" : v.IsBool() ? (v.GetBool() ? "true" : "false") : v.GetString();
}
std::vector<std::string> list(rapidjson::Value const& v) {
    std::vector<std::string> out;
    for (auto const& s : v.GetArray())
        out.emplace_back(s.GetString());
    return out;
}
} // namespace

BOOST_AUTO_TEST_CASE(json_says_direct_index_and_groups_for_every_format) {
    for (std::string file :
         {"uv-workspace/uv.lock", "poetry/poetry.lock", "pdm/pdm.lock", "pipenv/Pipfile.lock",
          "pylock/pylock.toml", "compiled/requirements.txt"}) {
        auto r = deps({"-r", kLocks + "/" + file, "--python-version", "3.11", "--json"});
        BOOST_TEST(r.status == 0, file + ": " + r.err);
        auto doc = json_of(r.out);
        auto const& reqs = doc["requirements"];
        BOOST_REQUIRE(reqs.Size() > 3u);
        for (auto const& e : reqs.GetArray()) {
            BOOST_TEST(contains(keys_of(e), {"name", "specifier", "pinned", "applies", "file",
                                             "line", "watchable", "direct", "index", "groups"}),
                       file);
            BOOST_TEST((e["direct"].IsBool() || e["direct"].IsNull()));
            BOOST_TEST((e["index"].IsString() || e["index"].IsNull()));
            BOOST_TEST(e["groups"].IsArray());
        }
    }
    auto uv = json_of(deps({"-r", kLocks + "/uv-workspace/uv.lock", "--json"}).out);
    auto const& auth = by_name(uv["requirements"], "internal-auth");
    BOOST_TEST(text(auth["index"]) == "https://pypi.internal.example/simple");
    BOOST_TEST(text(auth["direct"]) == "true");
    BOOST_TEST(text(auth["pinned"]) == "3.2.0");
    BOOST_TEST(text(auth["specifier"]) == "==3.2.0");
    BOOST_TEST(text(by_name(uv["requirements"], "idna")["direct"]) == "false");
    BOOST_TEST(list(by_name(uv["requirements"], "pluggy")["groups"]) ==
               std::vector<std::string>{"test"});
    auto const& git = by_name(uv["requirements"], "rq-tools");
    BOOST_TEST(text(git["pinned"]) == "null");
    BOOST_TEST(text(git["watchable"]) == "false");
    BOOST_TEST(text(git["url"]).find("git+https://github.com/acme/rq-tools") == 0u);

    auto pylock = json_of(deps({"-r", kLocks + "/pylock/pylock.toml", "--json"}).out);
    BOOST_TEST(text(by_name(pylock["requirements"], "pytest")["direct"]) == "null");
    auto pipenv = json_of(deps({"-r", kLocks + "/pipenv/Pipfile.lock", "--json"}).out);
    BOOST_TEST(list(by_name(pipenv["requirements"], "certifi")["groups"]) ==
               (std::vector<std::string>{"default", "develop"}));
    auto compiled = json_of(deps({"-r", kLocks + "/compiled/requirements.txt", "--json"}).out);
    BOOST_TEST(text(by_name(compiled["requirements"], "sqlparse")["direct"]) == "false");
    BOOST_TEST(text(by_name(compiled["requirements"], "django")["direct"]) == "true");
}

BOOST_AUTO_TEST_CASE(a_malformed_lock_is_an_error_at_its_line_and_the_rest_is_listed) {
    TempDir d;
    auto lock = d.write("proj/poetry.lock", "[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n\n"
                                            "[[package]]\nname = \"idna\"\nversion = 3\n");
    auto r = deps({"-r", lock, "--json"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err.find(lock + ":7: package 'idna'.version: expected a string") !=
                   std::string::npos,
               r.err);
    auto doc = json_of(r.out);
    BOOST_REQUIRE(doc["requirements"].Size() == 1u);
    BOOST_TEST(text(doc["requirements"][0]["name"]) == "six");
    BOOST_REQUIRE(doc["errors"].Size() == 1u);
    BOOST_TEST(doc["errors"][0]["line"].GetInt() == 7);
    BOOST_TEST(text(doc["errors"][0]["kind"]) == "lock");
}

BOOST_AUTO_TEST_CASE(a_lock_named_index_never_shows_its_credentials) {
    TempDir d;
    auto lock = d.write("Pipfile.lock", R"({"_meta": {"sources": [
        {"name": "corp", "url": "https://ci:hunter2@pypi.corp.example/simple", "verify_ssl": true}]},
      "default": {"six": {"version": "==1.16.0", "index": "corp"}}, "develop": {}})");
    auto json = deps({"-r", lock, "--json"});
    BOOST_TEST(json.status == 0, json.err);
    BOOST_TEST(json.out.find("hunter2") == std::string::npos);
    BOOST_TEST(json.out.find("pypi.corp.example/simple") != std::string::npos);
    auto table = deps({"-r", lock});
    BOOST_TEST(table.out.find("hunter2") == std::string::npos);
    BOOST_TEST(table.out.find("groups default, index https://pypi.corp.example/simple") !=
                   std::string::npos,
               table.out);
}
