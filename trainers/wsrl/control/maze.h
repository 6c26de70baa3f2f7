// WSRL's paper-native setting at small scale (issue 18; method_anchors.md §4.4): a continuous 2-D point
// mass in a maze of square cells, a sparse reward at one fixed test goal, and an offline dataset from a
// mixed-quality behaviour policy whose short segments must be stitched to get from the test start to the
// test goal. Everything is seeded and deterministic; nothing here uses torch.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace trainers::wsrl {

using Vec2 = std::array<double, 2>;  // (x, y): x along a row (column index), y down the rows

struct MazeSpec {
  std::vector<std::string> layout;  // '#' wall, '.' free, 'S' test start, 'G' test goal; cells are 1×1
  double step_size = 0.2;           // displacement per step at |action| = 1 along an axis
  double goal_radius = 0.5;         // success: distance to the goal cell's centre below this
  int horizon = 300;                // steps before an episode is truncated
  double start_noise = 0.1;         // uniform jitter of the start position, each axis
};

// Layouts by name ("medium", "large", "open" for tests); throws std::invalid_argument for others.
MazeSpec NamedMaze(const std::string& name);
std::vector<std::string> MazeNames();

struct StepResult {
  Vec2 position;
  bool success = false;  // reached the goal (a terminal transition)
};

class PointMaze {
 public:
  explicit PointMaze(MazeSpec spec);
  const MazeSpec& spec() const { return spec_; }
  int rows() const { return static_cast<int>(spec_.layout.size()); }
  int cols() const { return static_cast<int>(spec_.layout.front().size()); }
  bool IsWall(int row, int col) const;
  bool Blocked(const Vec2& p) const;  // inside a wall cell or outside the maze
  Vec2 CellCentre(int row, int col) const { return {col + 0.5, row + 0.5}; }
  std::array<int, 2> CellOf(const Vec2& p) const;  // (row, col)
  Vec2 start() const { return start_; }
  Vec2 goal() const { return goal_; }
  bool AtGoal(const Vec2& p) const;
  // One step of the dynamics: p + step_size·clip(a, −1, 1); a move into a wall slides along it (the x
  // and y parts are tried separately) or, if both are blocked, stays put.
  StepResult Step(const Vec2& p, const Vec2& action) const;
  // The observation the agents see: the position scaled to [−1, 1] on each axis.
  std::array<float, 2> Observe(const Vec2& p) const;
  // A start position: the 'S' cell's centre with uniform jitter.
  Vec2 SampleStart(std::mt19937_64& rng) const;
  // Free cells, and breadth-first distances/paths between them (4-connected).
  std::vector<std::array<int, 2>> FreeCells() const;
  std::vector<std::array<int, 2>> ShortestPath(std::array<int, 2> from, std::array<int, 2> to) const;
  int Distance(std::array<int, 2> from, std::array<int, 2> to) const;

 private:
  MazeSpec spec_;
  Vec2 start_{}, goal_{};
};

// Rewards in the agents' scale: reward_scale·r + reward_bias with r = 1 at the goal, else 0
// (WSRL's AntMaze setting is ×10, −5).
struct RewardScale {
  double scale = 10.0;
  double bias = -5.0;
  double operator()(bool success) const { return scale * (success ? 1.0 : 0.0) + bias; }
};

// One transition, with the Monte-Carlo return of the rest of its episode (Cal-QL's lower bound).
struct Transition {
  std::array<float, 2> obs{}, next_obs{};
  std::array<float, 2> action{};
  float reward = 0;
  float done = 0;       // 1 on the terminal (goal) transition
  float mc_return = 0;  // discounted return from this step on
};

struct DatasetOptions {
  int episodes = 300;
  int episode_steps = 80;          // a behaviour episode's length (it stops early at the test goal)
  int segment_cells = 4;           // each waypoint goal is at most this many cells away (breadth-first)
  std::vector<double> noise_levels = {0.1, 0.5, 1.0};  // action noise σ, one drawn per episode
  double random_share = 0.2;       // share of episodes with uniformly random actions
  uint64_t seed = 0;
};

// Discounted returns of one episode's rewards, computed backwards. A truncated episode (no terminal) is
// continued with the value of never reaching the goal, fail_reward/(1−γ): the sparse-reward treatment of
// Cal-QL's code, a lower bound.
std::vector<float> MonteCarloReturns(const std::vector<float>& rewards, bool terminated, double gamma,
                                     double fail_reward);

// The behaviour policy's episodes, flattened, with rewards and MC returns for the test goal.
std::vector<Transition> BehaviourDataset(const PointMaze& maze, const DatasetOptions& options,
                                         const RewardScale& reward, double gamma);

}  // namespace trainers::wsrl
