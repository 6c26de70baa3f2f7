// The fork server ("zygote") and the worker pool of pool.h. A zygote is zygote_main.py running as
// the program of an ordinary isolated spawn (run_internal.h), so it holds the same layers as a
// one-shot run; SpawnAndCollect supervises it on a thread of its own for the zygote's lifetime and
// its control socket is the program's fd 5. Per job the harness sends the limits and four
// descriptors (code and stdin as memfds, stdout and stderr pipes), reads the pipes itself with the
// same caps as a one-shot run, and classifies with the same rules (ResultFromOutcome).
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "harness/sandbox/pool.h"
#include "harness/sandbox/run_internal.h"
#include "harness/sandbox/zygote_source.h"

namespace sandbox {

namespace {

using Clock = std::chrono::steady_clock;

// How long past a job's wall limit the harness waits for the zygote's report before it declares the
// zygote hung and kills it.
constexpr double kReportGraceSeconds = 5.0;
// How long a zygote may take to start (interpreter and imports) before the pool runs one-shot instead.
constexpr double kStartSeconds = 30.0;
// The longest prelude sent to a zygote: JSON escaping at most sextuples it, and a job's message must fit
// the zygote's 64 KiB receive buffer (zygote_main.py).
constexpr size_t kMaxPreludeBytes = 8192;

// Limits the zygote itself starts with: the job's, except CPU and wall (each child sets its own).
bool SameZygoteLimits(const Limits& a, const Limits& b) {
  return a.memory_bytes == b.memory_bytes && a.max_processes == b.max_processes &&
         a.max_open_files == b.max_open_files && a.max_file_bytes == b.max_file_bytes &&
         a.scratch_bytes == b.scratch_bytes && a.network_namespace == b.network_namespace &&
         a.seccomp == b.seccomp && a.pid_namespace == b.pid_namespace &&
         a.mount_namespace == b.mount_namespace && a.drop_privileges == b.drop_privileges &&
         a.python == b.python;
}

// A memfd holding `data`, positioned at its start; -1 on failure.
int MemfdWith(const char* name, const std::string& data) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (!WriteAll(fd, data) || ::lseek(fd, 0, SEEK_SET) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendWithFds(int socket_fd, const std::string& message, const std::vector<int>& fds) {
  iovec iov{const_cast<char*>(message.data()), message.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  ssize_t n;
  do {
    n = ::sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(message.size());
}

struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
};

}  // namespace

// One zygote: the supervising thread, the harness's end of the control socket, the cancel pipe.
class Zygote {
 public:
  // nullptr (and `error`) when it could not start.
  static std::unique_ptr<Zygote> Start(const Limits& limits, std::string* error) {
    auto z = std::unique_ptr<Zygote>(new Zygote(limits));
    Limits own = limits;
    own.cpu_seconds = 1e7;   // the zygote lives long; each child gets the job's CPU limit
    own.wall_seconds = 1e9;  // stopped through the cancel pipe instead
    z->run_ = PrepareRun(ZygoteSource(), "", own, error);
    if (!z->run_) return nullptr;
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0 ||
        ::pipe2(z->cancel_, O_CLOEXEC) != 0) {
      *error = std::string("fork server socket: ") + std::strerror(errno);
      return nullptr;
    }
    z->control_ = sockets[0];
    SpawnPlan& plan = z->run_->plan;
    plan.args.push_back(plan.drop_privileges ? "1" : "0");
    plan.args.push_back(plan.mount_namespace ? "1" : "0");
    plan.control_fd = sockets[1];
    plan.cancel_fd = z->cancel_[0];
    Zygote* raw = z.get();
    z->supervisor_ = std::thread([raw, theirs = sockets[1]] {
      raw->outcome_ = SpawnAndCollect(raw->run_->plan);
      ::close(theirs);
      raw->ended_ = true;
    });
    if (!z->AwaitReady(error)) return nullptr;  // the destructor stops what started
    return z;
  }

  ~Zygote() {
    if (supervisor_.joinable()) {
      Stop();
      supervisor_.join();
    }
    for (int fd : {control_, cancel_[0], cancel_[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }

  bool Fits(const Limits& limits) const { return !broken_ && !ended_ && SameZygoteLimits(limits_, limits); }

  // Runs one job. On return the zygote may be broken (Fits() false): it died or hung during the job.
  RunResult Run(const Job& job) {
    RunResult result;
    result.runner = "fork-server";
    const Limits& limits = job.limits;
    Fds mine, theirs;  // harness ends / the ends that go to the child
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return SandboxError(result, "pipe");
    mine.fds.push_back(out[0]);
    theirs.fds.push_back(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) return SandboxError(result, "pipe");
    mine.fds.push_back(err[0]);
    theirs.fds.push_back(err[1]);
    const int code_fd = MemfdWith("code", job.code), stdin_fd = MemfdWith("stdin", job.stdin_text);
    theirs.fds.push_back(code_fd);
    theirs.fds.push_back(stdin_fd);
    if (code_fd < 0 || stdin_fd < 0) return SandboxError(result, "memfd");
    nlohmann::json request = {{"cpu", limits.cpu_seconds},
                              {"memory", limits.memory_bytes},
                              {"file_bytes", limits.max_file_bytes},
                              {"processes", limits.max_processes},
                              {"open_files", limits.max_open_files},
                              {"wall", limits.wall_seconds}};
    // A prelude too long for the zygote's message buffer is left out: the job's code builds it (pool.h).
    if (!job.prelude.imports.empty() && job.prelude.imports.size() + job.prelude.module.size() < kMaxPreludeBytes) {
      request["prelude"] = {
          {"imports", job.prelude.imports}, {"module", job.prelude.module}, {"global", kPreludeGlobal}};
    }
    if (!SendWithFds(control_, request.dump(), {code_fd, stdin_fd, out[1], err[1]})) {
      broken_ = true;
      return SandboxError(result, "send the job to the fork server");
    }
    for (int& fd : theirs.fds) {
      ::close(fd);
      fd = -1;
    }
    return Collect(limits, out[0], err[0], result);
  }

 private:
  explicit Zygote(const Limits& limits) : limits_(limits) {}

  // Waits for the zygote's "ready" message; false (and `error`) when it ends or stays silent first.
  bool AwaitReady(std::string* error) {
    pollfd ready{control_, POLLIN, 0};
    int n;
    do {
      n = ::poll(&ready, 1, static_cast<int>(kStartSeconds * 1000));
    } while (n < 0 && errno == EINTR);
    char buffer[256];
    const ssize_t got = n > 0 ? ::recv(control_, buffer, sizeof buffer, 0) : -1;
    const nlohmann::json hello =
        got > 0 ? nlohmann::json::parse(std::string(buffer, got), nullptr, false) : nlohmann::json();
    if (hello.is_object() && hello.value("ready", false)) return true;
    Stop();
    supervisor_.join();
    *error = n == 0 ? "the fork server did not start within " + std::to_string(static_cast<int>(kStartSeconds)) + " s"
                    : "the fork server ended while starting: " + outcome_.setup_error + outcome_.stderr_text;
    return false;
  }

  void Stop() {
    if (!ended_ && cancel_[1] >= 0) {
      const char byte = 1;
      [[maybe_unused]] ssize_t n = ::write(cancel_[1], &byte, 1);
    }
  }

  RunResult SandboxError(RunResult& result, const std::string& what) {
    result.status = Status::kSandboxError;
    result.detail = what + ": " + std::strerror(errno);
    return result;
  }

  // Reads the job's stdout/stderr and the zygote's report until both pipes close and the report
  // came, the zygote died, or it stopped answering.
  RunResult Collect(const Limits& limits, int out_fd, int err_fd, RunResult& result) {
    SpawnOutcome o;
    const auto start = Clock::now();
    const auto give_up = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(limits.wall_seconds + kReportGraceSeconds));
    bool out_open = true, err_open = true, reported = false, stop_sent = false;
    std::string died;
    while (out_open || err_open || (!reported && died.empty())) {
      if (Clock::now() >= give_up) {
        broken_ = true;
        Stop();
        o.killed_wall = true;
        break;
      }
      pollfd fds[3];
      int n = 0;
      if (out_open) fds[n++] = {out_fd, POLLIN, 0};
      if (err_open) fds[n++] = {err_fd, POLLIN, 0};
      if (!reported && died.empty()) fds[n++] = {control_, POLLIN, 0};
      if (::poll(fds, n, 100) < 0 && errno != EINTR) {
        died = std::string("poll: ") + std::strerror(errno);
        break;
      }
      for (int i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        if (fds[i].fd == out_fd) {
          out_open = Drain(out_fd, &o.stdout_text, limits.output_bytes, &o.stdout_truncated);
          if (o.stdout_truncated && !stop_sent) {
            o.killed_output = true;
            stop_sent = true;
            const std::string stop = R"({"stop": true})";
            if (::send(control_, stop.data(), stop.size(), MSG_NOSIGNAL) < 0) died = "send stop";
          }
        } else if (fds[i].fd == err_fd) {
          err_open = Drain(err_fd, &o.stderr_text, limits.stderr_bytes, &o.stderr_truncated);
        } else {
          char buffer[4096];
          const ssize_t got = ::recv(control_, buffer, sizeof(buffer), 0);
          if (got <= 0) {
            if (got < 0 && errno == EINTR) continue;
            died = "the fork server died during this run (the program may have killed it)";
            continue;
          }
          const nlohmann::json report = nlohmann::json::parse(std::string(buffer, got), nullptr, false);
          if (report.is_discarded() || !report.contains("status")) {
            died = "the fork server sent a malformed report";
            continue;
          }
          reported = true;
          o.have_status = true;
          o.wait_status = report["status"].get<int>();
          o.cpu_seconds = report.value("cpu_us", int64_t{0}) / 1e6;
          o.peak_rss_bytes = static_cast<size_t>(report.value("maxrss_kb", int64_t{0})) * 1024;
          o.killed_wall = report.value("wall_killed", false);
          o.wall_seconds = report.value("wall", 0.0);
        }
      }
    }
    if (o.wall_seconds == 0) o.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!died.empty()) {
      broken_ = true;
      Stop();
      if (!o.killed_output && !o.killed_wall) {
        // The zygote is gone with the job's whole tree: the job fails, nothing else does.
        RunResult failed = ResultFromOutcome(limits, std::move(o));
        failed.status = Status::kRuntimeError;
        failed.detail = died;
        failed.runner = result.runner;
        return failed;
      }
    } else if (!reported && !o.killed_wall) {
      broken_ = true;
    }
    RunResult classified = ResultFromOutcome(limits, std::move(o));
    if (broken_ && classified.status == Status::kTimeLimitWall && !reported) {
      classified.detail = "the fork server did not answer within the wall-clock limit; it was replaced";
    }
    classified.runner = result.runner;
    return classified;
  }

  Limits limits_;
  std::unique_ptr<PreparedRun> run_;
  int control_ = -1;
  int cancel_[2] = {-1, -1};
  std::thread supervisor_;
  SpawnOutcome outcome_;
  std::atomic<bool> ended_{false};
  bool broken_ = false;
};

Pool::Pool(const PoolOptions& options) : options_(options) {
  const int workers = std::max(1, options.workers);
  for (int w = 0; w < workers; ++w) threads_.emplace_back([this] { Work(); });
}

Pool::~Pool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    outstanding_ -= queue_.size();
    queue_.clear();
  }
  queued_.notify_all();
  for (auto& t : threads_) t.join();
}

uint64_t Pool::Submit(Job job) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_id_++;
  queue_.emplace_back(id, std::move(job));
  ++outstanding_;
  queued_.notify_one();
  return id;
}

std::optional<Verdict> Pool::Next() {
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [this] { return !done_.empty() || outstanding_ == 0; });
  if (done_.empty()) return std::nullopt;
  Verdict v = std::move(done_.front());
  done_.pop_front();
  --outstanding_;
  return v;
}

size_t Pool::Outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outstanding_;
}

void Pool::Work() {
  std::unique_ptr<Zygote> zygote;
  std::string start_error;
  for (;;) {
    std::pair<uint64_t, Job> item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    const Job& job = item.second;
    if (zygote && !zygote->Fits(job.limits)) zygote.reset();  // died, hung, or other limits
    if (!zygote && options_.fork_server) {
      start_error.clear();
      zygote = Zygote::Start(job.limits, &start_error);
    }
    RunResult result;
    if (zygote) {
      result = zygote->Run(job);
    } else {
      result = RunPython(job.code, job.stdin_text, job.limits);
      if (options_.fork_server) result.runner_note = "fork server unavailable: " + start_error;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back({item.first, std::move(result)});
    }
    finished_.notify_all();
  }
}

RunResult RunOnForkServer(const std::string& code, const std::string& stdin_text, const Limits& limits) {
  Pool pool(PoolOptions{});
  pool.Submit(Job{code, stdin_text, limits});
  return pool.Next()->result;
}

}  // namespace sandbox
