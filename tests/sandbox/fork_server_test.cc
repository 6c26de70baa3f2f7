// The fork server pool (pool.h): runs on one zygote see nothing another left (module state,
// environment, files, processes); a run that kills, stops or probes its zygote fails only itself;
// verdicts come back as jobs finish; the one-shot fallback is recorded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/sandbox/pool.h"
#include "tests/sandbox/test_helpers.h"

namespace {

using sandbox::Pool;
using sandbox::PoolOptions;
using sandbox::RunResult;
using sandbox::Status;
using sandbox_test::ShortLimits;

// Runs `codes` one after another on a single-worker pool (so on one zygote unless it is replaced).
std::vector<RunResult> RunInTurn(const std::vector<std::string>& codes, const sandbox::Limits& limits = ShortLimits()) {
  Pool pool(PoolOptions{1, true});
  std::vector<RunResult> results;
  for (const auto& code : codes) {
    pool.Submit({code, "", limits});
    results.push_back(pool.Next()->result);
    EXPECT_EQ(results.back().runner, "fork-server") << results.back().runner_note;
  }
  return results;
}

TEST(ForkServer, ModuleStateDoesNotCarryOver) {
  auto r = RunInTurn({"import json, math, builtins, sys\n"
                      "json.dumps = None\nmath.pi = 3\nsys.modules['collections'] = None\n"
                      "builtins.len = lambda x: 42\nsys.setrecursionlimit(77)\nGLOBAL_MARK = 1\nprint('changed')\n",
                      "import json, math, collections, sys\n"
                      "print(json.dumps([1]), math.pi, len('ab'), sys.getrecursionlimit(), 'GLOBAL_MARK' in globals())\n"});
  EXPECT_EQ(r[0].stdout_text, "changed\n");
  EXPECT_EQ(r[1].status, Status::kPassed) << r[1].stderr_text;
  EXPECT_EQ(r[1].stdout_text, "[1] 3.141592653589793 2 1000 False\n");
}

TEST(ForkServer, EnvironmentDoesNotCarryOver) {
  auto r = RunInTurn({"import os\nos.environ['LEAKED'] = 'yes'\nos.environ['PATH'] = '/nowhere'\n"
                      "print(os.environ['HOME'])\n",
                      "import os\nprint(os.environ.get('LEAKED'), os.environ['PATH'], os.environ['HOME'])\n"});
  EXPECT_EQ(r[1].status, Status::kPassed) << r[1].stderr_text;
  EXPECT_EQ(r[1].stdout_text.substr(0, r[1].stdout_text.rfind(' ')), "None /usr/local/bin:/usr/bin:/bin");
  // Each run has a home (and working directory) of its own.
  EXPECT_NE(r[0].stdout_text, r[1].stdout_text.substr(r[1].stdout_text.rfind(' ') + 1));
}

TEST(ForkServer, FilesDoNotCarryOver) {
  auto r = RunInTurn({"import os\n"
                      "for path in ['/tmp/leak', '/dev/shm/leak', '/var/tmp/leak', 'here', os.environ['HOME'] + '/home']:\n"
                      "    open(path, 'w').write('x')\n"
                      "os.mkdir('/tmp/leakdir')\nopen('/tmp/leakdir/f', 'w').write('x')\nprint('written')\n",
                      "import os\n"
                      "print(sorted(os.listdir('/tmp')) == sorted(set(os.listdir('/tmp')) - {'leak', 'leakdir'}),\n"
                      "      [os.path.exists(p) for p in ['/tmp/leak', '/tmp/leakdir', '/dev/shm/leak', '/var/tmp/leak']],\n"
                      "      sorted(os.listdir('.')))\n"});
  EXPECT_EQ(r[0].stdout_text, "written\n") << r[0].stderr_text;
  EXPECT_EQ(r[1].status, Status::kPassed) << r[1].stderr_text;
  EXPECT_EQ(r[1].stdout_text, "True [False, False, False, False] ['main.py']\n");
}

// A tree nested deeper than Python's recursion limit (and a symbolic link out of it) is removed after
// its run by the zygote that served it, which then serves the next run (same parent).
TEST(ForkServer, DeeplyNestedDirectoriesAreRemovedAndTheZygoteServesOn) {
  auto r = RunInTurn({"import os\nos.mkdir('/tmp/deep')\nos.symlink('/usr', '/tmp/deep/usr-link')\n"
                      "os.chdir('/tmp/deep')\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\n"
                      "open('leaf', 'w').write('x')\nprint(os.getppid())\n",
                      "import os\nprint(os.getppid(), os.path.exists('/tmp/deep'), os.path.isdir('/usr/bin'))\n"});
  ASSERT_EQ(r[0].status, Status::kPassed) << r[0].stderr_text;
  EXPECT_EQ(r[1].status, Status::kPassed) << r[1].stderr_text;
  EXPECT_EQ(r[1].stdout_text, r[0].stdout_text.substr(0, r[0].stdout_text.size() - 1) + " False True\n");
}

TEST(ForkServer, ProcessesDoNotOutliveTheirRun) {
  const std::string marker = sandbox_test::UniqueMarker("forkserver-daemon");
  auto r = RunInTurn({"import os, sys, time\n"
                      "if os.fork() == 0:\n"
                      "    os.setsid()\n"
                      "    if os.fork() == 0:\n"
                      "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '" +
                          marker + "'])\n"
                      "    os._exit(0)\n"
                      "time.sleep(0.3)\nprint('detached')\n",
                      "import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]))\n"});
  EXPECT_EQ(r[0].stdout_text, "detached\n") << r[0].stderr_text;
  EXPECT_TRUE(sandbox_test::SurvivorsAfterGrace(marker).empty());
  // The second run sees only pid 1 (the namespace's init), the fork server and itself.
  EXPECT_EQ(r[1].stdout_text, "3\n") << r[1].stderr_text;
}

TEST(ForkServer, KillingTheForkServerFailsOnlyThatRun) {
  auto r = RunInTurn({"print('one')\n", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nimport time\ntime.sleep(5)\n",
                      "print('three')\n"});
  EXPECT_EQ(r[0].stdout_text, "one\n");
  EXPECT_EQ(r[1].status, Status::kRuntimeError);
  EXPECT_NE(r[1].detail.find("fork server died"), std::string::npos) << r[1].detail;
  EXPECT_EQ(r[2].status, Status::kPassed) << r[2].detail;
  EXPECT_EQ(r[2].stdout_text, "three\n");
}

TEST(ForkServer, StoppingTheForkServerFailsOnlyThatRun) {
  auto limits = ShortLimits();
  limits.wall_seconds = 1;  // the harness gives up on the stopped zygote 5 s past this
  auto r = RunInTurn({"import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nprint('stopped it')\n",
                      "print('fresh')\n"},
                     limits);
  EXPECT_EQ(r[0].status, Status::kTimeLimitWall) << r[0].detail;
  EXPECT_EQ(r[1].status, Status::kPassed) << r[1].detail;
  EXPECT_EQ(r[1].stdout_text, "fresh\n");
}

TEST(ForkServer, TheForkServerCannotBeReadOrWritten) {
  // Not dumpable: its memory and descriptors are closed to the runs, which share its uid.
  auto r = RunInTurn({"import os\nppid = os.getppid()\n"
                      "for path in ['/proc/%d/mem' % ppid, '/proc/%d/fd/5' % ppid, '/proc/%d/environ' % ppid]:\n"
                      "    try:\n"
                      "        open(path, 'rb').read(1)\n"
                      "        print('opened', path)\n"
                      "    except OSError as e:\n"
                      "        print('refused', e.errno)\n"
                      "try:\n"
                      "    os.write(5, b'{}')\n"
                      "    print('wrote fd 5')\n"
                      "except OSError as e:\n"
                      "    print('no fd 5', e.errno)\n",
                      "print('fine')\n"});
  EXPECT_EQ(r[0].stdout_text, "refused 13\nrefused 13\nrefused 13\nno fd 5 9\n") << r[0].stderr_text;
  EXPECT_EQ(r[1].stdout_text, "fine\n");
}

TEST(ForkServer, VerdictsComeBackAsJobsFinish) {
  Pool pool(PoolOptions{2, true});
  const uint64_t slow = pool.Submit({"import time\ntime.sleep(1.5)\nprint('slow')\n", "", ShortLimits()});
  const uint64_t fast = pool.Submit({"print(input()[::-1])\n", "abc\n", ShortLimits()});
  EXPECT_EQ(pool.Outstanding(), 2u);
  auto first = pool.Next();
  auto second = pool.Next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->id, fast);
  EXPECT_EQ(first->result.stdout_text, "cba\n");
  EXPECT_EQ(second->id, slow);
  EXPECT_EQ(second->result.stdout_text, "slow\n");
  EXPECT_FALSE(pool.Next().has_value());
}

TEST(ForkServer, SameVerdictsAsOneShot) {
  struct Case {
    const char* code;
    const char* stdin_text;
    Status status;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {"print(sum(map(int, input().split())))\n", "2 3\n", Status::kPassed, 0},
      {"import sys\nsys.exit(3)\n", "", Status::kRuntimeError, 3},
      {"import sys\nsys.exit('bye')\n", "", Status::kRuntimeError, 1},
      {"def f(:\n", "", Status::kCompileError, 1},
      {"raise ValueError('x')\n", "", Status::kRuntimeError, 1},
      {"while True:\n    pass\n", "", Status::kTimeLimitCpu, -1},
      {"x = bytearray(2 << 30)\n", "", Status::kMemoryLimit, 1},
  };
  Pool pool(PoolOptions{1, true});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    const RunResult one_shot = sandbox::RunPython(c.code, c.stdin_text, ShortLimits());
    pool.Submit({c.code, c.stdin_text, ShortLimits()});
    const RunResult forked = pool.Next()->result;
    EXPECT_EQ(forked.status, c.status) << forked.detail << forked.stderr_text;
    EXPECT_EQ(one_shot.status, c.status) << one_shot.detail;
    EXPECT_EQ(forked.exit_code, c.exit_code);
    EXPECT_EQ(forked.stdout_text, one_shot.stdout_text);
    EXPECT_EQ(forked.runner, "fork-server");
    EXPECT_EQ(one_shot.runner, "one-shot");
  }
}

// An error's traceback reads as the one-shot path's, `python3 main.py`'s: the job's frames only, nothing of
// the fork server's own frames or of its run directory (a random name: the text would differ between runs,
// and START's model reads tool outputs).
TEST(ForkServer, TracebacksAreTheOneShotPathsText) {
  const std::vector<std::string> codes = {
      "def f(:\n",                                      // a syntax error: no "Traceback" header
      "x = 1\ny = x + z\n",                            // a NameError on line 2
      "def f(n):\n    return 1 / n\nprint(f(0))\n",  // two frames of the job
      "import json\njson.loads('{')\n",                // frames inside the standard library
  };
  Pool pool(PoolOptions{1, true});
  for (const std::string& code : codes) {
    SCOPED_TRACE(code);
    const RunResult one_shot = sandbox::RunPython(code, "", ShortLimits());
    pool.Submit({code, "", ShortLimits()});
    const RunResult forked = pool.Next()->result;
    ASSERT_EQ(forked.runner, "fork-server");
    EXPECT_EQ(forked.stderr_text, one_shot.stderr_text);
    EXPECT_EQ(forked.stderr_text.find("harness-sandbox-runs"), std::string::npos) << forked.stderr_text;
    EXPECT_EQ(forked.stderr_text.find("run_child"), std::string::npos) << forked.stderr_text;
  }
}

// A prelude (pool.h) is bound once per zygote and handed to each job as `_harness_prelude`; what one job
// does to it (rebinding, adding names, changing a module it holds) is not seen by the next.
TEST(ForkServer, PreludeIsBoundOnceAndEachRunGetsItAsTheZygoteMadeIt) {
  const sandbox::Prelude prelude{"import math\nfrom math import *\nfrom sys import *\n", ""};
  const std::string look =
      "ns = globals().pop('_harness_prelude', None)\n"
      "print(type(ns).__name__, ns['__name__'], ns['sqrt'](16.0), ns['math'].pi, ns['argv'] is ns['modules']['sys'].argv,\n"
      "      'leak' in ns, '_harness_prelude' in globals())\n";
  Pool pool(PoolOptions{1, true});
  pool.Submit({look + "ns['sqrt'] = None\nns['leak'] = 1\nns['math'].pi = 3\nns['argv'].append('x')\n", "", ShortLimits(),
               prelude});
  const RunResult first = pool.Next()->result;
  pool.Submit({look + "print(ns['argv'])\n", "", ShortLimits(), prelude});
  const RunResult second = pool.Next()->result;
  pool.Submit({"print('_harness_prelude' in globals())\n", "", ShortLimits()});
  const RunResult without = pool.Next()->result;
  pool.Submit({"ns = globals().pop('_harness_prelude')\nprint(type(ns).__name__, ns.__name__, repr(ns.__doc__), ns.floor(2.5))\n",
               "", ShortLimits(), sandbox::Prelude{prelude.imports, "tmp_sol"}});
  const RunResult module = pool.Next()->result;
  for (const RunResult* r : {&first, &second, &without, &module}) {
    EXPECT_EQ(r->runner, "fork-server") << r->runner_note;
    EXPECT_EQ(r->status, Status::kPassed) << r->stderr_text;
  }
  EXPECT_EQ(first.stdout_text, "dict __main__ 4.0 3.141592653589793 True False False\n");
  EXPECT_EQ(second.stdout_text, "dict __main__ 4.0 3.141592653589793 True False False\n['main.py']\n");
  EXPECT_EQ(without.stdout_text, "False\n");
  EXPECT_EQ(module.stdout_text, "module tmp_sol '' 2\n");
}

// A prelude that is more than imports, or names a module the zygote has not loaded (importing it would
// change the zygote for every later job), is declined: the job's code finds no namespace and builds it.
TEST(ForkServer, PreludesThatWouldChangeTheZygoteAreDeclined) {
  const std::string probe = "print('_harness_prelude' in globals())\n";
  const std::vector<sandbox::Prelude> declined = {
      {"import math\nprint('side effect')\n", ""},
      {"import xml.dom.minidom\n", ""},
      {"from xml.dom.minidom import *\n", ""},
      {"import math; import os\n", ""},
  };
  Pool pool(PoolOptions{1, true});
  for (const auto& prelude : declined) {
    SCOPED_TRACE(prelude.imports);
    pool.Submit({probe, "", ShortLimits(), prelude});
    const RunResult r = pool.Next()->result;
    EXPECT_EQ(r.runner, "fork-server") << r.runner_note;
    EXPECT_EQ(r.stdout_text, "False\n") << r.stderr_text;
  }
  pool.Submit({"import sys\nprint('xml.dom.minidom' in sys.modules, 'xml' in sys.modules)\n", "", ShortLimits()});
  EXPECT_EQ(pool.Next()->result.stdout_text, "False False\n");
  pool.Submit({probe, "", ShortLimits(), sandbox::Prelude{"import math\n", ""}});
  EXPECT_EQ(pool.Next()->result.stdout_text, "True\n");
}

// A zygote that dies while starting (its imports do not fit in 16 MB of address space; a bare
// interpreter does) is never handed a job: the job runs one-shot, and the note says why.
TEST(ForkServer, FallsBackToOneShotWhenTheZygoteDiesStarting) {
  auto limits = ShortLimits();
  limits.memory_bytes = size_t{16} << 20;
  Pool pool(PoolOptions{1, true});
  pool.Submit({"print(6 * 7)\n", "", limits});
  const RunResult r = pool.Next()->result;
  EXPECT_EQ(r.runner, "one-shot");
  EXPECT_NE(r.runner_note.find("fork server ended while starting"), std::string::npos) << r.runner_note;
  EXPECT_EQ(r.status, Status::kPassed) << r.detail << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "42\n");
}

TEST(ForkServer, FallsBackToOneShotWhenItCannotStart) {
  auto limits = ShortLimits();
  limits.python = "/nonexistent/python3";
  Pool pool(PoolOptions{1, true});
  pool.Submit({"print(1)\n", "", limits});
  const RunResult r = pool.Next()->result;
  EXPECT_EQ(r.runner, "one-shot");
  EXPECT_NE(r.runner_note.find("fork server unavailable"), std::string::npos) << r.runner_note;
  EXPECT_EQ(r.status, Status::kSandboxError);  // and the one-shot path cannot run it either
}

}  // namespace
