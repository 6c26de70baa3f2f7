// Canonical forms of answers, shared by loaders (to normalise gold answers) and extractors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tasks::extract {

// Canonical decimal string for a numeric answer, or nullopt when `text` is not a number.
// Accepts: surrounding spaces and `$`, markdown `**`, thousands separators ("1,450,000"),
// a trailing period, "+"/"-" signs, trailing zeros ("18.00" -> "18", "2.50" -> "2.5"),
// a trailing '%' (kept as the number: "25%" -> "25"), and simple fractions ("3/4" -> "0.75").
std::optional<std::string> NormalizeNumber(std::string_view text);

// Parses a canonical number string back to a double (nullopt when not numeric).
std::optional<double> ParseNumber(std::string_view text);

}  // namespace tasks::extract
