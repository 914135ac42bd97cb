// Reading members of a parsed RapidJSON object leniently: a member that is missing or of the
// wrong type reads as absent (or the fallback). For documents pinwatch keeps itself (source
// state, event extras) and for fields of server answers whose absence is not an error.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::json {

inline std::optional<std::string> optional_string(rapidjson::Value const& o, char const* key) {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

inline std::string string_or_empty(rapidjson::Value const& o, char const* key) {
    return optional_string(o, key).value_or(std::string());
}

inline bool flag(rapidjson::Value const& o, char const* key) {
    auto it = o.FindMember(key);
    return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

inline std::optional<std::int64_t> optional_integer(rapidjson::Value const& o, char const* key) {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
    return it->value.GetInt64();
}

// A whole number, also when written as a double (1.7e9); `fallback` when absent.
inline std::int64_t integer(rapidjson::Value const& o, char const* key, std::int64_t fallback = 0) {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsNumber()) return fallback;
    if (it->value.IsInt64()) return it->value.GetInt64();
    return static_cast<std::int64_t>(it->value.GetDouble());
}

// The strings of an array member (other elements skipped), at most `max` of them.
inline std::vector<std::string> strings(rapidjson::Value const& o, char const* key,
                                        std::size_t max = std::numeric_limits<std::size_t>::max()) {
    std::vector<std::string> out;
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsArray()) return out;
    for (auto const& v : it->value.GetArray())
        if (v.IsString() && out.size() < max) out.emplace_back(v.GetString(), v.GetStringLength());
    return out;
}

} // namespace pinwatch::json
