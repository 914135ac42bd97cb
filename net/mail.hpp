// Email messages (RFC 5322 + MIME) built from plain values: pure, no I/O, tested alone. Header
// values are checked, never trusted: a CR, LF or NUL in any of them is an error, never passed on.
// Non-ASCII subjects and names become RFC 2047 encoded-words; bodies are quoted-printable UTF-8.
#pragma once

#include "common/mailbox.hpp"
#include "common/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinwatch::net {

using ::pinwatch::Mailbox;

struct Message {
    Mailbox from;
    std::vector<Mailbox> to; // at least one
    std::string subject;     // UTF-8
    std::string text;        // the text/plain part, UTF-8; lines end in \n or \r\n
    std::string html;        // the text/html part, UTF-8, already escaped; "" = text only
    // More header fields, ASCII only ("X-Pinwatch-Event-Ids"). The builder's own fields (From,
    // To, Date, Subject, MIME and Content-* fields...) and Bcc/Cc cannot be given here.
    std::vector<std::pair<std::string, std::string>> headers;
    // What makes each message unique; stamp() fills them when unset.
    std::optional<std::int64_t> date; // Unix seconds, UTC
    std::string message_id;           // "<left@right>"
};

// Sets the Date to now and the Message-ID to a random one at the sender's domain, when unset.
void stamp(Message& message);
// "<32 random hex digits@domain>".
std::string new_message_id(std::string_view domain);
// RFC 5322 §3.3 date-time in UTC: "Fri, 21 Aug 2026 16:57:37 +0000".
std::string format_date(std::int64_t unix_seconds);

// RFC 2045 §6.7 quoted-printable of UTF-8 text: CRLF line ends, lines of at most 76 characters
// (soft breaks "=" CRLF), '=' and non-ASCII bytes as =XX, trailing blanks encoded.
std::string quoted_printable(std::string_view text);
// The value of an unstructured header field (Subject) as it goes on the wire after "Name: ":
// plain ASCII folded at blanks, or RFC 2047 "=?UTF-8?B?...?=" words (each at most 75 characters,
// split between characters) when the text is not plain printable ASCII.
// Fails for CR, LF or NUL.
Result<std::string> encode_header_text(std::string_view name, std::string_view utf8);

// The whole message, CRLF line ends, ready for SMTP DATA (the SMTP client dot-stuffs it).
// Needs date and message_id set (see stamp). Errors name the offending field.
Result<std::string> build_message(Message const& message);

} // namespace pinwatch::net
