#include "notifiers/slack/slack.hpp"

#include "common/time.hpp"
#include "config/reader.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "notifiers/message.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>

namespace pinwatch::notifiers {

namespace {

// Output budgets (characters after escaping) for each kind of untrusted text, so that one
// event's section stays far below Slack's 3,000 characters whatever an index sends.
constexpr std::pair<Role, std::size_t> kBudgets[] = {
    {Role::name, 100},  {Role::version, 64}, {Role::phrase, 200},
    {Role::prose, 600}, {Role::url, 200},    {Role::id, 100},
};
constexpr std::size_t kUrlChars = 400; // of a link's target
constexpr std::size_t kFallbackLineChars = 300;
constexpr std::size_t kFallbackChars = 3000;

std::size_t budget(Role role) {
    for (auto const& [r, chars] : kBudgets)
        if (r == role) return chars;
    return 0; // pinwatch's own words: never cut
}

// Untrusted text as it may appear in a Slack message: sanitised (no control characters, no
// bidi overrides), defused (no formatting of its own), escaped (& < > as entities, so
// "<!channel>" pings no one), and cut to `max_chars` characters of output without splitting an
// entity or a UTF-8 sequence.
std::string inert(std::string_view untrusted, std::size_t max_chars) {
    std::string const clean = SlackNotifier::defuse(sanitize_text(untrusted));
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < clean.size();) {
        auto const ch = decode_utf8(clean, i);
        std::string piece = SlackNotifier::escape(std::string_view(clean).substr(i, ch.length));
        std::size_t const width = display_width(piece);
        if (chars + width > max_chars) {
            out += "…";
            break;
        }
        out += piece;
        chars += width;
        i += ch.length;
    }
    return out;
}

// Text for a plain_text object (a header): Slack's control characters escaped, and cut to
// `max_chars` characters of output, an entity counted whole and never split, "…" marking a cut.
std::string escape_cut(std::string_view text, std::size_t max_chars) {
    std::string const whole = SlackNotifier::escape(text);
    if (display_width(whole) <= max_chars) return whole;
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size();) {
        auto const ch = decode_utf8(text, i);
        std::string piece = SlackNotifier::escape(text.substr(i, ch.length));
        std::size_t const width = display_width(piece);
        if (chars + width + 1 > max_chars) break;
        out += piece;
        chars += width;
        i += ch.length;
    }
    return out + "…";
}

// A URL inside Slack's <url|label>: characters that would end the link, start another one or
// break the URL are percent-encoded.
std::string link_url(std::string_view url) {
    std::string out;
    for (unsigned char c : url) {
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '|' || c == '&' || c == '"' ||
            c == '\\' || c == '`' || c == '^' || c == '{' || c == '}') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string span_text(Span const& s) {
    std::string const text =
        s.role == Role::ours ? SlackNotifier::escape(s.text) : inert(s.text, budget(s.role));
    return s.strong ? "*" + text + "*" : text;
}

// One line of mrkdwn: emphasis as *bold*, consecutive spans with the same url as one link.
std::string mrkdwn_line(Line const& line) {
    std::string out = line.warning ? ":warning: " : "";
    auto const& spans = line.spans;
    for (std::size_t i = 0; i < spans.size();) {
        if (spans[i].url.empty()) {
            out += span_text(spans[i++]);
            continue;
        }
        std::string const& url = spans[i].url;
        std::string label;
        for (; i < spans.size() && spans[i].url == url; ++i)
            label += span_text(spans[i]);
        out += "<" + link_url(std::string_view(url).substr(0, kUrlChars)) + "|" + label + ">";
    }
    return out;
}

// The sign before a message's title.
std::string_view sign(Severity s) {
    constexpr std::pair<Severity, std::string_view> kSigns[] = {
        {Severity::info, ""},
        {Severity::resolved, ":white_check_mark: "},
        {Severity::warning, ":warning: "},
        {Severity::critical, ":rotating_light: "},
    };
    for (auto const& [severity, text] : kSigns)
        if (severity == s) return text;
    return "";
}

std::string section_text(Message const& m) {
    std::string s;
    for (std::size_t i = 0; i < m.brief.size(); ++i)
        s += (i == 0 ? std::string(sign(m.severity)) : "\n") + mrkdwn_line(m.brief[i]);
    return s;
}

// An event in compact form: its sign and its one line.
std::string compact_text(Message const& m) {
    return std::string(sign(m.severity)) + mrkdwn_line(m.compact);
}

// What a message's blocks hold with each event in full, as split() counts it: a section per
// event and its share of the ids line.
std::size_t full_size(Message const& m) {
    return section_text(m).size() + mrkdwn_line(trail(m)).size();
}

// Whether these events fit one message with each event in full (split() makes one part).
bool fits_full(std::span<Message const> messages) {
    if (messages.size() <= 1) return true;
    if (messages.size() > SlackNotifier::kMaxEventsPerMessage) return false;
    std::size_t chars = 0;
    for (auto const& m : messages)
        chars += full_size(m);
    return chars <= SlackNotifier::kMaxBlockChars;
}

// The batch's compact lines gathered into sections of at most kMaxSectionChars each, or
// nothing when they do not fit one message: more than kMaxCompactEvents, more than
// kMaxBlockChars with the shared lines and the ids, the ids beyond one text object, or more
// blocks than kMaxBlocks.
std::optional<std::vector<std::string>> compact_sections(Batch const& batch) {
    if (batch.messages.size() > SlackNotifier::kMaxCompactEvents) return std::nullopt;
    std::size_t const ids = mrkdwn_line(batch.ids).size();
    if (ids > SlackNotifier::kMaxSectionChars) return std::nullopt;
    std::size_t chars = ids;
    for (auto const& l : batch.shared)
        chars += mrkdwn_line(l).size() + 1;
    std::vector<std::string> sections;
    for (auto const& m : batch.messages) {
        std::string const text = compact_text(m);
        chars += text.size() + 1;
        if (text.size() > SlackNotifier::kMaxSectionChars || chars > SlackNotifier::kMaxBlockChars)
            return std::nullopt;
        if (sections.empty() ||
            sections.back().size() + 1 + text.size() > SlackNotifier::kMaxSectionChars)
            sections.push_back(text);
        else
            sections.back() += "\n" + text;
    }
    // A header, the sections, the shared lines' section and the ids' context.
    if (sections.size() + 3 > SlackNotifier::kMaxBlocks) return std::nullopt;
    return sections;
}

// The plain-text fallback Slack shows in notifications (and parses like mrkdwn: defused and
// escaped too): each event's sentence, or its compact line when the blocks are compact.
std::string fallback(std::span<Message const> messages, bool compact) {
    std::string out;
    if (messages.size() > 1) out = SlackNotifier::escape(batch_title(messages));
    for (auto const& m : messages) {
        if (!out.empty()) out += "\n";
        out += SlackNotifier::escape(SlackNotifier::defuse(
            truncate_text(compact ? plain(m.compact) : m.sentence, kFallbackLineChars)));
        if (out.size() > kFallbackChars) break;
    }
    if (out.size() > kFallbackChars) {
        // Cut at a line, so no entity is split.
        auto const cut = out.rfind('\n', kFallbackChars);
        out.resize(cut == std::string::npos ? 0 : cut);
        out += "\n…";
    }
    return out;
}

void mrkdwn(JsonWriter& w, std::string const& text) {
    // verbatim: no automatic links or mentions from plain words; our own <url|label> remain.
    w.begin_object().field("type", "mrkdwn").field("text", text).field("verbatim", true);
    w.end_object();
}

} // namespace

std::string SlackNotifier::escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string SlackNotifier::defuse(std::string_view text) {
    // Slack has no escape for its formatting characters, so each one that could format is
    // replaced by a look-alike that does not: a reader sees the same text, Slack formats none
    // of it. '_' only opens italics at the start of a word, so "typing_extensions" and
    // "evt_1" keep theirs; ':' only when it opens an emoji code (":rotating_light:").
    auto const alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    auto const emoji_char = [&](char c) {
        return alnum(c) || c == '_' || c == '+' || c == '-' || c == '\'';
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        bool const after_word = i > 0 && alnum(text[i - 1]);
        if (c == '*') {
            out += "\u2217"; // ∗ ASTERISK OPERATOR
        } else if (c == '~') {
            out += "\u223c"; // ∼ TILDE OPERATOR
        } else if (c == '`') {
            out += "\u02cb"; // ˋ MODIFIER LETTER GRAVE ACCENT
        } else if (c == '_' && !after_word) {
            out += "\u02cd"; // ˍ MODIFIER LETTER LOW MACRON
        } else if (c == ':') {
            std::size_t end = i + 1;
            bool letter = false;
            for (; end < text.size() && emoji_char(text[end]); ++end)
                letter = letter || ((text[end] | 0x20) >= 'a' && (text[end] | 0x20) <= 'z');
            bool const emoji = end > i + 1 && end < text.size() && text[end] == ':' && letter;
            out += emoji ? "\u2236" : ":"; // ∶ RATIO
        } else {
            out += c;
        }
    }
    return out;
}

std::string SlackNotifier::render(std::span<Event const> events, std::size_t part,
                                  std::size_t parts) {
    auto const messages = messages_for(events);
    // Each event's lines say what differs; what all share (the index) and the event ids come
    // once, at the end.
    auto const batch = batch_of(messages);
    // In full when they fit so, else a line per event when they fit so.
    auto const compact = fits_full(messages) ? std::nullopt : compact_sections(batch);
    JsonWriter w;
    w.begin_object();
    w.field("text", fallback(messages, compact.has_value()));
    w.field("unfurl_links", false).field("unfurl_media", false);
    w.key("blocks").begin_array();
    w.begin_object().field("type", "header").key("text").begin_object();
    // The header names packages and versions: Slack's control characters escaped there too,
    // within Slack's 150 characters once escaped.
    w.field("type", "plain_text")
        .field("text", escape_cut(batch_title(messages, part, parts), 150));
    w.end_object().end_object();
    auto const sections = compact ? *compact : [&] {
        std::vector<std::string> full;
        for (auto const& m : batch.messages)
            full.push_back(section_text(m));
        return full;
    }();
    for (auto const& text : sections) {
        w.begin_object().field("type", "section").key("text");
        mrkdwn(w, text);
        w.end_object();
    }
    if (!batch.shared.empty()) {
        std::string shared;
        for (auto const& l : batch.shared)
            shared += (shared.empty() ? "" : "\n") + mrkdwn_line(l);
        w.begin_object().field("type", "section").key("text");
        mrkdwn(w, shared);
        w.end_object();
    }
    w.begin_object().field("type", "context").key("elements").begin_array();
    mrkdwn(w, mrkdwn_line(batch.ids));
    w.end_array().end_object();
    w.end_array();
    w.end_object();
    return w.take();
}

std::vector<std::span<Event const>> SlackNotifier::split(std::span<Event const> events) {
    auto const messages = messages_for(events);
    // A batch too long for one message in full is cut into the fewest consecutive parts that
    // each fit one compact message (render() then tells each compact, or in full where that
    // part fits so): the longest prefix from each start whose compact form fits. One part when
    // the whole batch fits compact.
    if (!fits_full(messages)) {
        std::vector<std::span<Event const>> out;
        std::size_t start = 0;
        while (start < events.size()) {
            std::size_t take = std::min(kMaxCompactEvents, events.size() - start);
            auto const from = messages.begin() + static_cast<std::ptrdiff_t>(start);
            while (take > 0 && !compact_sections(batch_of(std::vector<Message>(
                                   from, from + static_cast<std::ptrdiff_t>(take)))))
                --take;
            if (take == 0) break; // an event too long even compact on its own
            out.push_back(events.subspan(start, take));
            start += take;
        }
        if (start == events.size()) return out;
    }
    // Parts that each fit in full: a batch that fits so (one part), or one with an event that
    // does not fit a compact message on its own (nothing lost, each in full).
    std::vector<std::span<Event const>> out;
    std::size_t start = 0, chars = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        // Its section and its share of the ids line (as long as its own trail, at most).
        std::size_t const size = full_size(messages[i]);
        if (i > start && (i - start == kMaxEventsPerMessage || chars + size > kMaxBlockChars)) {
            out.push_back(events.subspan(start, i - start));
            start = i;
            chars = 0;
        }
        chars += size;
    }
    if (start < events.size()) out.push_back(events.subspan(start));
    return out;
}

std::vector<std::string> SlackNotifier::render_messages(std::span<Event const> events) {
    auto const parts = split(events);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < parts.size(); ++i)
        out.push_back(render(parts[i], i + 1, parts.size()));
    return out;
}

SlackNotifier::SlackNotifier(std::string name, Secret webhook_url, net::Client& http,
                             SlackOptions options)
    : name_(std::move(name)), label_("slack " + sanitize_text(name_)), url_(std::move(webhook_url)),
      http_(http), options_(options) {}

boost::asio::awaitable<Delivery> SlackNotifier::deliver(std::span<Event const> events) {
    if (events.empty()) co_return Delivery{};
    // Each part's events come to that part's answer: a part Slack refuses (invalid_payload) is
    // given up alone and the next part goes; a retry, a refused token or a gone webhook stops
    // the batch, and the parts not sent stay pending.
    auto const parts = split(events);
    Delivery d;
    d.outcomes.assign(events.size(), Delivery::Status::retry);
    std::vector<std::string> keys;
    bool posted = false, refused = false, all_sent = true;
    std::size_t first = 0; // index in `events` of the part's first event
    for (std::size_t i = 0; i < parts.size(); first += parts[i].size(), ++i) {
        auto const set = [&](Delivery::Status s) {
            std::fill_n(d.outcomes.begin() + static_cast<std::ptrdiff_t>(first), parts[i].size(),
                        s);
        };
        std::string key;
        for (auto const& e : parts[i])
            key += e.id + "\n";
        keys.push_back(key);
        if (sent_.contains(key)) { // arrived in an earlier call whose answer was not recorded
            set(Delivery::Status::delivered);
            continue;
        }
        if (posted && options_.pace.count() > 0) {
            boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor,
                                            options_.pace);
            auto [ec] =
                co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) {
                d.status = Delivery::Status::retry;
                d.error = label_ + ": cancelled between parts";
                all_sent = false;
                break;
            }
        }
        auto result = co_await post(render(parts[i], i + 1, parts.size()));
        posted = true;
        if (result.status == Delivery::Status::delivered) {
            sent_.remember(key);
            set(Delivery::Status::delivered);
            continue;
        }
        if (parts.size() > 1)
            result.error +=
                " (part " + std::to_string(i + 1) + " of " + std::to_string(parts.size()) + ")";
        result.outcomes = std::move(d.outcomes);
        d = std::move(result);
        if (d.status == Delivery::Status::failed && !d.disable) {
            set(Delivery::Status::failed); // this part is refused; the next may go
            refused = true;
            continue;
        }
        all_sent = false;
        break;
    }
    if (all_sent) {
        for (auto const& key : keys) // every answer is in: the dispatcher records each part
            sent_.forget(key);
        d.status = refused ? Delivery::Status::failed : Delivery::Status::delivered;
        if (!refused) d.outcomes.clear();
    }
    co_return d;
}

boost::asio::awaitable<Delivery> SlackNotifier::post(std::string body) {
    net::Request request;
    request.method = "POST";
    request.url = url_.reveal();
    request.header("Content-Type", "application/json; charset=utf-8");
    request.body = std::move(body);
    request.follow_redirects = false; // Slack never redirects a webhook; a POST must stay one
    auto response = co_await http_.fetch(std::move(request));

    Delivery d;
    if (!response) {
        // Network trouble, a timeout, a shutdown: try again later. The client's message names
        // the URL's host and path; the path is the token, so it goes.
        d.status = Delivery::Status::retry;
        d.error = label_ + ": " + std::string(net::to_string(response.error().kind)) + ": " +
                  sanitize_text(scrub(response.error().message, url_.reveal()));
        co_return d;
    }
    int const status = response->status;
    if (net::classify_status(status) == net::StatusClass::success) co_return d;

    std::string const said = body_excerpt(response->body, url_.reveal());
    d.error = label_ + ": HTTP " + std::to_string(status) + (said.empty() ? "" : ": " + said);
    // Slack's answers that mean the webhook is gone for good: stop using it.
    auto const code = trim_blanks(response->body);
    bool const dead =
        status == 404 || status == 410 || code == "no_service" || code == "channel_is_archived";
    if (code == "invalid_token" || code == "token_revoked") {
        // The webhook's token is refused: pause the channel until its URL is fixed; the events
        // were not refused and stay pending.
        d.status = Delivery::Status::retry;
        d.auth_failed = true;
    } else if (net::classify_status(status) == net::StatusClass::rate_limited ||
               (net::classify_status(status) == net::StatusClass::server_error && !dead)) {
        d.status = Delivery::Status::retry;
        d.retry_after = retry_after(*response);
    } else {
        d.status = Delivery::Status::failed; // 3xx, other 4xx: the same payload would fail again
        d.disable = dead;
    }
    co_return d;
}

std::string SlackConfig::without_secrets(std::string text, std::filesystem::path const&) const {
    return webhook_url.empty() ? text : scrub(text, webhook_url.reveal());
}

config::ChannelReader slack_channel() {
    std::vector<std::string> const keys{"webhook_url"};
    config::ChannelReader c{"slack", keys,
                            [keys](config::Reader& r, config::ChannelTable const& t)
                                -> std::shared_ptr<config::ChannelSettings const> {
                                config::reject_foreign_keys(r, t, keys, false);
                                require_key(r, t, "webhook_url", "the incoming webhook's URL");
                                auto s = std::make_shared<SlackConfig>();
                                read_endpoint(r, t, "webhook_url", s->webhook_url);
                                return s;
                            }};
    c.batch_window = std::chrono::seconds(60); // one message for what comes within a minute
    return c;
}

} // namespace pinwatch::notifiers
