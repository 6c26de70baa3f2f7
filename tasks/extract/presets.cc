// The project's own presets ("default", "strict", "flexible") per answer kind, the preset table, and
// the public Extract / PresetsFor entry points.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <utility>

#include "harness/util/error.h"
#include "harness/util/text.h"
#include "tasks/extract/extract.h"
#include "tasks/extract/normalize.h"
#include "tasks/extract/pipeline.h"

namespace tasks::extract {

namespace internal {
namespace {

// ---- markers: explicit final-answer announcements ----

const RE2& HashMarker() {
  static const RE2& re = Compile(R"(####)");
  return re;
}
// The next three start at a word boundary (a leading \b), which MarkerStep's word_start checks
// instead of the pattern: a pattern that starts with its literal lets RE2 skip ahead to it (about
// 3.5x faster searches).
// "The answer is", "the correct answer is", "final answer is" (with an optional colon).
const RE2& AnswerIsMarker() {
  // AGIEval's own few-shot answers read "The answer is therefore B".
  static const RE2& re = Compile(R"((?i)answer\s+is\b(?:\s+therefore\b)?\s*:?)");
  return re;
}
const RE2& FinalAnswerIsMarker() {
  static const RE2& re = Compile(R"((?i)final\s+answer\s+is\b\s*:?)");
  return re;
}
// "Answer: 18", "**Answer:** 18", "**Answer**: 18", "Final Answer: 18".
const RE2& AnswerColonMarker() {
  static const RE2& re = Compile(R"((?i)answer\s*(?:\*\*|__)?\s*(?::|\xEF\xBC\x9A)\s*(?:\*\*|__)?)");
  return re;
}
// AGIEval's Chinese subsets: "答案是" / "答案为".
const RE2& ChineseAnswerMarker() {
  static const RE2& re = Compile("\xE7\xAD\x94\xE6\xA1\x88(?:\xE6\x98\xAF|\xE4\xB8\xBA)");
  return re;
}
// For options: "the correct option is", "choice is".
const RE2& OptionIsMarker() {
  static const RE2& re = Compile(R"((?i)\b(?:option|choice)\s+is\b\s*:?)");
  return re;
}

// Reads a span into a value for the record's kind; nullopt when the span holds no such answer.
using Reader = std::function<std::optional<Found>(const Context&, const Span&)>;

// Only the last valid answer of a step can win its stage, so spans are read from the end and
// reading stops at the first that holds an answer.
void ReadLastValid(const std::vector<Span>& spans, const Context& context, const Reader& read,
                   std::vector<Found>& out) {
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    if (auto found = read(context, *it)) {
      out.push_back(std::move(*found));
      return;
    }
  }
}

// A step that reads the spans after `marker` (matches at a word start only, with `word_start`) with
// `read`.
Step MarkerStep(std::string name, const RE2& marker, Reader read, bool word_start = false) {
  return {std::move(name),
          [&marker, read, word_start](const Context& context, std::vector<Found>& out) {
            ReadLastValid(MarkerSpans(marker, context.text, word_start), context, read, out);
          },
          &marker};
}

Step BoxedStep(Reader read) {
  static const RE2& box = Compile(R"(\\boxed|\\fbox)");  // BoxedContents finds nothing without one
  return {"boxed",
          [read](const Context& context, std::vector<Found>& out) {
            ReadLastValid(BoxedContents(context.text), context, read, out);
          },
          &box};
}

// ---- readers, one per answer kind ----

std::optional<Found> ReadNumber(const Context&, const Span& span) {
  std::string text = util::ReplaceAll(std::string(span.text), "\xE2\x88\x92", "-");
  // The answer sits in the marker's own sentence: "The answer is unclear. Then 4 + 5 = 9" has none.
  size_t sentence_end = text.find(". ");
  if (sentence_end != std::string::npos) text.resize(sentence_end + 1);
  // A whole box or span may be one number with a unit ("\frac{1}{2}", "5\text{ cm}").
  if (auto whole = NormalizeNumber(text)) return Found{span.pos, util::Trim(text), *whole};
  auto number = FirstNumberText(text);
  if (!number) return std::nullopt;
  auto value = NormalizeNumber(*number);
  if (!value) return std::nullopt;
  return Found{span.pos, *number, *value};
}

std::optional<Found> ReadInteger(const Context& context, const Span& span) {
  auto found = ReadNumber(context, span);
  if (!found) return std::nullopt;
  auto value = NormalizeInteger(found->value);
  if (!value) return std::nullopt;
  found->value = *value;
  return found;
}

std::optional<Found> ReadLetter(const Context& context, const Span& span) {
  if (auto letter = LeadingLetter(span.text, context.num_letters)) {
    return Found{span.pos, std::string(span.text.substr(0, 40)), std::string(1, *letter)};
  }
  if (auto letter = OptionTextAtStart(span.text, context.record->choices)) {
    if (*letter - 'A' < context.num_letters) {
      return Found{span.pos, std::string(span.text.substr(0, 80)), std::string(1, *letter)};
    }
  }
  return std::nullopt;
}

std::optional<Found> ReadLetterSet(const Context& context, const Span& span) {
  auto letters = LeadingLetterSet(span.text, context.num_letters);
  if (!letters) return std::nullopt;
  return Found{span.pos, std::string(span.text.substr(0, 40)), *letters};
}

// Cloze spans: "$\frac{1}{2}$." / "x = 3, so ..." / a boxed LaTeX expression.
std::optional<Found> ReadCloze(const Context&, const Span& span) {
  std::string_view text = span.text;
  size_t dollar = text.find('$');
  if (dollar != std::string_view::npos && dollar < 4) {
    size_t close = text.find('$', dollar + 1);
    if (close != std::string_view::npos) text = text.substr(dollar + 1, close - dollar - 1);
  } else {
    size_t stop = text.find(". ");
    if (stop != std::string_view::npos) text = text.substr(0, stop);
  }
  std::string value = NormalizeLatex(text);
  if (value.empty() || value.size() > 200) return std::nullopt;
  return Found{span.pos, util::Trim(text), value};
}

std::optional<Found> ReadBoxedCloze(const Context&, const Span& span) {
  std::string value = NormalizeLatex(span.text);
  if (value.empty()) return std::nullopt;
  return Found{span.pos, std::string(span.text), value};
}

Reader ReaderFor(AnswerKind kind) {
  switch (kind) {
    case AnswerKind::kInteger: return ReadInteger;
    case AnswerKind::kChoice: return ReadLetter;
    case AnswerKind::kChoiceSet: return ReadLetterSet;
    case AnswerKind::kCloze: return ReadCloze;
    default: return ReadNumber;
  }
}

// The explicit final-answer markers of a kind, pooled so that the last one in the text wins.
Stage MarkerStage(AnswerKind kind) {
  Reader read = ReaderFor(kind);
  Stage stage;
  if (kind == AnswerKind::kNumeric || kind == AnswerKind::kInteger) {
    stage.push_back(MarkerStep("hash_marker", HashMarker(), read));
  }
  stage.push_back(MarkerStep("answer_is", AnswerIsMarker(), read, /*word_start=*/true));
  stage.push_back(MarkerStep("final_answer_is", FinalAnswerIsMarker(), read, /*word_start=*/true));
  stage.push_back(MarkerStep("answer_colon", AnswerColonMarker(), read, /*word_start=*/true));
  stage.push_back(MarkerStep("answer_is_zh", ChineseAnswerMarker(), read));
  if (kind == AnswerKind::kChoice || kind == AnswerKind::kChoiceSet) {
    stage.push_back(MarkerStep("option_is", OptionIsMarker(), read));
  }
  stage.push_back(BoxedStep(kind == AnswerKind::kCloze ? Reader(ReadBoxedCloze) : read));
  return stage;
}

// ---- fallbacks, used only when no marker matched ----

Step LastNumberStep(AnswerKind kind) {
  // The last number that reads as one; the numbers after LastNumbersStart are tried first (they
  // are the whole scan's last ones), and the whole text only when none of them reads.
  return {"last_number", [kind](const Context& context, std::vector<Found>& out) {
            const auto read_last = [&](const std::vector<Span>& numbers) {
              for (auto it = numbers.rbegin(); it != numbers.rend(); ++it) {
                auto value = kind == AnswerKind::kInteger ? NormalizeInteger(it->text)
                                                          : NormalizeNumber(it->text);
                if (kind == AnswerKind::kCloze) {
                  auto number = NormalizeNumber(it->text);
                  if (number) value = NormalizeLatex(it->text);
                }
                if (value) {
                  out.push_back({it->pos, std::string(it->text), *value});
                  return true;
                }
              }
              return false;
            };
            const size_t start = LastNumbersStart(context.text);
            if (start == context.text.size()) return;  // no digit, no number
            if (!read_last(AllNumbers(context.text, start)) && start > 0) read_last(AllNumbers(context.text));
          }};
}

// Flexible: "answer" followed closely by a number ("the answer would be 18", "Answer = 18").
Step AnswerWordStep(AnswerKind kind) {
  static const RE2& marker = Compile(R"((?i)\b(?:answer|result)\b[^0-9\n]{0,40}?)");
  Reader read = ReaderFor(kind);
  return MarkerStep("answer_word", marker, read);
}

// Flexible: the number after the last '=' of the text ("... = 18").
Step LastEqualsStep(AnswerKind kind) {
  static const RE2& marker = Compile(R"(=)");
  Reader read = ReaderFor(kind);
  return {"last_equals", [read](const Context& context, std::vector<Found>& out) {
            auto spans = MarkerSpans(marker, context.text);
            if (spans.empty()) return;
            if (auto found = read(context, spans.back())) out.push_back(std::move(*found));
          }};
}

// Choice fallbacks. "(B)" and "B)" (upper case), MathQA's "c )" (letter, space, parenthesis).
Step LastParenLetterStep(bool any_case) {
  return {any_case ? "last_paren_letter_any_case" : "last_paren_letter",
          [any_case](const Context& context, std::vector<Found>& out) {
            static const RE2& upper = Compile(R"(\(([A-Z])\)|\b([A-Z])\)|\b([a-z]) \))");
            static const RE2& any = Compile(R"(\(([A-Za-z])\)|\b([A-Za-z])\s?\))");
            const RE2& re = any_case ? any : upper;
            const RE2& mine = ThisThread(re);
            re2::StringPiece input(context.text.data(), context.text.size());
            re2::StringPiece groups[4];
            size_t start = 0;
            std::optional<Found> last;
            while (start < context.text.size() &&
                   mine.Match(input, start, context.text.size(), RE2::UNANCHORED, groups,
                            re.NumberOfCapturingGroups() + 1)) {
              size_t pos = static_cast<size_t>(groups[0].data() - context.text.data());
              for (int g = 1; g <= re.NumberOfCapturingGroups(); ++g) {
                if (groups[g].empty()) continue;
                char letter = static_cast<char>(std::toupper(static_cast<unsigned char>(groups[g][0])));
                if (letter - 'A' < context.num_letters) {
                  last = Found{pos, std::string(groups[0].data(), groups[0].size()), std::string(1, letter)};
                }
              }
              start = pos + std::max<size_t>(groups[0].size(), 1);
            }
            if (last) out.push_back(*last);
          }};
}

// The last standalone capital letter in range ("so B."), skipping "A" used as an article ("A train").
Step LastLetterStep() {
  return {"last_letter", [](const Context& context, std::vector<Found>& out) {
            static const RE2& re = Compile(R"(\b([A-Z])\b)");
            const RE2& mine = ThisThread(re);
            re2::StringPiece input(context.text.data(), context.text.size());
            re2::StringPiece groups[2];
            size_t start = 0;
            std::optional<Found> last;
            const std::string_view text = context.text;
            while (start < text.size() &&
                   mine.Match(input, start, text.size(), RE2::UNANCHORED, groups, 2)) {
              size_t pos = static_cast<size_t>(groups[1].data() - text.data());
              start = pos + 1;
              char letter = groups[1][0];
              if (letter - 'A' >= context.num_letters) continue;
              char next = pos + 1 < text.size() ? text[pos + 1] : '\0';
              char after = pos + 2 < text.size() ? text[pos + 2] : '\0';
              if (next == '\'' || next == '-') continue;                           // "A's", "B-tree"
              if (next == ' ' && std::islower(static_cast<unsigned char>(after))) continue;  // "A train"
              last = Found{pos, std::string(1, letter), std::string(1, letter)};
            }
            if (last) out.push_back(*last);
          }};
}

// The option whose text occurs last in the completion (case-insensitive, on word boundaries).
Step OptionTextStep() {
  return {"option_text", [](const Context& context, std::vector<Found>& out) {
            const auto& choices = context.record->choices;
            if (choices.empty() || context.text.size() > (1u << 20)) return;
            std::string lower = util::ToLower(context.text);
            std::optional<Found> best;
            size_t best_end = 0;
            for (size_t c = 0; c < choices.size() && static_cast<int>(c) < context.num_letters; ++c) {
              std::string option = util::ToLower(util::Trim(choices[c]));
              if (option.size() < 2) continue;
              size_t pos = lower.rfind(option);
              while (pos != std::string::npos) {
                size_t end = pos + option.size();
                bool left_ok = pos == 0 || !std::isalnum(static_cast<unsigned char>(lower[pos - 1]));
                bool right_ok = end == lower.size() || !std::isalnum(static_cast<unsigned char>(lower[end]));
                if (left_ok && right_ok) break;
                pos = pos == 0 ? std::string::npos : lower.rfind(option, pos - 1);
              }
              if (pos == std::string::npos) continue;
              size_t end = pos + option.size();
              if (!best || end > best_end || (end == best_end && option.size() > best->raw.size())) {
                best = Found{pos, choices[c], std::string(1, static_cast<char>('A' + c))};
                best_end = end;
              }
            }
            if (best) out.push_back(*best);
          }};
}

// Letter sets: the last line made only of option letters and separators ("A, D", "(A)(D)").
Step LastLetterLineStep() {
  return {"last_letter_line", [](const Context& context, std::vector<Found>& out) {
            const std::string_view text = context.text;
            size_t end = text.size();
            while (end > 0) {
              size_t begin = text.rfind('\n', end - 1);
              begin = begin == std::string_view::npos ? 0 : begin + 1;
              std::string_view line = text.substr(begin, end - begin);
              if (line.size() <= 64) {
                auto letters = NormalizeLetterSet(line);
                bool in_range = letters.has_value();
                if (letters) {
                  for (char c : *letters) in_range = in_range && c - 'A' < context.num_letters;
                }
                if (in_range) {
                  out.push_back({begin, std::string(line), *letters});
                  return;
                }
              }
              if (begin == 0) return;
              end = begin - 1;
            }
          }};
}

// Cloze flexible: the last inline math "$...$" or "\(...\)".
Step LastMathStep() {
  return {"last_math", [](const Context& context, std::vector<Found>& out) {
            static const RE2& re = Compile(R"(\$([^$\n]{1,200})\$|\\\((.{1,200}?)\\\))");
            const RE2& mine = ThisThread(re);
            re2::StringPiece input(context.text.data(), context.text.size());
            re2::StringPiece groups[3];
            size_t start = 0;
            std::optional<Found> last;
            while (start < context.text.size() &&
                   mine.Match(input, start, context.text.size(), RE2::UNANCHORED, groups, 3)) {
              size_t pos = static_cast<size_t>(groups[0].data() - context.text.data());
              re2::StringPiece inner = groups[1].data() != nullptr ? groups[1] : groups[2];
              std::string_view expression(inner.data(), inner.size());
              size_t eq = expression.rfind('=');
              if (eq != std::string_view::npos) expression = expression.substr(eq + 1);
              std::string value = NormalizeLatex(expression);
              if (!value.empty()) last = Found{pos, std::string(inner.data(), inner.size()), value};
              start = pos + std::max<size_t>(groups[0].size(), 1);
            }
            if (last) out.push_back(*last);
          }};
}

Pipeline Strict(AnswerKind kind) { return {MarkerStage(kind)}; }

Pipeline Default(AnswerKind kind) {
  Pipeline p = {MarkerStage(kind)};
  switch (kind) {
    case AnswerKind::kChoice:
      p.push_back({LastParenLetterStep(false)});
      p.push_back({LastLetterStep()});
      p.push_back({OptionTextStep()});
      break;
    case AnswerKind::kChoiceSet:
      p.push_back({LastLetterLineStep()});
      break;
    default:
      p.push_back({LastNumberStep(kind)});
  }
  return p;
}

Pipeline Flexible(AnswerKind kind) {
  Pipeline p = {MarkerStage(kind)};
  switch (kind) {
    case AnswerKind::kChoice:
      p.push_back({LastParenLetterStep(false)});
      p.push_back({LastLetterStep()});
      p.push_back({OptionTextStep()});
      p.push_back({LastParenLetterStep(true)});
      break;
    case AnswerKind::kChoiceSet:
      p.push_back({LastLetterLineStep()});
      p.push_back({LastParenLetterStep(false)});
      break;
    case AnswerKind::kCloze:
      p.push_back({LastMathStep()});
      p.push_back({LastNumberStep(kind)});
      break;
    default:
      p.push_back({AnswerWordStep(kind)});
      p.push_back({LastEqualsStep(kind)});
      p.push_back({LastNumberStep(kind)});
  }
  return p;
}

struct PresetKey {
  AnswerKind kind;
  bool gpqa;
  bool operator<(const PresetKey& o) const {
    return std::make_pair(static_cast<int>(kind), gpqa) < std::make_pair(static_cast<int>(o.kind), o.gpqa);
  }
};

struct Preset {
  std::string name;
  Pipeline pipeline;
  const char* equivalence;  // one of the names in pipeline.h's `equivalence` namespace
};
using PresetList = std::vector<Preset>;

// Presets per kind, default first. Built once.
PresetList BuildPresets(AnswerKind kind, bool gpqa) {
  namespace eq = equivalence;
  PresetList list;
  if (kind == AnswerKind::kCode) return list;  // code presets are handled by ExtractCode
  list.push_back({"default", Default(kind), eq::kExact});
  list.push_back({"strict", Strict(kind), eq::kExact});
  list.push_back({"flexible", Flexible(kind), eq::kExact});
  if (kind == AnswerKind::kNumeric) {
    list.push_back({"lm-eval-strict", LmEvalGsm8kStrict(), eq::kLmEvalExactMatch});
    list.push_back({"lm-eval-flexible", LmEvalGsm8kFlexible(), eq::kLmEvalExactMatch});
    list.push_back({"lm-eval-cot", LmEvalGsm8kCot(), eq::kLmEvalExactMatch});
    // ReFT compares numbers with |prediction - gold| <= 1e-2; its answers are marked ("The answer is").
    list.push_back({"reft", Strict(kind), eq::kReft});
  }
  if (kind == AnswerKind::kChoice && gpqa) {
    list.push_back({"lm-eval-strict", LmEvalGpqaStrict(), eq::kLmEvalChoice});
    list.push_back({"lm-eval-flexible", LmEvalGpqaFlexible(), eq::kLmEvalChoice});
    list.push_back({"simple-evals", SimpleEvalsGpqa(), eq::kSimpleEvals});
  }
  if (kind == AnswerKind::kNumeric || kind == AnswerKind::kInteger || kind == AnswerKind::kCloze) {
    list.push_back({"qwen", QwenMath(), eq::kQwen});
  }
  // Multi-answer records get Qwen's single-letter cleaner too, so that one preset name works for a
  // whole AGIEval file (gaokao-physics mixes single- and multi-answer rows).
  if (kind == AnswerKind::kChoice || kind == AnswerKind::kChoiceSet) {
    list.push_back({"qwen", QwenChoice(), eq::kQwen});
  }
  return list;
}

const PresetList& Presets(AnswerKind kind, bool gpqa) {
  static const auto* table = [] {
    auto* t = new std::map<PresetKey, PresetList>();
    for (AnswerKind k : {AnswerKind::kNumeric, AnswerKind::kChoice, AnswerKind::kChoiceSet,
                         AnswerKind::kInteger, AnswerKind::kCloze, AnswerKind::kCode}) {
      for (bool g : {false, true}) (*t)[{k, g}] = BuildPresets(k, g);
    }
    return t;
  }();
  return table->at({kind, gpqa});
}

const std::vector<std::string>& CodePresets() {
  static const std::vector<std::string> names = {"default", "strict", "flexible", "first"};
  return names;
}

int NumLetters(const Record& record) {
  if (!record.choices.empty()) return static_cast<int>(std::min<size_t>(record.choices.size(), 26));
  return record.kind == AnswerKind::kChoiceSet ? 7 : 5;
}

[[noreturn]] void UnknownPreset(const Record& record, const std::string& preset,
                                const std::vector<std::string>& names) {
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  std::string message = "unknown extraction preset '" + preset + "' for task '" + record.task + "'";
  std::string close = util::ClosestMatch(preset, names);
  if (!close.empty()) message += "; did you mean '" + close + "'?";
  message += " (valid: " + valid + ")";
  throw util::InputError(util::Location{"", 0, "extract"}, message);
}

}  // namespace
}  // namespace internal

std::vector<std::string> PresetsFor(const Record& record) {
  if (record.kind == AnswerKind::kCode) return internal::CodePresets();
  std::vector<std::string> names;
  for (const auto& entry : internal::Presets(record.kind, record.task == "gpqa")) names.push_back(entry.name);
  return names;
}

ExtractedAnswer Extract(const std::string& completion, const Record& record, const std::string& preset) {
  if (record.kind == AnswerKind::kCode) {
    const auto& names = internal::CodePresets();
    if (std::find(names.begin(), names.end(), preset) == names.end()) {
      internal::UnknownPreset(record, preset, names);
    }
    if (preset == "first") return ExtractCode(completion, "first");
    ExtractedAnswer answer = ExtractCode(completion, "last");
    if (!answer.valid && preset == "flexible" && !util::Trim(completion).empty()) {
      // No fence at all: the whole completion may be the program.
      answer.valid = true;
      answer.value = completion;
      answer.raw = completion;
      answer.rule = "whole_completion";
    }
    return answer;
  }
  const auto& presets = internal::Presets(record.kind, record.task == "gpqa");
  for (const auto& entry : presets) {
    if (entry.name != preset) continue;
    internal::Context context;
    context.text = completion;
    context.record = &record;
    context.num_letters = internal::NumLetters(record);
    ExtractedAnswer answer = internal::RunPipeline(entry.pipeline, context);
    answer.equivalence = entry.equivalence;
    return answer;
  }
  std::vector<std::string> names;
  for (const auto& entry : presets) names.push_back(entry.name);
  internal::UnknownPreset(record, preset, names);
}

}  // namespace tasks::extract
