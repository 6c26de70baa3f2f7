// Predictions files (ours and lm-eval's samples_*.jsonl): bad input is an InputError.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "harness/scoring/predictions.h"
#include "harness/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  try {
    scoring::ReadPredictions(file.path());
  } catch (const util::InputError&) {
  }
  return 0;
}
