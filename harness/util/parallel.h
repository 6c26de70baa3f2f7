// Splitting independent work over the cores: contiguous slices, one thread each, so that results
// written by index do not depend on the number of threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace util {

// Runs fn(begin, end) over [0, n) in one contiguous slice per core (fewer when a slice would hold
// under `min_per_slice` items) and waits for all. The first slice's exception, if any, is rethrown,
// so errors are reported as a single-threaded loop would report them.
inline void ForEachSlice(size_t n, size_t min_per_slice, const std::function<void(size_t, size_t)>& fn) {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t slices = std::clamp<size_t>(n / std::max<size_t>(min_per_slice, 1), 1, cores);
  if (slices == 1) return fn(0, n);
  std::vector<std::exception_ptr> errors(slices);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < slices; ++t) {
    threads.emplace_back([&, t] {
      try {
        fn(n * t / slices, n * (t + 1) / slices);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace util
