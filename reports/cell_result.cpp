#include "reports/cell_result.h"
#include "base/strings.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace dti::reports {
namespace {

// "2 running, 1 stale (killed), 1 failed" for the runs that are not finished.
std::string describe_unfinished(const std::vector<RunRecord>& runs) {
  int alive = 0, stale = 0, failed = 0;
  for (const RunRecord& run : runs) {
    if (run.status == RunStatus::failed)
      ++failed;
    else if (run.liveness == Liveness::stale)
      ++stale;
    else if (run.status == RunStatus::running)
      ++alive;
  }
  std::vector<std::string> parts;
  if (alive) parts.push_back(std::to_string(alive) + " running");
  if (stale) parts.push_back(std::to_string(stale) + " stale (killed or silent)");
  if (failed) parts.push_back(std::to_string(failed) + " failed");
  return join(parts);
}

// The latest finished run of each seed (list_runs() orders by seed, then id); the earlier ones
// are named in `superseded`.
std::map<int64_t, RunRecord> latest_finished_per_seed(const std::vector<RunRecord>& runs,
                                                      std::string& superseded) {
  std::map<int64_t, RunRecord> latest;
  std::ostringstream names;
  for (const RunRecord& run : runs) {
    if (run.status != RunStatus::finished) continue;
    auto [it, inserted] = latest.emplace(run.spec.seed, run);
    if (!inserted) {
      names << (names.tellp() > 0 ? ", " : "") << "run " << it->second.id << " (seed "
            << run.spec.seed << ")";
      it->second = run;
    }
  }
  superseded = names.str();
  return latest;
}

// The data note of the kept runs: the note of the generated ones (the first when they differ,
// e.g. by file path), counted when only some of them trained on generated data.
std::string kept_data_note(const std::vector<const RunRecord*>& kept) {
  std::string note;
  size_t generated = 0;
  for (const RunRecord* run : kept) {
    if (run->data.note.empty()) continue;
    if (note.empty()) note = run->data.note;
    ++generated;
  }
  if (generated == 0 || generated == kept.size()) return note;
  return std::to_string(generated) + " of " + std::to_string(kept.size()) + " runs: " + note;
}

}  // namespace

CellResult missing_cell(const std::string& reason) {
  CellResult result;
  result.missing_reason = reason;
  return result;
}

CellResult collect_cell(const Store& store, const CellRef& ref, const CellOptions& options,
                        const std::string& missing_hint) {
  const std::vector<RunRecord> runs = store.list_runs(RunFilter(ref.experiment, ref.cell));
  CellResult result;
  result.not_counted = describe_unfinished(runs);
  const std::string hint =
      missing_hint.empty() ? "run `runexp " + ref.experiment + "`" : missing_hint;

  const std::map<int64_t, RunRecord> latest = latest_finished_per_seed(runs, result.superseded);

  std::vector<RunResult> inputs;
  std::map<std::string, int64_t> seed_of;
  int64_t without_metric = 0, without_loss = 0;
  for (const auto& [seed, run] : latest) {
    const auto metrics = store.final_metrics(run.id);
    const auto value = metrics.find(ref.metric);
    if (value == metrics.end()) {
      ++without_metric;
      continue;
    }
    if (!run.outcome.final_loss) {  // the outlier rule cannot judge it
      ++without_loss;
      continue;
    }
    const std::string id = std::to_string(run.id);
    seed_of[id] = seed;
    inputs.push_back({id, *run.outcome.final_loss, {{ref.metric, value->second}}});
  }
  if (without_loss > 0) {
    result.not_counted += (result.not_counted.empty() ? "" : ", ") + std::to_string(without_loss) +
                          " finished without a final loss";
  }
  if (inputs.empty()) {
    if (runs.empty()) {
      result.missing_reason = "no data: " + hint;
    } else if (without_metric > 0) {
      result.missing_reason = "no data: " + std::to_string(without_metric) +
                              " finished run(s) have no final '" + ref.metric + "' (" + hint + ")";
    } else {
      result.missing_reason = "no data: no finished run (" + result.not_counted + "; " + hint + ")";
    }
    return result;
  }

  const CellAggregate aggregate = aggregate_cell(inputs, options.rule);
  const MeanStd& stats = aggregate.metrics.at(ref.metric);
  result.mean = stats.mean * options.scale;
  if (stats.std_dev) result.std_dev = *stats.std_dev * options.scale;
  result.rule = aggregate.screen.rule;
  std::vector<const RunRecord*> kept_runs;
  for (const RunResult& input : inputs) {
    const auto& kept = aggregate.screen.kept_run_ids;
    if (std::find(kept.begin(), kept.end(), input.run_id) == kept.end()) continue;
    result.seeds_used.push_back(seed_of.at(input.run_id));
    result.values.push_back(input.metrics.at(ref.metric) * options.scale);
    kept_runs.push_back(&latest.at(seed_of.at(input.run_id)));
  }
  result.data_note = kept_data_note(kept_runs);
  for (const DroppedRun& dropped : aggregate.screen.dropped)
    result.dropped.push_back({std::stoll(dropped.run_id), seed_of.at(dropped.run_id),
                              dropped.final_loss, dropped.robust_z});
  return result;
}

}  // namespace dti::reports
