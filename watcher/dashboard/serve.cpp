// The dashboard on the daemon's listener: "/" and "/package/<name>", each page read from the
// state and rendered now, with a strict Content-Security-Policy.
#include "packaging/name.hpp"
#include "watcher/dashboard/dashboard.hpp"

namespace pinwatch::watcher::dashboard {
namespace {

constexpr std::string_view kPackage = "/package/";

net::ServerReply page(int status, std::string body) {
    net::ServerReply r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    r.headers = {{"Content-Security-Policy", content_security_policy()},
                 {"Referrer-Policy", "no-referrer"},
                 {"Cross-Origin-Resource-Policy", "same-origin"}};
    return r;
}

} // namespace

std::optional<net::ServerReply> serve(std::string_view target, StateStore const& store,
                                      SourceRegistry const& sources, UnixTime now, Cache* cache) {
    auto const path = target.substr(0, target.find_first_of("?#"));
    if (path == "/" || path == "/index.html")
        return page(200, render_overview(collect_overview(store, sources, now, cache)));
    if (path.rfind(kPackage, 0) != 0) return std::nullopt;
    auto const raw = path.substr(kPackage.size());
    if (raw.empty() || raw.find('/') != std::string_view::npos || !packaging::is_valid_name(raw))
        return page(404, render_not_found("Not a package name."));
    auto const name = packaging::canonicalize_name(raw);
    auto data = collect_package(store, sources, name, now);
    if (!data) return page(404, render_not_found("No pin of " + name + " is watched."));
    return page(200, render_package(*data));
}

} // namespace pinwatch::watcher::dashboard
