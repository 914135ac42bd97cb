// The message model: the one place that words an event. message_for() turns one Event into a
// Message (headline, severity, a one-line sentence, the facts as label/value rows, and the
// same told briefly for a chat, with emphasis and links); channels render Messages and own no
// wording. It holds the only switch over event kinds in the tree. Pure: no I/O, no channel's
// escaping (every text is sanitised, not escaped: each channel escapes for its own syntax).
//
// A Message is per event; a delivery renders a list of them. The words for a list (a chat's
// header, a mail's subject and opening line) are here too, so a batch header that says what
// the batch is about ("requests 2.32.0 (minor) and 5 more") is written in this one file.
#pragma once

#include "model/model.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::notifiers {

// How much a message asks of its reader. Chats show it as a sign before the title.
enum class Severity {
    info,     // a change worth knowing: a release, a yank of a release you do not pin
    resolved, // an alert told before no longer applies (an advisory withdrawn)
    warning,  // the version you pin is affected (yanked)
    critical, // act now: the pinned version is vulnerable, a spike of new issues
};
char const* to_string(Severity) noexcept; // "info", "resolved", "warning", "critical"

// What a piece of text is, so a channel can give it its own budget (a chat section has a size
// limit) and treat text from outside differently from pinwatch's own words.
enum class Role {
    ours,    // pinwatch's own words: never cut, never from outside
    name,    // a package or notifier name
    version, // one version
    phrase,  // a short untrusted phrase: a specifier, an advisory title, a list of versions
    prose,   // free untrusted text: a yank reason, a summary, an error message, a release name
    url,     // a URL shown as text (credentials, query and fragment removed)
    id,      // an event id
};

// A run of text in a chat line. `text` is sanitised (no control characters). A span with a
// `url` is (part of) a link: consecutive spans with the same url form one link, and the url is
// a web URL (http/https) without credentials whose text shows where it goes.
struct Span {
    std::string text;
    Role role = Role::ours;
    bool strong = false;
    std::string url;
    bool operator==(Span const&) const = default;
};

// One line of a chat message. `warning`: the line is a warning of its own (a chat shows a
// warning sign before it), apart from the message's severity.
struct Line {
    std::vector<Span> spans;
    bool warning = false;
    bool operator==(Line const&) const = default;
};
std::string plain(Line const& line); // the line's text without emphasis or links

// One row of the full record: "Update" -> "minor". Sanitised.
struct Fact {
    std::string label;
    std::string value;
    bool operator==(Fact const&) const = default;
};

// A link the message carries (each also appears as link spans in `brief`).
struct Link {
    std::string label; // what a chat shows; names the link's real host when it is not ours
    std::string url;   // a web URL, credentials removed
    bool operator==(Link const&) const = default;
};

struct Message {
    // Which event (for the trail line, headers and receivers that dedupe).
    std::string id;
    model::EventKind kind = model::EventKind::new_release;
    model::UnixTime at = 0;

    Severity severity = Severity::info;
    // A few words: "requests 2.32.0 (minor)". A mail's subject, a batch header.
    std::string headline;
    // All of it in one line: "requests 2.32.0 released — minor (you pin 2.31.0), outside
    // '==2.31.0'". The console, `status`, plain-text parts and chat fallbacks.
    std::string sentence;
    // The full record as rows (a mail's table): package, versions, advisory, reason, where it
    // was seen, when, the event id.
    std::vector<Fact> facts;
    // The same told briefly for a chat: brief[0] is the title, then a few lines; the last ones
    // say where to read more.
    std::vector<Line> brief;
    // The same in one line, for a chat whose batch is too long to tell each event in full:
    // "*requests* 2.31.0 vulnerable (critical): <GHSA-9wx4-h78v-vm56, CVE-2024-35195
    // (osv.dev)>; fixed in 2.32.0, outside '==2.31.0'". What an on-call engineer acts on stays
    // (the pin, the advisory and its link, the fix, a yank reason, the projects, where to read
    // more); what the link tells (an advisory's summary) goes.
    Line compact;
    // Every link in `brief`, in order.
    std::vector<Link> links;
    // Where it was seen, when `brief` names it as "Index: ..." (brief[*index_line]): a batch
    // whose events all share it says it once.
    std::optional<std::size_t> index_line;
    // Where `compact`'s last part, " · index <url>", starts (compact.spans[*compact_index] on):
    // a batch whose events all share the index drops it there too.
    std::optional<std::size_t> compact_index;
};

Message message_for(model::Event const& e);
// "pinned by api (2.31.0), worker (2.32.0)": the projects an event concerns, each with its pin
// (or its specifier, or "any version"); "" when it concerns only the project "default" (a
// config without [projects.*] reads as it always did). Sanitised.
std::string pinned_by(model::Event const& e);
std::vector<Message> messages_for(std::span<model::Event const> events);

// Words for a list of messages (one delivery).
// What a batch is about, not how many: the one headline; "2 vulnerable pins: requests 2.31.0,
// urllib3 1.26.5" (and "yanked pins") when the most pressing kind comes more than once;
// otherwise the most pressing message's headline and "and 5 more". Cut to `max_chars`
// characters.
std::string batch_header(std::span<Message const> messages, std::size_t max_chars = 150);
// A chat's header: "pinwatch: " + the header, plus " (part 2 of 3)" when it was split.
std::string batch_title(std::span<Message const> messages, std::size_t part = 1,
                        std::size_t parts = 1);
// A delivery's messages told as one: each message's lines without what all of them share (the
// index they were seen on, their event ids), what they share said once, and the event ids in
// one line. One message stays as it is (its trail names its event).
struct Batch {
    std::vector<Message> messages;  // brief and compact without the shared lines; facts without
                                    // the ids
    std::vector<Line> shared;       // "Index: https://pypi.internal.example/simple/"
    std::vector<Fact> shared_facts; // "Seen at" when the same for all
    Line ids;                       // "pinwatch events evt_1, evt_2 · 2023-11-14 22:13:20Z"
};
Batch batch_of(std::vector<Message> messages);
// "pinwatch noticed 1 change." / "pinwatch noticed 3 changes."
std::string batch_intro(std::size_t count);
// A mail's subject: "pinwatch: requests 2.32.0 (minor) and 2 more" (the batch header).
std::string batch_subject(std::span<Message const> messages, std::size_t max_chars = 150);
// "pinwatch event evt_1 · new_release · 2023-11-14 22:13:20Z": the small print under a
// message in a chat.
Line trail(Message const& m);

// Where a URL really goes: its host (and port) in lower case, userinfo dropped; the authority
// ends at '/', '\\', '?' or '#', as browsers read it. "https://osv.dev@evil.example/" ->
// "evil.example". "" when there is no "scheme://".
std::string url_host(std::string_view url);
// A link as it will be followed, written so that anyone reads the same host: userinfo dropped,
// backslashes (which browsers read as '/') written as '/', query and fragment kept.
// "https://osv.dev@evil.example/a?x" -> "https://evil.example/a?x";
// "https://evil.example\\@osv.dev/" -> "https://evil.example/@osv.dev/".
std::string link_target(std::string_view url);
// An http:// or https:// URL (any case).
bool is_web_url(std::string_view url);

} // namespace pinwatch::notifiers
