#include "trainers/wsrl/control/maze.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>

namespace trainers::wsrl {

namespace {

// "medium": a 16-move corridor from S to G (about 80 steps at full speed) with no shortcut.
// "large": a 30-move snake. "open": one room, for tests.
const std::vector<std::pair<std::string, std::vector<std::string>>>& Layouts() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> layouts = {
      {"medium", {"#######",
                  "#S....#",
                  "#####.#",
                  "#...#.#",
                  "#.#.#.#",
                  "#G#...#",
                  "#######"}},
      {"large", {"#########",
                 "#S..#...#",
                 "###.#.#.#",
                 "#...#.#.#",
                 "#.###.#.#",
                 "#.....#.#",
                 "#######.#",
                 "#G......#",
                 "#########"}},
      {"open", {"#####",
                "#S..#",
                "#...#",
                "#..G#",
                "#####"}},
  };
  return layouts;
}

double Clip(double v) { return std::max(-1.0, std::min(1.0, v)); }

}  // namespace

std::vector<std::string> MazeNames() {
  std::vector<std::string> names;
  for (const auto& [name, layout] : Layouts()) names.push_back(name);
  return names;
}

MazeSpec NamedMaze(const std::string& name) {
  for (const auto& [n, layout] : Layouts()) {
    if (n == name) {
      MazeSpec spec;
      spec.layout = layout;
      return spec;
    }
  }
  throw std::invalid_argument("unknown maze '" + name + "'");
}

PointMaze::PointMaze(MazeSpec spec) : spec_(std::move(spec)) {
  if (spec_.layout.empty()) throw std::invalid_argument("maze layout is empty");
  bool has_start = false, has_goal = false;
  for (int r = 0; r < rows(); ++r) {
    if (static_cast<int>(spec_.layout[r].size()) != cols()) throw std::invalid_argument("maze rows differ in length");
    for (int c = 0; c < cols(); ++c) {
      const char ch = spec_.layout[r][c];
      if (ch == 'S') start_ = CellCentre(r, c), has_start = true;
      if (ch == 'G') goal_ = CellCentre(r, c), has_goal = true;
    }
  }
  if (!has_start || !has_goal) throw std::invalid_argument("maze needs one 'S' and one 'G'");
}

bool PointMaze::IsWall(int row, int col) const {
  if (row < 0 || col < 0 || row >= rows() || col >= cols()) return true;
  return spec_.layout[row][col] == '#';
}

std::array<int, 2> PointMaze::CellOf(const Vec2& p) const {
  return {static_cast<int>(std::floor(p[1])), static_cast<int>(std::floor(p[0]))};
}

bool PointMaze::Blocked(const Vec2& p) const {
  const auto cell = CellOf(p);
  return IsWall(cell[0], cell[1]);
}

bool PointMaze::AtGoal(const Vec2& p) const {
  return std::hypot(p[0] - goal_[0], p[1] - goal_[1]) < spec_.goal_radius;
}

StepResult PointMaze::Step(const Vec2& p, const Vec2& action) const {
  const Vec2 delta = {spec_.step_size * Clip(action[0]), spec_.step_size * Clip(action[1])};
  Vec2 next = {p[0] + delta[0], p[1] + delta[1]};
  if (Blocked(next)) {
    const Vec2 along_x = {p[0] + delta[0], p[1]};
    const Vec2 along_y = {p[0], p[1] + delta[1]};
    if (!Blocked(along_x)) next = along_x;
    else if (!Blocked(along_y)) next = along_y;
    else next = p;
  }
  return {next, AtGoal(next)};
}

std::array<float, 2> PointMaze::Observe(const Vec2& p) const {
  return {static_cast<float>(2.0 * p[0] / cols() - 1.0), static_cast<float>(2.0 * p[1] / rows() - 1.0)};
}

Vec2 PointMaze::SampleStart(std::mt19937_64& rng) const {
  std::uniform_real_distribution<double> jitter(-spec_.start_noise, spec_.start_noise);
  const double dx = jitter(rng);
  const double dy = jitter(rng);
  return {start_[0] + dx, start_[1] + dy};
}

std::vector<std::array<int, 2>> PointMaze::FreeCells() const {
  std::vector<std::array<int, 2>> cells;
  for (int r = 0; r < rows(); ++r) {
    for (int c = 0; c < cols(); ++c) {
      if (!IsWall(r, c)) cells.push_back({r, c});
    }
  }
  return cells;
}

std::vector<std::array<int, 2>> PointMaze::ShortestPath(std::array<int, 2> from, std::array<int, 2> to) const {
  if (IsWall(from[0], from[1]) || IsWall(to[0], to[1])) return {};
  std::vector<int> parent(rows() * cols(), -1);
  auto index = [&](std::array<int, 2> c) { return c[0] * cols() + c[1]; };
  std::deque<std::array<int, 2>> queue = {from};
  parent[index(from)] = index(from);
  static const int kMoves[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
  while (!queue.empty()) {
    const auto cell = queue.front();
    queue.pop_front();
    if (cell == to) break;
    for (const auto& m : kMoves) {
      const std::array<int, 2> next = {cell[0] + m[0], cell[1] + m[1]};
      if (IsWall(next[0], next[1]) || parent[index(next)] >= 0) continue;
      parent[index(next)] = index(cell);
      queue.push_back(next);
    }
  }
  if (parent[index(to)] < 0) return {};
  std::vector<std::array<int, 2>> path = {to};
  while (path.back() != from) {
    const int p = parent[index(path.back())];
    path.push_back({p / cols(), p % cols()});
  }
  std::reverse(path.begin(), path.end());
  return path;
}

int PointMaze::Distance(std::array<int, 2> from, std::array<int, 2> to) const {
  const auto path = ShortestPath(from, to);
  return path.empty() ? -1 : static_cast<int>(path.size()) - 1;
}

std::vector<float> MonteCarloReturns(const std::vector<float>& rewards, bool terminated, double gamma,
                                     double fail_reward) {
  std::vector<float> returns(rewards.size());
  double tail = terminated ? 0.0 : fail_reward / (1.0 - gamma);
  for (size_t i = rewards.size(); i-- > 0;) {
    tail = rewards[i] + gamma * tail;
    returns[i] = static_cast<float>(tail);
  }
  return returns;
}

std::vector<Transition> BehaviourDataset(const PointMaze& maze, const DatasetOptions& options,
                                         const RewardScale& reward, double gamma) {
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  const auto free_cells = maze.FreeCells();
  const auto goal_cell = maze.CellOf(maze.goal());
  // Waypoint goals: any free cell 1..segment_cells moves away.
  auto pick_target = [&](std::array<int, 2> from) {
    std::vector<std::array<int, 2>> near;
    for (const auto& c : free_cells) {
      const int d = maze.Distance(from, c);
      if (d >= 1 && d <= options.segment_cells) near.push_back(c);
    }
    return near[std::uniform_int_distribution<size_t>(0, near.size() - 1)(rng)];
  };
  std::vector<Transition> data;
  for (int episode = 0; episode < options.episodes; ++episode) {
    const double sigma = options.noise_levels[std::uniform_int_distribution<size_t>(0, options.noise_levels.size() - 1)(rng)];
    const bool random_actions = unit(rng) < options.random_share;
    std::array<int, 2> cell;
    do {
      cell = free_cells[std::uniform_int_distribution<size_t>(0, free_cells.size() - 1)(rng)];
    } while (cell == goal_cell);
    const Vec2 centre = maze.CellCentre(cell[0], cell[1]);
    const double jx = 0.3 * uniform(rng);
    const double jy = 0.3 * uniform(rng);
    Vec2 p = {centre[0] + jx, centre[1] + jy};
    std::array<int, 2> target = pick_target(cell);
    std::vector<Transition> episode_data;
    std::vector<float> rewards;
    bool terminated = false;
    for (int t = 0; t < options.episode_steps && !terminated; ++t) {
      Vec2 action;
      if (random_actions) {
        const double ax = uniform(rng);
        action = {ax, uniform(rng)};
      } else {
        const auto path = maze.ShortestPath(maze.CellOf(p), target);
        const auto& next_cell = path.size() > 1 ? path[1] : target;
        const Vec2 waypoint = maze.CellCentre(next_cell[0], next_cell[1]);
        const Vec2 dir = {waypoint[0] - p[0], waypoint[1] - p[1]};
        const double len = std::max(std::hypot(dir[0], dir[1]), 1e-9);
        const double speed = std::min(1.0, len / maze.spec().step_size) / len;
        const double nx = sigma * normal(rng);
        const double ny = sigma * normal(rng);
        action = {Clip(dir[0] * speed + nx), Clip(dir[1] * speed + ny)};
      }
      const StepResult next = maze.Step(p, action);
      Transition tr;
      tr.obs = maze.Observe(p);
      tr.next_obs = maze.Observe(next.position);
      tr.action = {static_cast<float>(action[0]), static_cast<float>(action[1])};
      tr.reward = static_cast<float>(reward(next.success));
      tr.done = next.success ? 1.0f : 0.0f;
      episode_data.push_back(tr);
      rewards.push_back(tr.reward);
      terminated = next.success;
      p = next.position;
      const Vec2 tc = maze.CellCentre(target[0], target[1]);
      if (maze.CellOf(p) == target && std::hypot(p[0] - tc[0], p[1] - tc[1]) < 0.3) target = pick_target(target);
    }
    const auto returns = MonteCarloReturns(rewards, terminated, gamma, reward(false));
    for (size_t i = 0; i < episode_data.size(); ++i) {
      episode_data[i].mc_return = returns[i];
      data.push_back(episode_data[i]);
    }
  }
  return data;
}

}  // namespace trainers::wsrl
