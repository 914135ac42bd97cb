// libFuzzer entry point for packaging/: every parser must accept or reject any byte string
// without crashing, hanging or blowing up, and what it accepts must keep its own invariants
// (normal forms are fixed points, ordering is antisymmetric, filters only keep their input).
// Built as a real fuzzer with -DPINWATCH_FUZZ=ON (clang), and run by standalone_main.cpp in CTest.
#include "packaging/marker.hpp"
#include "packaging/name.hpp"
#include "packaging/requirement.hpp"
#include "packaging/requirements_file.hpp"
#include "packaging/specifier.hpp"
#include "packaging/version.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace pinwatch::packaging;

// A broken invariant is a bug: stop loudly so libFuzzer records the input.
void check(bool ok) {
    if (!ok) std::abort();
}

std::vector<std::string_view> split_lines(std::string_view s) {
    std::vector<std::string_view> out;
    while (true) {
        auto const nl = s.find('\n');
        out.push_back(s.substr(0, nl));
        if (nl == std::string_view::npos) return out;
        s.remove_prefix(nl + 1);
    }
}

void exercise_version(std::string_view text, std::vector<Version>& parsed) {
    auto v = Version::parse(text);
    if (!v) {
        check(!v.error().empty());
        return;
    }
    auto const s = v->str();
    // The normal form is a fixed point whenever it reads back (a handful of exotic Unicode
    // spellings print a form packaging itself cannot re-read).
    if (auto again = Version::parse(s)) {
        check(again->str() == s);
        check(Version::parse(again->public_version())->str() == v->public_version());
    }
    check(v->public_version() == s.substr(0, s.find('+')));
    check(v->is_devrelease() == v->dev().has_value());
    check(!v->is_devrelease() || v->is_prerelease());
    check(v->has_local() == !v->local().empty());
    check(v->release_size() >= 1);
    for (std::size_t i = 0; i <= v->release_size(); ++i)
        check(!v->release_str(i).empty());
    check((*v <=> *v) == 0 && *v == *v);
    // Against the most recent few only, so a many-line input stays linear.
    auto const first = parsed.size() > 32 ? parsed.size() - 32 : 0;
    for (std::size_t i = first; i < parsed.size(); ++i) {
        auto const& other = parsed[i];
        auto const ab = *v <=> other;
        auto const ba = other <=> *v;
        check((ab < 0) == (ba > 0) && (ab == 0) == (ba == 0));
        check((ab == 0) == (*v == other));
    }
    parsed.push_back(std::move(v).value());
}

void exercise_specifiers(std::string_view text, std::vector<Version> const& versions) {
    if (auto spec = Specifier::parse(text)) {
        auto again = Specifier::parse(spec->str());
        check(again.has_value() && again->str() == spec->str());
        for (auto const& v : versions) {
            bool const plain = spec->contains(v);
            bool const with_pre = spec->contains(v, true);
            bool const without_pre = spec->contains(v, false);
            check(!without_pre || with_pre);
            check(plain == (spec->prereleases() ? with_pre : without_pre));
        }
        check(spec->filter(versions).size() <= versions.size());
    }
    auto set = SpecifierSet::parse(text);
    if (!set) return;
    auto const s = set->str();
    auto again = SpecifierSet::parse(s);
    check(again.has_value() && again->str() == s);
    check(set->empty() == s.empty());
    check(set->empty() == !set->prereleases().has_value());
    for (auto const& v : versions) {
        bool const with_pre = set->contains(v, true);
        bool const without_pre = set->contains(v, false);
        check(!without_pre || with_pre);
        check(!v.is_prerelease() || !without_pre);
        (void)set->contains(v);
    }
    for (std::optional<bool> pre :
         {std::optional<bool>{}, std::optional<bool>{true}, std::optional<bool>{false}}) {
        auto const kept = set->filter(versions, pre);
        check(kept.size() <= versions.size());
    }
    if (auto pin = set->pinned()) check(set->specifiers().size() == 1);
}

bool is_alnum_ascii(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void exercise_name(std::string_view text) {
    auto const canonical = canonicalize_name(text);
    check(canonicalize_name(canonical) == canonical);
    if (is_valid_name(text)) check(is_valid_name(canonical));
}

// ---- PEP 508 requirements and markers, pip requirements files ----

Environment fuzz_environment() {
    return Environment::debian12_x86_64();
}

void exercise_marker(Marker const& m, Environment const& env) {
    check(!m.str().empty());
    auto r = m.evaluate(env);
    check(r.has_value() || !r.error().empty());
}

void exercise_requirement(std::string const& text, Environment const& env) {
    auto r = Requirement::parse(text);
    if (!r) {
        check(!r.error().empty());
        return;
    }
    check(!r->name.empty() && is_alnum_ascii(r->name.front()));
    for (std::size_t i = 1; i < r->extras.size(); ++i)
        check(r->extras[i - 1] < r->extras[i]);
    auto const spec = r->specifier.str();
    auto again = SpecifierSet::parse(spec);
    check(again.has_value() && again->str() == spec);
    check(!r->url || !r->url->empty());
    auto const printed = r->str();
    check(printed.compare(0, r->name.size(), r->name) == 0);
    if (r->marker) exercise_marker(*r->marker, env);
}

// The input as a requirements file; every nested -r/-c reads the input again (a cycle or the
// depth limit ends it), and every ${VAR} is set.
void exercise_requirements_file(std::string_view input, Environment const& env) {
    ParseOptions opts;
    opts.environment = env;
    opts.read_file = [&](std::string const& path) -> pinwatch::Result<FileContent> {
        if (path.size() > 4096) return pinwatch::fail("path too long");
        return FileContent{std::string(input), path};
    };
    opts.getenv = [](std::string const& name) -> std::optional<std::string> {
        if (name.size() % 3 == 0) return std::nullopt;
        return "1.0";
    };
    auto set = parse_requirements_text(input, "fuzz.txt", opts);
    for (auto const& e : set.errors) {
        check(!e.file.empty() && e.line >= 0 && !e.message.empty());
        check(!e.str().empty());
    }
    for (auto const& e : set.entries) {
        check(e.line >= 1 && !e.file.empty());
        check(!e.pinned || e.specifier == "==" + *e.pinned);
        check(e.watchable || !e.reason.empty());
    }
}

// The input as each lock file format (TOML, or JSON for Pipfile.lock), with a manifest beside
// it that is the input again.
void exercise_locks(std::string_view input, Environment const& env) {
    ParseOptions opts;
    opts.environment = env;
    opts.read_file = [&](std::string const& path) -> pinwatch::Result<FileContent> {
        return FileContent{std::string(input), path};
    };
    for (char const* name :
         {"uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml", "pylock.x.toml"}) {
        auto set = parse_requirements_text(input, name, opts);
        for (auto const& e : set.errors)
            check(!e.file.empty() && e.line >= 0 && !e.message.empty());
        for (auto const& e : set.entries) {
            check(e.line >= 0 && !e.file.empty());
            check(!e.pinned || e.specifier == "==" + *e.pinned);
            check(e.watchable || (!e.reason.empty() && !e.pinned));
        }
    }
}

void exercise_pep508(std::string_view input) {
    static Environment const env = fuzz_environment();
    std::string const text(input);
    // The raw input, then the input in each position of a requirement, so mutated version
    // seeds reach the specifier, URL and marker grammars too.
    exercise_requirement(text, env);
    exercise_requirement("pkg" + text, env);
    exercise_requirement("pkg @ " + text, env);
    exercise_requirement("pkg; " + text, env);
    if (auto m = Marker::parse(text)) exercise_marker(*m, env);
    if (auto m = Marker::parse("python_version" + text)) exercise_marker(*m, env);
    exercise_requirements_file(input, env);
    exercise_locks(input, env);
}

} // namespace

// Input layout: line 1 is tried as a version, a specifier and a specifier set; every further
// line is a candidate version that the specifiers are matched against. The whole input is also
// tried as each kind of string on its own.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    auto const lines = split_lines(input);
    std::vector<Version> versions;
    for (auto line : lines)
        exercise_version(line, versions);
    exercise_version(input, versions);
    exercise_specifiers(lines.front(), versions);
    if (lines.size() > 1) exercise_specifiers(input, versions);
    exercise_name(input);
    exercise_pep508(input);
    return 0;
}
