#include "trainers/start/hint_infer.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "harness/sandbox/pool.h"
#include "harness/sandbox/sandbox.h"
#include "harness/util/error.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::start {
namespace {

// A stop hook's reply that appends `tokens` after the stop.
HookReply Appending(std::vector<int> tokens) {
  HookReply reply;
  reply.append = std::move(tokens);
  return reply;
}

using Clock = std::chrono::steady_clock;

// What the hook tracks for one completion.
struct SequenceState {
  Trajectory trajectory;
  int calls = 0;
  int reflections = 0;
};

// A tool call in flight; the engine's thread reads it once its future is ready.
struct ToolJob {
  sandbox::ToolResult result;
  double seconds = 0;
};

// Tool calls through a sandbox::Pool (fork servers: one interpreter per worker, forked per call, instead
// of a fresh interpreter per call); a dispatcher thread hands each verdict to its waiting sequence.
class ToolRunner {
 public:
  ToolRunner(int workers, size_t max_output_chars)
      : pool_(sandbox::PoolOptions{workers, true}), max_output_chars_(max_output_chars),
        dispatcher_([this] { Dispatch(); }) {}
  ~ToolRunner() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    dispatcher_.join();
  }

  std::shared_future<void> Submit(const std::string& code, const sandbox::Limits& limits,
                                  std::shared_ptr<ToolJob> job) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t id = pool_.Submit(sandbox::Job{code, "", limits});
    Waiting& w = waiting_[id];
    w.job = std::move(job);
    ++outstanding_;
    wake_.notify_all();
    return w.done.get_future().share();
  }

 private:
  struct Waiting {
    std::shared_ptr<ToolJob> job;
    std::promise<void> done;
  };

  void Dispatch() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || outstanding_ > 0; });
        if (outstanding_ == 0) return;  // stopping, nothing in flight
      }
      std::optional<sandbox::Verdict> verdict = pool_.Next();
      if (!verdict) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = waiting_.find(verdict->id);
      it->second.job->result = sandbox::ToolResultFrom(verdict->result, max_output_chars_);
      it->second.job->seconds = verdict->result.wall_seconds;
      it->second.done.set_value();
      waiting_.erase(it);
      --outstanding_;
    }
  }

  sandbox::Pool pool_;
  size_t max_output_chars_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<uint64_t, Waiting> waiting_;
  size_t outstanding_ = 0;
  bool stopping_ = false;
  std::thread dispatcher_;  // last: starts after the members it uses
};

int RequireToken(const tokenizer::Tokenizer& tok, const char* token) {
  const int id = tok.TokenId(token);
  if (id < 0) {
    throw util::InputError(util::Location{"", 0, "tokenizer"},
                           std::string("the tool protocol needs the special token ") + token);
  }
  return id;
}

const Hint& HintForRound(const HintInferOptions& options, int round) {
  if (options.hint == "cycle") return MathHints()[(round - 1) % MathHints().size()];
  return FindHint(options.hint);
}

sandbox::Limits ToolLimits(const HintInferOptions& options) {
  sandbox::Limits limits;
  limits.cpu_seconds = options.tool_cpu_seconds;
  limits.wall_seconds = options.tool_cpu_seconds * 3 + 2;
  limits.memory_bytes = size_t{1} << 30;
  return limits;
}

// OpenBLAS runs single-threaded while tool calls may fork: its pthread_atfork handler shuts its worker
// pool down from the forking thread, and a BLAS call in flight on the decode thread then waits forever for
// a worker that is gone (seen: the decode thread spinning in exec_blas_async, the pool's threads gone).
// The decode steps run on our own kernels; only prefill and appended chunks use BLAS.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() {
    get_ = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    set_ = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (get_ && set_) {
      saved_ = get_();
      set_(1);
    }
  }
  ~SingleThreadedBlas() {
    if (get_ && set_ && saved_ > 0) set_(saved_);
  }

 private:
  int (*get_)() = nullptr;
  void (*set_)(int) = nullptr;
  int saved_ = 0;
};

}  // namespace

const util::Fields<HintInferOptions>& HintInferFields() {
  using O = HintInferOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("rounds", &O::rounds, "hints inserted in place of end-of-sequence (sequential scaling rounds R)",
           util::InRange(0, 16))
        .Add("hint", &O::hint, "hint kind: calculation, self-check, alternative, logic, debug, or cycle",
             util::OneOf(HintKinds()))
        .Add("reflection", &O::reflection, "also insert a hint after the model's own \"Wait\"/\"Alternatively\"")
        .Add("max_reflection_hints", &O::max_reflection_hints, "reflection hints per completion", util::AtLeast(0))
        .Add("max_tool_calls", &O::max_tool_calls, "tool calls executed per completion (START: 6)", util::AtLeast(0))
        .Add("max_output_chars", &O::max_output_chars, "tool output kept, in bytes", util::AtLeast(1))
        .Add("tool_cpu_seconds", &O::tool_cpu_seconds, "CPU seconds per tool call", util::AtLeast(0.01))
        .Add("tool_workers", &O::tool_workers, "sandbox fork servers running tool calls at once", util::InRange(1, 64))
        .Add("tasks", &O::tasks, "families a hint-infer method is evaluated on (empty = every task but code)");
    return f;
  }();
  return *fields;
}

ToolGeneration GenerateWithTools(Engine& engine, const tokenizer::Tokenizer& tok,
                                 std::vector<GenerateRequest> requests, const HintInferOptions& options) {
  const auto start = Clock::now();
  const double wait0 = engine.hook_wait_seconds();
  const int code_close = RequireToken(tok, kCodeClose);
  RequireToken(tok, kCodeOpen);
  RequireToken(tok, kOutputOpen);
  RequireToken(tok, kOutputClose);
  const int eos = tok.eos_id();
  const sandbox::Limits limits = ToolLimits(options);
  std::vector<std::vector<SequenceState>> states(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto& r = requests[i];
    states[i].resize(r.n);
    for (int id : {eos, code_close}) {
      if (id >= 0 && std::find(r.stop_token_ids.begin(), r.stop_token_ids.end(), id) == r.stop_token_ids.end()) {
        r.stop_token_ids.push_back(id);
      }
    }
    if (options.reflection) {
      for (const auto& word : ReflectiveWords()) r.stop_strings.push_back(word);
    }
  }
  ToolGeneration out;
  SingleThreadedBlas blas_guard;
  ToolRunner tools(options.tool_workers, static_cast<size_t>(options.max_output_chars));
  const auto encode = [&tok](const std::string& text) { return tok.Encode(text); };

  StopHook hook = [&](const StopEvent& e) -> std::optional<HookReply> {
    SequenceState& st = states[e.request][e.sample];
    Trajectory& traj = st.trajectory;
    const int round = traj.hint_rounds;
    // 1. A tool call: run it off the engine's thread; the sequence waits outside the batch.
    if (e.stop_token_id == code_close) {
      const std::optional<std::string> open = ClosingToolCode(tok.Decode(e.completion->token_ids, false));
      if (!open) {  // nothing to run: say so, as an interpreter would, without running an earlier block
        traj.calls.push_back({"", kNoCodeOutput, "no_code", 0.0, round});
        return Appending(encode(ToolOutputText(kNoCodeOutput)));
      }
      const std::string code = *open;
      if (st.calls >= options.max_tool_calls) {
        traj.truncated_calls = true;
        const std::string note = "tool call limit reached";
        traj.calls.push_back({code, note, "limit", 0.0, round});
        return Appending(encode(ToolOutputText(note)));
      }
      ++st.calls;
      auto job = std::make_shared<ToolJob>();
      HookReply reply;
      reply.ready = tools.Submit(code, limits, job);
      reply.resume = [job, code, round, &traj, &out, encode] {
        traj.calls.push_back({code, job->result.output, sandbox::StatusName(job->result.status), job->seconds, round});
        out.tool_calls += 1;
        out.tool_seconds += job->seconds;
        return encode(ToolOutputText(job->result.output));
      };
      return reply;
    }
    // 2. End of sequence: a hint takes its place for the first `rounds` times.
    if (e.stop_token_id == eos && eos >= 0) {
      if (round >= options.rounds) return std::nullopt;
      const Hint& hint = HintForRound(options, round + 1);
      traj.hint_rounds = round + 1;
      traj.hints.push_back({hint.kind, hint.text, "stop", round + 1});
      HookReply reply;
      reply.drop_stop = true;
      reply.append = encode("\n" + hint.text + "\n");
      return reply;
    }
    // 3. A reflective word the model wrote: complete it with a hint (or just go on).
    if (!e.matched_stop.empty() && st.reflections < options.max_reflection_hints) {
      ++st.reflections;
      const Hint& hint = HintForRound(options, round + 1);
      traj.hints.push_back({hint.kind, hint.after_reflection, "reflection", round});
      return Appending(encode(hint.after_reflection + "\n"));
    }
    if (!e.matched_stop.empty()) return HookReply{};  // a reflective word past the cap: keep decoding
    return std::nullopt;  // another stop token of the request
  };

  out.results = engine.Generate(requests, hook);
  out.trajectories.resize(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    for (size_t k = 0; k < out.results[i].completions.size(); ++k) {
      std::vector<int> ids = out.results[i].completions[k].token_ids;
      if (!ids.empty() && ids.back() == eos) ids.pop_back();
      Trajectory traj = std::move(states[i][k].trajectory);
      traj.text = tok.Decode(ids, /*skip_special_tokens=*/false);
      out.trajectories[i].push_back(std::move(traj));
    }
  }
  out.wait_seconds = engine.hook_wait_seconds() - wait0;
  out.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace trainers::start
