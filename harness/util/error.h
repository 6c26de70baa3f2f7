// Errors for bad user input (files, configs, flags). Each carries where it happened so the CLI can
// print "FILE:LINE: field 'F': message" and exit with code 2. Programming errors are not InputErrors.
#pragma once

#include <stdexcept>
#include <string>

namespace util {

// Where in the user's input a problem sits. Any part may be empty / zero when unknown.
struct Location {
  std::string file;
  long line = 0;          // 1-based; 0 = whole file
  std::string field;      // JSON field, CSV column or config key
};

class InputError : public std::runtime_error {
 public:
  InputError(Location where, const std::string& what);
  explicit InputError(const std::string& what) : InputError(Location{}, what) {}
  const Location& where() const { return where_; }
  const std::string& detail() const { return detail_; }

 private:
  Location where_;
  std::string detail_;
};

// "file:line: field 'x': " prefix (pieces omitted when unknown).
std::string FormatLocation(const Location& where);

}  // namespace util
