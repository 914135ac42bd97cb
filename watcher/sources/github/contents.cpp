#include "watcher/sources/github/contents.hpp"

#include "common/base64.hpp"
#include "common/json_read.hpp"
#include "config/config.hpp"
#include "watcher/sources/github/github.hpp"

#include <rapidjson/document.h>

#include <any>
#include <cctype>

namespace pinwatch::watcher {
namespace {

// Requirements and lock files are kilobytes; config::kMaxInputFileBytes is the same cap.
constexpr std::size_t kFileLimit = 4 * 1024 * 1024;

} // namespace

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

net::Request github_contents_request(config::GithubFile const& file,
                                     GithubFileAccess const& access) {
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
