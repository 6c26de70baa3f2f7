// SQLite-backed run history (schema and concurrency notes in history.h and HISTORY.md).
#include "reports/history.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <tuple>

#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "reports/results.h"
#include "reports/run_data.h"

namespace reports {

namespace {

using util::InputError;
using util::Location;

constexpr int kBusyTimeoutMs = 30000;

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS runs(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  harness_version TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  appended_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metrics(
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  task TEXT NOT NULL, variant TEXT NOT NULL, method TEXT NOT NULL, model TEXT NOT NULL,
  seed INTEGER NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, stderr REAL,
  PRIMARY KEY(run_id, task, variant, method, model, seed, metric));
CREATE INDEX IF NOT EXISTS metrics_by_key ON metrics(task, variant, method, model, metric);
)SQL";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Another connection held a lock and SQLite gave up without waiting. The busy timeout covers most
// contention, but SQLite returns SQLITE_BUSY at once where waiting could deadlock, and while another
// process is switching a new database to WAL; AppendRun retries its whole transaction on this.
class Busy : public InputError {
 public:
  using InputError::InputError;
};

// Busy for SQLite's busy and locked codes (extended or primary), InputError for any other.
[[noreturn]] void ThrowDbError(const std::string& path, int rc, const std::string& message) {
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) throw Busy(Location{path, 0, ""}, message);
  throw InputError(Location{path, 0, ""}, message);
}

[[noreturn]] void Fail(const std::string& path, sqlite3* db, const std::string& what) {
  if (db == nullptr) ThrowDbError(path, SQLITE_NOMEM, what + ": out of memory");
  ThrowDbError(path, sqlite3_extended_errcode(db), what + ": " + sqlite3_errmsg(db));
}

void Exec(const std::string& path, sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = std::string("history database: ") + (err ? err : "unknown error");
    sqlite3_free(err);
    ThrowDbError(path, rc, msg);
  }
}

Db Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) Fail(path, raw, "cannot open history database");
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  // WAL lets readers run beside one writer; writers serialise on the IMMEDIATE transaction below.
  Exec(path, db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  return db;
}

Stmt Prepare(const std::string& path, sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) Fail(path, db, "history database");
  return Stmt(raw);
}

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void StepDone(const std::string& path, sqlite3* db, sqlite3_stmt* s) {
  if (sqlite3_step(s) != SQLITE_DONE) Fail(path, db, "history database write failed");
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
}

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t ? reinterpret_cast<const char*>(t) : "";
}

std::string StringAt(const nlohmann::json& doc, const char* a, const char* b = nullptr) {
  auto it = doc.find(a);
  if (it == doc.end()) return "";
  if (b != nullptr) {
    if (!it->is_object()) return "";
    auto jt = it->find(b);
    return jt != it->end() && jt->is_string() ? jt->get<std::string>() : "";
  }
  return it->is_string() ? it->get<std::string>() : "";
}

// Creates the tables inside the writer's transaction and refuses a database of another schema version.
void EnsureSchema(const std::string& path, sqlite3* db) {
  Stmt version = Prepare(path, db, "PRAGMA user_version;");
  int v = 0;
  if (sqlite3_step(version.get()) == SQLITE_ROW) v = sqlite3_column_int(version.get(), 0);
  version.reset();
  if (v != 0 && v != kHistorySchemaVersion) {
    throw InputError(Location{path, 0, ""}, "history database has schema version " + std::to_string(v) +
                                                "; this harness writes version " +
                                                std::to_string(kHistorySchemaVersion));
  }
  Exec(path, db, kSchema);
  if (v == 0) {
    Exec(path, db, ("PRAGMA user_version=" + std::to_string(kHistorySchemaVersion) + ";").c_str());
  }
}

}  // namespace

std::string RunIdOf(const nlohmann::json& results) { return util::Sha256Hex(results.dump()).substr(0, 16); }

namespace {

// One attempt at the append transaction; throws Busy when SQLite would not wait for a lock.
void AppendOnce(const std::string& db_path, const LoadedRun& run, const nlohmann::json& results,
                const std::string& run_id, const std::string& config_hash) {
  Db db = Open(db_path, /*create=*/true);
  // IMMEDIATE takes the write lock up front, so two writers never both read-then-upgrade and deadlock;
  // the busy timeout makes the second one wait instead of failing with SQLITE_BUSY.
  Exec(db_path, db.get(), "BEGIN IMMEDIATE;");
  try {
    EnsureSchema(db_path, db.get());
    Stmt insert_run = Prepare(db_path, db.get(),
                              "INSERT OR IGNORE INTO runs(run_id, created, git_commit, harness_version, "
                              "config_hash, appended_at) VALUES(?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%fZ','now'));");
    BindText(insert_run.get(), 1, run_id);
    BindText(insert_run.get(), 2, StringAt(results, "created"));
    BindText(insert_run.get(), 3, StringAt(results, "harness", "git_commit"));
    BindText(insert_run.get(), 4, StringAt(results, "harness", "version"));
    BindText(insert_run.get(), 5, config_hash);
    StepDone(db_path, db.get(), insert_run.get());
    Stmt insert_metric = Prepare(db_path, db.get(),
                                 "INSERT OR IGNORE INTO metrics(run_id, task, variant, method, model, seed, "
                                 "metric, value, stderr) VALUES(?,?,?,?,?,?,?,?,?);");
    for (const auto& row : run.rows) {
      for (const auto& [metric, value] : row.values) {
        BindText(insert_metric.get(), 1, run_id);
        BindText(insert_metric.get(), 2, row.key.task);
        BindText(insert_metric.get(), 3, row.key.variant);
        BindText(insert_metric.get(), 4, row.key.method);
        BindText(insert_metric.get(), 5, row.key.model);
        sqlite3_bind_int64(insert_metric.get(), 6, row.key.seed);
        BindText(insert_metric.get(), 7, metric);
        sqlite3_bind_double(insert_metric.get(), 8, value);
        auto se = row.stderrs.find(metric);
        if (se != row.stderrs.end()) {
          sqlite3_bind_double(insert_metric.get(), 9, se->second);
        } else {
          sqlite3_bind_null(insert_metric.get(), 9);
        }
        StepDone(db_path, db.get(), insert_metric.get());
      }
    }
    Exec(db_path, db.get(), "COMMIT;");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK;", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace

std::string AppendRun(const std::string& db_path, const nlohmann::json& results, const std::string& source) {
  const LoadedRun run = ParseResults(results, source);
  if (run.schema_version != kResultsSchemaVersion) {
    throw InputError(Location{source, 0, "schema_version"},
                     "cannot append results of schema version " + std::to_string(run.schema_version));
  }
  const std::string run_id = RunIdOf(results);
  const std::string config_hash =
      util::Sha256Hex(results.contains("config") ? results["config"].dump() : "null").substr(0, 16);

  // The transaction rolled back, so trying again is safe; give up after the same 30 s the busy
  // timeout allows one lock wait.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (int attempt = 0;; ++attempt) {
    try {
      AppendOnce(db_path, run, results, run_id, config_hash);
      return run_id;
    } catch (const Busy&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + 5 * std::min(attempt, 20)));
    }
  }
}

long CountRuns(const std::string& db_path) {
  Db db = Open(db_path, /*create=*/false);
  Stmt s = Prepare(db_path, db.get(), "SELECT COUNT(*) FROM runs;");
  return sqlite3_step(s.get()) == SQLITE_ROW ? static_cast<long>(sqlite3_column_int64(s.get(), 0)) : 0;
}

std::vector<Trend> LoadTrend(const std::string& db_path, int last_runs, const std::string& metric) {
  if (last_runs < 1) throw InputError(Location{"", 0, "last_runs"}, "must be >= 1");
  Db db = Open(db_path, /*create=*/false);
  Stmt s = Prepare(db_path, db.get(),
                   "WITH recent AS (SELECT seq, run_id, created, git_commit FROM runs ORDER BY seq DESC LIMIT ?) "
                   "SELECT m.task, m.variant, m.method, m.model, m.metric, r.run_id, r.created, r.git_commit, "
                   "AVG(m.value), COUNT(*) FROM metrics m JOIN recent r ON m.run_id = r.run_id "
                   "WHERE (? = '' OR m.metric = ?) "
                   "GROUP BY m.task, m.variant, m.method, m.model, m.metric, r.seq "
                   "ORDER BY m.task, m.variant, m.method, m.model, m.metric, r.seq;");
  sqlite3_bind_int(s.get(), 1, last_runs);
  BindText(s.get(), 2, metric);
  BindText(s.get(), 3, metric);
  std::vector<Trend> out;
  int rc = 0;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    std::string task = Text(s.get(), 0), variant = Text(s.get(), 1), method = Text(s.get(), 2),
                model = Text(s.get(), 3), name = Text(s.get(), 4);
    if (out.empty() || std::tie(out.back().task, out.back().variant, out.back().method, out.back().model,
                                out.back().metric) != std::tie(task, variant, method, model, name)) {
      out.push_back(Trend{task, variant, method, model, name, {}});
    }
    TrendPoint p;
    p.run_id = Text(s.get(), 5);
    p.created = Text(s.get(), 6);
    p.git_commit = Text(s.get(), 7);
    p.value = sqlite3_column_double(s.get(), 8);
    p.seeds = sqlite3_column_int(s.get(), 9);
    out.back().points.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) Fail(db_path, db.get(), "history database read failed");
  return out;
}

}  // namespace reports
