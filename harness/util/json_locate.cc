#include "harness/util/json_locate.h"

#include <cctype>
#include <vector>

namespace util {

namespace {

// A scanner over JSON text that reports the dotted path and line of every key and array element.
class Locator {
 public:
  Locator(std::string_view text, const std::string& want) : text_(text), want_(want) {}

  long Run() {
    SkipSpace();
    Value("");
    return best_line_;
  }

 private:
  void Note(const std::string& path) {
    // An exact match wins; otherwise the longest path that is a prefix of the wanted one.
    if (path == want_) {
      best_line_ = line_, best_len_ = want_.size() + 1;
      return;
    }
    const bool prefix = want_.compare(0, path.size(), path) == 0 &&
                        (want_.size() > path.size() && (want_[path.size()] == '.' || want_[path.size()] == '['));
    if (prefix && path.size() + 1 > best_len_) best_line_ = line_, best_len_ = path.size() + 1;
  }

  void Value(const std::string& path) {
    if (pos_ >= text_.size() || ++depth_ > 256) return;
    const char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      while (true) {
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] == '}') break;
        if (text_[pos_] != '"') return;
        const std::string key = String();
        const std::string child = path.empty() ? key : path + "." + key;
        Note(child);
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == ':') ++pos_;
        SkipSpace();
        Value(child);
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
        else break;
      }
      if (pos_ < text_.size()) ++pos_;
    } else if (c == '[') {
      ++pos_;
      for (int i = 0;; ++i) {
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] == ']') break;
        const std::string child = path + "[" + std::to_string(i) + "]";
        Note(child);
        Value(child);
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
        else break;
      }
      if (pos_ < text_.size()) ++pos_;
    } else if (c == '"') {
      String();
    } else {
      while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) && text_[pos_] != ',' &&
             text_[pos_] != '}' && text_[pos_] != ']') {
        ++pos_;
      }
    }
    --depth_;
  }

  std::string String() {
    std::string out;
    ++pos_;  // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      if (text_[pos_] == '\n') ++line_;
      out += text_[pos_++];
    }
    ++pos_;  // closing quote
    return out;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
  }

  std::string_view text_;
  std::string want_;
  size_t pos_ = 0;
  long line_ = 1;
  int depth_ = 0;
  long best_line_ = 0;
  size_t best_len_ = 0;
};

}  // namespace

long LineOfJsonPath(std::string_view text, const std::string& path) {
  if (path.empty()) return 0;
  return Locator(text, path).Run();
}

}  // namespace util
