#include "config/remote_file.hpp"

#include "common/text.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cctype>
#include <optional>
#include <vector>

namespace pinwatch::config {
namespace {

bool starts_with_i(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::vector<FileSpec>& registered() noexcept {
    static std::vector<FileSpec> specs;
    return specs;
}

Result<std::string> https_name(std::string_view entry) {
    if (starts_with_i(entry, "http://"))
        return fail("expected an https:// URL (files are fetched over TLS only), not http://");
    auto parsed = boost::urls::parse_uri(entry);
    if (!parsed || !iequals(parsed->scheme(), "https") || parsed->encoded_host().empty()) {
        std::string expected = "expected an https:// URL";
        auto const& hosts = registered();
        for (std::size_t i = 0; i < hosts.size(); ++i)
            expected += (i + 1 == hosts.size() ? " or " : ", ") + hosts[i].shape;
        return fail(std::move(expected));
    }
    boost::urls::url u(*parsed);
    u.remove_fragment();
    return url_identity(u.buffer());
}

} // namespace

void add_file_spec(FileSpec spec) {
    auto& specs = registered();
    for (auto& s : specs)
        if (iequals(s.prefix, spec.prefix)) {
            s = std::move(spec);
            return;
        }
    specs.push_back(std::move(spec));
}

FileSpec const* file_spec_of(std::string_view entry) noexcept {
    for (auto const& s : registered())
        if (starts_with_i(entry, s.prefix)) return &s;
    return nullptr;
}

std::vector<FileSpec> const& file_specs() noexcept {
    return registered();
}

std::optional<std::string> normal_file_path(std::string_view p) {
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

bool is_remote_file(std::string_view entry) noexcept {
    return starts_with_i(entry, "https://") || starts_with_i(entry, "http://") ||
           file_spec_of(entry) != nullptr;
}

Result<std::string> remote_file_name(std::string_view entry) {
    if (auto const* host = file_spec_of(entry)) return host->name(entry);
    return https_name(entry);
}

std::string remote_basename(std::string_view name) {
    if (auto const* host = file_spec_of(name)) return host->basename(name);
    auto const path = name.substr(0, name.find_first_of("?#"));
    return std::string(path.substr(path.rfind('/') + 1));
}

Result<std::string> join_remote_include(std::string const& from, std::string const& target) {
    if (is_remote_file(target)) return remote_file_name(target);
    if (starts_with_i(target, "file:"))
        return fail("'" + target + "' is a local file: a fetched file cannot include one");
    if (auto const* host = file_spec_of(from)) return host->join(from, target);
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
