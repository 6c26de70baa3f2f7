// Small helpers shared by the HTML report and the compare diff: escaping, truncation, number
// formatting and the one inline stylesheet (screen + print), so both pages look alike.
#pragma once

#include <string>
#include <string_view>

namespace reports::html {

// Escapes &, <, >, " and ' for use in element text and attribute values.
std::string Escape(std::string_view text);

// Cuts `text` to at most `max_bytes` bytes on a UTF-8 character boundary and appends a marker saying
// how much was left out. Returns `text` unchanged when it fits.
std::string Truncate(std::string_view text, size_t max_bytes);

// 0.5234 → "52.3" (percent with one decimal, no % sign); NaN → "–".
std::string Percent(double fraction);
// Fixed decimals, NaN → "–".
std::string Fixed(double value, int decimals);
// A byte count as "12.3 MiB".
std::string Bytes(double bytes);

// <!doctype html> … <body> with inline CSS, a data: favicon (so no request is made) and the title.
std::string PageStart(const std::string& title);
std::string PageEnd();

}  // namespace reports::html
