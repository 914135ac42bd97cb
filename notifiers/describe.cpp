#include "notifiers/notifier.hpp"

namespace pinwatch::notifiers {

std::string sanitize_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c == '\t') out += ' ';
        else if (c < 0x20 || c == 0x7f) out += "\\x" + std::string{"0123456789abcdef"[c >> 4]} + "0123456789abcdef"[c & 15];
        else out += static_cast<char>(c);
    }
    return out;
}

std::string describe(Event const& e) {
    using watcher::EventKind;
    std::string const pkg = sanitize_text(e.package);
    std::string const ver = sanitize_text(e.version.value_or("?"));
    std::string const pin = e.pinned ? " (you pin " + sanitize_text(*e.pinned) + ")" : "";
    std::string const detail = e.detail.empty() ? "" : ": " + sanitize_text(e.detail);
    switch (e.kind) {
    case EventKind::new_release: {
        std::string kind = e.update ? watcher::to_string(*e.update) : "new";
        std::string s = pkg + " " + ver + " released";
        if (e.update && *e.update != watcher::UpdateType::none) s += " — " + kind;
        if (e.update == watcher::UpdateType::older) s = pkg + " " + ver + " released — below your pin (a backport)";
        s += pin;
        if (e.allowed) {
            std::string const spec = e.specifier.empty() ? "any version" : "'" + sanitize_text(e.specifier) + "'";
            s += *e.allowed ? ", allowed by " + spec : ", outside " + spec;
        }
        return s + detail;
    }
    case EventKind::release_yanked: return pkg + " " + ver + " was yanked" + detail;
    case EventKind::release_unyanked: return pkg + " " + ver + " is no longer yanked";
    case EventKind::pinned_yanked: return pkg + " " + ver + ", the version you pin, was yanked" + detail;
    case EventKind::release_removed: return pkg + " " + ver + " was removed from the index";
    case EventKind::package_gone: return pkg + " is gone from the index" + detail;
    case EventKind::source_failing: return pkg + ": polls keep failing" + detail;
    case EventKind::source_recovered: return pkg + ": polls work again" + detail;
    }
    return pkg + ": " + watcher::to_string(e.kind);
}

} // namespace pinwatch::notifiers
