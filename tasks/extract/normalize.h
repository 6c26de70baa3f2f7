// Canonical forms of answers, shared by loaders (to normalise gold answers) and extractors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tasks::extract {

// Canonical decimal string for a numeric answer, or nullopt when `text` is not a number.
// Accepts: surrounding spaces and `$` / `\$`, markdown `**`, thousands separators ("1,450,000",
// LaTeX "1{,}450"), a trailing period, "+"/"-" signs (also U+2212), trailing zeros ("18.00" -> "18"),
// a trailing '%' or "\%" (kept as the number: "25%" -> "25"), simple fractions ("3/4" -> "0.75"),
// `\frac{a}{b}` / `\dfrac` / `\tfrac` / `\frac12`, and a trailing `\text{...}` unit ("5\text{ cm}").
std::optional<std::string> NormalizeNumber(std::string_view text);

// Parses a canonical number string back to a double (nullopt when not numeric).
std::optional<double> ParseNumber(std::string_view text);

// AIME answers: an integer 0..999 written with optional leading zeros ("025" -> "25"), or a number
// that normalises to one ("25.0"). nullopt for anything else, including out-of-range values.
std::optional<std::string> NormalizeInteger(std::string_view text);

// Cloze (free-form math) answers: a light LaTeX normalisation so that equal answers compare equal
// as strings. Removes `$`, spaces, `\left`/`\right`, `\!` `\,` `\;`, `^\circ`, `%`, a trailing
// period, a leading "x=" (single-letter variable), `\text{}`/`\mathrm{}`/`\textbf{}`/`\mbox{}`
// wrappers (a trailing `\text{unit}` is dropped), maps `\dfrac`/`\tfrac` to `\frac`, braces
// `\frac12` -> `\frac{1}{2}` and `\sqrt2` -> `\sqrt{2}`, writes "a/b" of integers as `\frac{a}{b}`,
// and "5.0" as "5".
std::string NormalizeLatex(std::string_view text);

// Numeric value of a normalised cloze answer when it is a plain number or a (signed) fraction
// `\frac{a}{b}` of plain numbers; nullopt otherwise.
std::optional<double> LatexNumberValue(std::string_view normalized);

// Canonical option-letter set: the distinct letters of `text` (any case), upper-cased and sorted,
// ignoring separators such as spaces, commas, parentheses and "and" ("(D)(A)" -> "AD",
// "A, d" -> "AD"). nullopt when `text` holds anything else or no letter.
std::optional<std::string> NormalizeLetterSet(std::string_view text);

// Whether two numbers are equal within a relative tolerance (absolute near zero).
bool NumbersClose(double a, double b, double rel_tol);

}  // namespace tasks::extract
