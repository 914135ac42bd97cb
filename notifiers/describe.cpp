#include "notifiers/notifier.hpp"

namespace pinwatch::notifiers {

namespace {

void append_hex(std::string& out, char const* prefix, unsigned long v, int digits) {
    static char const* const kHex = "0123456789abcdef";
    out += prefix;
    for (int i = digits - 1; i >= 0; --i) out += kHex[(v >> (4 * i)) & 15];
}

// Code points a terminal or a chat client acts on instead of showing: C0 and C1 controls
// (ESC, CSI U+009B), DEL, and the bidirectional overrides that make text read backwards.
bool is_active(unsigned long cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

} // namespace

std::string sanitize_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c == '\t') {
            out += ' ';
            ++i;
            continue;
        }
        // Decode one UTF-8 sequence; anything malformed is shown byte by byte as \xNN.
        int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        unsigned long cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
        bool ok = len > 0 && i + static_cast<std::size_t>(len) <= s.size();
        for (int k = 1; ok && k < len; ++k) {
            auto const cc = static_cast<unsigned char>(s[i + k]);
            ok = (cc & 0xc0) == 0x80;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (ok && len > 1) {
            static constexpr unsigned long kMin[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= kMin[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        }
        if (!ok) {
            append_hex(out, "\\x", c, 2);
            ++i;
            continue;
        }
        if (is_active(cp)) {
            if (cp < 0x100) append_hex(out, "\\x", cp, 2);
            else append_hex(out, "\\u", cp, 4);
        } else {
            out.append(s.substr(i, static_cast<std::size_t>(len)));
        }
        i += static_cast<std::size_t>(len);
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
