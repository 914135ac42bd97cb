#include "notifiers/registry.hpp"

#include "notifiers/console/console.hpp"
#include "notifiers/email/email.hpp"
#include "notifiers/slack/slack.hpp"
#include "notifiers/webhook/webhook.hpp"

#include <functional>
#include <string_view>

namespace pinwatch::notifiers {
namespace {

using Builder = std::function<Result<std::unique_ptr<Notifier>>(config::NotifierConfig const&,
                                                                NotifierContext const&)>;

std::string needs_http(config::NotifierConfig const& c) {
    return "notifier '" + c.name + "': type '" + c.type +
           "' needs an HTTP client, and none was given (NotifierContext::http is null)";
}
std::string missing(config::NotifierConfig const& c, std::string const& key) {
    return "notifier '" + c.name + "': type '" + c.type + "' needs '" + key + "'";
}

// One channel: the reader of its keys (which keys, which are secrets, how they are checked)
// and how it is built from what that reader returned.
struct Entry {
    config::ChannelReader keys;
    Builder build;
};

std::vector<Entry> const& entries() {
    static std::vector<Entry> const all{
        {console_channel(),
         [](config::NotifierConfig const& c,
            NotifierContext const& ctx) -> Result<std::unique_ptr<Notifier>> {
             return std::unique_ptr<Notifier>(
                 std::make_unique<ConsoleNotifier>(ctx.console, c.name));
         }},
        {slack_channel(),
         [](config::NotifierConfig const& c,
            NotifierContext const& ctx) -> Result<std::unique_ptr<Notifier>> {
             if (!ctx.http) return fail(needs_http(c));
             auto const* s = c.as<SlackConfig>();
             if (!s || s->webhook_url.empty()) return fail(missing(c, "webhook_url"));
             return std::unique_ptr<Notifier>(
                 std::make_unique<SlackNotifier>(c.name, s->webhook_url, *ctx.http));
         }},
        {webhook_channel(),
         [](config::NotifierConfig const& c,
            NotifierContext const& ctx) -> Result<std::unique_ptr<Notifier>> {
             if (!ctx.http) return fail(needs_http(c));
             auto const* w = c.as<WebhookConfig>();
             if (!w || w->url.empty()) return fail(missing(c, "url"));
             if (w->signing_key.empty()) return fail(missing(c, "secret"));
             return std::unique_ptr<Notifier>(
                 std::make_unique<WebhookNotifier>(c.name, w->url, w->signing_key, *ctx.http));
         }},
        {email_channel(), make_email_notifier},
    };
    return all;
}

} // namespace

config::ChannelReaders channel_readers() {
    config::ChannelReaders out;
    for (auto const& e : entries())
        out.push_back(e.keys);
    return out;
}

Result<std::unique_ptr<Notifier>> make_notifier(config::NotifierConfig const& cfg,
                                                NotifierContext const& ctx) {
    for (auto const& e : entries())
        if (e.keys.type == cfg.type) return e.build(cfg, ctx);
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
