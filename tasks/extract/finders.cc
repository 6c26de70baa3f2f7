// Finders shared by the extraction presets: marked spans, \boxed{} contents, numbers and option letters.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <unordered_map>

#include <re2/filtered_re2.h>

#include "harness/util/text.h"
#include "tasks/extract/normalize.h"
#include "tasks/extract/pipeline.h"

namespace tasks::extract::internal {

namespace {

constexpr size_t kMaxSkip = 100;      // blank space allowed between a marker and its answer
constexpr size_t kMaxSpan = 300;      // an answer never needs more than a line of this many bytes
constexpr size_t kMaxBoxed = 4096;    // brace matching stops here, so unclosed boxes stay linear

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Number-like expressions, leftmost first: LaTeX fractions, then signed decimals with optional `$`,
// thousands commas, a "/b" denominator and a percent sign.
const RE2& NumberPattern() {
  static const RE2& re = Compile(
      R"((?:-\s?)?\\[dt]?frac\s*(?:\{\s*-?[0-9][0-9.,]*\s*\}\s*\{\s*[0-9][0-9.,]*\s*\}|[0-9][0-9]))"
      R"(|(?:-\s?)?(?:\\?\$\s?)?-?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+))"
      R"((?:\s?/\s?[0-9]+(?:\.[0-9]+)?)?(?:\s?\\?%)?)");
  return re;
}

// Leading markup that may sit between a marker and an option letter.
const RE2& LetterPattern() {
  static const RE2& re = Compile(
      R"(^(?:\s|\*|:|\$|\\\(|\\\[|\{|\[|"|'|`|=|-|\\boxed\s*\{|\\text(?:bf)?\s*\{|\\mathrm\s*\{|\\mathbf\s*\{|(?i:option|choice)\s)*)"
      R"(\(?([A-Za-z])(?:\s?\)|\]|\}|\.|,|:|;|\s|\*|\$|'|"|\\|$))");
  return re;
}

}  // namespace

RE2::Options Latin1() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  return options;
}

const RE2& ThisThread(const RE2& shared) {
  // Found by address, then checked: a pattern object built at run time may be freed and another
  // allocated in its place, so a copy is reused only for the same pattern and options.
  thread_local std::unordered_map<const RE2*, std::unique_ptr<RE2>> copies;
  std::unique_ptr<RE2>& copy = copies[&shared];
  const RE2::Options& o = shared.options();
  const auto same = [&](const RE2& c) {
    const RE2::Options& p = c.options();
    return c.pattern() == shared.pattern() && p.encoding() == o.encoding() && p.posix_syntax() == o.posix_syntax() &&
           p.longest_match() == o.longest_match() && p.literal() == o.literal() && p.never_nl() == o.never_nl() &&
           p.dot_nl() == o.dot_nl() && p.never_capture() == o.never_capture() &&
           p.case_sensitive() == o.case_sensitive() && p.perl_classes() == o.perl_classes() &&
           p.word_boundary() == o.word_boundary() && p.one_line() == o.one_line() && p.max_mem() == o.max_mem();
  };
  if (!copy || !same(*copy)) copy = std::make_unique<RE2>(shared.pattern(), o);
  return *copy;
}

const RE2& Compile(const std::string& pattern) {
  auto* re = new RE2(pattern, Latin1());  // lives as long as the function-local static holding it
  if (!re->ok()) throw std::logic_error("extraction pattern '" + pattern + "': " + re->error());
  return *re;
}

namespace {

// Whether `atom` occurs in `text`: memchr for the atom's rarest byte in English text (SIMD-fast and
// rarely stopping), then a comparison around it.
bool ContainsAtom(std::string_view text, std::string_view atom) {
  if (atom.empty()) return true;
  static const std::string_view kMostCommonFirst = " etaoinshrdlcumwfgypbvkjxqz0123456789";
  const auto commonness = [](char c) {  // 0 for bytes not in the list (punctuation, non-ASCII)
    const size_t at = kMostCommonFirst.find(c);
    return at == std::string_view::npos ? 0 : kMostCommonFirst.size() - at;
  };
  size_t rare = 0;
  for (size_t i = 1; i < atom.size(); ++i) {
    if (commonness(atom[i]) < commonness(atom[rare])) rare = i;
  }
  for (size_t from = rare; from + (atom.size() - rare) <= text.size();) {
    const void* hit = std::memchr(text.data() + from, atom[rare], text.size() - from - (atom.size() - rare) + 1);
    if (hit == nullptr) return false;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    if (text.compare(at - rare, atom.size(), atom) == 0) return true;
    from = at + 1;
  }
  return false;
}

// The gates of one stage as RE2's prefilter: the literal strings ("atoms") that each gate's matches
// must contain. A gate none of whose required atoms occur in a text cannot match it.
struct GateFilter {
  re2::FilteredRE2 filter;
  std::vector<std::string> atoms;  // lower-case (ASCII), as the filter wants them looked up
};

thread_local bool gates_enabled = true;  // SetGatesEnabled

// Which steps of `stage` can find anything in `text`: those without a gate, and those whose gate
// passes RE2's prefilter (a plain substring search for each atom in the lower-cased text, far cheaper
// than running the patterns; exact, because a gate that fails the filter cannot match). Each thread
// builds its own filter per stage on first use.
std::vector<bool> OpenSteps(const Stage& stage, std::string_view text) {
  std::vector<bool> open(stage.size(), true);
  if (!gates_enabled) return open;
  std::vector<const RE2*> gates;
  for (const Step& step : stage) {
    if (step.gate != nullptr) gates.push_back(step.gate);
  }
  if (gates.empty()) return open;
  thread_local std::map<std::vector<const RE2*>, std::unique_ptr<GateFilter>> filters;
  std::unique_ptr<GateFilter>& gate_filter = filters[gates];
  if (!gate_filter) {
    gate_filter = std::make_unique<GateFilter>();
    for (const RE2* gate : gates) {
      int id = 0;
      if (gate_filter->filter.Add(gate->pattern(), gate->options(), &id) != RE2::NoError) {
        throw std::logic_error("extraction gate '" + gate->pattern() + "' does not compile");
      }
    }
    gate_filter->filter.Compile(&gate_filter->atoms);
  }
  // The filter's atoms are lower-cased by ASCII rules only (Latin-1 patterns), so the text is too.
  thread_local std::string lower;
  lower.resize(text.size());
  util::ToLowerInto(text, lower.data());
  std::vector<int> found, passed;
  for (size_t a = 0; a < gate_filter->atoms.size(); ++a) {
    if (ContainsAtom(lower, gate_filter->atoms[a])) found.push_back(static_cast<int>(a));
  }
  gate_filter->filter.AllPotentials(found, &passed);
  std::vector<bool> pass(gates.size(), false);
  for (int g : passed) pass[static_cast<size_t>(g)] = true;
  for (size_t i = 0, g = 0; i < stage.size(); ++i) {
    if (stage[i].gate != nullptr) open[i] = pass[g++];
  }
  return open;
}

}  // namespace

void SetGatesEnabled(bool enabled) { gates_enabled = enabled; }

ExtractedAnswer RunPipeline(const Pipeline& pipeline, const Context& context) {
  for (const Stage& stage : pipeline) {
    const Found* best = nullptr;
    const std::string* best_rule = nullptr;
    std::vector<std::vector<Found>> found(stage.size());
    const std::vector<bool> open = OpenSteps(stage, context.text);
    for (size_t i = 0; i < stage.size(); ++i) {
      if (!open[i]) continue;
      stage[i].run(context, found[i]);
      for (const Found& f : found[i]) {
        // Last in the text wins; on a tie the later step in the stage (listed as more specific).
        if (best == nullptr || f.pos >= best->pos) {
          best = &f;
          best_rule = &stage[i].name;
        }
      }
    }
    if (best != nullptr) {
      ExtractedAnswer answer;
      answer.valid = true;
      answer.value = best->value;
      answer.raw = best->raw;
      answer.rule = best->rule.empty() ? *best_rule : best->rule;
      return answer;
    }
  }
  ExtractedAnswer none;
  none.rule = "none";
  return none;
}

std::vector<Span> MarkerSpans(const RE2& shared, std::string_view text, bool word_start) {
  const RE2& marker = ThisThread(shared);
  std::vector<Span> spans;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  size_t start = 0;
  // RE2's \b: ASCII word characters on one side only. The match begins with one, so a leading \b
  // holds where the byte before is not one. A match failing it is passed over, and the search goes on
  // from the next byte, as the search for the pattern with \b would.
  const auto is_word = [](char c) { return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); };
  while (start <= text.size() &&
         marker.Match(input, start, text.size(), RE2::UNANCHORED, &match, 1)) {
    size_t pos = static_cast<size_t>(match.data() - text.data());
    if (word_start && pos > 0 && is_word(text[pos - 1])) {
      start = pos + 1;
      continue;
    }
    size_t end = pos + match.size();
    size_t begin = end;
    while (begin < text.size() && begin - end < kMaxSkip && IsSpace(text[begin])) ++begin;
    size_t stop = begin;
    while (stop < text.size() && stop - begin < kMaxSpan && text[stop] != '\n') ++stop;
    // Ordered by where the marker ends, so "final answer is" and "answer is" tie on the same span.
    spans.push_back({end, text.substr(begin, stop - begin)});
    start = std::max(end, pos + 1);
  }
  return spans;
}

std::vector<Span> BoxedContents(std::string_view text) {
  // One pass with a stack of open braces, so that any number of unclosed boxes stays linear.
  std::vector<Span> out;
  struct Open {
    size_t brace;     // offset of '{'
    size_t box;       // offset of the "\boxed" owning it, or npos
  };
  std::vector<Open> stack;
  auto box_before = [&text](size_t brace) -> size_t {
    size_t j = brace;
    while (j > 0 && (text[j - 1] == ' ' || text[j - 1] == '\t')) --j;
    for (const std::string_view name : {std::string_view("\\boxed"), std::string_view("\\fbox")}) {
      if (j >= name.size() && text.substr(j - name.size(), name.size()) == name) return j - name.size();
    }
    return std::string_view::npos;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      stack.push_back({i, box_before(i)});
    } else if (text[i] == '}' && !stack.empty()) {
      Open open = stack.back();
      stack.pop_back();
      if (open.box != std::string_view::npos && i - open.brace <= kMaxBoxed) {
        out.push_back({open.box, text.substr(open.brace + 1, i - open.brace - 1)});
      }
    }
  }
  // "\boxed 5": the token up to blank space or '$'.
  size_t pos = 0;
  while ((pos = text.find("\\boxed ", pos)) != std::string_view::npos) {
    size_t i = pos + 6;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i < text.size() && text[i] != '{') {
      size_t j = i;
      while (j < text.size() && !IsSpace(text[j]) && text[j] != '$' && j - i < kMaxSpan) ++j;
      if (j > i) out.push_back({pos, text.substr(i, j - i)});
    }
    pos = i;
  }
  std::sort(out.begin(), out.end(), [](const Span& a, const Span& b) { return a.pos < b.pos; });
  return out;
}

std::optional<std::string> FirstNumberText(std::string_view span, size_t* offset) {
  re2::StringPiece input(span.data(), span.size());
  re2::StringPiece match;
  if (!NumberPattern().Match(input, 0, span.size(), RE2::UNANCHORED, &match, 1)) return std::nullopt;
  size_t pos = static_cast<size_t>(match.data() - span.data());
  std::string text(match.data(), match.size());
  // "3-5" is a range or a subtraction, not minus five.
  if (!text.empty() && text[0] == '-' && pos > 0 && IsAlnum(span[pos - 1])) {
    text.erase(0, 1);
    ++pos;
  }
  if (offset != nullptr) *offset = pos;
  return text;
}

std::vector<Span> AllNumbers(std::string_view text, size_t from) {
  const RE2& number = ThisThread(NumberPattern());
  std::vector<Span> out;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  size_t start = from;
  while (start < text.size() &&
         number.Match(input, start, text.size(), RE2::UNANCHORED, &match, 1)) {
    size_t pos = static_cast<size_t>(match.data() - text.data());
    std::string_view found = text.substr(pos, match.size());
    if (!found.empty() && found[0] == '-' && pos > 0 && IsAlnum(text[pos - 1])) {
      found.remove_prefix(1);
      ++pos;
    }
    out.push_back({pos, found});
    start = std::max(pos + found.size(), pos + 1);
  }
  return out;
}

// Why LastNumbersStart's position works. Every match of NumberPattern holds a digit, so the whole-text
// scan (each search starting where the previous match ended) ends with a match holding the text's
// last digit: a digit after it would start another match. A byte NumberPattern cannot match
// (kInNumber false) lies inside no match, so just after the last such byte before the last digit,
// every match lies wholly before or wholly after; a scan starting there finds exactly the whole
// scan's matches after it (leftmost-first matching at a given start does not depend on where the
// search began, and RE2 sees the text before for context). kInNumber must cover every byte the
// pattern can match; tests/extract/robustness_test.cc checks the two scans agree.
size_t LastNumbersStart(std::string_view text) {
  static const auto* const kInNumber = [] {
    auto* in = new std::array<bool, 256>{};
    for (const unsigned char c : std::string_view("-\\dtfrac{}0123456789.,$/% \t\n\r\f\v")) in->at(c) = true;
    return in;
  }();
  size_t digit = text.size();
  while (digit > 0 && !(text[digit - 1] >= '0' && text[digit - 1] <= '9')) --digit;
  if (digit == 0) return text.size();
  size_t start = digit - 1;
  while (start > 0 && (*kInNumber)[static_cast<unsigned char>(text[start - 1])]) --start;
  return start;
}

std::optional<char> LeadingLetter(std::string_view span, int num_letters) {
  re2::StringPiece input(span.data(), span.size());
  re2::StringPiece groups[2];
  if (!LetterPattern().Match(input, 0, span.size(), RE2::ANCHOR_START, groups, 2)) return std::nullopt;
  char letter = groups[1][0];
  bool lower = std::islower(static_cast<unsigned char>(letter)) != 0;
  char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(letter)));
  if (upper - 'A' >= num_letters) return std::nullopt;
  if (lower) {
    // "a car" is an article; "b", "b.", "(b)", "c )" are letters.
    size_t after = static_cast<size_t>(groups[1].data() - span.data()) + 1;
    while (after < span.size() && (span[after] == ' ' || span[after] == '\t')) ++after;
    if (after < span.size() && std::isalpha(static_cast<unsigned char>(span[after]))) return std::nullopt;
  }
  return upper;
}

std::optional<std::string> LeadingLetterSet(std::string_view span, int num_letters) {
  // Skip leading markup, then take the longest prefix made of letters and list separators.
  size_t i = 0;
  while (i < span.size() && std::string_view(" \t*:$").find(span[i]) != std::string_view::npos) ++i;
  for (const std::string_view wrap : {std::string_view("\\boxed{"), std::string_view("\\text{")}) {
    if (span.substr(i, wrap.size()) == wrap) i += wrap.size();
  }
  std::string letters;
  while (i < span.size()) {
    char c = span[i];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t end = i;
      while (end < span.size() && std::isalpha(static_cast<unsigned char>(span[end]))) ++end;
      std::string run(span.substr(i, end - i));
      std::string lower = util::ToLower(run);
      bool all_upper = std::all_of(run.begin(), run.end(), [](char x) { return x >= 'A' && x <= 'Z'; });
      if (lower == "and" || lower == "or") {
      } else if (run.size() == 1 || (all_upper && run.size() <= static_cast<size_t>(num_letters))) {
        letters += run;
      } else {
        break;
      }
      i = end;
      continue;
    }
    if (std::string_view(" ,;()[]{}&/*$\\").find(c) == std::string_view::npos) break;
    ++i;
  }
  auto canonical = NormalizeLetterSet(letters);
  if (!canonical) return std::nullopt;
  for (char c : *canonical) {
    if (c - 'A' >= num_letters) return std::nullopt;
  }
  return canonical;
}

std::optional<char> OptionTextAtStart(std::string_view span, const std::vector<std::string>& choices) {
  size_t i = 0;
  while (i < span.size() && std::string_view(" \t*:$\"'").find(span[i]) != std::string_view::npos) ++i;
  std::string head = util::ToLower(span.substr(i));
  int best = -1;
  size_t best_len = 0;
  for (size_t c = 0; c < choices.size() && c < 26; ++c) {
    std::string option = util::ToLower(util::Trim(choices[c]));
    if (option.empty() || option.size() > head.size()) continue;
    if (head.compare(0, option.size(), option) != 0) continue;
    if (option.size() < head.size() && IsAlnum(head[option.size()]) && IsAlnum(option.back())) continue;
    if (option.size() > best_len) {
      best = static_cast<int>(c);
      best_len = option.size();
    }
  }
  if (best >= 0) return static_cast<char>('A' + best);
  // Numeric options ("38", "27.675 m"): the span's leading number equal to exactly one option's.
  size_t offset = 0;
  auto number_text = FirstNumberText(head, &offset);
  if (!number_text || offset > 2) return std::nullopt;
  auto number = NormalizeNumber(*number_text);
  if (!number) return std::nullopt;
  for (size_t c = 0; c < choices.size() && c < 26; ++c) {
    auto option_number = FirstNumberText(choices[c]);
    if (!option_number) continue;
    auto canonical = NormalizeNumber(*option_number);
    if (canonical && *canonical == *number) {
      if (best >= 0) return std::nullopt;  // ambiguous
      best = static_cast<int>(c);
    }
  }
  if (best >= 0) return static_cast<char>('A' + best);
  return std::nullopt;
}

}  // namespace tasks::extract::internal
