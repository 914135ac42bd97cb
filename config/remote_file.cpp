#include "config/remote_file.hpp"

#include "common/text.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cctype>
#include <optional>
#include <vector>

namespace pinwatch::config {
namespace {

constexpr std::string_view kGithubPrefix = "github:";

bool starts_with_i(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_github(std::string_view s) noexcept {
    return starts_with_i(s, kGithubPrefix);
}

bool printable(std::string_view s) noexcept {
    for (unsigned char c : s)
        if (c <= 0x20 || c == 0x7f) return false;
    return true;
}

// GitHub user and organisation names: letters, digits, '-' (Enterprise also '_' and '.').
bool valid_owner(std::string_view s) noexcept {
    if (s.empty() || s.size() > 100) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

bool valid_repo(std::string_view s) noexcept {
    return valid_owner(s) && s != "." && s != "..";
}

// A git ref name as `git check-ref-format` allows one (and a commit id is one too).
bool valid_ref(std::string_view s) noexcept {
    if (s.empty() || !printable(s) || s.front() == '-' || s.front() == '/' || s.back() == '/' ||
        s.back() == '.')
        return false;
    if (s.find("..") != std::string_view::npos || s.find("@{") != std::string_view::npos ||
        s.find("//") != std::string_view::npos)
        return false;
    if (s.find_first_of("~^:?*[\\") != std::string_view::npos) return false;
    return !iends_with(s, ".lock");
}

// "a/./b/../c" -> "a/c"; nullopt when ".." climbs above the start.
std::optional<std::string> normal_path(std::string_view p) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= p.size()) {
        auto const slash = p.find('/', start);
        auto const part = p.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (part == "..") {
            if (parts.empty()) return std::nullopt;
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    std::string out;
    for (auto const& part : parts)
        out += (out.empty() ? "" : "/") + std::string(part);
    return out;
}

std::string expected(std::string_view why = {}) {
    std::string out = "expected " + std::string(kGithubFileShape);
    if (!why.empty()) out += " (" + std::string(why) + ")";
    return out;
}

Result<std::string> https_name(std::string_view entry) {
    if (starts_with_i(entry, "http://"))
        return fail("expected an https:// URL (files are fetched over TLS only), not http://");
    auto parsed = boost::urls::parse_uri(entry);
    if (!parsed || !iequals(parsed->scheme(), "https") || parsed->encoded_host().empty())
        return fail("expected an https:// URL or " + std::string(kGithubFileShape));
    boost::urls::url u(*parsed);
    u.remove_fragment();
    return url_identity(u.buffer());
}

} // namespace

std::string GithubFile::spec() const {
    return std::string(kGithubPrefix) + owner + "/" + repo + "/" + path + "@" + ref;
}

bool is_remote_file(std::string_view entry) noexcept {
    return starts_with_i(entry, "https://") || starts_with_i(entry, "http://") || is_github(entry);
}

Result<GithubFile> parse_github_file(std::string_view spec) {
    if (!is_github(spec)) return fail(expected());
    auto rest = spec.substr(kGithubPrefix.size());
    auto const at = rest.rfind('@');
    if (at == std::string_view::npos) return fail(expected());
    GithubFile f;
    f.ref = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    auto const s1 = rest.find('/');
    if (s1 == std::string_view::npos) return fail(expected());
    auto const s2 = rest.find('/', s1 + 1);
    if (s2 == std::string_view::npos || s2 + 1 >= rest.size()) return fail(expected());
    f.owner = std::string(rest.substr(0, s1));
    f.repo = std::string(rest.substr(s1 + 1, s2 - s1 - 1));
    auto const path = rest.substr(s2 + 1);
    if (f.owner.empty() || f.repo.empty() || f.ref.empty()) return fail(expected());
    if (!valid_owner(f.owner))
        return fail(expected("'" + sanitize_text(f.owner) + "' is not a GitHub owner name"));
    if (!valid_repo(f.repo))
        return fail(expected("'" + sanitize_text(f.repo) + "' is not a repository name"));
    auto normal = normal_path(path);
    if (!printable(path) || path.front() == '/' || !normal || normal->empty() || path.back() == '/')
        return fail(expected("'" + sanitize_text(path) + "' is not a file path in the repository"));
    f.path = *normal;
    if (!valid_ref(f.ref))
        return fail(expected("'" + sanitize_text(f.ref) + "' is not a git ref name"));
    return f;
}

Result<std::string> remote_file_name(std::string_view entry) {
    if (is_github(entry)) {
        auto f = parse_github_file(entry);
        if (!f) return fail(f.error());
        return f->spec();
    }
    return https_name(entry);
}

std::string remote_basename(std::string_view name) {
    std::string_view path = name;
    if (auto f = parse_github_file(name)) return f->path.substr(f->path.rfind('/') + 1);
    path = path.substr(0, path.find_first_of("?#"));
    return std::string(path.substr(path.rfind('/') + 1));
}

Result<std::string> join_remote_include(std::string const& from, std::string const& target) {
    if (is_remote_file(target)) return remote_file_name(target);
    if (starts_with_i(target, "file:"))
        return fail("'" + target + "' is a local file: a fetched file cannot include one");
    if (is_github(from)) {
        auto f = parse_github_file(from);
        if (!f) return fail(f.error());
        if (target.find("://") != std::string::npos)
            return fail("'" + target + "' is not a path in " + f->owner + "/" + f->repo +
                        " nor an https:// URL");
        std::string joined;
        if (!target.empty() && target.front() == '/') {
            joined = target.substr(1);
        } else {
            auto const slash = f->path.rfind('/');
            joined = (slash == std::string::npos ? "" : f->path.substr(0, slash + 1)) + target;
        }
        auto normal = normal_path(joined);
        if (!normal || normal->empty())
            return fail("'" + target + "' leaves the repository " + f->owner + "/" + f->repo);
        f->path = *normal;
        return f->spec();
    }
    auto base = boost::urls::parse_uri(from);
    if (!base) return fail("'" + redact_url(from) + "' is not a URL");
    auto ref = boost::urls::parse_uri_reference(target);
    if (!ref) return fail("'" + target + "' is not a path or URL an include can name");
    boost::urls::url joined;
    if (auto r = boost::urls::resolve(*base, *ref, joined); !r)
        return fail("'" + target + "' cannot be resolved against " + redact_url(from));
    return https_name(joined.buffer());
}

} // namespace pinwatch::config
