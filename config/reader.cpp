#include "config/reader.hpp"

#include "config/remote_file.hpp"

#include "common/text.hpp"

#include <algorithm>

namespace pinwatch::config {

namespace {

std::string host_of(std::string_view url_after_scheme) {
    auto authority = url_after_scheme.substr(0, url_after_scheme.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    if (!authority.empty() && authority.front() == '[')
        return ascii_lower(authority.substr(0, authority.find(']') + 1));
    return ascii_lower(authority.substr(0, authority.find(':')));
}

} // namespace

std::optional<std::string> check_endpoint(std::string_view url) {
    std::string_view const expected = "an https:// URL (http:// only to 127.0.0.1 or localhost)";
    for (char ch : url)
        if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f)
            return std::string(expected) + " without blanks or control characters";
    bool const https = url.size() > 8 && iequals(url.substr(0, 8), "https://");
    bool const http = url.size() > 7 && iequals(url.substr(0, 7), "http://");
    if (!https && !http) return std::string(expected);
    std::string const host = host_of(url.substr(https ? 8 : 7));
    if (host.empty() || host == "[]") return std::string(expected) + " with a host";
    if (http && host != "127.0.0.1" && host != "localhost" && host != "[::1]")
        return std::string(expected);
    return std::nullopt;
}

void reject_foreign_keys(Reader& r, ChannelTable const& t, std::vector<std::string> const& own,
                         bool distinct) {
    std::vector<std::string_view> const wanted(own.begin(), own.end());
    std::string takes;
    for (auto const& k : own)
        takes += (takes.empty() ? "" : ", ") + k;
    for (auto const& [key, v] : t.keys) {
        if (std::find(own.begin(), own.end(), key) != own.end()) continue;
        if (distinct) {
            r.error(*v, "key '" + t.full(key) + "': not a setting of type '" + t.type + "'");
            continue;
        }
        std::string distinct_owner;
        for (auto const& c : t.channels)
            if (c.distinct && std::find(c.keys.begin(), c.keys.end(), key) != c.keys.end())
                distinct_owner = c.type;
        if (!distinct_owner.empty())
            r.error(*v, "key '" + t.full(key) + "': not a setting of type '" + t.type +
                            "' (only of type '" + distinct_owner + "')");
        else
            r.error(*v, "unknown key '" + key + "' in [" + t.where + "]" +
                            did_you_mean(key, wanted) + " (type '" + t.type + "' takes " +
                            (takes.empty() ? "no settings" : takes) + ")");
    }
}

// Every message leads with the key it is about, as "key.path: what is wrong". Messages are
// written the way they read best ("key 'http.timeout': expected ...", "unknown key 'x' in
// [http]", "[notifiers.a]: missing key 'type' (...)") and put in that one shape here, so every
// key, including ones added later, is reported alike.
std::string keyed(std::string msg) {
    auto const npos = std::string::npos;
    if (msg.rfind("key '", 0) == 0) {
        if (auto const end = msg.find("': ", 5); end != npos)
            return msg.substr(5, end - 5) + ": " + msg.substr(end + 3);
    }
    if (msg.rfind("unknown key '", 0) == 0) {
        auto const end = msg.find('\'', 13);
        if (end != npos) {
            std::string const key = msg.substr(13, end - 13);
            std::string rest = msg.substr(end + 1);
            if (rest.rfind(" in [", 0) == 0) {
                if (auto const close = rest.find(']'); close != npos)
                    return rest.substr(5, close - 5) + "." + key + ": unknown key" +
                           rest.substr(close + 1);
            }
            return key + ": unknown key" + rest;
        }
    }
    if (msg.rfind("[", 0) == 0) {
        std::string const marker = "]: missing key '";
        if (auto const close = msg.find(marker); close != npos) {
            auto const start = close + marker.size();
            if (auto const end = msg.find('\'', start); end != npos)
                return msg.substr(1, close - 1) + "." + msg.substr(start, end - start) +
                       ": missing" + msg.substr(end + 1);
        }
    }
    return msg;
}

std::vector<std::string> Reader::files(toml::node const& n, std::string const& key) {
    std::vector<std::string> out;
    auto const* arr = n.as_array();
    if (!arr) {
        if (auto s = n.value<std::string>(); s && config::is_remote_file(*s)) {
            if (auto name = remote_file_name(*s); !name)
                error(n, "key '" + key + "': " + name.error());
            else
                out.push_back(*s);
            return out;
        }
        return paths(n, key);
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto const& item = *arr->get(i);
        auto s = item.value<std::string>();
        if (!s) {
            error(item, "key '" + key + "': expected a file path (string)");
            continue;
        }
        if (!is_remote_file(*s)) {
            for (auto& p : paths(item, key))
                out.push_back(std::move(p));
            continue;
        }
        if (auto name = remote_file_name(*s); !name)
            error(item, "key '" + key + "[" + std::to_string(i) + "]': " + name.error());
        else
            out.push_back(*s);
    }
    return out;
}

} // namespace pinwatch::config
