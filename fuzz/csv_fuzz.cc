// The CSV reader (GPQA, AGIEval few-shot prompts): bad text is an InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/util/error.h"
#include "tasks/loaders/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    tasks::loaders::CsvTable::Parse(text, "fuzz.csv");
  } catch (const util::InputError&) {
  }
  try {
    tasks::loaders::ParseCsvRows(text, "fuzz.csv");
  } catch (const util::InputError&) {
  }
  return 0;
}
