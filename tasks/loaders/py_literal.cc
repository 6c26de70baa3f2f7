// Recursive-descent parser for the subset of Python literal syntax that datasets store.
#include "tasks/loaders/py_literal.h"

#include <cctype>
#include <cstdlib>

namespace tasks::loaders {

namespace {

class Parser {
 public:
  Parser(const std::string& text, const util::Location& where) : s_(text), where_(where) {}

  nlohmann::json ParseAll() {
    nlohmann::json value = ParseValue(0);
    SkipSpace();
    if (pos_ != s_.size()) Fail("unexpected trailing text");
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw util::InputError(
        where_, "invalid Python literal at offset " + std::to_string(pos_) + ": " + what);
  }

  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ConsumeWord(const char* word) {
    const std::string w(word);
    if (s_.compare(pos_, w.size(), w) != 0) return false;
    const size_t end = pos_ + w.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_'))
      return false;
    pos_ = end;
    return true;
  }

  nlohmann::json ParseValue(int depth) {
    if (depth > 200) Fail("nesting too deep");
    SkipSpace();
    if (pos_ >= s_.size()) Fail("unexpected end of text");
    const char c = s_[pos_];
    if (c == '{') return ParseDict(depth);
    if (c == '[') return ParseSequence(depth, ']');
    if (c == '(') return ParseSequence(depth, ')');
    if (c == '\'' || c == '"') return ParseStrings();
    if (ConsumeWord("None")) return nullptr;
    if (ConsumeWord("True")) return true;
    if (ConsumeWord("False")) return false;
    if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c)))
      return ParseNumber();
    Fail(std::string("unsupported token starting with '") + c + "'");
  }

  nlohmann::json ParseDict(int depth) {
    ++pos_;  // '{'
    nlohmann::json out = nlohmann::json::object();
    if (Consume('}')) return out;
    while (true) {
      SkipSpace();
      nlohmann::json key = ParseValue(depth + 1);
      if (!key.is_string()) Fail("only string dict keys are supported");
      if (!Consume(':')) Fail("expected ':' after a dict key");
      out[key.get<std::string>()] = ParseValue(depth + 1);
      if (Consume(',')) {
        if (Consume('}')) return out;
        continue;
      }
      if (Consume('}')) return out;
      Fail("expected ',' or '}' in a dict");
    }
  }

  nlohmann::json ParseSequence(int depth, char close) {
    ++pos_;  // '[' or '('
    nlohmann::json out = nlohmann::json::array();
    if (Consume(close)) return out;
    while (true) {
      out.push_back(ParseValue(depth + 1));
      if (Consume(',')) {
        if (Consume(close)) return out;
        continue;
      }
      if (Consume(close)) return out;
      Fail(std::string("expected ',' or '") + close + "'");
    }
  }

  // Adjacent literals concatenate, as in Python ('a' "b" == 'ab').
  nlohmann::json ParseStrings() {
    std::string out = ParseOneString();
    while (true) {
      size_t save = pos_;
      SkipSpace();
      if (pos_ < s_.size() && (s_[pos_] == '\'' || s_[pos_] == '"')) {
        out += ParseOneString();
      } else {
        pos_ = save;
        return out;
      }
    }
  }

  static void AppendUtf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  unsigned long ParseHex(int digits) {
    if (pos_ + digits > s_.size()) Fail("truncated escape");
    unsigned long value = 0;
    for (int k = 0; k < digits; ++k) {
      const char h = s_[pos_++];
      value <<= 4;
      if (h >= '0' && h <= '9')
        value |= h - '0';
      else if (h >= 'a' && h <= 'f')
        value |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F')
        value |= h - 'A' + 10;
      else
        Fail("bad hex digit in escape");
    }
    return value;
  }

  std::string ParseOneString() {
    const char quote = s_[pos_];
    // Triple-quoted strings are valid Python but never appear in repr() output.
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) Fail("unterminated string");
      const char c = s_[pos_++];
      if (c == quote) return out;
      if (c == '\n') Fail("line break inside a single-quoted string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) Fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '0':
          out += '\0';
          break;
        case '\n':
          break;  // escaped line break continues the literal
        case 'x':
          AppendUtf8(out, ParseHex(2));
          break;
        case 'u':
          AppendUtf8(out, ParseHex(4));
          break;
        case 'U':
          AppendUtf8(out, ParseHex(8));
          break;
        default:
          // Python keeps unknown escapes verbatim ("\d" stays backslash-d); so do we.
          out += '\\';
          out += e;
      }
    }
  }

  nlohmann::json ParseNumber() {
    const size_t start = pos_;
    if (s_[pos_] == '-' || s_[pos_] == '+') ++pos_;
    bool is_float = false;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c)) || c == '_') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E') {
        is_float = true;
        ++pos_;
        if ((c == 'e' || c == 'E') && pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+'))
          ++pos_;
      } else {
        break;
      }
    }
    std::string token;
    for (size_t k = start; k < pos_; ++k) {
      if (s_[k] != '_') token += s_[k];
    }
    char* end = nullptr;
    if (!is_float) {
      long long v = std::strtoll(token.c_str(), &end, 10);
      if (end && *end == '\0' && !token.empty() && token != "-" && token != "+") return v;
    }
    double d = std::strtod(token.c_str(), &end);
    if (!end || *end != '\0' || token.empty()) Fail("malformed number '" + token + "'");
    return d;
  }

  const std::string& s_;
  const util::Location& where_;
  size_t pos_ = 0;
};

}  // namespace

nlohmann::json ParsePythonLiteral(const std::string& text, const util::Location& where) {
  return Parser(text, where).ParseAll();
}

}  // namespace tasks::loaders
