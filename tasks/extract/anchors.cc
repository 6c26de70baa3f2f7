// Presets that reproduce other harnesses' extraction byte for byte, bugs included, so that their
// published numbers can be reproduced from the same generations (eval_anchors.md §2):
//   lm-eval gsm8k / gsm8k_cot filters, lm-eval GPQA generative filters, simple-evals GPQA, and
//   Qwen2.5-Math evaluation/parser.py (extract_answer, choice_answer_clean, strip_string).
// Each returns exactly the string the anchor's filter produces; IsEquivalent applies the anchor's
// own comparison to these rules (equivalence.cc).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "harness/util/text.h"
#include "tasks/extract/pipeline.h"

namespace tasks::extract::internal {

namespace {

// All matches of `re` like Python's re.findall: per match, the first non-empty group (or the whole
// match when the pattern has no groups), with its position. `whole_if_empty` keeps empty groups.
std::vector<Found> FindAll(const RE2& shared, std::string_view text) {
  const RE2& re = ThisThread(shared);
  std::vector<Found> out;
  const int ngroups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> groups(ngroups + 1);
  re2::StringPiece input(text.data(), text.size());
  size_t start = 0;
  while (start <= text.size() &&
         re.Match(input, start, text.size(), RE2::UNANCHORED, groups.data(), ngroups + 1)) {
    size_t pos = static_cast<size_t>(groups[0].data() - text.data());
    std::string value;
    if (ngroups == 0) {
      value = std::string(groups[0].data(), groups[0].size());
    } else {
      for (int g = 1; g <= ngroups; ++g) {
        if (!groups[g].empty()) {
          value = std::string(groups[g].data(), groups[g].size());
          break;
        }
      }
    }
    out.push_back({pos, std::string(groups[0].data(), groups[0].size()), value});
    start = pos + std::max<size_t>(groups[0].size(), 1);
  }
  return out;
}

// Python str.strip() for ASCII whitespace.
std::string PyStrip(std::string_view s) { return util::Trim(s); }

// lm-eval RegexFilter: findall, then match[group_select], first non-empty tuple element, strip();
// no match gives "[invalid]", which we report as an invalid answer.
Step RegexFilterStep(std::string name, const RE2& re, bool take_last) {
  return {std::move(name), [&re, take_last](const Context& context, std::vector<Found>& out) {
            auto matches = FindAll(re, context.text);
            if (matches.empty()) return;
            Found f = take_last ? matches.back() : matches.front();
            f.value = PyStrip(f.value);
            // An all-empty tuple yields the fallback "[invalid]" in lm-eval.
            if (f.value.empty() && re.NumberOfCapturingGroups() > 0) return;
            out.push_back(std::move(f));
          }};
}

// lm-eval's ignore_punctuation removes Unicode punctuation; ASCII punctuation is what occurs here.
std::string LowerNoPunct(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::ispunct(static_cast<unsigned char>(c))) continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

// gsm8k.yaml "strict-match": `#### (\-?[0-9\.\,]+)`, take_first.
Pipeline LmEvalGsm8kStrict() {
  static const RE2& re = Compile(R"(#### (\-?[0-9\.\,]+))");
  return {{RegexFilterStep("lmeval_strict_match", re, false)}};
}

// gsm8k.yaml "flexible-extract": `(-?[$0-9.,]{2,})|(-?[0-9]+)`, group_select -1.
Pipeline LmEvalGsm8kFlexible() {
  static const RE2& re = Compile(R"((-?[$0-9.,]{2,})|(-?[0-9]+))");
  return {{RegexFilterStep("lmeval_flexible_extract", re, true)}};
}

// gsm8k-cot "strict-match": `The answer is (\-?[0-9\.\,]+).` with its unescaped final '.', which
// makes the group give back its last character when nothing follows the number on the line
// ("The answer is 18" -> "1"), and finds nothing in "The answer is $18.".
Pipeline LmEvalGsm8kCot() {
  static const RE2& re = Compile(R"(The answer is (\-?[0-9\.\,]+).)");
  return {{RegexFilterStep("lmeval_cot_strict", re, false)}};
}

// GPQA generative "strict-match": `(?<=The answer is )(.*)(?=.)`, take_first. RE2 has no lookaround;
// the emulation: after the first "The answer is " whose line has at least one more character, the
// rest of the line minus its last character ("The answer is (B)" -> "(B").
Pipeline LmEvalGpqaStrict() {
  return {{{"lmeval_strict_match", [](const Context& context, std::vector<Found>& out) {
              const std::string_view needle = "The answer is ";
              const std::string_view text = context.text;
              size_t pos = 0;
              while ((pos = text.find(needle, pos)) != std::string_view::npos) {
                size_t begin = pos + needle.size();
                size_t end = text.find('\n', begin);
                if (end == std::string_view::npos) end = text.size();
                if (end > begin) {
                  // lm-eval keeps "" here (one character left on the line); an empty answer is
                  // reported as a failed extraction.
                  // Python's '.' is one character: step back over a whole UTF-8 sequence.
                  size_t last = end - 1;
                  while (last > begin && (static_cast<unsigned char>(text[last]) & 0xC0) == 0x80) --last;
                  std::string match(text.substr(begin, last - begin));
                  if (!PyStrip(match).empty()) out.push_back({pos, match, PyStrip(match)});
                  return;
                }
                pos = begin;
              }
            }}}};
}

// GPQA generative "flexible-extract": MultiChoiceRegexFilter with `(\([A-Z]\))`, ignore_case,
// ignore_punctuation, group_select -1; then the option texts; then `:[\s]*(A|B|C|D)`.
Pipeline LmEvalGpqaFlexible() {
  Step paren = {"lmeval_multi_choice_regex", [](const Context& context, std::vector<Found>& out) {
                  static const RE2& re = Compile(R"((?i)(\([A-Z]\)))");
                  auto matches = FindAll(re, context.text);
                  if (matches.empty()) return;
                  Found f = matches.back();
                  f.value = PyStrip(f.value);
                  out.push_back(std::move(f));
                }};
  Step text = {"lmeval_choice_text", [](const Context& context, std::vector<Found>& out) {
                 const auto& choices = context.record->choices;
                 std::string alternation;
                 std::vector<std::string> keys;
                 for (const auto& c : choices) {
                   std::string key = LowerNoPunct(util::Trim(c));
                   keys.push_back(key);
                   if (key.empty()) continue;
                   alternation += (alternation.empty() ? "" : "|") + RE2::QuoteMeta(key);
                 }
                 if (alternation.empty()) return;
                 // One pattern per option list: cached per thread, since a run repeats each record's options.
                 thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
                 if (cache.size() > 4096) cache.clear();
                 auto& slot = cache[alternation];
                 if (!slot) slot = std::make_unique<RE2>("(?s)" + alternation, Latin1());
                 const RE2& re = *slot;
                 if (!re.ok()) return;
                 std::string filtered = LowerNoPunct(context.text);
                 auto matches = FindAll(re, filtered);
                 if (matches.empty()) return;
                 Found f = matches.back();
                 std::string key = PyStrip(f.value);
                 for (size_t i = 0; i < keys.size(); ++i) {
                   if (keys[i] == key) {
                     out.push_back({f.pos, f.raw, "(" + std::string(1, static_cast<char>('A' + i)) + ")"});
                     return;
                   }
                 }
                 out.push_back({f.pos, f.raw, key});
               }};
  Step colon = {"lmeval_without_paren", [](const Context& context, std::vector<Found>& out) {
                  static const RE2& re = Compile(R"(:[\s]*(A|B|C|D))");
                  auto matches = FindAll(re, context.text);
                  if (matches.empty()) return;
                  Found f = matches.back();
                  f.value = "(" + PyStrip(f.value) + ")";
                  out.push_back(std::move(f));
                }};
  return {{paren}, {text}, {colon}};
}

// simple-evals GPQA: re.search(r"(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?"), the first match, case kept.
Pipeline SimpleEvalsGpqa() {
  static const RE2& re = Compile(R"((?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?)");
  return {{RegexFilterStep("simple_evals_answer", re, false)}};
}

// ---- Qwen2.5-Math evaluation/parser.py ----

namespace {

// parser.py unit_texts ("units mainly from MathQA"), in its order; the parser also tries each with
// an "s" appended. Entries are regex fragments there (unescaped), so they are here too.
const std::vector<std::string>& QwenUnitTexts() {
  static const std::vector<std::string>* units = [] {
    auto* u = new std::vector<std::string>{
        "east", "degree", "mph", "kmph", "ft", "m sqaure", " m east", "sq m", "deg", "mile", "q .",
        "monkey", "prime", "ratio", "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per", "dm",
        "lt", "gain", "ab", "way", "west", "a .", "b .", "c .", "d .", "e .", "f .", "g .", "h .", "t",
        "a", "h", "no change", "men", "soldier", "pie", "bc", "excess", "st", "inches", "noon",
        "percent", "by", "gal", "kmh", "c", "acre", "rise", "a . m", "th",
        "\xCF\x80 r 2", "sq", "mark", "l", "toy", "coin", "sq . m", "gallon", "\xC2\xB0 f", "profit",
        "minw", "yr", "women", "feet", "am", "pm", "hr", "cu cm", "square",
        "v \xC3\xA2 \xE2\x82\xAC \xE2\x84\xA2", "are", "rupee", "rounds", "cubic", "cc", "mtr", "s",
        "ohm", "number", "kmph", "day", "hour", "minute", "min", "second", "man", "woman", "sec",
        "cube", "mt", "sq inch", "mp", "\xE2\x88\x8F cm \xC2\xB3", "hectare", "more", "sec", "unit",
        "cu . m", "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm", "apple", "liter",
        "loss", "yard", "pure", "year", "increase", "decrease", "d", "less", "Surface", "litre",
        "pi sq m", "s .", "metre", "meter", "inch"};
    size_t n = u->size();
    for (size_t i = 0; i < n; ++i) u->push_back((*u)[i] + "s");
    return u;
  }();
  return *units;
}

// Python's str patterns treat letters and digits of every script as word characters (\w), so the
// unit and letter rules below do too: a UTF-8 code point is a word character unless it is ASCII
// non-alphanumeric or sits in a punctuation/symbol block. (Unicode's full category table is not
// reproduced; these blocks cover the punctuation that occurs in completions.)
size_t CodePointLength(std::string_view s, size_t pos) {
  unsigned char c = static_cast<unsigned char>(s[pos]);
  size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  size_t len = 1;
  while (len < n && pos + len < s.size() && (static_cast<unsigned char>(s[pos + len]) & 0xC0) == 0x80) ++len;
  return len;
}

uint32_t CodePointAt(std::string_view s, size_t pos, size_t len) {
  unsigned char c = static_cast<unsigned char>(s[pos]);
  if (len == 1) return c;
  uint32_t cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  return cp;
}

bool IsPyWordCodePoint(uint32_t cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) || cp == '_';
  if (cp <= 0xBF) return false;                    // Latin-1 punctuation and symbols
  if (cp == 0xD7 || cp == 0xF7) return false;      // multiplication and division signs
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // general punctuation, symbols, arrows, math operators
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // full-width punctuation
  if (cp >= 0xFF1A && cp <= 0xFF20) return false;
  if (cp >= 0xFF3B && cp <= 0xFF40) return false;
  if (cp >= 0xFF5B && cp <= 0xFF65) return false;
  return true;
}

// Whether the code point starting at `pos` is a word character (false at either end).
bool PyWordAt(std::string_view s, size_t pos) {
  if (pos >= s.size()) return false;
  size_t len = CodePointLength(s, pos);
  return IsPyWordCodePoint(CodePointAt(s, pos, len));
}

// Whether the code point ending just before `pos` is a word character (false at the start).
bool PyWordBefore(std::string_view s, size_t pos) {
  if (pos == 0) return false;
  size_t start = pos - 1;
  while (start > 0 && pos - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return PyWordAt(s, start);
}

// Whether `unit` (a regex fragment whose only metacharacter is '.') matches at `pos`; its end in `end`.
bool UnitMatchesAt(std::string_view s, size_t pos, std::string_view unit, size_t* end) {
  for (char u : unit) {
    if (pos >= s.size()) return false;
    if (u == '.') {
      if (s[pos] == '\n') return false;
      pos += CodePointLength(s, pos);
    } else {
      if (s[pos] != u) return false;
      ++pos;
    }
  }
  *end = pos;
  return true;
}

// re.sub(r"(^|\W)" + unit + r"($|\W)", r"\1\2", s): deletes each occurrence of `unit` that stands
// between non-word characters, scanning left to right without overlaps like Python does.
std::string RemoveUnit(const std::string& s, std::string_view unit) {
  std::string out;
  size_t copied = 0, p = 0;
  auto end_ok = [&s](size_t unit_end, size_t* after) {
    if (unit_end == s.size()) {
      *after = unit_end;
      return true;
    }
    if (PyWordAt(s, unit_end)) return false;
    *after = unit_end + CodePointLength(s, unit_end);
    return true;
  };
  while (p <= s.size()) {
    size_t unit_start = 0, unit_end = 0, after = 0;
    bool matched = false;
    if (p == 0 && UnitMatchesAt(s, 0, unit, &unit_end) && end_ok(unit_end, &after)) {
      matched = true;
      unit_start = 0;
    } else if (p < s.size() && !PyWordAt(s, p)) {
      size_t next = p + CodePointLength(s, p);
      if (UnitMatchesAt(s, next, unit, &unit_end) && end_ok(unit_end, &after)) {
        matched = true;
        unit_start = next;
      }
    }
    if (matched) {
      out.append(s, copied, unit_start - copied);
      copied = unit_end;
      p = after;
      continue;
    }
    if (p == s.size()) break;
    p += CodePointLength(s, p);
  }
  out.append(s, copied, std::string::npos);
  return out;
}

std::string RStrip(std::string s, char c) {
  while (!s.empty() && s.back() == c) s.pop_back();
  return s;
}

// _fix_fracs: "\frac12" -> "\frac{1}{2}", "\frac1{2}" -> "\frac{1}{2}".
std::string FixFracs(const std::string& s) {
  std::vector<std::string> parts;
  size_t pos = 0, next;
  while ((next = s.find("\\frac", pos)) != std::string::npos) {
    parts.push_back(s.substr(pos, next - pos));
    pos = next + 5;
  }
  parts.push_back(s.substr(pos));
  std::string out = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& sub = parts[i];
    out += "\\frac";
    if (!sub.empty() && sub[0] == '{') {
      out += sub;
      continue;
    }
    if (sub.size() < 2) return s;
    std::string a(1, sub[0]), b(1, sub[1]);
    if (b != "{") {
      out += "{" + a + "}{" + b + "}" + sub.substr(2);
    } else {
      out += "{" + a + "}" + b + sub.substr(2);
    }
  }
  return out;
}

// _fix_a_slash_b: "a/b" -> "\\frac{a}{b}" when the string has exactly one '/' and each side is
// either a canonical integer (int() round-trips it) or contains "sqrt".
std::string FixSlash(const std::string& s) {
  size_t slash = s.find('/');
  if (slash == std::string::npos || s.find('/', slash + 1) != std::string::npos) return s;
  std::string a = s.substr(0, slash), b = s.substr(slash + 1);
  auto ok = [](const std::string& x) {
    if (x.find("sqrt") != std::string::npos) return true;
    static const RE2& canonical = Compile(R"(-?(?:0|[1-9][0-9]*))");
    return RE2::FullMatch(x, canonical) && x != "-0";
  };
  if (!ok(a) || !ok(b)) return s;
  return "\\frac{" + a + "}{" + b + "}";
}

}  // namespace

std::string QwenStripString(std::string s) {
  if (s.size() > 4096) s.resize(4096);
  s = PyStrip(s);
  s = util::ReplaceAll(s, "\n", "");
  s = RStrip(s, '.');
  s = util::ReplaceAll(s, "\\!", "");
  s = util::ReplaceAll(s, "bmatrix", "pmatrix");
  s = util::ReplaceAll(s, "tfrac", "frac");
  s = util::ReplaceAll(s, "dfrac", "frac");
  s = util::ReplaceAll(s, "\\neq", "\\ne");
  s = util::ReplaceAll(s, "\\leq", "\\le");
  s = util::ReplaceAll(s, "\\geq", "\\ge");
  s = util::ReplaceAll(s, "\\left", "");
  s = util::ReplaceAll(s, "\\right", "");
  s = util::ReplaceAll(s, "\\{", "{");
  s = util::ReplaceAll(s, "\\}", "}");
  {
    // re.sub(r"\\text{.*?}$", "", s): from the first "\text{" to the end when s ends in '}'.
    static const RE2& unit = Compile(R"(\\text\{.*?\}$)");
    std::string t = s;
    RE2::Replace(&t, unit, "");
    t = PyStrip(t);
    if (!t.empty() && t != s) s = t;
  }
  for (int round = 0; round < 2; ++round) {
    for (const auto& unit : QwenUnitTexts()) {
      if (s.find(unit[0] == '.' ? std::string(".") : unit.substr(0, unit.find('.'))) == std::string::npos) {
        continue;  // cannot occur: skip the scan
      }
      std::string t = RemoveUnit(s, unit);
      if (!t.empty()) s = t;
    }
  }
  s = util::ReplaceAll(s, "^{\\circ}", "");
  s = util::ReplaceAll(s, "^\\circ", "");
  s = util::ReplaceAll(s, "\\$", "");
  s = util::ReplaceAll(s, "$", "");
  s = util::ReplaceAll(s, "\\(", "");
  s = util::ReplaceAll(s, "\\)", "");
  static const RE2& text_group = Compile(R"(\\text\{(.*?)\})");
  RE2::GlobalReplace(&s, text_group, "\\1");
  for (const char* key : {"x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to"}) {
    s = util::ReplaceAll(s, key, "");
  }
  s = util::ReplaceAll(s, "\\emptyset", "{}");
  s = util::ReplaceAll(s, "(-\\infty,\\infty)", "\\mathbb{R}");
  s = util::ReplaceAll(s, "\\%", "");
  s = util::ReplaceAll(s, "%", "");
  s = util::ReplaceAll(s, " .", " 0.");
  s = util::ReplaceAll(s, "{.", "{0.");
  s = util::ReplaceAll(s, "infinity", "\\infty");
  if (s.find("\\infty") == std::string::npos) s = util::ReplaceAll(s, "inf", "\\infty");
  s = util::ReplaceAll(s, "+\\inity", "\\infty");
  s = util::ReplaceAll(s, "and", "");
  s = util::ReplaceAll(s, "\\mathbf", "");
  static const RE2& mbox = Compile(R"(\\mbox\{.*?\})");
  RE2::GlobalReplace(&s, mbox, "");
  if (s.find('j') != std::string::npos && s.find('i') == std::string::npos) {
    s = util::ReplaceAll(s, "j", "i");
  }
  static const RE2& zeros_inner = Compile(R"(([0-9]+)\.0*([^0-9]))");
  static const RE2& zeros_end = Compile(R"(([0-9]+)\.0*$)");
  RE2::GlobalReplace(&s, zeros_inner, "\\1\\2");
  RE2::GlobalReplace(&s, zeros_end, "\\1");
  if (s.empty()) return s;
  if (s[0] == '.') s = "0" + s;
  auto parts = util::Split(s, '=');
  if (parts.size() == 2 && parts[0].size() <= 2) s = parts[1];
  // _fix_sqrt: re.sub(r"\\sqrt(\w+)", r"\\sqrt{\1}", s) with Python's Unicode \w.
  {
    std::string fixed;
    size_t pos = 0, hit;
    while ((hit = s.find("\\sqrt", pos)) != std::string::npos) {
      size_t end = hit + 5;
      while (end < s.size() && PyWordAt(s, end)) end += CodePointLength(s, end);
      fixed.append(s, pos, hit + 5 - pos);
      if (end > hit + 5) {
        fixed += "{" + s.substr(hit + 5, end - hit - 5) + "}";
      }
      pos = end;
    }
    fixed.append(s, pos, std::string::npos);
    s = fixed;
  }
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  s = FixFracs(s);
  s = FixSlash(s);
  return s;
}

// extract_answer(pred_str, data_name) for math data sets, first hit wins.
Pipeline QwenMath() {
  return {{{"qwen", [](const Context& context, std::vector<Found>& out) {
              std::string text = util::ReplaceAll(std::string(context.text), "\xD0\xBA\xD0\xB8", "");
              std::string pred, rule;
              size_t minerva = text.find("final answer is $");
              size_t boxed = text.rfind("boxed");
              if (minerva != std::string::npos && text.find("$. I hope") != std::string::npos) {
                std::string tail = text.substr(minerva + 17);
                pred = PyStrip(tail.substr(0, tail.find("$. I hope")));
                rule = "qwen_minerva";
              } else if (boxed != std::string::npos) {
                std::string ans = text.substr(boxed + 5);
                if (ans.empty()) return;
                if (ans[0] == '{') {
                  int depth = 1;
                  for (size_t i = 1; i < ans.size(); ++i) {
                    char c = ans[i];
                    if (c == '{') ++depth;
                    if (c == '}' && --depth == 0) break;
                    pred += c;
                  }
                } else {
                  pred = PyStrip(ans.substr(0, ans.find('$')));
                }
                rule = "qwen_boxed";
              } else if (text.find("he answer is") != std::string::npos) {
                pred = PyStrip(text.substr(text.rfind("he answer is") + 12));
                rule = "qwen_answer_is";
              } else if (text.find("final answer is") != std::string::npos) {
                pred = PyStrip(text.substr(text.rfind("final answer is") + 15));
                rule = "qwen_final_answer_is";
              } else if (text.find("\xE7\xAD\x94\xE6\xA1\x88\xE6\x98\xAF") != std::string::npos) {
                std::string rest = text.substr(text.find("\xE7\xAD\x94\xE6\xA1\x88\xE6\x98\xAF") + 9);
                size_t next = rest.find("\xE7\xAD\x94\xE6\xA1\x88\xE6\x98\xAF");  // split(...)[1]
                if (next != std::string::npos) rest = rest.substr(0, next);
                rest = PyStrip(rest);
                pred = PyStrip(rest.substr(0, rest.find("\n\n")));
                rule = "qwen_answer_zh";
              } else {
                static const RE2& number = Compile(R"(-?[0-9]*\.?[0-9]+)");
                std::string no_commas = util::ReplaceAll(text, ",", "");
                auto numbers = FindAll(number, no_commas);
                if (numbers.empty()) return;
                pred = numbers.back().value;
                rule = "qwen_last_number";
              }
              std::string raw = pred;
              static const RE2& newlines = Compile(R"(\n\s*)");
              RE2::GlobalReplace(&pred, newlines, "");
              if (!pred.empty() && pred[0] == ':') pred.erase(0, 1);
              if (!pred.empty() && pred.back() == '.') pred.pop_back();
              if (!pred.empty() && pred.back() == '/') pred.pop_back();
              pred = QwenStripString(pred);
              if (pred.empty()) return;
              out.push_back({0, raw.substr(0, 300), pred, rule});
            }}}};
}

// choice_answer_clean, used by extract_answer for multiple-choice sets (aqua, sat_math, mmlu).
Pipeline QwenChoice() {
  return {{{"qwen_choice_clean", [](const Context& context, std::vector<Found>& out) {
              // extract_answer drops the "ки" step tags before choice_answer_clean.
              std::string pred = util::ReplaceAll(std::string(context.text), "\xD0\xBA\xD0\xB8", "");
              while (!pred.empty() && pred.front() == '\n') pred.erase(0, 1);
              while (!pred.empty() && pred.back() == '\n') pred.pop_back();
              auto count = [&pred](const std::string& needle) {
                size_t n = 0;
                for (size_t p = pred.find(needle); p != std::string::npos; p = pred.find(needle, p + needle.size())) ++n;
                return n;
              };
              // Few-shot echo ("answer is" more than once): only the first paragraph is read.
              if (count("choice is") > 1 || count("answer is") > 1) pred = pred.substr(0, pred.find("\n\n"));
              static const RE2& trigger = Compile(R"(choice is|answer is)");
              auto triggers = FindAll(trigger, pred);
              bool answer_flag = !triggers.empty();
              if (answer_flag) pred = pred.substr(triggers.back().pos + triggers.back().raw.size());
              while (!pred.empty() && pred.front() == '\n') pred.erase(0, 1);
              while (!pred.empty() && pred.back() == '\n') pred.pop_back();
              pred = RStrip(RStrip(pred, '.'), '/');
              while (!pred.empty() && pred.front() == ' ') pred.erase(0, 1);
              while (!pred.empty() && pred.back() == ' ') pred.pop_back();
              while (!pred.empty() && pred.front() == ':') pred.erase(0, 1);
              std::string upper = pred;
              for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
              // re.findall(r"\b(A|B|C|D|E)\b", pred.upper()) with Python's Unicode word boundaries.
              std::vector<char> letters;
              for (size_t i = 0; i < upper.size(); ++i) {
                if (upper[i] >= 'A' && upper[i] <= 'E' && !PyWordBefore(upper, i) && !PyWordAt(upper, i + 1)) {
                  letters.push_back(upper[i]);
                }
              }
              std::string value;
              if (!letters.empty()) {
                value = std::string(1, answer_flag ? letters.front() : letters.back());
              } else {
                value = PyStrip(pred);
                while (!value.empty() && value.front() == '.') value.erase(0, 1);
                value = RStrip(value, '.');
              }
              value = RStrip(RStrip(value, '.'), '/');
              if (value.empty()) return;
              out.push_back({0, pred.substr(0, 300), value});
            }}}};
}

}  // namespace tasks::extract::internal
