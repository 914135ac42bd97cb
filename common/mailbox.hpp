// Email addresses as people write them in the config: "pinwatch <pinwatch@example.com>" or a
// bare "ops@example.com". Parsed once where they enter (config), then carried as Mailbox values
// into the message builder and the SMTP envelope. Standard library only; ASCII addresses only
// (no SMTPUTF8), display names may be UTF-8 but never hold control characters.
#pragma once

#include "common/result.hpp"

#include <string>
#include <string_view>

namespace pinwatch {

struct Mailbox {
    std::string display_name; // UTF-8, possibly empty; no CR, LF, NUL or other controls
    std::string address;      // local@domain: dot-atom local part, host name or [IPv4] domain

    std::string_view domain() const noexcept; // the part after '@'
    friend bool operator==(Mailbox const&, Mailbox const&) = default;
};

// "Name <local@domain>", "\"Quoted, Name\" <local@domain>", "<local@domain>" or
// "local@domain". Errors say what is wrong, without repeating the input.
Result<Mailbox> parse_mailbox(std::string_view text);

// Just the address part's rules (what MAIL FROM / RCPT TO may carry).
Result<void, std::string> check_address(std::string_view address);

} // namespace pinwatch
