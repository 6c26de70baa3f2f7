// Rendering of a Derivation into each solution style. All styles walk the same steps, so a P-CoT
// program, a tool-use trace and a GSM8K annotation of one problem always agree on every number.
#include "tasks/synth/derivation.h"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "harness/util/text.h"

namespace tasks::synth {

namespace {

bool IsIntegral(double v) { return std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15; }

// Python prints an int for int-only arithmetic and a float repr ("570.0") once a float is involved.
bool PythonIsFloat(const CalcStep& step, const std::vector<double>& values) {
  double a = OperandValue(step.lhs, values), b = OperandValue(step.rhs, values);
  if (!IsIntegral(a) || !IsIntegral(b)) return true;
  if (step.op == '/') return !IsIntegral(a / b);
  return false;
}

// The Python operator for a step: exact integer divisions use // so the program prints "12", not
// "12.0".
std::string PythonOp(const CalcStep& step, const std::vector<double>& values) {
  if (step.op == '/' && !PythonIsFloat(step, values)) return "//";
  return std::string(1, step.op);
}

bool IsCalc(const CalcStep& step) { return step.op != 0; }

std::string FinalLine(const Derivation& d, const std::string& answer) {
  if (!d.choices.letters.empty()) return "The answer is (" + answer + ").";
  return "The answer is " + answer + ".";
}

std::string WithUnit(const std::string& number, const std::string& unit) {
  return unit.empty() ? number : number + " " + unit;
}

// Natural-language line of one step with the given values (which may be corrupted by a slip).
std::string NcotLine(const CalcStep& step, const std::vector<double>& values, double result) {
  if (!IsCalc(step)) return step.text;
  std::string line = step.lead.empty() ? "" : step.lead + " ";
  return line + ShownExpression(step, values) + " = " + WithUnit(Num(result), step.unit) + ".";
}

// Values of every step when step `slip` (or none, -1) is replaced by `slipped`.
std::vector<double> EvaluateWithSlip(const Derivation& d, int slip, double slipped) {
  std::vector<double> values(d.steps.size(), 0.0);
  for (size_t i = 0; i < d.steps.size(); ++i) {
    const CalcStep& s = d.steps[i];
    if (!IsCalc(s)) continue;
    double a = OperandValue(s.lhs, values), b = OperandValue(s.rhs, values);
    switch (s.op) {
      case '+':
        values[i] = a + b;
        break;
      case '-':
        values[i] = a - b;
        break;
      case '*':
        values[i] = a * b;
        break;
      case '/':
        values[i] = b == 0 ? 0 : a / b;
        break;
      case '%':
        values[i] = b == 0 ? 0 : std::fmod(a, b);
        break;
      default:
        values[i] = 0;
    }
    if (static_cast<int>(i) == slip) values[i] = slipped;
  }
  return values;
}

int LastCalc(const Derivation& d) {
  for (int i = static_cast<int>(d.steps.size()) - 1; i >= 0; --i) {
    if (IsCalc(d.steps[i])) return i;
  }
  return -1;
}

// The answer a solution reaches from (possibly corrupted) step values.
std::string AnswerFromValues(const Derivation& d, const std::vector<double>& values) {
  int last = LastCalc(d);
  if (last < 0) return d.answer;
  double v = values[last];
  if (d.choices.values.empty()) return Num(v);
  size_t best = 0;
  for (size_t i = 1; i < d.choices.values.size(); ++i) {
    if (std::fabs(d.choices.values[i] - v) < std::fabs(d.choices.values[best] - v)) best = i;
  }
  return d.choices.letters[best];
}

// A different answer of the same kind: a neighbouring number, or another option letter.
std::string OtherAnswer(const Derivation& d, util::SplitMix64& rng) {
  if (!d.choices.letters.empty()) {
    std::vector<std::string> others;
    for (const auto& l : d.choices.letters) {
      if (l != d.answer) others.push_back(l);
    }
    return others[rng.Below(others.size())];
  }
  double v = std::stod(d.answer);
  double delta = static_cast<double>(1 + rng.Below(3));
  if (rng.Below(2) == 0 && v - delta >= 0) delta = -delta;
  return Num(v + delta);
}

std::string Join(const std::vector<std::string>& lines, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? sep : "") + lines[i];
  return out;
}

// The step lines every N-CoT style starts with.
std::vector<std::string> NcotStepLines(const Derivation& d) {
  std::vector<double> values = Evaluate(d);
  std::vector<std::string> lines;
  for (size_t i = 0; i < d.steps.size(); ++i) lines.push_back(NcotLine(d.steps[i], values, values[i]));
  return lines;
}

// The lines after the steps. Plain: the answer note (if any) and the final line. Check layout (multiple
// choice with a value text): the value, one comparison per option up to the match, the final line.
std::vector<std::string> NcotEnding(const Derivation& d, bool check) {
  std::vector<std::string> lines;
  if (!check || d.choices.letters.empty() || d.value_text.empty()) {
    if (!d.answer_note.empty()) lines.push_back(d.answer_note);
    lines.push_back(FinalLine(d, d.answer));
    return lines;
  }
  lines.push_back("So the answer is " + d.value_text + ".");
  for (size_t i = 0; i < d.choices.letters.size(); ++i) {
    const std::string text = i < d.choices.texts.size() ? d.choices.texts[i] : Num(d.choices.values.at(i));
    const bool match = d.choices.letters[i] == d.answer;
    lines.push_back("(" + d.choices.letters[i] + ") " + text + " = " + d.value_text + "? " + (match ? "yes" : "no"));
    if (match) break;
  }
  lines.push_back(FinalLine(d, d.answer));
  return lines;
}

// A value as a Python 3 program holds it: an int (arbitrary precision there; 128 bits here, far beyond
// what generated problems reach) or a float (an IEEE double, as in CPython).
struct PyValue {
  bool is_float = false;
  __int128 i = 0;
  double f = 0;
  double AsFloat() const { return is_float ? f : static_cast<double>(i); }
};

PyValue PyInt(__int128 v) {
  PyValue out;
  out.i = v;
  return out;
}

PyValue PyFloat(double v) {
  PyValue out;
  out.is_float = true;
  out.f = v;
  return out;
}

// What Python makes of a literal as Num writes it: digits alone are an int, anything else ("2.5",
// "1e+20") a float.
PyValue PyLiteral(const std::string& text) {
  if (text.find_first_not_of("-0123456789") == std::string::npos) return PyInt(std::stoll(text));
  return PyFloat(std::strtod(text.c_str(), nullptr));
}

// CPython's float floor division and modulo (Objects/floatobject.c: the remainder takes the divisor's
// sign, the quotient is (a - mod) / b rounded to the nearest integer below).
void PyFloatDivMod(double a, double b, double* div_out, double* mod_out) {
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, b);
  }
  double floordiv;
  if (div != 0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, a / b);
  }
  *div_out = floordiv;
  *mod_out = mod;
}

// `a op b` with Python 3 semantics: int op int stays int except for /, which (like any float operand)
// gives a float; // and % floor towards minus infinity. Division by zero (which Python would raise on)
// does not occur in generated problems; it gives 0 here.
PyValue PyApply(const std::string& op, const PyValue& a, const PyValue& b) {
  if (!a.is_float && !b.is_float && op != "/") {
    if (op == "+") return PyInt(a.i + b.i);
    if (op == "-") return PyInt(a.i - b.i);
    if (op == "*") return PyInt(a.i * b.i);
    if (b.i == 0) return PyInt(0);
    __int128 q = a.i / b.i, r = a.i % b.i;
    if (r != 0 && ((r < 0) != (b.i < 0))) {
      q -= 1;
      r += b.i;
    }
    return PyInt(op == "//" ? q : r);
  }
  const double x = a.AsFloat(), y = b.AsFloat();
  if (op == "+") return PyFloat(x + y);
  if (op == "-") return PyFloat(x - y);
  if (op == "*") return PyFloat(x * y);
  if (y == 0) return PyFloat(0);
  if (op == "/") return PyFloat(x / y);
  double div, mod;
  PyFloatDivMod(x, y, &div, &mod);
  return PyFloat(op == "//" ? div : mod);
}

// Python's repr of a float: the shortest digits that read back to the same double, in positional
// notation with at least one decimal ("12.0", "0.0001") when the decimal exponent is in [-4, 16), else
// in exponent notation with a signed two-digit-minimum exponent ("1e-05", "1.5e+16").
std::string PyFloatRepr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  for (int precision = 0; precision <= 16; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string text = buf;  // [-]d[.ddd]e[+-]XX
  std::string sign;
  if (text[0] == '-') {
    sign = "-";
    text = text.substr(1);
  }
  const size_t e = text.find('e');
  const int exponent = std::stoi(text.substr(e + 1));
  std::string digits;
  for (size_t k = 0; k < e; ++k) {
    if (text[k] != '.') digits += text[k];
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (exponent < -4 || exponent >= 16) {
    std::string mantissa = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
    std::string exp_digits = std::to_string(exponent < 0 ? -exponent : exponent);
    if (exp_digits.size() < 2) exp_digits = "0" + exp_digits;
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp_digits;
  }
  if (exponent < 0) return sign + "0." + std::string(-exponent - 1, '0') + digits;
  const size_t int_len = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= int_len) return sign + digits + std::string(int_len - digits.size(), '0') + ".0";
  return sign + digits.substr(0, int_len) + "." + digits.substr(int_len);
}

std::string PyIntText(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string out;
  while (u > 0) {
    out += static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  }
  if (negative) out += '-';
  return std::string(out.rbegin(), out.rend());
}

// What print() shows for the value.
std::string PyPrinted(const PyValue& v) { return v.is_float ? PyFloatRepr(v.f) : PyIntText(v.i); }

}  // namespace

std::string Num(double value) { return util::FormatNumber(value); }

double OperandValue(const Operand& operand, const std::vector<double>& values) {
  return operand.ref >= 0 ? values[operand.ref] : operand.literal;
}

std::vector<double> Evaluate(const Derivation& d) { return EvaluateWithSlip(d, -1, 0); }

int CalcStepCount(const Derivation& d) {
  int n = 0;
  for (const auto& s : d.steps) n += IsCalc(s) ? 1 : 0;
  return n;
}

std::string ShownExpression(const CalcStep& step, const std::vector<double>& values) {
  return Num(OperandValue(step.lhs, values)) + " " + std::string(1, step.op) + " " +
         Num(OperandValue(step.rhs, values));
}

std::string RenderGsm8kAnswer(const Derivation& d) {
  std::vector<double> values = Evaluate(d);
  std::vector<std::string> lines;
  for (size_t i = 0; i < d.steps.size(); ++i) {
    const CalcStep& s = d.steps[i];
    if (!IsCalc(s)) {
      lines.push_back(s.text);
      continue;
    }
    std::string compact =
        Num(OperandValue(s.lhs, values)) + std::string(1, s.op) + Num(OperandValue(s.rhs, values));
    std::string result = Num(values[i]);
    std::string lead = s.lead.empty() ? "" : s.lead + " ";
    lines.push_back(lead + ShownExpression(s, values) + " = <<" + compact + "=" + result + ">>" +
                    WithUnit(result, s.unit) + ".");
  }
  if (!d.answer_note.empty()) lines.push_back(d.answer_note);
  lines.push_back("#### " + d.answer);
  return Join(lines, "\n");
}

std::string RenderNcot(const Derivation& d) {
  std::vector<std::string> lines = NcotStepLines(d);
  for (auto& line : NcotEnding(d, /*check=*/false)) lines.push_back(std::move(line));
  return Join(lines, "\n");
}

std::string RenderNcotCheck(const Derivation& d) {
  std::vector<std::string> lines = NcotStepLines(d);
  for (auto& line : NcotEnding(d, /*check=*/true)) lines.push_back(std::move(line));
  return Join(lines, "\n");
}

std::string RenderNcotToolCheck(const Derivation& d) {
  std::vector<std::string> lines = NcotStepLines(d);
  const std::vector<std::string> ending = NcotEnding(d, /*check=*/true);
  lines.insert(lines.end(), ending.begin(), ending.end());
  if (CalcStepCount(d) == 0) return Join(lines, "\n");
  // The recomputation: one variable per calculation step (s1, s2, ... in order), literals inline, the
  // operator RenderPcot would use, and the printed value simulated with Python's own semantics.
  const std::vector<double> values = Evaluate(d);
  std::vector<std::string> names(d.steps.size());
  std::vector<PyValue> py(d.steps.size());
  lines.push_back(kPythonHint);
  lines.push_back("<code>");
  int count = 0, last = -1;
  for (size_t i = 0; i < d.steps.size(); ++i) {
    const CalcStep& s = d.steps[i];
    if (!IsCalc(s)) continue;
    auto operand = [&](const Operand& o, std::string* text) {
      if (o.ref >= 0) {
        *text = names[o.ref];
        return py[o.ref];
      }
      *text = Num(o.literal);
      return PyLiteral(*text);
    };
    std::string lhs, rhs;
    const PyValue a = operand(s.lhs, &lhs), b = operand(s.rhs, &rhs);
    std::string op = PythonOp(s, values);
    // A float operand (a float-valued earlier step) makes // a floor of a rounded quotient (0.3 // 0.1 is
    // 2.0); true division keeps the value the derivation states.
    if (op == "//" && (a.is_float || b.is_float)) op = "/";
    names[i] = "s" + std::to_string(++count);
    py[i] = PyApply(op, a, b);
    last = static_cast<int>(i);
    lines.push_back(names[i] + " = " + lhs + " " + op + " " + rhs);
  }
  lines.push_back("print(" + names[last] + ")");
  lines.push_back("</code>");
  lines.push_back("<output>");
  lines.push_back(PyPrinted(py[last]));
  lines.push_back("</output>");
  lines.insert(lines.end(), ending.begin(), ending.end());
  return Join(lines, "\n");
}

std::string RenderPcot(const Derivation& d) {
  std::string body;
  if (!d.python.empty()) {
    body = d.python;
  } else {
    std::vector<double> values = Evaluate(d);
    // Unique Python names: givens first (in order of first use), then one variable per step.
    std::map<std::string, int> used;
    auto unique = [&used](std::string name) {
      int count = used[name]++;
      return count == 0 ? name : name + "_" + std::to_string(count + 1);
    };
    std::vector<std::string> step_names(d.steps.size());
    std::map<std::string, std::string> given_names;  // name + value -> python name
    std::vector<std::string> lines;
    auto operand_text = [&](const Operand& o) -> std::string {
      if (o.ref >= 0) return step_names[o.ref];
      if (o.name.empty()) return Num(o.literal);
      std::string key = o.name + "=" + Num(o.literal);
      auto it = given_names.find(key);
      if (it != given_names.end()) return it->second;
      std::string py = unique(o.name);
      given_names[key] = py;
      lines.push_back("    " + py + " = " + Num(o.literal));
      return py;
    };
    for (size_t i = 0; i < d.steps.size(); ++i) {
      const CalcStep& s = d.steps[i];
      if (!IsCalc(s)) continue;
      std::string lhs = operand_text(s.lhs);
      std::string rhs = operand_text(s.rhs);
      step_names[i] = unique(s.var.empty() ? "step" + std::to_string(i + 1) : s.var);
      lines.push_back("    " + step_names[i] + " = " + lhs + " " + PythonOp(s, values) + " " + rhs);
    }
    int last = LastCalc(d);
    std::string result = last >= 0 ? step_names[last] : "None";
    if (!d.choices.values.empty()) {
      std::string options;
      for (size_t i = 0; i < d.choices.letters.size(); ++i) {
        options += (i ? ", " : "") + std::string("\"") + d.choices.letters[i] +
                   "\": " + Num(d.choices.values[i]);
      }
      lines.push_back("    options = {" + options + "}");
      lines.push_back("    return min(options, key=lambda k: abs(options[k] - " + result + "))");
    } else {
      lines.push_back("    return " + result);
    }
    body = Join(lines, "\n");
  }
  // No blank line inside: ReFT's executor cuts the program at the first blank line.
  return "def solution():\n" + body + "\nprint(solution())";
}

std::string RenderTool(const Derivation& d) {
  std::vector<double> values = Evaluate(d);
  std::vector<std::string> lines;
  for (size_t i = 0; i < d.steps.size(); ++i) {
    const CalcStep& s = d.steps[i];
    double a = IsCalc(s) ? OperandValue(s.lhs, values) : 0,
           b = IsCalc(s) ? OperandValue(s.rhs, values) : 0;
    // Heavy: products, quotients and remainders beyond the times table, and anything with 4+
    // digits.
    bool table = std::fabs(a) <= 12 && std::fabs(b) <= 12;
    bool heavy = IsCalc(s) && (s.heavy || ((s.op == '*' || s.op == '/' || s.op == '%') && !table) ||
                               std::fabs(a) >= 1000 || std::fabs(b) >= 1000);
    if (heavy) {
      std::string expr = Num(a) + " " + PythonOp(s, values) + " " + Num(b);
      std::string printed = Num(values[i]);
      if (PythonIsFloat(s, values) && IsIntegral(values[i])) printed += ".0";
      lines.push_back("<code>\nprint(" + expr + ")\n</code>\n<output>\n" + printed + "\n</output>");
    }
    lines.push_back(NcotLine(s, values, values[i]));
  }
  if (!d.answer_note.empty()) lines.push_back(d.answer_note);
  lines.push_back(FinalLine(d, d.answer));
  return Join(lines, "\n");
}

std::vector<std::string> FlawKinds() {
  return {"arithmetic_slip", "wrong_answer", "skipped_step", "sloppy_format"};
}

Solution RenderSuboptimal(const Derivation& d, bool wrong, util::SplitMix64& rng,
                          const std::vector<std::string>& allowed) {
  auto allows = [&](const char* kind) {
    return allowed.empty() || std::find(allowed.begin(), allowed.end(), kind) != allowed.end();
  };
  // With both kinds of a group allowed the choice is drawn; with one, it is taken without a draw.
  auto choose = [&](const char* first, const char* second, uint64_t first_if_not, uint64_t out_of) {
    if (allows(first) && allows(second)) return rng.Below(out_of) != first_if_not;
    return allows(first);
  };
  Solution out;
  out.source = "suboptimal";
  out.style = "ncot";
  std::vector<double> values = Evaluate(d);
  std::vector<int> calc;
  for (size_t i = 0; i < d.steps.size(); ++i) {
    if (IsCalc(d.steps[i])) calc.push_back(static_cast<int>(i));
  }
  if (wrong) {
    // An arithmetic slip in one step, carried through the rest; a wrong final answer otherwise.
    if (!calc.empty() && choose("arithmetic_slip", "wrong_answer", 0, 3)) {
      int slip = calc[rng.Below(calc.size())];
      double delta = static_cast<double>(1 + rng.Below(3)) * (rng.Below(2) == 0 ? 1 : -1);
      if (values[slip] + delta < 0) delta = -delta;
      std::vector<double> bad = EvaluateWithSlip(d, slip, values[slip] + delta);
      std::string answer = AnswerFromValues(d, bad);
      if (answer == d.answer && !d.choices.letters.empty()) answer = OtherAnswer(d, rng);
      if (answer != d.answer) {
        std::vector<std::string> lines;
        for (size_t i = 0; i < d.steps.size(); ++i)
          lines.push_back(NcotLine(d.steps[i], bad, bad[i]));
        lines.push_back(FinalLine(d, answer));
        out.flaw = "arithmetic_slip";
        out.text = Join(lines, "\n");
        out.correct = false;
        return out;
      }
    }
    std::vector<std::string> lines;
    for (size_t i = 0; i < d.steps.size(); ++i)
      lines.push_back(NcotLine(d.steps[i], values, values[i]));
    lines.push_back(FinalLine(d, OtherAnswer(d, rng)));
    out.flaw = "wrong_answer";
    out.text = Join(lines, "\n");
    out.correct = false;
    return out;
  }
  out.correct = true;
  if (d.steps.size() >= 2 && !choose("sloppy_format", "skipped_step", 0, 2)) {
    // Skips one intermediate step's line (never the last one): right answer, incomplete reasoning.
    size_t skip = rng.Below(d.steps.size() - 1);
    std::vector<std::string> lines;
    for (size_t i = 0; i < d.steps.size(); ++i) {
      if (i != skip) lines.push_back(NcotLine(d.steps[i], values, values[i]));
    }
    lines.push_back(FinalLine(d, d.answer));
    out.flaw = "skipped_step";
    out.text = Join(lines, "\n");
    return out;
  }
  // Sloppy format: lower case, no units or sentences, a bare "answer:" line.
  std::vector<std::string> parts;
  for (size_t i = 0; i < d.steps.size(); ++i) {
    const CalcStep& s = d.steps[i];
    parts.push_back(IsCalc(s) ? ShownExpression(s, values) + " = " + Num(values[i])
                              : util::ToLower(s.text));
  }
  out.flaw = "sloppy_format";
  out.text = util::ToLower(Join(parts, ", ")) + "\nanswer: " + d.answer;
  return out;
}

}  // namespace tasks::synth
