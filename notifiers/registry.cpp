#include "notifiers/registry.hpp"

#include "notifiers/console/console.hpp"
#include "notifiers/email/email.hpp"

#include <functional>
#include <string_view>

namespace pinwatch::notifiers {
namespace {

using Builder = std::function<Result<std::unique_ptr<Notifier>>(config::NotifierConfig const&,
                                                                NotifierContext const&)>;

struct Entry {
    std::string_view type;
    Builder build;
};

Entry const kTypes[] = {
    {"console",
     [](config::NotifierConfig const& c,
        NotifierContext const& ctx) -> Result<std::unique_ptr<Notifier>> {
         return std::unique_ptr<Notifier>(std::make_unique<ConsoleNotifier>(ctx.console, c.name));
     }},
    {"email", make_email_notifier},
};

} // namespace

Result<std::unique_ptr<Notifier>> make_notifier(config::NotifierConfig const& cfg,
                                                NotifierContext const& ctx) {
    for (auto const& e : kTypes)
        if (e.type == cfg.type) return e.build(cfg, ctx);
    return fail("notifier '" + cfg.name + "': unknown type '" + cfg.type + "'");
}

Result<std::vector<std::pair<std::unique_ptr<Notifier>, model::Route>>>
make_notifiers(config::Config const& cfg, NotifierContext const& given) {
    NotifierContext ctx = given;
    if (!ctx.extra_ca_file) ctx.extra_ca_file = cfg.http.extra_ca_file;
    std::vector<std::pair<std::unique_ptr<Notifier>, model::Route>> out;
    bool named_console = false;
    for (auto const& n : cfg.notifiers)
        named_console = named_console || n.name == "console";
    if (cfg.console && !named_console) {
        model::Route all;
        all.notifier = "console";
        out.emplace_back(std::make_unique<ConsoleNotifier>(ctx.console), std::move(all));
    }
    for (auto const& n : cfg.notifiers) {
        auto made = make_notifier(n, ctx);
        if (!made) return fail(std::move(made).error());
        out.emplace_back(std::move(*made), n.route);
    }
    return out;
}

} // namespace pinwatch::notifiers
