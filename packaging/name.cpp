#include "packaging/name.hpp"

namespace pinwatch::packaging {

namespace {

bool is_name_separator(char c) {
    return c == '-' || c == '_' || c == '.';
}
bool is_ascii_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} // namespace

// Lowercasing is ASCII-only: valid project names are ASCII, and packaging's str.lower() on other
// scripts is full Unicode case mapping we have no use for.
std::string canonicalize_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size();) {
        if (is_name_separator(name[i])) {
            out.push_back('-');
            while (i < name.size() && is_name_separator(name[i]))
                ++i;
            continue;
        }
        char const c = name[i++];
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
}

bool is_valid_name(std::string_view name) {
    if (name.empty() || !is_ascii_alnum(name.front()) || !is_ascii_alnum(name.back())) return false;
    for (char c : name)
        if (!is_ascii_alnum(c) && !is_name_separator(c)) return false;
    return true;
}

} // namespace pinwatch::packaging
