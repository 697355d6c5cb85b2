#include "experiments/launch/cell_job.h"

#include <functional>

#include "base/error.h"
#include "base/strings.h"

namespace dti::experiments {
namespace {

// One flag of a job's command line: how to write its value and how to read it back.
struct Flag {
  const char* name;
  std::function<std::string(const CellJob&)> write;
  std::function<void(CellJob&, const std::string&)> read;
};

int64_t to_int(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    const int64_t value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error("run-cell: " + flag + " expects an integer, got '" + text + "'");
}

const std::vector<Flag>& flags() {
  static const std::vector<Flag> table = {
      {"--cell", [](const CellJob& j) { return j.cell; },
       [](CellJob& j, const std::string& v) { j.cell = v; }},
      {"--seed", [](const CellJob& j) { return std::to_string(j.seed); },
       [](CellJob& j, const std::string& v) { j.seed = to_int("--seed", v); }},
      {"--preset", [](const CellJob& j) { return j.options.preset; },
       [](CellJob& j, const std::string& v) { j.options.preset = v; }},
      {"--device", [](const CellJob& j) { return j.options.device; },
       [](CellJob& j, const std::string& v) { j.options.device = v; }},
      {"--data-dir", [](const CellJob& j) { return j.options.data_dir; },
       [](CellJob& j, const std::string& v) { j.options.data_dir = v; }},
      {"--out", [](const CellJob& j) { return j.options.out_dir; },
       [](CellJob& j, const std::string& v) { j.options.out_dir = v; }},
      {"--db", [](const CellJob& j) { return j.options.store_path(); },
       [](CellJob& j, const std::string& v) { j.options.db_path = v; }},
      {"--threads", [](const CellJob& j) { return std::to_string(j.options.threads); },
       [](CellJob& j, const std::string& v) {
         j.options.threads = static_cast<int>(to_int("--threads", v));
       }},
  };
  return table;
}

std::vector<std::string> flag_names() {
  std::vector<std::string> names;
  for (const auto& f : flags()) names.push_back(f.name);
  names.insert(names.end(),
               {"--set", "--quiet", "--no-tensorboard", "--folder-record", "--mark-failed"});
  return names;
}

}  // namespace

std::vector<std::string> cell_job_args(const CellJob& job) {
  std::vector<std::string> args = {job.experiment};
  for (const auto& f : flags()) args.insert(args.end(), {f.name, f.write(job)});
  for (const auto& o : job.options.overrides) args.insert(args.end(), {"--set", o});
  if (job.options.quiet) args.push_back("--quiet");
  if (!job.options.tensorboard) args.push_back("--no-tensorboard");
  if (job.folder_record) args.push_back("--folder-record");
  if (!job.mark_failed.empty()) args.insert(args.end(), {"--mark-failed", job.mark_failed});
  return args;
}

CellJob parse_cell_job_args(const std::vector<std::string>& args) {
  CellJob job;
  bool has_cell = false, has_seed = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      DTI_CHECK(job.experiment.empty(), "run-cell: unexpected argument '", a,
                "' (the experiment is already '", job.experiment, "')");
      job.experiment = a;
      continue;
    }
    if (a == "--quiet") {
      job.options.quiet = true;
      continue;
    }
    if (a == "--no-tensorboard") {
      job.options.tensorboard = false;
      continue;
    }
    if (a == "--folder-record") {
      job.folder_record = true;
      continue;
    }
    DTI_CHECK(i + 1 < args.size(), "run-cell: ", a, " needs a value");
    const std::string& value = args[++i];
    if (a == "--set") {
      job.options.overrides.push_back(value);
      continue;
    }
    if (a == "--mark-failed") {
      job.mark_failed = value;
      continue;
    }
    const Flag* flag = nullptr;
    for (const auto& f : flags()) {
      if (a == f.name) flag = &f;
    }
    if (flag == nullptr) throw Error("run-cell: " + unknown_name_message("flag", a, flag_names()));
    flag->read(job, value);
    has_cell |= a == "--cell";
    has_seed |= a == "--seed";
  }
  DTI_CHECK(!job.experiment.empty() && has_cell && has_seed,
            "run-cell: expected EXPERIMENT --cell NAME --seed S [options], got '", join(args, " "),
            "'");
  return job;
}

}  // namespace dti::experiments
