// Runs many sampling requests against an OpenAI-compatible server: `concurrency` workers, answers
// read from and appended to the response cache, so an interrupted run resumes where it stopped.
#pragma once

#include <string>
#include <vector>

#include "harness/remote/openai_client.h"

namespace remote {

struct GenerateStats {
  int requests_sent = 0;     // answered by the server in this run
  int cache_hits = 0;        // answered from the cache
  long long prompt_tokens = 0;
  long long completion_tokens = 0;
};

// Result i answers requests[i]. `cache_path` "" = no cache. On a request that fails for good, the
// workers stop taking new requests, the answers already received stay cached, and RemoteError is
// thrown naming the request's index and the failure.
std::vector<RemoteReply> GenerateRemote(const EndpointOptions& options, const std::vector<SamplingRequest>& requests,
                                        const std::string& cache_path, GenerateStats* stats);

}  // namespace remote
