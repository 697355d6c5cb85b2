// SIGKILL at random moments of a smoke table, then a rerun to completion: the store stays intact
// after every kill, and the completed table equals an uninterrupted run's (tables, training
// curves, checkpoints and generated data byte for byte), with no duplicate rows and no
// temporary file left (reports/results/reliability.md, "Faults as tests").
//
// Environment: DTI_FAULTS_KILLS (default 5, the CTest version; tests/faults/kill_sweep.sh runs
// 50 or more), DTI_FAULTS_SEED (the kill moments; default: from the clock, printed for a rerun).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>

#include "tests/experiments/faults_support.h"

namespace dti::test {
namespace {

// One seed of Table 1 under the smoke preset: Tetrominoes and Multi-dSprites are generated and
// trained (CLEVR6 has no data here), on the CPU with one LibTorch thread so that reruns are
// bit-identical (a GPU, which --device auto would pick, promises no such thing).
std::vector<std::string> table_args() {
  return {"table1",   "--preset", "smoke",   "--seeds", "1",   "--threads",  "1",
          "--device", "cpu",      "--quiet", "--out",   "out", "--data-dir", "data"};
}

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

// Runs the table in `dir` to its end; returns the exit code (-1: still running after 20 min).
int run_to_end(const fs::path& dir, const std::string& runexp) {
  const pid_t pid = spawn_runexp(dir, table_args(), dir / "runexp.log", runexp);
  if (pid < 0) return -1;
  const int code = wait_for(pid, 1200.0);
  if (code < 0) {
    ::kill(pid, SIGKILL);
    wait_for(pid, 10.0);
  }
  return code;
}

// Files under `root` whose bytes must equal the reference's, relative paths: the tables, the
// generated data and each run's latest checkpoint.
std::vector<std::string> compared_files(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string rel = fs::relative(entry.path(), root).string();
    const std::string name = entry.path().filename().string();
    if (rel.rfind("out/tables/", 0) == 0 || name == "checkpoint.ckpt" ||
        (rel.rfind("data/", 0) == 0 && entry.path().extension() == ".h5"))
      files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The stored runs and their curves, in a form to compare: everything but what depends on the
// clock (throughput, timestamps, pid, host) or on the kills (attempts).
std::vector<std::string> stored_results(const fs::path& root) {
  const std::string store = (root / "out/results.sqlite").string();
  auto rows = sql_rows(store,
                       "SELECT cell, seed, status, final_loss, iterations, config_hash FROM runs "
                       "ORDER BY cell, seed");
  for (const auto& row :
       sql_rows(store,
                "SELECT r.cell, r.seed, m.name, ifnull(m.iteration, -1), m.value FROM metrics m "
                "JOIN runs r ON r.id = m.run_id WHERE m.name != 'images_per_second' "
                "ORDER BY r.cell, r.seed, m.name, m.iteration"))
    rows.push_back(row);
  for (const auto& row :
       sql_rows(store,
                "SELECT r.cell, r.seed, a.kind, a.path, a.label, ifnull(a.iteration, -1) FROM "
                "artifacts a JOIN runs r ON r.id = a.run_id ORDER BY 1, 2, 3, 4, 5"))
    rows.push_back(row);
  return rows;
}

// Artifact paths name the run's folder: compare them relative to the scratch folder.
std::vector<std::string> relative_to(std::vector<std::string> rows, const fs::path& root) {
  const std::string prefix = root.string() + "/";
  for (auto& row : rows) {
    for (size_t at = row.find(prefix); at != std::string::npos; at = row.find(prefix))
      row.erase(at, prefix.size());
  }
  return rows;
}

struct SweepCount {
  int kills = 0;             // SIGKILLs that hit a live runexp
  int store_intact = 0;      // of them, followed by an intact store (or none yet)
  int finished_first = 0;    // runs that ended before their kill moment
  int temporaries_left = 0;  // temporaries found after kills, before the final run
  int rounds = 0;            // tables completed after kills
  int rounds_identical = 0;  // of them, equal to the uninterrupted table in every check
};

class KillTest : public FaultsTest {};

TEST_F(KillTest, RandomKillsOfASmokeTableLoseAndLeaveNothing) {
  const int wanted_kills = env_int("DTI_FAULTS_KILLS", 5);
  const unsigned seed = static_cast<unsigned>(env_int(
      "DTI_FAULTS_SEED",
      static_cast<int>(std::chrono::system_clock::now().time_since_epoch().count() % 1000000)));
  std::cout << "kill moments: DTI_FAULTS_SEED=" << seed << ", " << wanted_kills << " kills\n";
  std::mt19937 random(seed);

  const std::string runexp = frozen_runexp(dir_);
  const fs::path reference = dir_ / "reference";
  fs::create_directories(reference);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(run_to_end(reference, runexp), 0) << file_bytes(reference / "runexp.log");
  const double table_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto reference_files = compared_files(reference);
  ASSERT_GE(reference_files.size(), 5u);  // 3 tables, 2 data files, 2 checkpoints
  const auto reference_results = relative_to(stored_results(reference), reference);

  SweepCount count;
  // A kill lands anywhere from runexp's start to most of a whole table; later kills in a
  // round hit the resumed, shorter remainder or a run that is already finished.
  std::uniform_real_distribution<double> moment(0.05, 0.8 * table_seconds);
  while (count.kills < wanted_kills) {
    const fs::path round = dir_ / ("round" + std::to_string(count.rounds));
    fs::create_directories(round);
    for (int in_round = 0; in_round < 5 && count.kills < wanted_kills; ++in_round) {
      const double delay = moment(random);
      const auto spawned = std::chrono::steady_clock::now();
      const pid_t pid = spawn_runexp(round, table_args(), round / "runexp.log", runexp);
      ASSERT_GT(pid, 0);
      if (wait_for(pid, delay) >= 0) {  // ended first: the table is complete
        ++count.finished_first;
        // A whole table ran faster than the reference did (the machine's load changed): later
        // kill moments follow the time just seen.
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - spawned).count();
        if (in_round == 0) moment = std::uniform_real_distribution<double>(0.05, 0.8 * seconds);
        break;
      }
      ::kill(pid, SIGKILL);
      ASSERT_EQ(wait_for(pid, 30.0), 128 + SIGKILL);
      ++count.kills;
      const fs::path store = round / "out/results.sqlite";
      const std::string integrity = fs::exists(store) ? store_integrity(store.string()) : "ok";
      EXPECT_EQ(integrity, "ok") << "after a kill at " << delay << " s in " << round;
      count.store_intact += integrity == "ok";
    }
    count.temporaries_left += static_cast<int>(temporaries_under(round).size());
    age_temporaries(round, 700.0);
    ASSERT_EQ(run_to_end(round, runexp), 0) << file_bytes(round / "runexp.log");
    ++count.rounds;

    const std::string store = (round / "out/results.sqlite").string();
    EXPECT_EQ(store_integrity(store), "ok");
    const auto duplicates = duplicate_rows(store);
    EXPECT_TRUE(duplicates.empty()) << duplicates.front() << " in " << round;
    const auto left = temporaries_under(round);
    EXPECT_TRUE(left.empty()) << left.front() << " in " << round;
    bool identical = duplicates.empty() && left.empty();
    EXPECT_EQ(compared_files(round), reference_files) << round;
    identical = identical && compared_files(round) == reference_files;
    for (const auto& file : reference_files) {
      const bool same = file_bytes(round / file) == file_bytes(reference / file);
      EXPECT_TRUE(same) << file << " differs from an uninterrupted run's in " << round;
      identical = identical && same;
    }
    const auto results = relative_to(stored_results(round), round);
    EXPECT_EQ(results, reference_results) << "stored runs, curves or artifacts in " << round;
    identical = identical && results == reference_results;
    count.rounds_identical += identical;
    std::cout << "round " << count.rounds << ": " << count.kills << " kills so far, store intact "
              << count.store_intact
              << ", identical to the uninterrupted run: " << (identical ? "yes" : "NO")
              << std::endl;
    if (identical && !HasFailure()) fs::remove_all(round);
  }
  std::cout << "faults summary: " << count.kills << " kills in " << count.rounds
            << " rounds (uninterrupted table " << table_seconds << " s); store intact after "
            << count.store_intact << "/" << count.kills << " kills; " << count.finished_first
            << " runs ended before their kill; " << count.temporaries_left
            << " temporaries left by kills, all removed by the final run: "
            << (HasFailure() ? "see failures" : "yes") << "; rounds identical to the "
            << "uninterrupted run " << count.rounds_identical << "/" << count.rounds << "\n";
}

}  // namespace
}  // namespace dti::test
