#include "common/mailbox.hpp"

#include "common/text.hpp"

namespace pinwatch {
namespace {

// RFC 5322 atext: letters, digits and these.
bool is_atext(char c) {
    static constexpr std::string_view extra = "!#$%&'*+-/=?^_`{|}~";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s, bool (*allowed)(char)) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '.') {
            if (s[i + 1] == '.') return false;
        } else if (!allowed(s[i])) {
            return false;
        }
    }
    return true;
}

bool is_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool valid_domain(std::string_view d) {
    if (d.size() > 255) return false;
    if (d.size() > 2 && d.front() == '[' && d.back() == ']') {
        // An IPv4 address literal: four numbers 0-255.
        std::string_view ip = d.substr(1, d.size() - 2);
        int parts = 0;
        while (true) {
            auto const dot = ip.find('.');
            auto const part = ip.substr(0, dot);
            if (part.empty() || part.size() > 3) return false;
            int v = 0;
            for (char c : part) {
                if (c < '0' || c > '9') return false;
                v = v * 10 + (c - '0');
            }
            if (v > 255) return false;
            ++parts;
            if (dot == std::string_view::npos) break;
            ip.remove_prefix(dot + 1);
        }
        return parts == 4;
    }
    if (!is_dot_atom(d, is_label_char)) return false;
    // Labels neither start nor end with '-'.
    std::size_t start = 0;
    while (start <= d.size()) {
        auto end = d.find('.', start);
        if (end == std::string_view::npos) end = d.size();
        auto const label = d.substr(start, end - start);
        if (label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        start = end + 1;
    }
    return true;
}

} // namespace

std::string_view Mailbox::domain() const noexcept {
    auto const at = address.rfind('@');
    return at == std::string::npos ? std::string_view() : std::string_view(address).substr(at + 1);
}

Result<void, std::string> check_address(std::string_view address) {
    if (address.empty()) return fail("empty address");
    for (char c : address)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return fail("the address may hold only printable ASCII characters, no blanks");
    auto const at = address.rfind('@');
    if (at == std::string_view::npos) return fail("the address has no '@'");
    if (address.size() > 254) return fail("the address is longer than 254 characters");
    auto const local = address.substr(0, at);
    auto const domain = address.substr(at + 1);
    if (local.empty() || local.size() > 64 || !is_dot_atom(local, is_atext))
        return fail("invalid local part before '@' (quoted local parts are not supported)");
    if (!valid_domain(domain)) return fail("invalid domain after '@'");
    return {};
}

Result<Mailbox> parse_mailbox(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        auto const ch = decode_utf8(text, i);
        if (!ch.ok) return fail("not valid UTF-8");
        if (ch.code_point < 0x20 || ch.code_point == 0x7f ||
            (ch.code_point >= 0x80 && ch.code_point <= 0x9f))
            return fail("control characters (such as CR or LF) are not allowed");
        i += ch.length;
    }
    std::string_view t = trim_blanks(text);
    Mailbox out;
    if (t.empty()) return fail("empty address");
    if (t.back() == '>') {
        auto const open = t.rfind('<');
        if (open == std::string_view::npos) return fail("'>' without '<'");
        std::string_view name = trim_blanks(t.substr(0, open));
        std::string_view const addr = t.substr(open + 1, t.size() - open - 2);
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
            // A quoted display name: \" and \\ stand for themselves.
            std::string unquoted;
            for (std::size_t i = 1; i + 1 < name.size(); ++i) {
                if (name[i] == '\\' && i + 2 < name.size()) {
                    unquoted += name[++i];
                } else if (name[i] == '"' || name[i] == '\\') {
                    return fail("unescaped '\"' or '\\' in the quoted display name");
                } else {
                    unquoted += name[i];
                }
            }
            out.display_name = std::move(unquoted);
        } else {
            if (name.find_first_of("<>\"") != std::string_view::npos)
                return fail("the display name holds '<', '>' or '\"' (quote it)");
            out.display_name = std::string(name);
        }
        out.address = std::string(addr);
    } else {
        if (t.find_first_of("<>") != std::string_view::npos)
            return fail("'<' without '>' (expected \"Name <local@domain>\")");
        out.address = std::string(t);
    }
    if (auto ok = check_address(out.address); !ok) return fail(ok.error());
    return out;
}

} // namespace pinwatch
