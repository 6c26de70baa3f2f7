// WSRL's update costs (issue 18, "Performance"): one Cal-QL update (critic with the CQL term, actor,
// temperature, Polyak) and one SAC update (critic, actor, temperature, Polyak) at batch 256 with the
// study's default network sizes. bench/wsrl_update_reference.py times the same updates in eager PyTorch
// (Debian's python3-torch); scripts/wsrl_bench.sh runs both in one go and prints the ratios.
#include <random>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "trainers/wsrl/control/study.h"

namespace {

using namespace trainers::wsrl;

Batch RandomBatch(int64_t n, std::mt19937_64& rng) {
  ReplayBuffer buffer(n);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t i = 0; i < n; ++i) {
    Transition t;
    t.obs = {u(rng), u(rng)};
    t.next_obs = {u(rng), u(rng)};
    t.action = {u(rng), u(rng)};
    t.reward = -5;
    t.mc_return = -100 * (1 + u(rng));
    buffer.Add(t);
  }
  return buffer.Sample(n, rng);
}

void RunUpdates(benchmark::State& state, bool cql) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  WsrlOptions options;
  Agent agent(MakeAgentSpec(options), 1);
  std::mt19937_64 rng(1);
  const Batch batch = RandomBatch(options.batch_size, rng);
  UpdateOptions update;
  update.cql = cql;
  update.cql_samples = options.cql_samples;
  for (auto _ : state) {
    CriticUpdate(agent, batch, update);
    ActorUpdate(agent, batch);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CalQlUpdate(benchmark::State& state) { RunUpdates(state, true); }
void BM_SacUpdate(benchmark::State& state) { RunUpdates(state, false); }

BENCHMARK(BM_CalQlUpdate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SacUpdate)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
