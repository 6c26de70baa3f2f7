// P-CoT programs through the sandbox (sandbox::MakeProgramRunner behind scoring::ProgramRunner): each program
// runs in its own fork-server child, results come back in input order whatever the worker count, failures are
// verdicts, and the generators' P-CoT solutions score as correct end to end.
#include "harness/sandbox/program_runner.h"

#include <gtest/gtest.h>

#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "tests/sandbox/test_helpers.h"

namespace {

TEST(ProgramRunner, RunsABatchInInputOrderWithVerdicts) {
  const std::vector<std::string> programs = {
      "import time\ntime.sleep(0.2)\nprint(1)",   // finishes last, still first in the results
      "print(2 * 21)",
      "raise ValueError('no')",
      "while True:\n    pass",                  // CPU limit
      "x = 1\nprint(x / 4)",
      "open('/tmp/left', 'w').write('x')\nprint(5)",
      "import os\nprint(os.path.exists('/tmp/left'))",  // no run sees what another left
  };
  for (int workers : {1, 3}) {
    SCOPED_TRACE(workers);
    sandbox::Limits limits = sandbox_test::ShortLimits();
    scoring::ProgramRunner run = sandbox::MakeProgramRunner(workers, limits);
    const std::vector<scoring::ProgramRun> runs = run(programs);
    ASSERT_EQ(runs.size(), programs.size());
    EXPECT_TRUE(runs[0].ran);
    EXPECT_EQ(runs[0].output, "1\n");
    EXPECT_EQ(runs[1].output, "42\n");
    EXPECT_FALSE(runs[2].ran);
    EXPECT_EQ(runs[2].status, "runtime_error");
    EXPECT_FALSE(runs[3].ran);
    EXPECT_EQ(runs[3].status, "time_limit_cpu") << runs[3].status;
    EXPECT_EQ(runs[4].output, "0.25\n");
    EXPECT_EQ(runs[5].output, "5\n");
    EXPECT_EQ(runs[6].output, "False\n");
    // The runner's pool serves call after call.
    EXPECT_EQ(run({"print(7)"}).at(0).output, "7\n");
  }
}

TEST(ProgramRunner, GeneratedPcotSolutionsScoreAsCorrect) {
  const scoring::ProgramRunner run = sandbox::MakeProgramRunner(2);
  for (const std::string task_name : {"gsm8k", "svamp", "mathqa", "aime"}) {
    SCOPED_TRACE(task_name);
    tasks::synth::SynthOptions o;
    o.task = task_name;
    o.split = "test";
    o.n = 6;
    o.seed = 11;
    o.style = "pcot";
    const std::vector<tasks::synth::SynthItem> items = tasks::synth::GenerateItems(o);
    std::vector<tasks::Record> records(items.size());
    std::vector<scoring::TaskRecord> owners;
    std::vector<std::string> completions;
    const tasks::Task& task = tasks::FindTask(task_name);
    for (size_t i = 0; i < items.size(); ++i) {
      records[i].kind = task_name == "mathqa" ? tasks::AnswerKind::kChoice : tasks::AnswerKind::kNumeric;
      if (task_name == "mathqa") records[i].choices = {"a", "b", "c", "d", "e"};
      records[i].gold = items[i].gold;
      owners.emplace_back(&task, &records[i]);
      // The completion as a model trained on it writes it, with a prose tail after a blank line.
      completions.push_back(items[i].solutions.at(0).text + "\n\nSo that is it.");
    }
    const auto answers = scoring::ProgramAnswers(owners, completions, run);
    for (size_t i = 0; i < items.size(); ++i) {
      EXPECT_TRUE(answers[i].valid && task.IsCorrect(answers[i], records[i]))
          << answers[i].rule << " " << answers[i].raw << " gold " << items[i].gold << "\n" << completions[i];
    }
  }
}

}  // namespace
