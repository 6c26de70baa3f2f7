// The Python-literal parser behind LiveCodeBench's functional tests: bad text is an InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/util/error.h"
#include "tasks/loaders/py_literal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    tasks::loaders::ParsePythonLiteral(std::string(reinterpret_cast<const char*>(data), size),
                                       util::Location{"fuzz", 1, "input"});
  } catch (const util::InputError&) {
  }
  return 0;
}
