// PEP 503 project names: normalisation for comparing and indexing, and the validity rule of
// PEP 508 / core metadata. Pure string functions, no I/O.
#pragma once

#include <string>
#include <string_view>

namespace pinwatch::packaging {

// Lowercase, and every run of '-', '_' and '.' becomes one '-' (packaging's canonicalize_name).
std::string canonicalize_name(std::string_view name);

// ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitive (ASCII only).
bool is_valid_name(std::string_view name);

} // namespace pinwatch::packaging
