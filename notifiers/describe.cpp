#include "notifiers/notifier.hpp"

namespace pinwatch::notifiers {

std::string describe(Event const& e) {
    using model::EventKind;
    std::string const pkg = sanitize_text(e.package);
    std::string const ver = sanitize_text(e.version.value_or("?"));
    std::string const pin = e.pinned ? " (you pin " + sanitize_text(*e.pinned) + ")" : "";
    std::string const detail = e.detail.empty() ? "" : ": " + sanitize_text(e.detail);
    switch (e.kind) {
    case EventKind::new_release: {
        std::string kind = e.update ? model::to_string(*e.update) : "new";
        std::string s = pkg + " " + ver + " released";
        if (e.update && *e.update != model::UpdateType::none) s += " — " + kind;
        if (e.update == model::UpdateType::older)
            s = pkg + " " + ver + " released — " +
                (e.pinned ? "below your pin" : "older than the newest release") + " (a backport)";
        s += pin;
        if (e.allowed) {
            std::string const spec =
                e.specifier.empty() ? "any version" : "'" + sanitize_text(e.specifier) + "'";
            s += *e.allowed ? ", allowed by " + spec : ", outside " + spec;
        }
        if (e.link) s += "; release notes: " + sanitize_text(redact_url(*e.link));
        return s + detail;
    }
    case EventKind::release_yanked:
        return pkg + " " + ver + " was yanked" + detail;
    case EventKind::release_unyanked:
        return pkg + " " + ver + " is no longer yanked";
    case EventKind::pinned_yanked:
        return pkg + " " + ver + ", the version you pin, was yanked" + detail;
    case EventKind::pin_not_found:
        return pkg + " " + sanitize_text(e.pinned.value_or("?")) +
               ", the version you pin, is not listed" + detail;
    case EventKind::release_removed:
        return pkg + " " + ver + " was removed from the index";
    case EventKind::package_gone:
        return pkg + " is gone from the index" + detail;
    case EventKind::source_failing:
        return pkg + ": polls keep failing" + detail;
    case EventKind::source_recovered:
        return pkg + ": polls work again" + detail;
    case EventKind::notifier_disabled:
        return "notifier " + pkg + " is disabled; it gets nothing until the config changes" +
               detail;
    case EventKind::github_release:
        return pkg + " " + ver + " released on GitHub" + detail +
               (e.origin.empty() ? "" : " (" + sanitize_text(redact_url(e.origin)) + ")");
    case EventKind::issue_spike:
        return pkg + ": a spike of new GitHub issues" + detail;
    case EventKind::issue_spike_over:
        return pkg + ": new GitHub issues are back to their usual rate" + detail;
    }
    return pkg + ": " + model::to_string(e.kind);
}

} // namespace pinwatch::notifiers
