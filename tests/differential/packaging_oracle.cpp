// The C++ side of the packaging differential test: reads one request per line on stdin, answers
// one line per request on stdout, using only pinwatch_packaging. packaging_differential.py sends
// the same cases to Debian's python3-packaging 23.0 and compares. Every string argument is
// hex-encoded UTF-8 so tabs, newlines and any Unicode survive the protocol.
//
//   V  <ver>                     -> ok <str> <pre?> <post?> <dev?> <base> <public> <local> <epoch>
//                                   <release> <pre-part> <post-num> <dev-num> <has-local?> | err
//   CMP <ver> <ver>              -> < | = | >
//   S  <spec>                    -> ok <str> <op> <version> <prereleases?> <wildcard?> | err
//   SS <set>                     -> ok <str> <prereleases N|T|F> <pinned or -> <count> | err
//   SC <spec> <ver> <N|T|F>      -> 1 | 0          (Specifier.contains)
//   C  <set> <ver> <N|T|F>       -> 1 | 0          (SpecifierSet.contains)
//   SF <spec> <N|T|F> <ver,...>  -> kept indices, comma-joined, or -   (Specifier.filter)
//   F  <set> <N|T|F> <ver,...>   -> kept indices, comma-joined, or -   (SpecifierSet.filter)
//   N  <name>                    -> <canonical name> <valid?>
// Flags print as 1/0. Values that hold no whitespace print raw; "-" stands for empty.
#include "packaging/name.hpp"
#include "packaging/specifier.hpp"
#include "packaging/version.hpp"

#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace pinwatch::packaging;

std::string unhex(std::string const& h) {
    std::string out;
    out.reserve(h.size() / 2);
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<char>(nibble(h[i]) << 4 | nibble(h[i + 1])));
    return out;
}

std::vector<std::string> split(std::string const& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        out.push_back(cur);
    return out;
}

std::optional<bool> tri(std::string const& s) {
    if (s == "T") return true;
    if (s == "F") return false;
    return std::nullopt;
}

char const* flag(bool b) {
    return b ? "1" : "0";
}
std::string or_dash(std::string s) {
    return s.empty() ? "-" : s;
}

std::vector<Version> versions_of(std::string const& list) {
    std::vector<Version> out;
    if (list == "-") return out;
    for (auto const& h : split(list, ','))
        out.push_back(*Version::parse(unhex(h)));
    return out;
}

// Filters return copies; map them back to input positions (each input version is distinct as
// a string, and results keep input order).
std::string kept_indices(std::vector<Version> const& input, std::vector<Version> const& kept) {
    std::string out;
    std::size_t j = 0;
    for (std::size_t i = 0; i < input.size() && j < kept.size(); ++i) {
        if (input[i].str() == kept[j].str() && input[i] == kept[j]) {
            out += (out.empty() ? "" : ",") + std::to_string(i);
            ++j;
        }
    }
    return or_dash(out);
}

std::string answer(std::vector<std::string> const& f) {
    auto const& cmd = f.at(0);
    if (cmd == "V") {
        auto v = Version::parse(unhex(f.at(1)));
        if (!v) return "err";
        std::string release;
        for (std::size_t i = 0; i < v->release_size(); ++i)
            release += (i ? "." : "") + v->release_str(i);
        std::string pre = v->pre() ? v->pre()->label + v->pre()->number : "";
        std::ostringstream o;
        o << "ok\t" << v->str() << '\t' << flag(v->is_prerelease()) << '\t'
          << flag(v->is_postrelease()) << '\t' << flag(v->is_devrelease()) << '\t'
          << v->base_version() << '\t' << v->public_version() << '\t' << or_dash(v->local()) << '\t'
          << v->epoch_str() << '\t' << release << '\t' << or_dash(pre) << '\t'
          << or_dash(v->post().value_or("")) << '\t' << or_dash(v->dev().value_or("")) << '\t'
          << flag(v->has_local());
        return o.str();
    }
    if (cmd == "CMP") {
        auto a = Version::parse(unhex(f.at(1)));
        auto b = Version::parse(unhex(f.at(2)));
        auto c = *a <=> *b;
        if ((c == 0) != (*a == *b)) return "inconsistent";
        return c < 0 ? "<" : (c > 0 ? ">" : "=");
    }
    if (cmd == "S") {
        auto s = Specifier::parse(unhex(f.at(1)));
        if (!s) return "err";
        return "ok\t" + s->str() + '\t' + std::string(s->op()) + '\t' +
               or_dash(std::string(s->version_text())) + '\t' + flag(s->prereleases()) + '\t' +
               flag(s->has_wildcard());
    }
    if (cmd == "SS") {
        auto s = SpecifierSet::parse(unhex(f.at(1)));
        if (!s) return "err";
        auto pre = s->prereleases();
        return "ok\t" + or_dash(s->str()) + '\t' + (!pre ? "N" : (*pre ? "T" : "F")) + '\t' +
               or_dash(s->pinned().value_or("")) + '\t' + std::to_string(s->specifiers().size());
    }
    if (cmd == "SC") {
        auto s = Specifier::parse(unhex(f.at(1)));
        auto v = Version::parse(unhex(f.at(2)));
        return flag(s->contains(*v, tri(f.at(3))));
    }
    if (cmd == "C") {
        auto s = SpecifierSet::parse(unhex(f.at(1)));
        auto v = Version::parse(unhex(f.at(2)));
        return flag(s->contains(*v, tri(f.at(3))));
    }
    if (cmd == "SF") {
        auto s = Specifier::parse(unhex(f.at(1)));
        auto input = versions_of(f.at(3));
        return kept_indices(input, s->filter(input, tri(f.at(2))));
    }
    if (cmd == "F") {
        auto s = SpecifierSet::parse(unhex(f.at(1)));
        auto input = versions_of(f.at(3));
        return kept_indices(input, s->filter(input, tri(f.at(2))));
    }
    if (cmd == "N") {
        auto const name = unhex(f.at(1));
        return or_dash(canonicalize_name(name)) + '\t' + flag(is_valid_name(name));
    }
    return "unknown command " + cmd;
}

} // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        auto fields = split(line, '\t');
        if (line.back() == '\t') fields.emplace_back();
        std::cout << answer(fields) << '\n';
    }
    return 0;
}
