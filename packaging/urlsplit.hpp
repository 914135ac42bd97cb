// The subset of Python 3.11's urllib.parse (Debian 12's 3.11.2, with its bracketed-host
// security checks) that packaging and pip rely on to judge URLs: urlsplit, urlparse and their
// inverses, and url2pathname-style file: URL handling. Internal to packaging/; no I/O.
#pragma once

#include "common/result.hpp"

#include <string>
#include <string_view>

namespace pinwatch::packaging::url {

struct SplitResult {
    std::string scheme; // lowercased
    std::string netloc;
    std::string path;
    std::string query;
    std::string fragment;
};

struct ParseResult {
    std::string scheme;
    std::string netloc;
    std::string path;
    std::string params; // only split off for the schemes in urllib's uses_params
    std::string query;
    std::string fragment;
};

// urlsplit(url): errors are the ValueErrors Python raises ("Invalid IPv6 URL", a bracketed
// host that is not an IPv6 address or IPvFuture, a netloc that changes under NFKC into one
// containing / ? # @ :).
Result<SplitResult> urlsplit(std::string_view url);
Result<ParseResult> urlparse(std::string_view url);
std::string urlunsplit(SplitResult const& parts);
std::string urlunparse(ParseResult const& parts);

// ipaddress.ip_address(text) succeeds; `v6` is set to whether it was an IPv6 address.
bool is_ip_address(std::string_view text, bool& v6);

// Percent-decoding as urllib.parse.unquote does it (invalid escapes left as they are).
std::string unquote(std::string_view text);

} // namespace pinwatch::packaging::url
