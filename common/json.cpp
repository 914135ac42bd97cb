#include "common/json.hpp"

#include "common/text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace pinwatch {

namespace {
// `s` as a JSON string literal, appended to `out` (no temporary per key and value).
void append_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // Printable ASCII other than '"' and '\\' (names, versions, keys: nearly everything)
        // goes as it is, a run at a time.
        std::size_t plain = i;
        while (plain < s.size() && s[plain] >= 0x20 && s[plain] < 0x7f && s[plain] != '"' &&
               s[plain] != '\\')
            ++plain;
        if (plain > i) {
            out.append(s.substr(i, plain - i));
            i = plain;
            continue;
        }
        auto const ch = decode_utf8(s, i);
        if (!ch.ok) {
            out += "\xEF\xBF\xBD";
            i += 1;
            continue;
        }
        char const c = s[i];
        switch (ch.code_point) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (ch.code_point < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(ch.code_point));
                out += buf;
            } else if (ch.length == 1) {
                out += c;
            } else {
                out.append(s.substr(i, ch.length));
            }
        }
        i += ch.length;
    }
    out += '"';
}
} // namespace

std::string json_quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_quoted(out, s);
    return out;
}

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ',';
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    out_ += '{';
    first_.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
}
JsonWriter& JsonWriter::begin_array() {
    before_value();
    out_ += '[';
    first_.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
    before_value();
    append_quoted(out_, k);
    out_ += ':';
    after_key_ = true;
    return *this;
}
JsonWriter& JsonWriter::string(std::string_view s) {
    before_value();
    append_quoted(out_, s);
    return *this;
}
JsonWriter& JsonWriter::string(std::optional<std::string> const& s) {
    return s ? string(std::string_view(*s)) : null();
}
JsonWriter& JsonWriter::number(std::int64_t n) {
    before_value();
    out_ += std::to_string(n);
    return *this;
}
JsonWriter& JsonWriter::number(double d) {
    before_value();
    if (!std::isfinite(d)) {
        out_ += "null"; // JSON has no NaN or infinity
        return *this;
    }
    char buf[32];
    // Whole numbers as integers: "%.1g" reads 30 back exactly but spells it "3e+01".
    if (d == std::floor(d) && std::fabs(d) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", d);
        out_ += buf;
        return *this;
    }
    std::snprintf(buf, sizeof buf, "%.17g", d);
    // Shortest form that reads back the same, for figures people read (2.1,
    // not 2.1000000000000001).
    for (int precision = 1; precision <= 17; ++precision) {
        char shorter[32];
        std::snprintf(shorter, sizeof shorter, "%.*g", precision, d);
        if (std::strtod(shorter, nullptr) == d) {
            out_ += shorter;
            return *this;
        }
    }
    out_ += buf;
    return *this;
}
JsonWriter& JsonWriter::boolean(bool b) {
    before_value();
    out_ += b ? "true" : "false";
    return *this;
}
JsonWriter& JsonWriter::null() {
    before_value();
    out_ += "null";
    return *this;
}

} // namespace pinwatch
