#include "packaging/urlsplit.hpp"

#include "packaging/pytext.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

namespace pinwatch::packaging::url {

namespace {

constexpr std::array<std::string_view, 25> kUsesNetloc = {
    "",        "ftp",   "http",  "gopher", "nntp",     "telnet", "imap",  "wais",  "file",
    "mms",     "https", "shttp", "snews",  "prospero", "rtsp",   "rtspu", "rsync", "svn",
    "svn+ssh", "sftp",  "nfs",   "git",    "git+ssh",  "ws",     "wss"};

constexpr std::array<std::string_view, 15> kUsesParams = {
    "",     "ftp",   "hdl", "prospero", "http", "imap", "https", "shttp",
    "rtsp", "rtspu", "sip", "sips",     "mms",  "sftp", "tel"};

template <std::size_t N>
bool contains(std::array<std::string_view, N> const& a, std::string_view s) {
    return std::find(a.begin(), a.end(), s) != a.end();
}

bool is_scheme_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
}

bool is_ascii_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t i = s.find(sep, start);
        if (i == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, i - start));
        start = i + 1;
    }
}

// ipaddress.IPv4Address._ip_int_from_string
bool parse_ipv4(std::string_view s, std::uint32_t* out) {
    if (s.empty() || s.find('/') != std::string_view::npos) return false;
    auto octets = split(s, '.');
    if (octets.size() != 4) return false;
    std::uint32_t value = 0;
    for (std::string_view o : octets) {
        if (o.empty() || o.size() > 3) return false;
        for (char c : o)
            if (c < '0' || c > '9') return false;
        if (o != "0" && o[0] == '0') return false; // leading zeros are ambiguous (octal)
        int n = 0;
        for (char c : o)
            n = n * 10 + (c - '0');
        if (n > 255) return false;
        value = (value << 8) | static_cast<std::uint32_t>(n);
    }
    if (out) *out = value;
    return true;
}

bool parse_hextet(std::string_view h) {
    if (h.empty() || h.size() > 4) return false; // int('', 16) fails too
    return std::all_of(h.begin(), h.end(), is_hex);
}

// ipaddress.IPv6Address(text), scope id included.
bool parse_ipv6(std::string_view s) {
    if (s.find('/') != std::string_view::npos) return false;
    std::size_t pct = s.find('%');
    if (pct != std::string_view::npos) {
        std::string_view scope = s.substr(pct + 1);
        if (scope.empty() || scope.find('%') != std::string_view::npos) return false;
        s = s.substr(0, pct);
    }
    if (s.empty()) return false;
    std::vector<std::string> parts;
    for (std::string_view p : split(s, ':'))
        parts.emplace_back(p);
    if (parts.size() < 3) return false;
    if (parts.back().find('.') != std::string::npos) {
        std::uint32_t v4 = 0;
        if (!parse_ipv4(parts.back(), &v4)) return false;
        parts.pop_back();
        char buf[8];
        std::snprintf(buf, sizeof buf, "%x", (v4 >> 16) & 0xFFFF);
        parts.emplace_back(buf);
        std::snprintf(buf, sizeof buf, "%x", v4 & 0xFFFF);
        parts.emplace_back(buf);
    }
    constexpr std::size_t kHextets = 8;
    if (parts.size() > kHextets + 1) return false;
    std::optional<std::size_t> skip;
    for (std::size_t i = 1; i + 1 < parts.size(); ++i) {
        if (parts[i].empty()) {
            if (skip) return false; // more than one "::"
            skip = i;
        }
    }
    std::size_t hi;
    std::size_t lo;
    if (skip) {
        hi = *skip;
        lo = parts.size() - *skip - 1;
        if (parts.front().empty() && --hi) return false;
        if (parts.back().empty() && --lo) return false;
        if (kHextets < hi + lo + 1) return false;
    } else {
        if (parts.size() != kHextets || parts.front().empty() || parts.back().empty()) return false;
        hi = parts.size();
        lo = 0;
    }
    for (std::size_t i = 0; i < hi; ++i)
        if (!parse_hextet(parts[i])) return false;
    for (std::size_t i = parts.size() - lo; i < parts.size(); ++i)
        if (!parse_hextet(parts[i])) return false;
    return true;
}

// _check_bracketed_host
Result<void> check_bracketed_host(std::string_view host) {
    if (!host.empty() && host[0] == 'v') {
        // \Av[a-fA-F0-9]+\..+\Z
        std::size_t i = 1;
        while (i < host.size() && is_hex(host[i]))
            ++i;
        if (i == 1 || i >= host.size() || host[i] != '.' || i + 1 >= host.size())
            return fail("invalid IPvFuture address '" + std::string(host) + "'");
        return {};
    }
    bool v6 = false;
    if (!is_ip_address(host, v6))
        return fail("'" + std::string(host) + "' does not appear to be an IPv4 or IPv6 address");
    if (!v6) return fail("an IPv4 address cannot be in brackets");
    return {};
}

// _check_bracketed_netloc
Result<void> check_bracketed_netloc(std::string_view netloc) {
    std::size_t at = netloc.rfind('@');
    std::string_view host_port = at == std::string_view::npos ? netloc : netloc.substr(at + 1);
    std::size_t open = host_port.find('[');
    std::string_view host;
    if (open != std::string_view::npos) {
        if (open > 0) return fail("Invalid IPv6 URL");
        std::string_view bracketed = host_port.substr(open + 1);
        std::size_t close = bracketed.find(']');
        host = bracketed.substr(0, close);
        std::string_view port =
            close == std::string_view::npos ? std::string_view{} : bracketed.substr(close + 1);
        if (!port.empty() && port[0] != ':') return fail("Invalid IPv6 URL");
    } else {
        host = host_port.substr(0, host_port.find(':'));
    }
    return check_bracketed_host(host);
}

// _checknetloc: the code points whose NFKC form contains one of / ? # @ : (Unicode 14.0, as
// in Python 3.11's unicodedata; computed once with unicodedata.normalize over all of Unicode).
constexpr std::array<char32_t, 19> kNfkcSeparators = {
    0x2047, 0x2048, 0x2049, 0x2100, 0x2101, 0x2105, 0x2106, 0x2A74, 0xFE13, 0xFE16,
    0xFE55, 0xFE56, 0xFE5F, 0xFE6B, 0xFF03, 0xFF0F, 0xFF1A, 0xFF1F, 0xFF20};

Result<void> check_netloc(std::string_view netloc) {
    for (std::size_t i = 0; i < netloc.size();) {
        py::CodePoint c = py::decode_at(netloc, i);
        if (std::find(kNfkcSeparators.begin(), kNfkcSeparators.end(), c.cp) !=
            kNfkcSeparators.end())
            return fail("netloc '" + std::string(netloc) +
                        "' contains invalid characters under NFKC normalization");
        i += c.len;
    }
    return {};
}

} // namespace

bool is_ip_address(std::string_view text, bool& v6) {
    if (parse_ipv4(text, nullptr)) {
        v6 = false;
        return true;
    }
    if (parse_ipv6(text)) {
        v6 = true;
        return true;
    }
    return false;
}

Result<SplitResult> urlsplit(std::string_view input) {
    // lstrip the WHATWG C0-control-or-space set, then drop every tab, CR and LF.
    std::size_t lead = 0;
    while (lead < input.size() && static_cast<unsigned char>(input[lead]) <= 0x20)
        ++lead;
    std::string url;
    for (char c : input.substr(lead))
        if (c != '\t' && c != '\r' && c != '\n') url += c;

    SplitResult r;
    std::size_t colon = url.find(':');
    if (colon != std::string::npos && colon > 0 && is_ascii_alpha(url[0]) &&
        std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(colon),
                    is_scheme_char)) {
        r.scheme = url.substr(0, colon);
        for (char& c : r.scheme)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        url = url.substr(colon + 1);
    }
    if (url.compare(0, 2, "//") == 0) {
        std::size_t delim = url.find_first_of("/?#", 2);
        if (delim == std::string::npos) delim = url.size();
        r.netloc = url.substr(2, delim - 2);
        url = url.substr(delim);
        bool open = r.netloc.find('[') != std::string::npos;
        bool close = r.netloc.find(']') != std::string::npos;
        if (open != close) return fail("Invalid IPv6 URL");
        if (open && close) {
            if (auto ok = check_bracketed_netloc(r.netloc); !ok) return fail(ok.error());
        }
    }
    if (std::size_t hash = url.find('#'); hash != std::string::npos) {
        r.fragment = url.substr(hash + 1);
        url.resize(hash);
    }
    if (std::size_t q = url.find('?'); q != std::string::npos) {
        r.query = url.substr(q + 1);
        url.resize(q);
    }
    if (auto ok = check_netloc(r.netloc); !ok) return fail(ok.error());
    r.path = std::move(url);
    return r;
}

Result<ParseResult> urlparse(std::string_view input) {
    Result<SplitResult> s = urlsplit(input);
    if (!s) return fail(s.error());
    ParseResult r{s->scheme, s->netloc, s->path, "", s->query, s->fragment};
    if (contains(kUsesParams, r.scheme) && r.path.find(';') != std::string::npos) {
        // _splitparams: the ';' after the last '/', or the first ';' when there is no '/'.
        std::size_t i;
        if (std::size_t slash = r.path.rfind('/'); slash != std::string::npos) {
            i = r.path.find(';', slash);
        } else {
            i = r.path.find(';');
        }
        if (i != std::string::npos) {
            r.params = r.path.substr(i + 1);
            r.path.resize(i);
        }
    }
    return r;
}

std::string urlunsplit(SplitResult const& p) {
    std::string url = p.path;
    if (!p.netloc.empty() ||
        (!p.scheme.empty() && contains(kUsesNetloc, p.scheme) && url.compare(0, 2, "//") != 0)) {
        if (!url.empty() && url[0] != '/') url = '/' + url;
        url = "//" + p.netloc + url;
    }
    if (!p.scheme.empty()) url = p.scheme + ':' + url;
    if (!p.query.empty()) url += '?' + p.query;
    if (!p.fragment.empty()) url += '#' + p.fragment;
    return url;
}

std::string urlunparse(ParseResult const& p) {
    std::string path = p.path;
    if (!p.params.empty()) path += ';' + p.params;
    return urlunsplit({p.scheme, p.netloc, path, p.query, p.fragment});
}

std::string unquote(std::string_view text) {
    std::string bytes;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2])) {
            auto hv = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
            bytes += static_cast<char>(hv(text[i + 1]) * 16 + hv(text[i + 2]));
            i += 2;
        } else {
            bytes += text[i];
        }
    }
    // Python decodes the bytes as UTF-8 with errors="replace".
    std::string out;
    for (std::size_t i = 0; i < bytes.size();) {
        py::CodePoint c = py::decode_at(bytes, i);
        if (c.valid) {
            out.append(bytes, i, c.len);
        } else {
            py::append_utf8(out, 0xFFFD);
        }
        i += c.len;
    }
    return out;
}

} // namespace pinwatch::packaging::url
