// JsonWriter: writes compact JSON into a string, for every report pinwatch prints (`check
// --json`, `deps --json`) and every JSON value it stores. Strings are always emitted as valid
// UTF-8 (malformed bytes become U+FFFD), so output stays parseable whatever a file or a server
// sent. Commas are placed by the writer; callers only say what comes next. Standard library only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch {

class JsonWriter {
  public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);
    JsonWriter& string(std::string_view s);
    JsonWriter& string(std::string const& s) { return string(std::string_view(s)); }
    JsonWriter& string(char const* s) { return string(std::string_view(s)); }
    JsonWriter& string(std::optional<std::string> const& s); // null when absent
    JsonWriter& number(std::int64_t n);
    JsonWriter& number(double d);
    JsonWriter& boolean(bool b);
    JsonWriter& null();
    // key + value in one call, the common case.
    template <class T> JsonWriter& field(std::string_view k, T const& v) {
        key(k);
        return value(v);
    }
    JsonWriter& value(std::string_view s) { return string(s); }
    JsonWriter& value(std::string const& s) { return string(std::string_view(s)); }
    JsonWriter& value(char const* s) { return string(std::string_view(s)); }
    JsonWriter& value(std::optional<std::string> const& s) { return string(s); }
    JsonWriter& value(bool b) { return boolean(b); }
    JsonWriter& value(int n) { return number(static_cast<std::int64_t>(n)); }
    JsonWriter& value(std::int64_t n) { return number(n); }
    JsonWriter& value(double d) { return number(d); }
    JsonWriter& value(std::nullptr_t) { return null(); }

    std::string const& str() const { return out_; }
    std::string take() { return std::move(out_); }

  private:
    void before_value();
    std::string out_;
    std::vector<bool> first_; // per open container: nothing written in it yet
    bool after_key_ = false;
};

// The escaped JSON string literal for `s`, quotes included.
std::string json_quote(std::string_view s);

} // namespace pinwatch
