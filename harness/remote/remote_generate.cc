#include "harness/remote/remote_generate.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "harness/remote/response_cache.h"

namespace remote {

std::vector<RemoteReply> GenerateRemote(const EndpointOptions& options, const std::vector<SamplingRequest>& requests,
                                        const std::string& cache_path, GenerateStats* stats) {
  OpenAiClient client(options);
  const std::string route = Route(options);
  std::unique_ptr<ResponseCache> cache;
  if (!cache_path.empty()) cache = std::make_unique<ResponseCache>(cache_path);

  std::vector<RemoteReply> replies(requests.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<int> sent{0}, hits{0};
  std::mutex error_mutex;
  std::string first_error;

  auto work = [&] {
    while (!failed) {
      const size_t i = next++;
      if (i >= requests.size()) return;
      const nlohmann::json body = RequestBody(options, requests[i]);
      const std::string key = ResponseCache::Key(route, body);
      try {
        std::optional<nlohmann::json> response = cache ? cache->Find(key) : std::nullopt;
        if (response) {
          ++hits;
        } else {
          response = client.Post(body);
          ParseReply(*response, options.chat, requests[i].n);  // cache only usable answers
          ++sent;
          if (cache) cache->Add(key, *response);
        }
        replies[i] = ParseReply(*response, options.chat, requests[i].n);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!failed.exchange(true)) first_error = "request " + std::to_string(i) + ": " + e.what();
        return;
      }
    }
  };
  const int workers = std::max(1, std::min<int>(options.concurrency, static_cast<int>(requests.size())));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(work);
  for (auto& t : threads) t.join();

  if (stats) {
    stats->requests_sent = sent;
    stats->cache_hits = hits;
    for (const auto& r : replies) {
      stats->prompt_tokens += r.prompt_tokens;
      stats->completion_tokens += r.completion_tokens;
    }
  }
  if (failed) {
    const std::string resume = cache ? " (answers so far are cached in " + cache_path + "; rerun to resume)" : "";
    throw RemoteError(first_error + resume);
  }
  return replies;
}

}  // namespace remote
