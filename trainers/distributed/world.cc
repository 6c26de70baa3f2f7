#include "trainers/distributed/world.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>

#include <torch/torch.h>

// Debian's LibTorch is built with Gloo (libtorch_cpu exports c10d::ProcessGroupGloo); its header guards
// the class behind the macro torch's own build defines.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// NCCL: a CUDA LibTorch's CMake config defines USE_C10D_NCCL (scripts/build_cuda.sh); Debian's does not.
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "harness/util/error.h"

extern char** environ;

namespace dist {

namespace {

struct State {
  WorldInfo world;
  std::chrono::seconds timeout{0};
  BucketOptions buckets;
  c10::intrusive_ptr<c10d::Store> store;
  // The process group by its concrete type (LibTorch 1.13's groups are ProcessGroups, 2.x's Backends).
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  c10::Device device = c10::kCPU;  // where collective tensors live (NCCL: this rank's GPU)
  long long gather_seq = 0;
  long long solo_seq = 0;
  int solo_depth = 0;
};

State& Global() {
  static State state;
  return state;
}

std::string Where() {
  const WorldInfo& w = Global().world;
  return "rank " + std::to_string(w.rank) + " of " + std::to_string(w.size);
}

// A collective that threw: the usual cause is a peer that died (its sockets closed) or stalled past
// the timeout. The message names this rank and the point; the launcher names the rank that died.
[[noreturn]] void Failed(const std::string& what, const std::exception& e) {
  throw std::runtime_error(Where() + ": " + what + " failed (another rank died, hung past the " +
                           std::to_string(Global().timeout.count()) + " s timeout, or cannot be reached): " +
                           e.what());
}

c10::intrusive_ptr<c10d::Work> AllReduceWork(std::vector<at::Tensor>& one) {
#ifdef USE_C10D_NCCL
  if (Global().nccl) return Global().nccl->allreduce(one);
#endif
  return Global().gloo->allreduce(one);
}

int ParseInt(const std::map<std::string, std::string>& env, const std::string& name, int min_value) {
  const std::string& text = env.at(name);
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < min_value || value > 1 << 20) {
    throw util::InputError(util::Location{"environment", 0, name},
                           "expected an integer >= " + std::to_string(min_value) + ", got '" + text + "'");
  }
  return static_cast<int>(value);
}

// Slurm's SLURM_NTASKS_PER_NODE is "2" or "2(x3)" (2 tasks on each of 3 nodes); the count is the first
// number.
int TasksPerNode(const std::string& text) {
  const int n = std::atoi(text.c_str());
  if (n < 1) {
    throw util::InputError(util::Location{"environment", 0, "SLURM_NTASKS_PER_NODE"},
                           "expected a task count, got '" + text + "'");
  }
  return n;
}

}  // namespace

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

WorldInfo WorldFromEnvironment(const std::map<std::string, std::string>& env) {
  WorldInfo w;
  const auto has = [&](const char* name) { return env.count(name) > 0 && !env.at(name).empty(); };
  if (has("WORLD_SIZE") || has("RANK")) {
    for (const char* name : {"RANK", "WORLD_SIZE"}) {
      if (!has(name)) {
        throw util::InputError(util::Location{"environment", 0, name},
                               "RANK and WORLD_SIZE go together (torchrun sets both)");
      }
    }
    w.launcher = "torchrun";
    w.rank = ParseInt(env, "RANK", 0);
    w.size = ParseInt(env, "WORLD_SIZE", 1);
    w.local_rank = has("LOCAL_RANK") ? ParseInt(env, "LOCAL_RANK", 0) : w.rank;
    w.local_size = has("LOCAL_WORLD_SIZE") ? ParseInt(env, "LOCAL_WORLD_SIZE", 1) : w.size;
  } else if (has("SLURM_PROCID") && has("SLURM_NTASKS")) {
    w.launcher = "slurm";
    w.rank = ParseInt(env, "SLURM_PROCID", 0);
    w.size = ParseInt(env, "SLURM_NTASKS", 1);
    w.local_rank = has("SLURM_LOCALID") ? ParseInt(env, "SLURM_LOCALID", 0) : 0;
    w.local_size = has("SLURM_NTASKS_PER_NODE") ? TasksPerNode(env.at("SLURM_NTASKS_PER_NODE")) : 1;
  } else {
    return w;  // one rank
  }
  if (w.rank >= w.size) {
    throw util::InputError(util::Location{"environment", 0, w.launcher == "slurm" ? "SLURM_PROCID" : "RANK"},
                           "rank " + std::to_string(w.rank) + " is not below the world size " +
                               std::to_string(w.size));
  }
  if (w.local_rank >= w.local_size) {
    throw util::InputError(util::Location{"environment", 0, w.launcher == "slurm" ? "SLURM_LOCALID" : "LOCAL_RANK"},
                           "local rank " + std::to_string(w.local_rank) + " is not below the local world size " +
                               std::to_string(w.local_size));
  }
  if (w.size > 1) {
    for (const char* name : {"MASTER_ADDR", "MASTER_PORT"}) {
      if (!has(name)) {
        throw util::InputError(util::Location{"environment", 0, name},
                               "a world of " + std::to_string(w.size) + " ranks needs " + name +
                                   " (rank 0's host and a free port for the rendezvous store)");
      }
    }
    w.master_addr = env.at("MASTER_ADDR");
    w.master_port = ParseInt(env, "MASTER_PORT", 1);
    if (w.master_port > 65535) {
      throw util::InputError(util::Location{"environment", 0, "MASTER_PORT"}, "not a port: " + env.at("MASTER_PORT"));
    }
  }
  return w;
}

void Init(const WorldInfo& world, std::chrono::seconds timeout, const std::string& backend,
          const BucketOptions& buckets) {
  State& s = Global();
  s.world = world;
  s.timeout = timeout;
  s.buckets = buckets;
  if (world.size <= 1) return;
  if (backend != "gloo" && backend != "nccl") {
    throw util::InputError(util::Location{"", 0, "--dist-backend"}, "gloo or nccl, not '" + backend + "'");
  }
#ifndef USE_C10D_NCCL
  if (backend == "nccl") {
    throw util::InputError(util::Location{"", 0, "--dist-backend"},
                           "this build has no NCCL: build against a CUDA LibTorch (scripts/build_cuda.sh)");
  }
#endif
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(world.master_port);
    store_options.isServer = world.rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(world.size);
    store_options.waitWorkers = true;
    store_options.timeout = ms;
    s.store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, store_options);
#ifdef USE_C10D_NCCL
    if (backend == "nccl") {
      // One GPU per local rank: "cuda" in a config then means this rank's device. (Compiled against torch
      // 2.11's CUDA LibTorch; not run here, no GPU.)
      c10::cuda::set_device(static_cast<c10::DeviceIndex>(world.local_rank));
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = ms;
      s.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(s.store, world.rank, world.size, nccl_options);
      s.device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(world.local_rank));
      return;
    }
#endif
    auto options = c10d::ProcessGroupGloo::Options::create(ms);
    // Loopback rendezvous (one machine): Gloo's pairs on loopback too; otherwise the interface that
    // resolves this host's name, or the one named by GLOO_SOCKET_IFNAME (as torch's Python does).
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (world.master_addr == "127.0.0.1" || world.master_addr == "localhost") {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    options->threads = 2;
    s.gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(s.store, world.rank, world.size, options);
  } catch (const util::InputError&) {
    throw;
  } catch (const std::exception& e) {
    Failed("joining the world at " + world.master_addr + ":" + std::to_string(world.master_port), e);
  }
}

const WorldInfo& World() { return Global().world; }
const BucketOptions& Buckets() { return Global().buckets; }
bool Active() { return Global().world.size > 1 && Global().solo_depth == 0; }
int Rank() { return Active() ? Global().world.rank : 0; }
int Size() { return Active() ? Global().world.size : 1; }
bool IsWriter() { return Global().world.rank == 0; }

int ThreadsPerRank(int requested) {
  const int machine = requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, machine / std::max(1, Global().world.local_size));
}

std::vector<int> ShareOf(const std::vector<int>& rows) {
  if (!Active()) return rows;
  std::vector<int> mine;
  for (size_t i = static_cast<size_t>(Rank()); i < rows.size(); i += static_cast<size_t>(Size())) {
    mine.push_back(rows[i]);
  }
  return mine;
}

void AllReduceSum(std::vector<at::Tensor>& tensors) {
  if (!Active() || tensors.empty()) return;
  constexpr int64_t kBucketBytes = 25 << 20;
  // Buckets of consecutive tensors: one flat buffer each (a single tensor is reduced in place).
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t begin = 0; begin < tensors.size();) {
    size_t end = begin;
    int64_t bytes = 0;
    while (end < tensors.size() && (end == begin || bytes + tensors[end].nbytes() <= kBucketBytes)) {
      bytes += static_cast<int64_t>(tensors[end].nbytes());
      ++end;
    }
    spans.emplace_back(begin, end);
    begin = end;
  }
  std::vector<at::Tensor> buffers;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  try {
    for (const auto& [begin, end] : spans) {
      at::Tensor buffer;
      if (end - begin == 1 && tensors[begin].is_contiguous()) {
        buffer = tensors[begin];
      } else {
        std::vector<at::Tensor> flat;
        for (size_t i = begin; i < end; ++i) flat.push_back(tensors[i].reshape({-1}));
        buffer = torch::cat(flat);
      }
      std::vector<at::Tensor> one{buffer};
      works.push_back(AllReduceWork(one));
      buffers.push_back(buffer);
    }
    for (auto& work : works) work->wait(std::chrono::duration_cast<std::chrono::milliseconds>(Global().timeout));
  } catch (const std::exception& e) {
    Failed("all-reduce of " + std::to_string(tensors.size()) + " tensors", e);
  }
  for (size_t b = 0; b < spans.size(); ++b) {
    const auto [begin, end] = spans[b];
    if (end - begin == 1 && buffers[b].data_ptr() == tensors[begin].data_ptr()) continue;
    int64_t offset = 0;
    for (size_t i = begin; i < end; ++i) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(buffers[b].narrow(0, offset, n).view(tensors[i].sizes()));
      offset += n;
    }
  }
}

std::function<void()> AllReduceSumAsync(at::Tensor tensor) {
  std::vector<at::Tensor> one{std::move(tensor)};
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = AllReduceWork(one);
  } catch (const std::exception& e) {
    Failed("all-reduce of a gradient bucket", e);
  }
  return [work, one]() {
    try {
      work->wait(std::chrono::duration_cast<std::chrono::milliseconds>(Global().timeout));
    } catch (const std::exception& e) {
      Failed("all-reduce of a gradient bucket", e);
    }
  };
}

double AllReduceSum(double value) {
  if (!Active()) return value;
  std::vector<at::Tensor> one{torch::full({1}, value, torch::TensorOptions().dtype(torch::kDouble).device(Global().device))};
  AllReduceSum(one);
  return one[0].item<double>();
}

void Barrier(const std::string& what) {
  if (!Active()) return;
  try {
    c10d::BarrierOptions options;
    options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(Global().timeout);
#ifdef USE_C10D_NCCL
    if (Global().nccl) {
      Global().nccl->barrier(options)->wait(options.timeout);
      return;
    }
#endif
    // Gloo's monitored barrier: rank 0 names the ranks that did not arrive within the timeout.
    Global().gloo->monitoredBarrier(options, /*waitAllRanks=*/true);
  } catch (const std::exception& e) {
    Failed("barrier (" + what + ")", e);
  }
}

std::vector<std::string> GatherToRoot(const std::string& payload) {
  if (!Active()) return {payload};
  State& s = Global();
  const std::string prefix = "gather/" + std::to_string(s.gather_seq++) + "/";
  std::vector<std::string> all;
  try {
    if (s.world.rank != 0) {
      s.store->set(prefix + std::to_string(s.world.rank), std::vector<uint8_t>(payload.begin(), payload.end()));
      return {};
    }
    all.push_back(payload);
    for (int r = 1; r < s.world.size; ++r) {
      const std::string key = prefix + std::to_string(r);
      const std::vector<uint8_t> bytes = s.store->get(key);  // waits for the key, up to the store's timeout
      all.emplace_back(bytes.begin(), bytes.end());
      s.store->deleteKey(key);
    }
  } catch (const std::exception& e) {
    Failed("gathering results on rank 0", e);
  }
  return all;
}

std::vector<std::string> AllGather(const std::string& payload) {
  if (!Active()) return {payload};
  State& s = Global();
  // Rank 0 gathers, then publishes the list under one key (each payload length-prefixed); the other ranks
  // read it, and the last reader deletes it.
  std::vector<std::string> all = GatherToRoot(payload);
  const std::string key = "allgather/" + std::to_string(s.gather_seq++);
  try {
    if (s.world.rank == 0) {
      std::vector<uint8_t> packed;
      for (const std::string& p : all) {
        const uint64_t n = p.size();
        for (int b = 0; b < 8; ++b) packed.push_back(static_cast<uint8_t>(n >> (8 * b)));
        packed.insert(packed.end(), p.begin(), p.end());
      }
      s.store->set(key, packed);
      return all;
    }
    const std::vector<uint8_t> packed = s.store->get(key);
    if (s.store->add(key + "/read", 1) == s.world.size - 1) {
      s.store->deleteKey(key);
      s.store->deleteKey(key + "/read");
    }
    for (size_t at = 0; at + 8 <= packed.size();) {
      uint64_t n = 0;
      for (int b = 0; b < 8; ++b) n |= static_cast<uint64_t>(packed[at + b]) << (8 * b);
      at += 8;
      if (n > packed.size() - at) throw std::runtime_error("truncated all-gather payload");
      all.emplace_back(packed.begin() + static_cast<std::ptrdiff_t>(at), packed.begin() + static_cast<std::ptrdiff_t>(at + n));
      at += n;
    }
  } catch (const std::exception& e) {
    Failed("sharing results from rank 0", e);
  }
  return all;
}

SoloScope::SoloScope() { Global().solo_depth++; }
SoloScope::~SoloScope() { Global().solo_depth--; }

void WaitForRoot(const std::string& what) {
  State& s = Global();
  if (s.world.size <= 1) return;
  const std::string key = "solo/" + std::to_string(s.solo_seq++);
  try {
    s.store->wait({key}, std::chrono::hours(72));
  } catch (const std::exception& e) {
    Failed("waiting for rank 0 (" + what + ")", e);
  }
}

void RootDone() {
  State& s = Global();
  if (s.world.size <= 1) return;
  const std::string key = "solo/" + std::to_string(s.solo_seq++);
  try {
    s.store->set(key, std::vector<uint8_t>{1});
  } catch (const std::exception& e) {
    Failed("signalling the other ranks", e);
  }
}

void MaybeInjectFault(int step) {
  const char* spec = std::getenv("HARNESS_TEST_KILL_RANK_AT_STEP");
  if (!spec) return;
  int rank = -1, at = -1;
  if (std::sscanf(spec, "%d:%d", &rank, &at) == 2 && rank == Global().world.rank && at == step) {
    ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace dist
