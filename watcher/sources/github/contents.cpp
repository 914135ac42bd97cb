#include "watcher/sources/github/contents.hpp"

#include "common/base64.hpp"
#include "common/json_read.hpp"
#include "common/text.hpp"
#include "config/config.hpp"
#include "watcher/sources/github/github.hpp"

#include <rapidjson/document.h>

#include <any>
#include <cctype>

namespace pinwatch::watcher {
namespace {

// Requirements and lock files are kilobytes; config::kMaxInputFileBytes is the same cap.
constexpr std::size_t kFileLimit = 4 * 1024 * 1024;

constexpr std::string_view kGithubPrefix = "github:";

bool is_github(std::string_view s) noexcept {
    return s.size() >= kGithubPrefix.size() &&
           iequals(s.substr(0, kGithubPrefix.size()), kGithubPrefix);
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

std::string expected(std::string_view why = {}) {
    std::string out = "expected " + std::string(kGithubFileShape);
    if (!why.empty()) out += " (" + std::string(why) + ")";
    return out;
}

// An include of `from` that is a path: in the same repository at the same ref.
Result<std::string> join_in_repository(std::string const& from, std::string const& target) {
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
    auto normal = config::normal_file_path(joined);
    if (!normal || normal->empty())
        return fail("'" + target + "' leaves the repository " + f->owner + "/" + f->repo);
    f->path = *normal;
    return f->spec();
}

} // namespace

std::string GithubFile::spec() const {
    return std::string(kGithubPrefix) + owner + "/" + repo + "/" + path + "@" + ref;
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
    auto normal = config::normal_file_path(path);
    if (!printable(path) || path.front() == '/' || !normal || normal->empty() || path.back() == '/')
        return fail(expected("'" + sanitize_text(path) + "' is not a file path in the repository"));
    f.path = *normal;
    if (!valid_ref(f.ref))
        return fail(expected("'" + sanitize_text(f.ref) + "' is not a git ref name"));
    return f;
}

config::FileSpec github_file_spec() {
    config::FileSpec s;
    s.prefix = std::string(kGithubPrefix);
    s.shape = std::string(kGithubFileShape);
    s.name = [](std::string_view spec) -> Result<std::string> {
        auto f = parse_github_file(spec);
        if (!f) return fail(f.error());
        return f->spec();
    };
    s.basename = [](std::string_view name) {
        if (auto f = parse_github_file(name)) return f->path.substr(f->path.rfind('/') + 1);
        auto const path = name.substr(0, name.find_first_of("?#"));
        return std::string(path.substr(path.rfind('/') + 1));
    };
    s.join = join_in_repository;
    return s;
}

FileHost github_file_host(GithubFileAccess access) {
    FileHost h;
    h.prefix = std::string(kGithubPrefix);
    h.request = [access](std::string const& name) -> Result<net::Request> {
        auto f = parse_github_file(name);
        if (!f) return fail(f.error());
        return github_contents_request(*f, access);
    };
    h.body = github_contents_body;
    h.explain = [anonymous = access.token.empty()](int status) -> std::string {
        if (status == 404 && anonymous) return " (a private repository needs a token in [github])";
        return "";
    };
    return h;
}

GithubFileAccess github_file_access(config::Config const& config) {
    GithubFileAccess a;
    auto const table = config.tables.find(GithubSource::kKind);
    if (table == config.tables.end()) return a;
    if (auto const* g = std::any_cast<GithubSettings>(&table->second)) {
        a.api_url = g->api_url;
        a.token = g->token;
    }
    return a;
}

std::string percent_encode(std::string_view text, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

net::Request github_contents_request(GithubFile const& file, GithubFileAccess const& access) {
    net::Request r;
    auto api = access.api_url;
    if (api.empty() || api.back() != '/') api += '/';
    r.url = api + "repos/" + percent_encode(file.owner, false) + "/" +
            percent_encode(file.repo, false) + "/contents/" + percent_encode(file.path, true) +
            "?ref=" + percent_encode(file.ref, false);
    r.header("Accept", "application/vnd.github.raw+json");
    r.header("X-GitHub-Api-Version", "2022-11-28");
    // The token goes to the API's origin only: this request is for it, and the client drops
    // Authorization on a redirect that leaves it.
    if (!access.token.empty()) r.header("Authorization", "Bearer " + access.token.reveal());
    r.body_limit = kFileLimit;
    return r;
}

Result<std::string> github_contents_body(net::Response const& response) {
    auto const type = response.header("Content-Type").value_or("");
    bool const json = type.rfind("application/json", 0) == 0;
    if (!json) return response.body; // the raw media type: the file itself
    rapidjson::Document d;
    d.Parse(response.body.data(), response.body.size());
    if (d.HasParseError()) return fail("the contents API sent JSON that cannot be read");
    if (d.IsArray()) return fail("a directory, not a file");
    if (!d.IsObject()) return fail("the contents API sent no file");
    auto const kind = json::string_or_empty(d, "type");
    if (kind != "file")
        return fail("a " + (kind.empty() ? std::string("thing") : kind) + ", not a file");
    if (json::string_or_empty(d, "encoding") != "base64")
        return fail("the contents API sent the file without its content (too large?)");
    std::string text;
    for (char c : json::string_or_empty(d, "content"))
        if (c != '\n' && c != '\r') text += c; // GitHub wraps base64 at 60 columns
    auto bytes = base64_decode(text);
    if (!bytes) return fail("the contents API sent content that is not base64");
    return std::move(*bytes);
}

} // namespace pinwatch::watcher
