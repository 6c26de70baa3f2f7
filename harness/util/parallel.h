// Splitting independent work over the cores: contiguous chunks, handed out to threads as they free
// up, so that uneven items do not leave a core idle; results written by index do not depend on the
// number of threads or on which thread ran a chunk.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace util {

// Runs fn(begin, end) over [0, n) in contiguous chunks of at least `min_per_slice` items (about
// eight per core), on one thread per core including the caller, and waits for all. The exception of
// the first chunk that threw, if any, is rethrown: a chunk stops at its first failing item, and every
// chunk runs, so the error reported is the first item's a single-threaded loop would report.
inline void ForEachSlice(size_t n, size_t min_per_slice, const std::function<void(size_t, size_t)>& fn) {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t chunks = std::clamp<size_t>(n / std::max<size_t>(min_per_slice, 1), 1, 8 * cores);
  if (chunks == 1 || cores == 1) return fn(0, n);
  std::vector<std::exception_ptr> errors(chunks);
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
      try {
        fn(n * c / chunks, n * (c + 1) / chunks);
      } catch (...) {
        errors[c] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < std::min(cores, chunks); ++t) helpers.emplace_back(work);
  work();
  for (auto& thread : helpers) thread.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace util
