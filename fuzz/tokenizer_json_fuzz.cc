// The tokenizer.json loader: bad input is an InputError; a tokenizer that loads encodes and decodes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "harness/util/error.h"
#include "trainers/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  try {
    const tokenizer::Tokenizer t = tokenizer::Tokenizer::Load(file.path());
    t.Decode(t.Encode("Natalia sold 48 clips in April. 答案是 72"));
  } catch (const util::InputError&) {
  }
  return 0;
}
