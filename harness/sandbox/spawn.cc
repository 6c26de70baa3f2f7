// Boost.Process lives in this translation unit only. The process tree of one run:
//
//   harness thread ── S (forked by Boost.Process; new process group; unshare()s the namespaces)
//                      └─ I (pid 1 of the new PID namespace: our init; reaps, forwards the verdict)
//                          └─ P (rlimits, own uid, seccomp; returns into Boost, which execs python)
//
// I reports P's wait status and rusage on a status pipe (fd 3) before exiting; when I exits, the
// kernel kills and reaps everything left in the namespace, so setsid'd or daemonised children of the
// program cannot outlive the run. The harness asks I to stop P with SIGTERM (I's handler kills P),
// and SIGKILLs I itself if that does not end the run within a grace period.
// Between fork and exec only async-signal-safe calls are made: everything is prepared beforehand.
#include "harness/sandbox/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

namespace sandbox {

namespace bp = boost::process;

namespace {

constexpr int kStatusFd = 3;
constexpr int kWorkdirFd = 4;

// Fixed-size messages on the status pipe; each write is below PIPE_BUF, hence atomic.
enum MessageType : int32_t { kInitPid = 1, kFinal = 2, kSetupError = 3 };
struct Message {
  int32_t type;
  int32_t value;        // kInitPid: pid of I; kFinal: wait status; kSetupError: errno
  int64_t cpu_micros;   // kFinal
  int64_t maxrss_kb;    // kFinal
  char text[48];        // kSetupError: which step failed
};

void Send(const Message& m) {
  ssize_t rc;
  do {
    rc = ::write(kStatusFd, &m, sizeof(m));
  } while (rc < 0 && errno == EINTR);
}

void SendError(const char* step, int err) {
  Message m{};
  m.type = kSetupError;
  m.value = err;
  std::strncpy(m.text, step, sizeof(m.text) - 1);
  Send(m);
}

[[noreturn]] void FailChild(const char* step) {
  SendError(step, errno);
  ::_exit(126);
}

void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for KILL/STOP
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void CloseFrom(int first) {
  if (::syscall(SYS_close_range, first, ~0U, 0) != 0) {
    for (int fd = first; fd < 65536; ++fd) ::close(fd);
  }
}

volatile sig_atomic_t program_pid = 0;

// I's SIGTERM handler: the harness wants the program stopped (wall clock or output cap).
void StopProgram(int) {
  if (program_pid > 0) ::kill(program_pid, SIGKILL);
}

// Everything the forked children need, computed before fork.
struct ChildSetup {
  const SpawnPlan* plan;
  int status_fd;
  int stdin_fd;
  int workdir_fd;
  int control_fd;  // -1: none
  int unshare_flags;
  rlim_t cpu_soft;
  std::string workdir_parent;  // first-level dir of the workdir under /tmp, recreated in the tmpfs
  std::string host_script;     // <workdir>/main.py as written by the harness
  std::string private_script;  // the same path, inside the private /tmp (same string; kept explicit)
  std::string tmp_options;     // mount options of the private /tmp
  sock_fprog seccomp{};
};

// With a mount namespace the program gets private, size-bounded tmpfs mounts over /tmp, /var/tmp,
// /dev/shm and /run/lock, and its working directory is recreated inside the private /tmp with a copy
// of the script: whatever it writes stays in memory bounded by Limits::scratch_bytes and vanishes
// with the namespace, so no run can fill the host's disk.
void MountPrivateTmp(const ChildSetup& cs) {
  const SpawnPlan& plan = *cs.plan;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) FailChild("mount private /");
  const int script = ::open(cs.host_script.c_str(), O_RDONLY | O_CLOEXEC);
  if (script < 0) FailChild("open script");
  for (const char* dir : {"/tmp", "/var/tmp", "/dev/shm", "/run/lock"}) {
    struct stat st;
    if (::stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    const char* opts = std::strcmp(dir, "/tmp") == 0 ? cs.tmp_options.c_str() : "size=4m,nr_inodes=1024,mode=1777";
    if (::mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) FailChild("mount tmpfs");
  }
  if (::mkdir(cs.workdir_parent.c_str(), 0755) != 0 && errno != EEXIST) FailChild("mkdir workdir parent");
  if (::mkdir(plan.workdir.c_str(), 0700) != 0) FailChild("mkdir workdir");
  if (plan.drop_privileges && ::chown(plan.workdir.c_str(), plan.uid, plan.uid) != 0) FailChild("chown workdir");
  const int copy = ::open(cs.private_script.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (copy < 0) FailChild("create script copy");
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(script, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) FailChild("read script");
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(copy, buffer + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) FailChild("write script copy");
      done += w;
    }
  }
  ::close(script);
  if (::close(copy) != 0) FailChild("close script copy");
  if (plan.pid_namespace) {
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      FailChild("mount /proc");
    }
  }
}

void SetLimit(int resource, rlim_t soft, rlim_t hard, const char* step) {
  struct rlimit rl {soft, hard};
  if (::setrlimit(resource, &rl) != 0) FailChild(step);
}

// P: the program's own process, just before Boost execs the interpreter.
void SetupProgram(const ChildSetup& cs) {
  const SpawnPlan& plan = *cs.plan;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ResetSignals();
  ::setpgid(0, 0);
  // With a mount namespace the workdir is the private copy at its usual path; else the inherited fd.
  if (plan.mount_namespace ? ::chdir(plan.workdir.c_str()) != 0 : ::fchdir(kWorkdirFd) != 0) {
    FailChild("chdir workdir");
  }
  ::close(kWorkdirFd);
  if (plan.apply_rlimits) {
    SetLimit(RLIMIT_CPU, cs.cpu_soft, cs.cpu_soft + 1, "RLIMIT_CPU");
    SetLimit(RLIMIT_AS, plan.memory_bytes, plan.memory_bytes, "RLIMIT_AS");
    SetLimit(RLIMIT_FSIZE, plan.max_file_bytes, plan.max_file_bytes, "RLIMIT_FSIZE");
    SetLimit(RLIMIT_NPROC, plan.max_processes, plan.max_processes, "RLIMIT_NPROC");
    SetLimit(RLIMIT_NOFILE, plan.max_open_files, plan.max_open_files, "RLIMIT_NOFILE");
    SetLimit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE");
  }
  if (plan.drop_privileges) {
    // Raw syscalls: glibc's wrappers would try to broadcast to threads this child does not have.
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) FailChild("setgroups");
    if (::syscall(SYS_setresgid, plan.uid, plan.uid, plan.uid) != 0) FailChild("setresgid");
    if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) FailChild("setresuid");
  }
  if (plan.seccomp_program != nullptr) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) FailChild("no_new_privs");
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &cs.seccomp) != 0) FailChild("seccomp");
  }
  // fd 3 is close-on-exec: the status pipe disappears from the program at exec.
}

// I: our init. Waits for P, reports, and (without a PID namespace) sweeps P's leftovers itself.
[[noreturn]] void RunInit(const ChildSetup& cs, pid_t program) {
  const SpawnPlan& plan = *cs.plan;
  ::close(0);
  ::close(1);
  ::close(2);
  ::close(kWorkdirFd);
  int status = 0;
  struct rusage ru {};
  while (::wait4(program, &status, 0, &ru) < 0) {
    if (errno != EINTR) FailChild("wait4 program");
  }
  Message m{};
  m.type = kFinal;
  m.value = status;
  m.cpu_micros = (int64_t{ru.ru_utime.tv_sec} + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
                 ru.ru_stime.tv_usec;
  m.maxrss_kb = ru.ru_maxrss;
  if (!plan.pid_namespace) {
    // Kill what the program left behind: its uid's processes (kill(-1) as that uid reaches exactly
    // them), else its process group. I is a child subreaper, so the orphans are ours to reap.
    if (plan.drop_privileges) {
      ::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid);
    }
    // kill(-1) is atomic with respect to fork, and every orphan of the tree is reparented to I (a
    // subreaper), so the sweep is complete once I has no children left.
    for (int round = 0; round < 2000; ++round) {
      if (plan.drop_privileges) ::kill(-1, SIGKILL);
      else ::kill(-program, SIGKILL);
      pid_t reaped;
      while ((reaped = ::waitpid(-1, nullptr, WNOHANG)) > 0) {}
      if (reaped < 0 && errno == ECHILD) break;
      ::usleep(1000);
    }
  }
  Send(m);
  ::_exit(0);  // in a PID namespace, the kernel now kills and reaps everything left in it
}

// S: runs in the child Boost.Process forked, after Boost has wired stdout/stderr.
void SetupSession(const ChildSetup& cs) {
  // Out of the way of the fixed numbers below before they are assigned.
  const int control = cs.control_fd >= 0 ? ::fcntl(cs.control_fd, F_DUPFD_CLOEXEC, 64) : -1;
  if (cs.control_fd >= 0 && control < 0) ::_exit(125);
  // Fixed descriptor numbers, then nothing else inherited (other runs' pipes included).
  if (::dup2(cs.stdin_fd, 0) < 0) ::_exit(125);
  if (cs.status_fd != kStatusFd && ::dup2(cs.status_fd, kStatusFd) < 0) ::_exit(125);
  if (cs.workdir_fd != kWorkdirFd && ::dup2(cs.workdir_fd, kWorkdirFd) < 0) FailChild("dup2 workdir");
  ::fcntl(kStatusFd, F_SETFD, FD_CLOEXEC);
  // The control socket survives the program's exec (dup2 clears close-on-exec); S and I close it.
  if (control >= 0 && ::dup2(control, kControlFd) < 0) FailChild("dup2 control");
  CloseFrom(control >= 0 ? kControlFd + 1 : kWorkdirFd + 1);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ResetSignals();
  ::setpgid(0, 0);
  if (cs.unshare_flags != 0 && ::unshare(cs.unshare_flags) != 0) FailChild("unshare");
  const pid_t init = ::fork();
  if (init < 0) FailChild("fork init");
  if (init > 0) {
    Message m{};
    m.type = kInitPid;
    m.value = init;
    Send(m);
    ::close(0);
    ::close(1);
    ::close(2);
    ::close(kWorkdirFd);
    ::close(kControlFd);
    int status;
    while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {}
    ::_exit(0);
  }
  // I.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!cs.plan->pid_namespace) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (cs.plan->mount_namespace) MountPrivateTmp(cs);
  struct sigaction stop {};
  stop.sa_handler = StopProgram;
  ::sigaction(SIGTERM, &stop, nullptr);
  const pid_t program = ::fork();
  if (program < 0) FailChild("fork program");
  if (program == 0) {
    SetupProgram(cs);
    return;  // back into Boost.Process, which execs the interpreter
  }
  program_pid = program;
  ::close(kControlFd);
  RunInit(cs, program);
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

bool Drain(int fd, std::string* out, size_t cap, bool* truncated) {
  char buffer[65536];
  const ssize_t n = ::read(fd, buffer, sizeof(buffer));
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  const size_t room = out->size() < cap ? cap - out->size() : 0;
  out->append(buffer, std::min<size_t>(room, n));
  if (static_cast<size_t>(n) > room) *truncated = true;
  return true;
}

SpawnOutcome SpawnAndCollect(const SpawnPlan& plan) {
  using Clock = std::chrono::steady_clock;
  SpawnOutcome outcome;
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    outcome.setup_error = std::string("pipe: ") + std::strerror(errno);
    return outcome;
  }
  const int workdir_fd = ::open(plan.workdir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (workdir_fd < 0) {
    outcome.setup_error = "open workdir " + plan.workdir + ": " + std::strerror(errno);
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    return outcome;
  }
  ChildSetup cs;
  cs.plan = &plan;
  cs.status_fd = status_pipe[1];
  cs.stdin_fd = plan.stdin_fd;
  cs.workdir_fd = workdir_fd;
  cs.control_fd = plan.control_fd;
  cs.unshare_flags = (plan.pid_namespace ? CLONE_NEWPID : 0) |
                     (plan.network_namespace ? CLONE_NEWNET : 0) |
                     (plan.mount_namespace ? CLONE_NEWNS : 0);
  cs.cpu_soft = static_cast<rlim_t>(std::max(1.0, std::ceil(plan.cpu_seconds)));
  {
    // "/tmp/<first component>" of the workdir, recreated inside the private /tmp.
    const size_t slash = plan.workdir.find('/', 5);
    cs.workdir_parent = plan.workdir.substr(0, slash);
    cs.host_script = plan.workdir + "/" + plan.script_name;
    cs.private_script = cs.host_script;
    cs.tmp_options = "size=" + std::to_string(std::max<size_t>(plan.scratch_bytes, 1 << 20)) +
                     ",nr_inodes=4096,mode=1777";
  }
  if (plan.seccomp_program != nullptr) {
    cs.seccomp.len = static_cast<unsigned short>(plan.seccomp_program->size());
    cs.seccomp.filter = const_cast<sock_filter*>(plan.seccomp_program->data());
  }

  bp::environment env;
  for (const auto& [key, value] : plan.env) env[key] = value;
  bp::pipe out_pipe, err_pipe;
  const auto start = Clock::now();
  bp::child child;
  try {
    child = bp::child(bp::exe = plan.executable, bp::args = plan.args, env, bp::std_out > out_pipe,
                      bp::std_err > err_pipe,
                      bp::extend::on_exec_setup = [&cs](auto&) { SetupSession(cs); });
  } catch (const std::exception& e) {
    outcome.setup_error = std::string("spawn: ") + e.what();
  }
  ::close(status_pipe[1]);
  ::close(workdir_fd);
  // Boost.Process closed the parent's write ends of out_pipe/err_pipe on success.
  if (!outcome.setup_error.empty()) {
    ::close(status_pipe[0]);
    return outcome;
  }

  const int out_fd = out_pipe.native_source(), err_fd = err_pipe.native_source();
  const int status_fd = status_pipe[0];
  bool out_open = true, err_open = true, status_open = true;
  std::string status_bytes;
  pid_t init_pid = 0;
  bool stop_requested = false;
  Clock::time_point stop_time;
  bool init_killed = false;
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(plan.wall_seconds));
  auto request_stop = [&](bool* reason) {
    if (stop_requested) return;
    *reason = true;
    stop_requested = true;
    stop_time = Clock::now();
    if (init_pid > 0) ::kill(init_pid, SIGTERM);
    else {
      std::error_code ignored;  // I not started yet: kill S, whose death kills the rest
      child.terminate(ignored);
    }
  };

  while (out_open || err_open || status_open) {
    const auto now = Clock::now();
    if (!stop_requested && now >= deadline) request_stop(&outcome.killed_wall);
    if (stop_requested && !init_killed && now - stop_time > std::chrono::milliseconds(500)) {
      // I did not finish on SIGTERM (e.g. stuck before forking P): kill it, ending the namespace.
      init_killed = true;
      // S stays alive to reap I, so no zombie is left for a non-reaping pid 1.
      if (init_pid > 0) {
        ::kill(init_pid, SIGKILL);
      } else {
        std::error_code ignored;
        child.terminate(ignored);
      }
    }
    if (stop_requested && now - stop_time > std::chrono::seconds(10)) {
      outcome.setup_error = "the program's process tree did not end 10 s after being killed";
      break;
    }
    pollfd fds[4];
    int n = 0;
    if (plan.cancel_fd >= 0 && !stop_requested) fds[n++] = {plan.cancel_fd, POLLIN, 0};
    if (out_open) fds[n++] = {out_fd, POLLIN, 0};
    if (err_open) fds[n++] = {err_fd, POLLIN, 0};
    if (status_open) fds[n++] = {status_fd, POLLIN, 0};
    int timeout_ms = 100;
    if (!stop_requested) {
      timeout_ms = static_cast<int>(std::clamp(Seconds(deadline - now) * 1000 + 1, 1.0, 1000.0));
    }
    const int ready = ::poll(fds, n, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      outcome.setup_error = std::string("poll: ") + std::strerror(errno);
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == plan.cancel_fd) {
        request_stop(&outcome.cancelled);
      } else if (fds[i].fd == out_fd) {
        out_open = Drain(out_fd, &outcome.stdout_text, plan.output_bytes, &outcome.stdout_truncated);
        if (outcome.stdout_truncated) request_stop(&outcome.killed_output);
      } else if (fds[i].fd == err_fd) {
        err_open = Drain(err_fd, &outcome.stderr_text, plan.stderr_bytes, &outcome.stderr_truncated);
      } else {
        bool unused = false;
        status_open = Drain(status_fd, &status_bytes, 1 << 16, &unused);
        while (status_bytes.size() >= sizeof(Message)) {
          Message m;
          std::memcpy(&m, status_bytes.data(), sizeof(m));
          status_bytes.erase(0, sizeof(m));
          if (m.type == kInitPid) {
            init_pid = m.value;
            if (stop_requested) ::kill(init_pid, SIGTERM);
          } else if (m.type == kFinal) {
            outcome.have_status = true;
            outcome.wait_status = m.value;
            outcome.cpu_seconds = m.cpu_micros / 1e6;
            outcome.peak_rss_bytes = static_cast<size_t>(m.maxrss_kb) * 1024;
            outcome.wall_seconds = Seconds(Clock::now() - start);
          } else if (m.type == kSetupError && outcome.setup_error.empty()) {
            m.text[sizeof(m.text) - 1] = '\0';
            outcome.setup_error = std::string("sandbox setup failed at ") + m.text + ": " +
                                  std::strerror(m.value);
          }
        }
      }
    }
  }
  ::close(status_fd);
  std::error_code ec;
  child.wait(ec);
  if (outcome.wall_seconds == 0) outcome.wall_seconds = Seconds(Clock::now() - start);
  if (outcome.setup_error.empty() && !outcome.have_status && !stop_requested) {
    outcome.setup_error = "the sandbox supervisor ended without reporting the program's status";
  }
  return outcome;
}

}  // namespace sandbox
