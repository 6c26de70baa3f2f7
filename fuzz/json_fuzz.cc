// The JSON and JSON Lines readers every data file goes through, and the task loaders of the JSON
// families on the same bytes: bad input is an InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "tasks/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  try {
    util::ReadJsonLines(file.path());
  } catch (const util::InputError&) {
  }
  try {
    util::ReadJsonFile(file.path());
  } catch (const util::InputError&) {
  }
  for (const char* task : {"gsm8k", "svamp", "mathqa", "agieval", "aime", "livecodebench"}) {
    tasks::LoadOptions options;
    options.path = file.path();
    try {
      tasks::FindTask(task).Load(options);
    } catch (const util::InputError&) {
    }
  }
  return 0;
}
