#include "notifiers/notifier.hpp"

namespace pinwatch::notifiers {

std::string advisory_title(model::Advisory const& a) {
    std::string out = sanitize_text(a.id);
    if (!a.aliases.empty()) {
        out += " (";
        for (std::size_t i = 0; i < a.aliases.size() && i < 5; ++i)
            out += (i ? ", " : "") + sanitize_text(a.aliases[i]);
        out += ")";
    }
    return out;
}

std::string fix_text(Event const& e) {
    if (!e.advisory || e.advisory->fixed_in.empty()) return "no fixed version published";
    std::string fixed;
    for (std::size_t i = 0; i < e.advisory->fixed_in.size() && i < 10; ++i)
        fixed += (i ? ", " : "") + sanitize_text(e.advisory->fixed_in[i]);
    std::string const spec =
        e.specifier.empty() ? "any version" : "'" + sanitize_text(e.specifier) + "'";
    if (e.advisory->fix_allowed)
        return "fixed in " + fixed + "; " + sanitize_text(*e.advisory->fix_allowed) +
               " is allowed by " + spec;
    return "fixed in " + fixed + "; none is allowed by " + spec + " (change the requirement)";
}

std::string alternatives_text(Event const& e) {
    std::string out;
    for (auto const& v : e.alternatives)
        out += (out.empty() ? "" : ", ") + sanitize_text(v);
    return out;
}

std::string drops_python_text(Event const& e) {
    if (!e.drops_python || !*e.drops_python) return "";
    return "drops Python " + sanitize_text(e.python.value_or("?")) + " (requires " +
           sanitize_text(e.requires_python.value_or("?")) + ")";
}

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
        if (auto drops = drops_python_text(e); !drops.empty()) s += ", " + drops;
        if (e.link) s += "; release notes: " + sanitize_text(redact_url(*e.link));
        return s + detail;
    }
    case EventKind::release_yanked:
        return pkg + " " + ver + " was yanked" + detail;
    case EventKind::release_unyanked:
        return pkg + " " + ver + " is no longer yanked";
    case EventKind::pinned_yanked: {
        std::string s = pkg + " " + ver + ", the version you pin, was yanked" + detail;
        // An event without alternatives (none on the index, or written before pinwatch named
        // them) says nothing of them.
        auto const near = alternatives_text(e);
        return s + (near.empty() ? "" : "; nearest non-yanked: " + near);
    }
    case EventKind::vulnerability:
        if (!e.advisory) return pkg + " " + ver + ", the version you pin, is vulnerable" + detail;
        return pkg + " " + ver +
               ", the version you pin, is vulnerable: " + advisory_title(*e.advisory) +
               (e.advisory->summary.empty() ? "" : ": " + sanitize_text(e.advisory->summary)) +
               "; " + fix_text(e);
    case EventKind::vulnerability_withdrawn:
        return pkg + " " + ver + ": advisory " +
               (e.advisory ? advisory_title(*e.advisory) : std::string("?")) +
               " no longer applies" + detail;
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
