// `harness serve`: the engine behind an OpenAI-compatible HTTP server (cpp-httplib):
// GET /v1/models, POST /v1/completions, POST /v1/chat/completions (the checkpoint's chat template
// for one user turn, as `eval --chat` renders it), GET /health ({"status", "batches", "requests"}: the
// generation batches run so far and the HTTP requests they carried).
//
// Batching: HTTP handler threads parse and tokenize a request, then queue it; one generation thread
// takes everything queued (up to max_batch sequences, at least one request) and runs it through
// Engine::Generate as one batch, so requests arriving while a batch runs are generated together in
// the next. Each request keeps its own n, sampling, seed, stop strings and max_tokens.
#pragma once

#include <functional>
#include <string>

#include "trainers/model/config.h"

namespace trainers::serve {

struct ServeOptions {
  std::string checkpoint;            // HF-layout directory or .gguf file
  std::string model_name;            // "" = the checkpoint's file or directory name
  std::string host = "127.0.0.1";
  int port = 8000;                   // 0 = any free port (printed when listening)
  int max_batch = 16;                // sequences (sum of n) generated together
  RuntimeConfig runtime;
};

// Throws util::InputError naming the flag.
void ValidateServeOptions(const ServeOptions& options);

// The served name for a checkpoint path: its last path component, without ".gguf".
std::string DefaultModelName(const std::string& checkpoint);

// Loads the checkpoint, listens, prints "serving NAME at http://HOST:PORT" on stdout once it accepts
// connections, and blocks until SIGINT or SIGTERM. Returns the exit code.
int RunServer(const ServeOptions& options);

}  // namespace trainers::serve
