#define BOOST_TEST_MODULE requirements_file_test
#include <boost/test/unit_test.hpp>

#include "locks/lock_fixtures.hpp"
#include "packaging/requirements_file.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace pinwatch;
using namespace pinwatch::packaging;
namespace fs = std::filesystem;

namespace {

Environment debian12() {
    return Environment::debian12_x86_64();
}

// No reader and no disk: only the environment (and the default getenv).
ParseOptions debian12_options() {
    ParseOptions o;
    o.environment = debian12();
    return o;
}

// A scratch directory of real files, removed at the end of the test; paths given to the parser
// are relative to it, as a user's would be relative to the working directory.
struct TempTree {
    fs::path root;
    std::map<std::string, std::string> vars;

    TempTree() {
        std::random_device rd;
        root = fs::temp_directory_path() / ("pinwatch-reqfile-" + std::to_string(rd()));
        fs::create_directories(root);
    }
    ~TempTree() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    void write(std::string const& name, std::string const& bytes) {
        fs::path p = root / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << bytes;
    }
    ParseOptions options() {
        ParseOptions o;
        o.environment = debian12();
        o.read_file = [this](std::string const& path) -> Result<FileContent> {
            fs::path full = root / path;
            if (fs::is_directory(full)) return fail("is a directory");
            std::ifstream in(full, std::ios::binary);
            if (!in) return fail("No such file or directory");
            std::ostringstream ss;
            ss << in.rdbuf();
            return FileContent{ss.str(), fs::weakly_canonical(full).string()};
        };
        o.getenv = [this](std::string const& name) -> std::optional<std::string> {
            auto it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        };
        return o;
    }
    RequirementsSet parse(std::vector<std::string> const& files) {
        return parse_requirements_files(files, options());
    }
    // With the disk hooks, as if the working directory were the tree's root.
    ParseOptions disk_options() {
        ParseOptions o = options();
        o.working_directory = root.string();
        o.exists = [this](std::string const& path) {
            std::error_code ec;
            auto st = fs::status(root / path, ec);
            if (ec || !fs::exists(st)) return PathKind::missing;
            if (fs::is_directory(st)) return PathKind::directory;
            return fs::is_regular_file(st) ? PathKind::file : PathKind::other;
        };
        return o;
    }
};

std::string errors_of(RequirementsSet const& set) {
    std::string out;
    for (auto const& e : set.errors)
        out += e.str() + "\n";
    return out;
}

} // namespace

// ----------------------------------------------------------------------------------------------
// The steps, checked against what pip 23.0.1's functions return for the same input.
// ----------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(decoding) {
    auto text = [](std::string_view bytes) {
        auto d = reqfile::decode(bytes);
        BOOST_REQUIRE(d.has_value());
        return d->text;
    };
    BOOST_TEST(text("\xEF\xBB\xBFrequests\n") == "requests\n");
    BOOST_TEST(text(std::string("\xFF\xFEr\0=\0", 6)) == "r=");         // UTF-16 LE
    BOOST_TEST(text(std::string("\xFE\xFF\0r\0=", 6)) == "r=");         // UTF-16 BE
    BOOST_TEST(text(std::string("\x00\x00\xFE\xFF\0\0\0r", 8)) == "r"); // UTF-32 BE
    BOOST_TEST(text(std::string("\xFF\xFE\xFE\xFF\0r", 6)) == "r"); // "utf-16" honours a 2nd BOM
    // pip checks BOM_UTF16 before BOM_UTF32_LE, so UTF-32 LE reads as UTF-16 LE with NULs.
    BOOST_TEST(text(std::string("\xFF\xFE\0\0r\0\0\0", 8)) == std::string("\0r\0", 3));
    BOOST_TEST(text("\xEF\xBB\xBF\xEF\xBB\xBFx") == "\xEF\xBB\xBFx"); // only one BOM goes
    // PEP 263 coding comments on line 1 or 2, only in lines starting with '#'.
    BOOST_TEST(text("# -*- coding: latin-1 -*-\ncaf\xE9\n") ==
               "# -*- coding: latin-1 -*-\ncaf\xC3\xA9\n");
    BOOST_TEST(text("pkg\n# vim: set fileencoding=ISO-8859-1 :\n\xE9") ==
               "pkg\n# vim: set fileencoding=ISO-8859-1 :\n\xC3\xA9");
    BOOST_TEST(text("#coding=utf8\nx") == "#coding=utf8\nx");

    auto bad = reqfile::decode("a\nb\xFF\nc\n# coding: latin-1\n\xE9");
    BOOST_REQUIRE(bad.has_value()); // line 4 is too late for a coding comment: UTF-8 applies
    BOOST_TEST((bad->bad_lines == std::vector<int>{2, 5}));
    auto ascii = reqfile::decode("# coding: ascii\nok\n\xC3\xA9\n");
    BOOST_TEST((ascii->bad_lines == std::vector<int>{3}));
    auto utf16_odd = reqfile::decode(std::string("\xFF\xFEr\0=", 5));
    BOOST_TEST((utf16_odd->bad_lines == std::vector<int>{1}));

    auto unsupported = reqfile::decode("# coding: cp1252\nx\n");
    BOOST_REQUIRE(!unsupported.has_value());
    BOOST_TEST(unsupported.error().find("unsupported encoding 'cp1252'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(preprocessing_like_pip) {
    // Same input as pip's preprocess(); pip yields
    // [(1,'a  b'), (4,'d'), (5,'xe'), (7,'g#h'), (8,'i'), (9,'k'), (10,'l'), (11,'mn')].
    std::string const text = "a \\\n b\n# c \\\nd\n\\\\x\\\\\ne # f\ng#h\ni\xC2\xA0#j\nk\x0cl\r\n"
                             "m\\\n\\\nn\n  \n\\";
    auto lines = reqfile::preprocess(text);
    std::vector<std::pair<int, std::string>> got;
    for (auto const& l : lines)
        got.emplace_back(l.first, l.text);
    std::vector<std::pair<int, std::string>> const want = {
        {1, "a  b"}, {4, "d"}, {5, "xe"}, {7, "g#h"}, {8, "i"}, {9, "k"}, {10, "l"}, {11, "mn"}};
    BOOST_TEST(got.size() == want.size());
    for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
        BOOST_TEST(got[i].first == want[i].first);
        BOOST_TEST(got[i].second == want[i].second);
    }
    // The first and last physical lines of each logical line.
    BOOST_TEST(lines[0].last == 2);
    BOOST_TEST(lines[2].first == 5);
    BOOST_TEST(lines[2].last == 6);
    BOOST_TEST(lines[7].last == 13);

    // A continuation into a comment line ends there; the comment is dropped later.
    auto c = reqfile::preprocess("foo>=1 \\\n# note \\\nbar\n");
    BOOST_REQUIRE(c.size() == 2u);
    BOOST_TEST(c[0].text == "foo>=1");
    BOOST_TEST(c[1].text == "bar");
    BOOST_TEST(c[1].first == 3);
    // A file ending in a backslash line still yields it.
    auto tail = reqfile::preprocess("x\\");
    BOOST_REQUIRE(tail.size() == 1u);
    BOOST_TEST(tail[0].text == "x");
    // Every str.splitlines() separator ends a line (\v, \x1c-\x1e, \x85, U+2028, U+2029).
    auto seps = reqfile::preprocess("a\vb\x1c"
                                    "c\x1d"
                                    "d\x1e"
                                    "e\xC2\x85"
                                    "f\xE2\x80\xA8g\xE2\x80\xA9h");
    BOOST_TEST(seps.size() == 8u);
    BOOST_TEST(seps.back().first == 8);
}

BOOST_AUTO_TEST_CASE(environment_variables) {
    std::map<std::string, std::string> vars = {
        {"VERSION", "1.2.3"}, {"EMPTY", ""}, {"CHAIN", "${VERSION}"}, {"A_1", "x"}};
    auto getenv = [&](std::string const& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
    struct Case {
        char const* line;
        char const* expanded;
    };
    std::vector<Case> const cases = {
        {"pkg==${VERSION}", "pkg==1.2.3"},
        {"pkg==${UNSET}", "pkg==${UNSET}"},     // unset: left as written
        {"pkg==${EMPTY}", "pkg==${EMPTY}"},     // empty counts as unset
        {"pkg==$VERSION", "pkg==$VERSION"},     // only ${NAME}
        {"pkg==${version}", "pkg==${version}"}, // only [A-Z0-9_]
        {"pkg==${VER-SION}", "pkg==${VER-SION}"},
        {"${A_1}${A_1} ${VERSION}", "xx 1.2.3"}, // every occurrence
        {"${CHAIN} ${VERSION}", "1.2.3 1.2.3"},  // replaced in turn, like str.replace
        {"${${VERSION}}", "${1.2.3}"},
        {"${}", "${}"},
    };
    for (auto const& c : cases)
        BOOST_TEST(reqfile::expand_env(c.line, getenv) == c.expanded);
    BOOST_TEST(reqfile::expand_env("pkg==${VERSION}", nullptr) == "pkg==${VERSION}");
}

BOOST_AUTO_TEST_CASE(splitting_requirement_from_options) {
    struct Case {
        char const* line;
        char const* args;
        char const* options;
    };
    std::vector<Case> const cases = {
        {"foo --hash=x", "foo", "--hash=x"},
        {"foo\t--hash=x", "foo\t--hash=x", ""}, // only single spaces split
        {"foo  --x", "foo ", "--x"},
        {"-e x", "", "-e x"},
        {"a b c -r x y", "a b c", "-r x y"},
        {"foo", "foo", ""},
        {"-", "", "-"},
        {"foo - bar", "foo", "- bar"},
    };
    for (auto const& c : cases) {
        auto [args, options] = reqfile::break_args_options(c.line);
        BOOST_TEST(args == c.args, "for " << c.line);
        BOOST_TEST(options == c.options, "for " << c.line);
    }
}

BOOST_AUTO_TEST_CASE(shlex_like_python) {
    struct Case {
        char const* text;
        std::vector<std::string> tokens;
    };
    std::vector<Case> const cases = {
        {R"(a "b c" d)", {"a", "b c", "d"}},
        {"a 'b c' d", {"a", "b c", "d"}},
        {R"(a\ b)", {"a b"}},
        {R"("a\"b")", {"a\"b"}},
        {R"('a\')", {"a\\"}},
        {R"("")", {""}},
        {"a''b", {"ab"}},
        {R"("a\qb")", {"a\\qb"}},
        {R"("a\\b")", {"a\\b"}},
        {"  x  ", {"x"}},
        {"", {}},
        {"a\tb\rc\nd", {"a", "b", "c", "d"}},
        {"#x y", {"#x", "y"}}, // no comment characters
    };
    for (auto const& c : cases) {
        auto r = reqfile::shlex_split(c.text);
        BOOST_REQUIRE_MESSAGE(r.has_value(), c.text);
        BOOST_TEST(*r == c.tokens, "for " << c.text);
    }
    BOOST_TEST(reqfile::shlex_split("'unterminated").error() == "No closing quotation");
    BOOST_TEST(reqfile::shlex_split("trailing\\").error() == "No escaped character");
}

BOOST_AUTO_TEST_CASE(options_like_optparse) {
    auto parse = [](char const* line) {
        auto tokens = reqfile::shlex_split(line);
        BOOST_REQUIRE(tokens.has_value());
        return reqfile::parse_options(*tokens);
    };
    BOOST_TEST(*parse("-i https://x")->index_url == "https://x");
    BOOST_TEST(*parse("--index-url=https://y")->index_url == "https://y");
    BOOST_TEST(*parse("--pypi-url z")->index_url == "z");
    BOOST_TEST(*parse("-ihttps://c")->index_url == "https://c");
    BOOST_TEST(*parse("-i a -i b")->index_url == "b");
    BOOST_TEST(*parse("--ind u")->index_url == "u"); // unambiguous prefixes are accepted
    BOOST_TEST(parse("--extra u")->extra_index_urls == std::vector<std::string>{"u"});
    BOOST_TEST(parse("--pref")->prefer_binary);
    BOOST_TEST(parse("--pre")->pre); // an exact match wins over --prefer-binary
    BOOST_TEST(!parse("--pre")->prefer_binary);
    BOOST_TEST(parse("--ed x")->editables == std::vector<std::string>{"x"});
    BOOST_TEST(parse("-e ./a -e ./b")->editables == (std::vector<std::string>{"./a", "./b"}));
    auto both = parse("-rfoo -cbar");
    BOOST_TEST(both->requirements == std::vector<std::string>{"foo"});
    BOOST_TEST(both->constraints == std::vector<std::string>{"bar"});
    auto hashes = parse("--hash=sha256:ab --hash sha512:cd --hash=sha256:ef");
    BOOST_REQUIRE(hashes->hashes.size() == 2u);
    BOOST_TEST(hashes->hashes[0].first == "sha256");
    BOOST_TEST(hashes->hashes[0].second == (std::vector<std::string>{"ab", "ef"}));
    BOOST_TEST(hashes->hashes[1].first == "sha512");
    BOOST_TEST(parse("--use-feature fast-deps")->features_enabled ==
               std::vector<std::string>{"fast-deps"});
    BOOST_TEST(!parse("-- --pre")->pre);   // after "--" everything is positional
    BOOST_TEST(parse("--pre extra")->pre); // positional arguments are ignored
    auto opts = parse("--global-option=--q --install-option '--prefix=/x y'");
    BOOST_TEST(opts->global_options == std::vector<std::string>{"--q"});
    BOOST_TEST(opts->install_options == std::vector<std::string>{"--prefix=/x y"});
    auto fc = parse("--no-binary :all: --only-binary=a,b");
    BOOST_REQUIRE(fc->format_control.size() == 2u);
    BOOST_TEST(fc->format_control[0].first);
    BOOST_TEST(fc->format_control[1].second == "a,b");
    BOOST_TEST(*parse("--index-url --pre")->index_url == "--pre"); // values may start with '-'

    struct Bad {
        char const* line;
        char const* message;
    };
    std::vector<Bad> const bad = {
        {"--no", "ambiguous option: --no (--no-binary, --no-index?)"},
        {"--req x", "ambiguous option: --req (--require-hashes, --requirement?)"},
        {"--e x", "ambiguous option: --e (--editable, --extra-index-url?)"},
        {"-r", "-r option requires 1 argument"},
        {"--trusted-host", "--trusted-host option requires 1 argument"},
        {"--pre=1", "--pre option does not take a value"},
        {"--hash=md5:x", "Allowed hash algorithms for --hash are sha256, sha384, sha512"},
        {"--hash nocolon", "must be a hash name followed by a value"},
        {"--use-feature bogus", "invalid choice: 'bogus'"},
        {"--use-feature 2020-resolver", "invalid choice"},              // gone by 23.0.1
        {"--config-settings a=b", "no such option: --config-settings"}, // not in 23.0.1 files
        {"-x", "no such option: -x"},
        {"-C a=b", "no such option: -C"},
        {"--unknown", "no such option: --unknown"},
        {"--no-binary -x", "--no-binary / --only-binary option requires 1 argument"},
        {"--=x", "ambiguous option: --"},
    };
    for (auto const& b : bad) {
        auto r = parse(b.line);
        BOOST_TEST_INFO("line: " << b.line);
        BOOST_REQUIRE(!r.has_value());
        BOOST_TEST(r.error().find(b.message) != std::string::npos, r.error());
    }
}

// ----------------------------------------------------------------------------------------------
// Whole files on disk.
// ----------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(entries_record_what_each_line_says) {
    TempTree t;
    t.write("requirements.txt",
            "# top comment\n"
            "requests[socks,security] >= 2.8.1, == 2.8.* ; python_version < '3.12'\n"
            "Django==4.2.1 --hash=sha256:aaa --hash=sha256:bbb\n"
            "numpy; sys_platform == 'win32'\n"
            "Foo_Bar.Baz===1.0+anything\n"
            "pkg @ https://example.com/pkg-1.0.zip ; os_name == 'posix'\n"
            "\n"
            "attrs (>=20,<23)  # trailing comment\n"
            "flask==2.*\n");
    auto set = t.parse({"requirements.txt"});
    BOOST_TEST(set.errors.empty(), errors_of(set));
    BOOST_REQUIRE(set.entries.size() == 7u);

    auto const& r = set.entries[0];
    BOOST_TEST(r.name == "requests");
    BOOST_TEST(r.specifier == "==2.8.*,>=2.8.1");
    BOOST_TEST(r.extras == (std::vector<std::string>{"security", "socks"}));
    BOOST_TEST(*r.marker == R"(python_version < "3.12")");
    BOOST_TEST(r.applies);
    BOOST_TEST(!r.pinned.has_value()); // a wildcard is no pin
    BOOST_TEST(r.file == "requirements.txt");
    BOOST_TEST(r.line == 2);
    BOOST_TEST(r.watchable);

    auto const& d = set.entries[1];
    BOOST_TEST(d.name == "django");
    BOOST_TEST(*d.pinned == "4.2.1");
    BOOST_TEST(d.text == "Django==4.2.1");
    BOOST_REQUIRE(d.hashes.size() == 1u);
    BOOST_TEST(d.hashes[0].second == (std::vector<std::string>{"aaa", "bbb"}));
    BOOST_TEST(set.options.has_hashes);
    BOOST_TEST(!set.options.require_hashes); // only --require-hashes sets it

    BOOST_TEST(!set.entries[2].applies); // win32 only
    BOOST_TEST(set.entries[3].name == "foo-bar-baz");
    BOOST_TEST(!set.entries[3].pinned.has_value()); // === is not ==
    auto const& url = set.entries[4];
    BOOST_TEST(url.name == "pkg");
    BOOST_TEST(*url.url == "https://example.com/pkg-1.0.zip");
    BOOST_TEST(!url.watchable);
    BOOST_TEST(url.reason == "direct URL (name @ URL)");
    BOOST_TEST(url.applies);
    BOOST_TEST(set.entries[5].specifier == "<23,>=20");
    BOOST_TEST(set.entries[5].line == 8);
    BOOST_TEST(!set.entries[6].pinned.has_value());
}

BOOST_AUTO_TEST_CASE(bad_lines_never_hide_good_ones) {
    TempTree t;
    t.write("requirements.txt",
            "good-one==1.0\n"
            "bad>=\n"
            "--unknown-option\n"
            "also-good>=2\n"
            "numpy; platform_release >= '5'\n" // packaging raises InvalidVersion here
            "--hash=md5:abc\n"
            "'quoted --trusted-host 'x\n"
            "-e https://example.com/x.zip\n"
            "-e git+https://github.com/o/r.git\n"
            "last==3\n");
    auto set = t.parse({"requirements.txt"});
    std::vector<std::string> names;
    for (auto const& e : set.entries)
        names.push_back(e.name);
    BOOST_TEST(names == (std::vector<std::string>{"good-one", "also-good", "last"}));
    std::vector<int> lines;
    for (auto const& e : set.errors) {
        BOOST_TEST(e.file == "requirements.txt");
        lines.push_back(e.line);
    }
    BOOST_TEST(lines == (std::vector<int>{2, 3, 5, 6, 7, 8, 9}), errors_of(set));
    BOOST_REQUIRE(set.errors.size() == 7u);
    BOOST_TEST(set.errors[0].str().find("requirements.txt:2: invalid requirement 'bad>=':") == 0u);
    BOOST_TEST(set.errors[0].message.find("at column 4") != std::string::npos);
    BOOST_TEST((set.errors[0].kind == RequirementsError::Kind::requirement));
    BOOST_TEST(set.errors[1].message.find("no such option: --unknown-option") != std::string::npos);
    BOOST_TEST((set.errors[1].kind == RequirementsError::Kind::options));
    BOOST_TEST((set.errors[2].kind == RequirementsError::Kind::marker));
    BOOST_TEST(set.errors[2].message.find("6.1.0-13-amd64") != std::string::npos);
    BOOST_TEST(set.errors[4].message.find("No closing quotation") != std::string::npos);
    BOOST_TEST(set.errors[5].message.find("not a valid editable requirement") != std::string::npos);
    BOOST_TEST(set.errors[6].message.find("#egg=") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(nested_files_resolve_relative_to_the_includer) {
    TempTree t;
    t.write("requirements.txt", "top==1\n-r sub/base.txt\n-c constraints.txt\nafter==2\n");
    t.write("sub/base.txt", "base==1\n--requirement=deeper/more.txt\n-c ../constraints.txt\n");
    t.write("sub/deeper/more.txt", "more==1\n-r ../../shared.txt\n");
    t.write("shared.txt", "shared==1\n");
    t.write("constraints.txt", "urllib3<2\n-r shared.txt\n");
    auto set = t.parse({"requirements.txt"});
    BOOST_TEST(set.errors.empty(), errors_of(set));
    struct Want {
        char const* name;
        char const* file;
        int line;
        bool constraint;
    };
    std::vector<Want> const want = {
        {"top", "requirements.txt", 1, false},
        {"base", "sub/base.txt", 1, false},
        {"more", "sub/deeper/more.txt", 1, false},
        {"shared", "sub/deeper/../../shared.txt", 1, false},
        {"urllib3", "sub/../constraints.txt", 1, true},
        {"shared", "sub/../shared.txt", 1, false}, // -r inside a -c file is not a constraint
        {"urllib3", "constraints.txt", 1, true},
        {"shared", "shared.txt", 1, false},
        {"after", "requirements.txt", 4, false},
    };
    BOOST_REQUIRE(set.entries.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        BOOST_TEST_INFO("entry " << i);
        BOOST_TEST(set.entries[i].name == want[i].name);
        BOOST_TEST(set.entries[i].file == want[i].file);
        BOOST_TEST(set.entries[i].line == want[i].line);
        BOOST_TEST(set.entries[i].constraint == want[i].constraint);
    }
    BOOST_TEST(set.files.size() == 8u);
}

BOOST_AUTO_TEST_CASE(include_cycles_are_reported_not_followed) {
    TempTree t;
    t.write("a.txt", "a==1\n-r b.txt\n");
    t.write("b.txt", "b==1\n\n-r ./a.txt\n-r c.txt\n");
    t.write("c.txt", "c==1\n-c c.txt\n");
    auto set = t.parse({"a.txt"});
    std::vector<std::string> names;
    for (auto const& e : set.entries)
        names.push_back(e.name);
    BOOST_TEST(names == (std::vector<std::string>{"a", "b", "c"}));
    BOOST_REQUIRE(set.errors.size() == 2u);
    BOOST_TEST(set.errors[0].file == "b.txt");
    BOOST_TEST(set.errors[0].line == 3);
    BOOST_TEST((set.errors[0].kind == RequirementsError::Kind::cycle));
    BOOST_TEST(set.errors[0].message.find("'./a.txt' includes itself") != std::string::npos,
               set.errors[0].message);
    BOOST_TEST(set.errors[1].file == "c.txt");
    BOOST_TEST(set.errors[1].line == 2);
    // The same file twice, without a cycle, is simply read twice (as pip does).
    TempTree d;
    d.write("top.txt", "-r x.txt\n-r x.txt\n");
    d.write("x.txt", "x==1\n");
    auto twice = d.parse({"top.txt"});
    BOOST_TEST(twice.errors.empty());
    BOOST_TEST(twice.entries.size() == 2u);
}

BOOST_AUTO_TEST_CASE(include_explosions_are_bounded) {
    // Every file includes all of the others: pip would read them once per path (n! paths).
    TempTree t;
    std::string all;
    for (char c = 'a'; c <= 'j'; ++c)
        all += std::string("-r ") + c + ".txt\n";
    for (char c = 'a'; c <= 'j'; ++c)
        t.write(std::string(1, c) + ".txt", std::string(1, c) + "==1\n" + all);
    auto set = t.parse({"a.txt"});
    BOOST_TEST(set.files.size() < 1000u); // 1000 reads, most of them ending in a cycle
    int limited = 0;
    for (auto const& e : set.errors)
        limited += e.message.find("more than 1000 requirements files") != std::string::npos;
    BOOST_TEST(limited == 1); // said once

    // A reader that never repeats an identity ("sub/sub/sub/...") stops at the depth limit.
    ParseOptions o;
    o.read_file = [](std::string const& path) -> Result<FileContent> {
        return FileContent{"x==1\n-r sub/r.txt\n", path};
    };
    auto deep = parse_requirements_files({"r.txt"}, o);
    BOOST_TEST(deep.files.size() == 64u);
    BOOST_REQUIRE(!deep.errors.empty());
    BOOST_TEST(deep.errors.back().message.find("nested more than 64 includes deep") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_files) {
    TempTree t;
    t.write("requirements.txt",
            "ok==1\n-r missing.txt\n-r sub\n-r https://example.com/r.txt\nok2==1\n");
    fs::create_directories(t.root / "sub");
    auto set = t.parse({"requirements.txt", "absent.txt"});
    BOOST_TEST(set.entries.size() == 2u);
    BOOST_REQUIRE(set.errors.size() == 4u);
    BOOST_TEST(set.errors[0].str() ==
               "requirements.txt:2: could not open requirements file 'missing.txt': No such "
               "file or directory");
    BOOST_TEST(set.errors[1].line == 3);
    BOOST_TEST(set.errors[1].message.find("is a directory") != std::string::npos);
    BOOST_TEST(set.errors[2].line == 4);
    BOOST_TEST(set.errors[2].message.find("remote requirements file") != std::string::npos);
    BOOST_TEST(set.errors[3].file == "absent.txt");
    BOOST_TEST(set.errors[3].line == 0);
    BOOST_TEST(
        set.errors[3].str() ==
        "absent.txt: could not open requirements file 'absent.txt': No such file or directory");
    BOOST_TEST((set.errors[3].kind == RequirementsError::Kind::unreadable));

    // A file: URL names a local file: the reader is asked for its path.
    TempTree u;
    u.write("r 1.txt", "viaurl==1\n");
    ParseOptions o = u.options();
    auto inner = o.read_file;
    std::vector<std::string> asked;
    o.read_file = [&](std::string const& path) {
        asked.push_back(path);
        return inner(path.substr(1)); // "/r 1.txt" lives under the temp root here
    };
    auto set2 = parse_requirements_files({"file://localhost/r%201.txt", "FILE:///r%201.txt"}, o);
    BOOST_TEST(set2.errors.empty(), errors_of(set2));
    BOOST_TEST(set2.entries.size() == 2u);
    BOOST_TEST(asked == (std::vector<std::string>{"/r 1.txt", "/r 1.txt"}));
    auto remote = parse_requirements_files({"file://otherhost/r.txt"}, o);
    BOOST_REQUIRE(remote.errors.size() == 1u);
    BOOST_TEST(remote.errors[0].message.find("names a remote host") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bom_crlf_continuations_and_variables) {
    TempTree t;
    t.vars = {{"PKG_VERSION", "1.2.3"}, {"INDEX", "https://mirror.example/simple"}};
    t.write("requirements.txt", "\xEF\xBB\xBF"
                                "first==${PKG_VERSION}\r\n"
                                "second>=1,\\\r\n"
                                "    <2 ; python_version >= '3.8'\r\n"
                                "third==${MISSING}\r\n"
                                "-i ${INDEX}\r\n"
                                "fourth==1 \\\r\n"
                                "# comment ends the continuation \\\r\n"
                                "fifth==\\\r\n"
                                "5\r\n");
    auto set = t.parse({"requirements.txt"});
    BOOST_REQUIRE(set.entries.size() == 4u);
    BOOST_TEST(set.entries[0].name == "first"); // the BOM does not stick to the name
    BOOST_TEST(*set.entries[0].pinned == "1.2.3");
    BOOST_TEST(set.entries[1].specifier == "<2,>=1");
    BOOST_TEST(set.entries[1].line == 2); // a continued line keeps its first line number
    BOOST_TEST(set.entries[2].name == "fourth");
    BOOST_TEST(set.entries[2].line == 6);
    BOOST_TEST(set.entries[3].name == "fifth");
    BOOST_TEST(set.entries[3].line == 8);
    BOOST_TEST(*set.entries[3].pinned == "5");
    BOOST_REQUIRE(set.errors.size() == 1u); // "third==${MISSING}" stays unexpanded and is bad
    BOOST_TEST(set.errors[0].line == 4);
    BOOST_TEST(*set.options.index_url == "https://mirror.example/simple");

    // UTF-16 with a BOM, and an undecodable line that is reported and skipped.
    TempTree u;
    std::string utf16 = "\xFF\xFE";
    for (char c : std::string("alpha==1\nbeta==2\n"))
        utf16 += std::string{c, '\0'};
    u.write("utf16.txt", utf16);
    u.write("latin.txt", "ok==1\nna\xEFve==1\nok2==1\n");
    auto set2 = u.parse({"utf16.txt", "latin.txt"});
    BOOST_REQUIRE(set2.entries.size() == 4u);
    BOOST_TEST(set2.entries[1].name == "beta");
    BOOST_REQUIRE(set2.errors.size() == 1u);
    BOOST_TEST(set2.errors[0].file == "latin.txt");
    BOOST_TEST(set2.errors[0].line == 2);
    BOOST_TEST((set2.errors[0].kind == RequirementsError::Kind::encoding));
}

BOOST_AUTO_TEST_CASE(option_lines_fill_the_options) {
    TempTree t;
    t.write("requirements.txt",
            "--index-url https://first.example/simple\n"
            "-i https://second.example/simple\n"
            "--extra-index-url https://extra1.example/simple "
            "--extra-index-url=https://extra2.example/\n"
            "-f https://links.example/ -f ./ignored-second\n"
            "--pre --prefer-binary\n"
            "--trusted-host a.example --trusted-host b.example\n"
            "--require-hashes\n"
            "--use-feature fast-deps\n"
            "--only-binary Foo_Bar,baz\n"
            "--no-binary foo-bar\n"
            "--no-binary :all: --only-binary qux\n"
            "pkg==1 --index-url https://ignored.example/ --pre --use-feature truststore\n"
            "--pre -r other.txt\n");
    t.write("other.txt", "other==1\n");
    auto set = t.parse({"requirements.txt"});
    BOOST_TEST(set.errors.empty(), errors_of(set));
    auto const& o = set.options;
    BOOST_TEST(*o.index_url ==
               "https://second.example/simple"); // options on a requirement line are ignored
    BOOST_TEST(o.extra_index_urls == (std::vector<std::string>{"https://extra1.example/simple",
                                                               "https://extra2.example/"}));
    BOOST_TEST(!o.no_index);
    BOOST_TEST(o.find_links ==
               std::vector<std::string>{"https://links.example/"}); // first per line
    BOOST_TEST(o.pre);
    BOOST_TEST(o.prefer_binary);
    BOOST_TEST(o.trusted_hosts == (std::vector<std::string>{"a.example", "b.example"}));
    BOOST_TEST(o.require_hashes);
    BOOST_TEST(o.features_enabled == (std::vector<std::string>{"fast-deps", "truststore"}));
    // FormatControl: foo-bar moved from only_binary to no_binary, then ":all:" cleared both.
    BOOST_TEST(o.no_binary == std::vector<std::string>{":all:"});
    BOOST_TEST(o.only_binary == std::vector<std::string>{"qux"});
    BOOST_TEST(set.entries.size() == 2u); // pkg and, through "--pre -r", other
}

BOOST_AUTO_TEST_CASE(index_urls_like_pips_finder) {
    auto run = [](std::string const& lines) {
        return parse_requirements_text(lines, "r.txt", ParseOptions{}).options;
    };
    // A later -i replaces pip's whole list of index URLs: the extras before it are dropped.
    auto a = run("--extra-index-url https://e1/\n--extra-index-url https://e2/\n"
                 "-i https://main/\n--extra-index-url https://e3/\n");
    BOOST_TEST(*a.index_url == "https://main/");
    BOOST_TEST(a.extra_index_urls == std::vector<std::string>{"https://e3/"});
    // On one line the -i comes first, then the line's extras are appended.
    auto b = run("--extra-index-url https://e1/\n--extra-index-url https://e2/ -i https://main/\n");
    BOOST_TEST(*b.index_url == "https://main/");
    BOOST_TEST(b.extra_index_urls == std::vector<std::string>{"https://e2/"});
    // An empty -i counts as none (optparse gives "", which pip's `if opts.index_url` skips).
    auto c = run("--extra-index-url https://e1/\n--index-url=\n");
    BOOST_TEST(!c.index_url.has_value());
    BOOST_TEST(c.extra_index_urls == std::vector<std::string>{"https://e1/"});
    // --no-index empties the list and every later index option is ignored.
    auto d = run("-i https://main/\n--extra-index-url https://e1/\n--no-index\n"
                 "-i https://later/\n--extra-index-url https://e2/\n");
    BOOST_TEST(d.no_index);
    BOOST_TEST(!d.index_url.has_value());
    BOOST_TEST(d.extra_index_urls.empty());
    auto e = run("--no-index -i https://same-line/ --extra-index-url https://e/\n");
    BOOST_TEST(e.no_index);
    BOOST_TEST(!e.index_url.has_value());
    BOOST_TEST(e.extra_index_urls.empty());
    // Index options on a requirement line are not option lines: pip ignores them there.
    auto f = run("--extra-index-url https://e1/\npkg -i https://ignored/\n");
    BOOST_TEST(!f.index_url.has_value());
    BOOST_TEST(f.extra_index_urls == std::vector<std::string>{"https://e1/"});
}

BOOST_AUTO_TEST_CASE(format_control_like_pip) {
    auto run = [](std::string const& lines) {
        return parse_requirements_text(lines, "r.txt", ParseOptions{}).options;
    };
    auto a = run("--only-binary Foo_Bar,baz\n--no-binary foo-bar\n");
    BOOST_TEST(a.no_binary == std::vector<std::string>{"foo-bar"});
    BOOST_TEST(a.only_binary == std::vector<std::string>{"baz"});
    auto b = run("--no-binary :all:,x\n");
    BOOST_TEST(b.no_binary == std::vector<std::string>{":all:"}); // names after :all: dropped
    auto c = run("--no-binary :all:,:none:,x\n");
    BOOST_TEST(c.no_binary == std::vector<std::string>{"x"});
    auto d = run("--no-binary a\n--no-binary :none:\n--only-binary :all:\n");
    BOOST_TEST(d.no_binary.empty());
    BOOST_TEST(d.only_binary == std::vector<std::string>{":all:"});
    auto e = run("pkg --no-binary y\n"); // counts on requirement lines too (pip's finder)
    BOOST_TEST(e.no_binary == std::vector<std::string>{"y"});
}

BOOST_AUTO_TEST_CASE(urls_paths_and_editables_are_not_watchable) {
    TempTree t;
    t.write("requirements.txt", "./local/project\n"
                                "../sibling[extra1,Extra2]\n"
                                "/abs/path\n"
                                "dist/pkg-1.0-py3-none-any.whl\n"
                                "archive.tar.gz\n"
                                "https://example.com/other-2.0.tar.gz#egg=Other_Name\n"
                                "git+https://github.com/a/b.git@v1#egg=b ; python_version < '3'\n"
                                "https://example.com/w/thing-1.0-py3-none-any.whl\n"
                                "file:///tmp/pkg#egg=pkgname\n"
                                "-e ./editable/project[dev]\n"
                                "-e git+https://github.com/o/r.git#egg=r\n"
                                "-e git:git.example/r#egg=gitcolon\n"
                                "--editable=hg+https://hg.example/r#egg=hgr\n"
                                "pkg @ https://example.com/pkg.zip\n"
                                "bad-wheel.whl\n");
    auto set = t.parse({"requirements.txt"});
    struct Want {
        char const* name;
        char const* reason;
        bool editable;
    };
    std::vector<Want> const want = {
        {"", "local path", false},
        {"", "local path", false},
        {"", "local path", false},
        {"pkg", "local archive to a wheel", false},
        {"", "local archive", false},
        {"other-name", "direct URL", false},
        {"b", "VCS URL", false},
        {"thing", "direct URL to a wheel", false},
        {"pkgname", "local file URL", false},
        {"", "editable local project", true},
        {"r", "editable VCS checkout", true},
        {"gitcolon", "editable VCS checkout", true},
        {"hgr", "editable VCS checkout", true},
        {"pkg", "direct URL (name @ URL)", false},
    };
    BOOST_REQUIRE(set.entries.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        BOOST_TEST_INFO("entry " << i << ": " << set.entries[i].text);
        BOOST_TEST(set.entries[i].name == want[i].name);
        BOOST_TEST(set.entries[i].reason == want[i].reason);
        BOOST_TEST(set.entries[i].editable == want[i].editable);
        BOOST_TEST(!set.entries[i].watchable);
    }
    BOOST_TEST(set.entries[1].extras == (std::vector<std::string>{"extra1", "extra2"}));
    BOOST_TEST(*set.entries[6].marker == R"(python_version < "3")");
    BOOST_TEST(!set.entries[6].applies);
    BOOST_TEST(*set.entries[11].url == "git+git:git.example/r#egg=gitcolon");
    BOOST_REQUIRE(set.errors.size() == 1u);
    BOOST_TEST(set.errors[0].line == 15);
    BOOST_TEST(set.errors[0].message.find("not a valid wheel filename") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(egg_fragments_are_requirements_like_pip) {
    // pip 23.0.1 reads "#egg=" as a requirement string of its own (warning about anything but
    // a bare name): extras and a specifier there count.
    auto set = parse_requirements_text(
        "git+https://github.com/o/cli.git@v2#egg=extras_pkg[cli]\n"
        "git+https://github.com/edx/codejail.git@3.1.3#egg=codejail==3.1.3\n"
        "https://example.com/x.tar.gz#egg=Other_Name[a,b]>=1,<2\n"
        "https://example.com/y.zip#egg=marked;python_version<'3'\n"
        "https://example.com/z.zip#egg=lined;python_version<'3' ; os_name == 'posix'\n"
        "-e git+https://github.com/o/r.git#egg=edit_pkg[dev]==2.0\n"
        "-e file:///tmp/proj#egg=filed[x]\n"
        "https://example.com/bad.zip#egg=bad name\n"
        "https://example.com/empty.zip#egg=\n"
        "-e git+https://github.com/o/r.git#egg=not/valid\n",
        "r.txt", debian12_options());
    BOOST_REQUIRE(set.entries.size() == 7u);
    auto const& cli = set.entries[0];
    BOOST_TEST(cli.name == "extras-pkg");
    BOOST_TEST(cli.extras == std::vector<std::string>{"cli"});
    BOOST_TEST(cli.specifier == "");
    BOOST_TEST(*cli.url == "git+https://github.com/o/cli.git@v2#egg=extras_pkg[cli]");
    BOOST_TEST(!cli.watchable);
    auto const& codejail = set.entries[1];
    BOOST_TEST(codejail.name == "codejail");
    BOOST_TEST(codejail.specifier == "==3.1.3");
    BOOST_TEST(*codejail.pinned == "3.1.3");
    BOOST_TEST(set.entries[2].name == "other-name");
    BOOST_TEST(set.entries[2].specifier == "<2,>=1");
    BOOST_TEST(set.entries[2].extras == (std::vector<std::string>{"a", "b"}));
    // A marker in the fragment counts when the line has none of its own (InstallRequirement
    // falls back to the requirement's marker); the line's marker wins otherwise.
    BOOST_TEST(*set.entries[3].marker == R"(python_version < "3")");
    BOOST_TEST(!set.entries[3].applies);
    BOOST_TEST(*set.entries[4].marker == R"(os_name == "posix")");
    BOOST_TEST(set.entries[4].applies);
    auto const& edit = set.entries[5];
    BOOST_TEST(edit.editable);
    BOOST_TEST(edit.name == "edit-pkg");
    BOOST_TEST(edit.extras == std::vector<std::string>{"dev"});
    BOOST_TEST(*edit.pinned == "2.0");
    BOOST_TEST(set.entries[6].name == "filed");
    BOOST_TEST(set.entries[6].extras == std::vector<std::string>{"x"});
    BOOST_REQUIRE(set.errors.size() == 3u);
    BOOST_TEST(set.errors[0].line == 8);
    BOOST_TEST(set.errors[0].message.find("invalid requirement 'bad name' (from the #egg= "
                                          "fragment of") == 0u,
               set.errors[0].message);
    BOOST_TEST(set.errors[1].line == 9); // an empty fragment is "" for pip: no requirement
    BOOST_TEST(set.errors[1].message.find("invalid requirement ''") == 0u, set.errors[1].message);
    BOOST_TEST(set.errors[2].line == 10);
}

BOOST_AUTO_TEST_CASE(wheels_are_pinned_by_their_file_name) {
    // pip names a wheel "name==version" from its file name ("_" read as "-"), local or remote.
    auto set = parse_requirements_text(
        "pkg-1.2.0-py3-none-any.whl\n"
        "./dist/Some_Pkg-2.0_rc1-1-cp311-cp311-manylinux_2_17_x86_64.whl[extra]\n"
        "https://files.example/w/remote_pkg-3.1-py2.py3-none-any.whl#sha256=ab\n"
        "https://files.example/w/quoted%5Fname-1.0-py3-none-any.whl/\n"
        "https://files.example/w/thing-1.0-py3-none-any.whl#egg=ignored\n"
        "https://files.example/w/UPPER-1.0-py3-none-any.WHL\n" // not a wheel for pip's Link
        "noversion--py3-none-any.whl\n"
        "x-1.0-2-3-py3-none-any.whl\n",
        "r.txt", debian12_options());
    BOOST_REQUIRE(set.entries.size() == 6u);
    auto const& local = set.entries[0];
    BOOST_TEST(local.name == "pkg");
    BOOST_TEST(local.specifier == "==1.2.0");
    BOOST_TEST(*local.pinned == "1.2.0");
    BOOST_TEST(local.reason == "local archive to a wheel");
    BOOST_TEST(!local.watchable);
    BOOST_TEST(set.entries[1].name == "some-pkg");
    BOOST_TEST(set.entries[1].specifier == "==2.0-rc1");
    BOOST_TEST(set.entries[1].extras == std::vector<std::string>{"extra"});
    BOOST_TEST(set.entries[2].name == "remote-pkg");
    BOOST_TEST(*set.entries[2].pinned == "3.1");
    BOOST_TEST(set.entries[2].reason == "direct URL to a wheel");
    BOOST_TEST(set.entries[3].name == "quoted-name"); // unquoted, trailing slash ignored
    BOOST_TEST(set.entries[4].name == "thing");       // the wheel's name, not the fragment's
    BOOST_TEST(set.entries[5].name == "");
    BOOST_TEST(set.entries[5].specifier == "");
    BOOST_REQUIRE(set.errors.size() == 2u);
    BOOST_TEST(set.errors[0].line == 7); // "noversion==" is no requirement
    BOOST_TEST(set.errors[0].message.find("invalid requirement 'noversion==' (from the wheel "
                                          "file name") == 0u,
               set.errors[0].message);
    BOOST_TEST(set.errors[1].line == 8);
    BOOST_TEST(set.errors[1].message.find("is not a valid wheel filename") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(find_links_next_to_the_requirements_file_like_pip) {
    TempTree t;
    t.write("reqs/requirements.txt", "-f ./wheels\n"
                                     "-f missing\n"
                                     "-f https://links.example/\n"
                                     "--find-links=../shared\n"
                                     "-f /abs/elsewhere\n"
                                     "-r sub/more.txt\n");
    t.write("reqs/sub/more.txt", "--find-links local -f ./ignored\n");
    fs::create_directories(t.root / "reqs/wheels");
    fs::create_directories(t.root / "shared");
    fs::create_directories(t.root / "reqs/sub/local");
    // pip joins a -f value to os.path.abspath(the file)'s directory and keeps the join (not
    // normalised) when it exists; otherwise the value stays as written.
    auto set = parse_requirements_files({"reqs/requirements.txt"}, t.disk_options());
    BOOST_TEST(set.errors.empty(), errors_of(set));
    std::string const root = t.root.string();
    BOOST_TEST(set.options.find_links ==
                   (std::vector<std::string>{root + "/reqs/./wheels", "missing",
                                             "https://links.example/", root + "/reqs/../shared",
                                             "/abs/elsewhere", root + "/reqs/sub/local"}),
               boost::test_tools::per_element());
    // Without the disk nothing is joined.
    auto plain = t.parse({"reqs/requirements.txt"});
    BOOST_TEST(plain.options.find_links ==
                   (std::vector<std::string>{"./wheels", "missing", "https://links.example/",
                                             "../shared", "/abs/elsewhere", "local"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(local_paths_must_exist_like_pip) {
    TempTree t;
    t.write("proj/pyproject.toml", "");
    t.write("legacy/setup.py", "");
    fs::create_directories(t.root / "empty-dir");
    t.write("dist/pkg-1.0-py3-none-any.whl", "");
    t.write("notes.txt", "# not a project\nrequests>=2\n");
    t.write("requirements.txt", "./proj\n"
                                "./legacy[extra]\n"
                                "../../core/azure-core\n"
                                "./empty-dir\n"
                                "./notes.txt\n"
                                "dist/pkg-1.0-py3-none-any.whl\n"
                                "dist/gone-2.0-py3-none-any.whl\n"
                                "-e ./proj\n"
                                "-e ./does-not-exist\n"
                                "-e ./notes.txt\n"
                                "-e ./empty-dir[x]\n"
                                "requests>=2\n");
    auto set = parse_requirements_files({"requirements.txt"}, t.disk_options());
    std::vector<int> lines;
    for (auto const& e : set.entries)
        lines.push_back(e.line);
    BOOST_TEST(lines == (std::vector<int>{1, 2, 6, 7, 8, 11, 12}), errors_of(set));
    BOOST_TEST(set.entries[0].reason == "local path");
    BOOST_TEST(set.entries[1].extras == std::vector<std::string>{"extra"});
    BOOST_TEST(*set.entries[2].pinned == "1.0");
    BOOST_TEST(*set.entries[3].pinned == "2.0"); // a missing archive: pip only warns
    BOOST_TEST(set.entries[4].editable);
    BOOST_TEST(set.entries[5].extras == std::vector<std::string>{"x"});

    BOOST_REQUIRE(set.errors.size() == 5u);
    auto message = [&](std::size_t i) { return set.errors[i].str(); };
    BOOST_TEST(message(0) == "requirements.txt:3: invalid requirement '../../core/azure-core': It "
                             "looks like a path. File '../../core/azure-core' does not exist.");
    BOOST_TEST(message(1) == "requirements.txt:4: Directory './empty-dir' is not installable. "
                             "Neither 'setup.py' nor 'pyproject.toml' found.");
    BOOST_TEST(message(2) ==
               "requirements.txt:5: invalid requirement './notes.txt': It looks like a path. The "
               "path does exist. The argument you provided (./notes.txt) appears to be a "
               "requirements file. If that is the case, use the '-r' flag to install the "
               "packages specified within it.");
    BOOST_TEST(message(3).find("requirements.txt:9: ./does-not-exist is not a valid editable "
                               "requirement. It should either be a path to a local project or "
                               "a VCS URL (beginning with bzr+http, bzr+https,") == 0u,
               message(3));
    BOOST_TEST(message(4).find("requirements.txt:10: ./notes.txt is not a valid editable") == 0u);
    for (auto const& e : set.errors)
        BOOST_TEST((e.kind == RequirementsError::Kind::requirement));

    // Without the disk, paths are taken for what they look like.
    auto guessed = t.parse({"requirements.txt"});
    BOOST_TEST(guessed.entries.size() == 12u, errors_of(guessed));
}

BOOST_AUTO_TEST_CASE(default_getenv_is_the_process_environment) {
    ::setenv("PINWATCH_REQFILE_TEST_VERSION", "9.9", 1);
    auto set = parse_requirements_text("x==${PINWATCH_REQFILE_TEST_VERSION}\n", "r.txt", {});
    ::unsetenv("PINWATCH_REQFILE_TEST_VERSION");
    BOOST_REQUIRE(set.entries.size() == 1u);
    BOOST_TEST(*set.entries[0].pinned == "9.9");
    ParseOptions none;
    none.getenv = nullptr;
    ::setenv("PINWATCH_REQFILE_TEST_VERSION", "9.9", 1);
    auto unexpanded =
        parse_requirements_text("x==${PINWATCH_REQFILE_TEST_VERSION}\n", "r.txt", none);
    ::unsetenv("PINWATCH_REQFILE_TEST_VERSION");
    BOOST_TEST(unexpanded.entries.empty()); // "x==${...}" is no valid requirement
    BOOST_TEST(unexpanded.errors.size() == 1u);
}

BOOST_AUTO_TEST_CASE(in_memory_text) {
    auto set = parse_requirements_text("a==1\n-r other.txt\n", "mem.txt", ParseOptions{});
    BOOST_TEST(set.entries.size() == 1u);
    BOOST_REQUIRE(set.errors.size() == 1u); // no reader: the include is reported, not crashed on
    BOOST_TEST(
        set.errors[0].str().find("mem.txt:2: could not open requirements file 'other.txt'") == 0u);
}

// Files the caller fetched (the remote hooks): read by name through read_file, their includes
// named by join_remote, a join that fails reported at the including line; a local file may
// name a fetched one. Without the hooks an https file is refused as before.
BOOST_AUTO_TEST_CASE(fetched_files_are_read_by_name_and_their_includes_joined_by_the_hook) {
    std::map<std::string, std::string> fetched = {
        {"github:o/r/svc/req.txt@v1", "a==1\n-r base.txt\n-r ../../../x.txt\n"},
        {"github:o/r/svc/base.txt@v1", "b==2\n"},
        {"https://files.example/c.txt", "c==3\n"},
    };
    std::vector<std::string> joins;
    ParseOptions o = debian12_options();
    o.is_remote = [](std::string_view p) {
        return p.rfind("github:", 0) == 0 || p.rfind("https://", 0) == 0;
    };
    o.join_remote = [&](std::string const& from, std::string const& target) -> Result<std::string> {
        joins.push_back(from + " + " + target);
        if (target == "base.txt") return std::string("github:o/r/svc/base.txt@v1");
        return fail("'" + target + "' leaves the repository o/r");
    };
    o.read_file = [&](std::string const& path) -> Result<FileContent> {
        if (path == "local.txt") return FileContent{"-r https://files.example/c.txt\n", path};
        auto it = fetched.find(path);
        if (it == fetched.end()) return fail("not fetched");
        return FileContent{it->second, path};
    };
    auto set = parse_requirements_files({"github:o/r/svc/req.txt@v1", "local.txt"}, o);
    std::vector<std::string> got;
    for (auto const& e : set.entries)
        got.push_back(e.name + "@" + e.file);
    std::vector<std::string> const want = {"a@github:o/r/svc/req.txt@v1",
                                           "b@github:o/r/svc/base.txt@v1",
                                           "c@https://files.example/c.txt"};
    BOOST_TEST(got == want, boost::test_tools::per_element());
    BOOST_TEST(joins.size() == 2u);
    BOOST_REQUIRE(set.errors.size() == 1u);
    BOOST_TEST(set.errors[0].file == "github:o/r/svc/req.txt@v1");
    BOOST_TEST(set.errors[0].line == 3);
    BOOST_TEST(set.errors[0].message ==
               "cannot include '../../../x.txt': '../../../x.txt' leaves the repository o/r");

    ParseOptions plain = debian12_options();
    plain.read_file = o.read_file;
    auto refused = parse_requirements_files({"https://files.example/c.txt"}, plain);
    BOOST_REQUIRE(refused.errors.size() == 1u);
    BOOST_TEST(refused.errors[0].message.find("pinwatch only reads local files") !=
               std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Compiled requirements files (pip-compile, uv pip compile): "# via" says what is direct.
// ---------------------------------------------------------------------------------------------

namespace {
std::string fixture(std::string const& name) {
    std::ifstream in(std::string(PINWATCH_LOCK_DATA) + "/compiled/" + name, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    BOOST_REQUIRE(!ss.str().empty());
    return ss.str();
}
RequirementEntry const& named(RequirementsSet const& set, std::string const& name) {
    for (auto const& e : set.entries)
        if (e.name == name) return e;
    BOOST_FAIL("no entry " + name);
    throw std::logic_error("unreachable");
}
} // namespace

BOOST_AUTO_TEST_CASE(via_annotations_naming_only_packages_are_transitive) {
    auto set = parse_requirements_text(fixture("requirements.txt"), "requirements.txt",
                                       debian12_options());
    BOOST_TEST(set.errors.empty());
    BOOST_TEST(set.entries.size() == 5u);
    BOOST_TEST(named(set, "asgiref").direct == std::optional<bool>(false)); // via django
    BOOST_TEST(named(set, "django").direct == std::optional<bool>(true));   // via -r, a package
    BOOST_TEST(named(set, "djangorestframework").direct == std::optional<bool>(true));
    BOOST_TEST(named(set, "pyyaml").direct == std::optional<bool>(true));    // (pyproject.toml)
    BOOST_TEST(named(set, "sqlparse").direct == std::optional<bool>(false)); // multi-line, packages
}

BOOST_AUTO_TEST_CASE(one_line_via_annotations_count_too) {
    auto set = parse_requirements_text(fixture("requirements-line.txt"), "requirements-line.txt",
                                       debian12_options());
    BOOST_TEST(set.errors.empty());
    BOOST_TEST(named(set, "asgiref").direct == std::optional<bool>(false));
    BOOST_TEST(named(set, "django").direct == std::optional<bool>(true));
    BOOST_TEST(named(set, "djangorestframework").direct == std::optional<bool>(true));
    BOOST_TEST(named(set, "sqlparse").direct == std::optional<bool>(false));
}

BOOST_AUTO_TEST_CASE(a_file_without_annotations_is_all_direct) {
    auto set = parse_requirements_text("requests==2.31.0\n# a comment\nidna>=3\n", "r.txt",
                                       debian12_options());
    BOOST_REQUIRE(set.entries.size() == 2u);
    for (auto const& e : set.entries) {
        BOOST_TEST(e.direct == std::optional<bool>(true));
        BOOST_TEST(!e.index);
        BOOST_TEST(e.groups.empty());
    }
}

BOOST_AUTO_TEST_CASE(via_direct_maps_each_requirement_by_its_first_line) {
    auto via = reqfile::via_direct("# header, no requirement yet\n# via nothing\n"
                                   "a==1 \\\n    --hash=sha256:00\n    # via\n    #   b\n"
                                   "    #   -c constraints.txt\n"
                                   "b==2\n    # via c\n\n# via d\nc==3\n");
    BOOST_TEST(via.size() == 2u);
    BOOST_TEST(via.at(3) == true);
    BOOST_TEST(via.at(8) == false);
    BOOST_TEST(!via.count(12));
}

BOOST_AUTO_TEST_CASE(a_lock_file_named_in_a_requirements_file_is_read_as_a_lock) {
    TempTree t;
    t.write("requirements.txt", "-r sub/uv.lock\nidna==3.10\n");
    t.write("sub/uv.lock", "version = 1\n\n[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n"
                           "source = { registry = \"https://mirror.example/simple\" }\n");
    auto set = t.parse({"requirements.txt"});
    BOOST_TEST(set.errors.empty());
    BOOST_REQUIRE(set.entries.size() == 2u);
    BOOST_TEST(set.entries[0].name == "six");
    BOOST_TEST(set.entries[0].file == "sub/uv.lock");
    BOOST_TEST(set.entries[0].index == std::optional<std::string>("https://mirror.example/simple"));
    BOOST_TEST(set.entries[1].direct == std::optional<bool>(true));
}
