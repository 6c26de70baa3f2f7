// A parser for Python literals (what repr() prints for dicts, lists, tuples, strings, numbers,
// None, True, False) into JSON, so that data stored as Python reprs never has to be eval'd. Used
// for MathQA's list-style `options` strings and AGIEval's few_shot_prompts.csv cells.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/util/error.h"

namespace tasks::loaders {

// Tuples become arrays, None becomes null. Strings accept both quote styles, implicit concatenation
// of adjacent literals, and the escapes \\ \' \" \n \t \r \a \b \f \v \0 \xHH \uHHHH \UHHHHHHHH and
// escaped line breaks. Anything else (names, calls, sets, byte strings) throws util::InputError at
// `where` with the byte offset of the problem.
nlohmann::json ParsePythonLiteral(const std::string& text, const util::Location& where);

}  // namespace tasks::loaders
