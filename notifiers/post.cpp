#include "notifiers/post.hpp"

#include "common/secret.hpp"
#include "common/text.hpp"
#include "config/reader.hpp"

#include <algorithm>
#include <vector>

namespace pinwatch::notifiers {

std::optional<std::chrono::seconds> retry_after(net::Response const& response,
                                                std::chrono::system_clock::time_point now) {
    auto const asked = net::parse_retry_after(response, now);
    if (!asked) return std::nullopt;
    return std::min(*asked, kMaxRetryAfter);
}

namespace {

// What of a secret URL may turn up in a body: the URL as given and as redacted, its target,
// path and query, and each path segment on its own (a receiver may quote only the token part of
// a webhook URL, "T000/B000/XXXX" or just "XXXX").
void add_url_needles(std::vector<std::string>& needles, std::string_view url) {
    needles.emplace_back(url);
    needles.emplace_back(redact_url(url));
    auto rest = url;
    if (auto scheme = rest.find("://"); scheme != std::string_view::npos)
        rest.remove_prefix(scheme + 3);
    else
        return;
    if (auto slash = rest.find_first_of("/?#"); slash != std::string_view::npos) {
        auto const target = rest.substr(slash); // "/path?query#fragment"
        needles.emplace_back(target);
        auto const path = target.substr(0, target.find_first_of("?#"));
        if (path.size() > 1) needles.emplace_back(path);
        for (std::size_t at = 1; at < path.size();) {
            auto const end = std::min(path.find('/', at), path.size());
            if (end - at >= kMinScrubbed) needles.emplace_back(path.substr(at, end - at));
            at = end + 1;
        }
        if (auto q = target.find('?'); q != std::string_view::npos) {
            auto const query = target.substr(q + 1, target.find('#', q) - q - 1);
            if (!query.empty()) needles.emplace_back(query);
        }
    }
}

} // namespace

std::string scrub(std::string_view text, std::string_view url) {
    std::vector<std::string> needles;
    add_url_needles(needles, url);
    // Every other secret the process knows (a signing key, a token, another webhook's URL).
    for (auto const& secret : remembered_secrets())
        add_url_needles(needles, secret);
    // Longest first, so a URL is replaced whole rather than piece by piece.
    std::sort(needles.begin(), needles.end(),
              [](auto const& a, auto const& b) { return a.size() > b.size(); });
    std::string out(text);
    for (auto const& needle : needles) {
        if (needle.size() < 2 || needle == "<redacted>") continue;
        for (auto at = out.find(needle); at != std::string::npos;
             at = out.find(needle, at + std::string_view("<redacted>").size()))
            out.replace(at, needle.size(), "<redacted>");
    }
    return out;
}

std::string truncate_text(std::string_view text, std::size_t max_chars, std::string_view marker) {
    std::size_t chars = 0, i = 0;
    while (i < text.size() && chars < max_chars) {
        i += decode_utf8(text, i).length;
        ++chars;
    }
    if (i >= text.size()) return std::string(text);
    return std::string(text.substr(0, i)).append(marker);
}

std::string body_excerpt(std::string_view body, std::string_view url, std::size_t max_chars) {
    return truncate_text(sanitize_text(trim_blanks(scrub(body, url))), max_chars, "...");
}

bool RecentlyDelivered::contains(std::string_view key) const {
    return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
}

void RecentlyDelivered::remember(std::string key) {
    if (contains(key)) return;
    keys_.push_back(std::move(key));
    while (keys_.size() > capacity_)
        keys_.pop_front();
}

void RecentlyDelivered::forget(std::string_view key) {
    auto it = std::find(keys_.begin(), keys_.end(), key);
    if (it != keys_.end()) keys_.erase(it);
}

std::string redact_all(std::string text, std::string_view secret) {
    if (secret.size() < 4) return text;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
        text.replace(at, secret.size(), "<redacted>");
    return text;
}

void require_key(config::Reader& r, config::ChannelTable const& t, std::string const& key,
                 std::string const& what) {
    if (t.at(key)) return;
    r.error(t.node, "[" + t.where + "]: missing key '" + key + "' (" + what +
                        ", or env:NAME, file:PATH, credential:NAME)");
}

void read_endpoint(config::Reader& r, config::ChannelTable const& t, std::string const& key,
                   Secret& out) {
    auto const* v = t.at(key);
    if (!v) return;
    if (auto url = config::read_secret(r, *v, t.full(key), config::check_endpoint))
        out = Secret(std::move(*url));
}

} // namespace pinwatch::notifiers
