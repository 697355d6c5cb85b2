#include "reports/aggregate.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>

#include "base/error.h"

namespace dti::reports {

namespace {

// 128-bit product for the unbiased bounded draw (GCC/Clang extension).
__extension__ typedef unsigned __int128 Uint128;

double median_of(std::vector<double> values) {
  const size_t n = values.size();
  std::sort(values.begin(), values.end());
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double mean_of(const std::vector<double>& values) {
  double sum = 0.0;
  for (const double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// Uniform integer in [0, n) from mt19937_64 output by Lemire's multiply-and-reject method.
// std::uniform_int_distribution is implementation-defined (libstdc++ and libc++ differ), which
// would make "deterministic given a seed" depend on the standard library.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  Uint128 product = Uint128{rng()} * n;
  auto low = static_cast<uint64_t>(product);
  if (low < n) {
    const uint64_t reject_below = (0 - n) % n;
    while (low < reject_below) {
      product = Uint128{rng()} * n;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

// Mean of one bootstrap resample (n draws with replacement).
double resample_mean(std::mt19937_64& rng, const std::vector<double>& values) {
  double sum = 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    sum += values[uniform_below(rng, values.size())];
  }
  return sum / static_cast<double>(values.size());
}

// Quantile of sorted values with linear interpolation between order statistics (numpy's
// default, Hyndman & Fan type 7).
double quantile_sorted(const std::vector<double>& sorted, double p) {
  const double position = p * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

void check_finite_values(const char* where, const char* what, const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    DTI_CHECK(std::isfinite(values[i]), where, ": ", what, " expected finite values, got ",
              values[i], " at index ", i);
  }
}

std::string format_number(double value) {
  std::ostringstream out;
  out << std::setprecision(6) << value;
  return out.str();
}

}  // namespace

MeanStd mean_std(const std::vector<double>& values) {
  DTI_CHECK(!values.empty(), "mean_std: expected at least one value, got none");
  check_finite_values("mean_std", "values", values);
  MeanStd summary;
  summary.n = static_cast<int64_t>(values.size());
  summary.mean = mean_of(values);
  if (values.size() >= 2) {
    // Two-pass sample variance (n − 1): no cancellation from summing squares.
    double squares = 0.0;
    for (const double v : values) squares += (v - summary.mean) * (v - summary.mean);
    summary.std_dev = std::sqrt(squares / static_cast<double>(values.size() - 1));
  }
  return summary;
}

void OutlierRule::validate() const {
  DTI_CHECK(min_runs >= 3, "OutlierRule: min_runs expected >= 3, got ", min_runs);
  DTI_CHECK(max_dropped >= 0, "OutlierRule: max_dropped expected >= 0, got ", max_dropped);
  DTI_CHECK(max_dropped < min_runs, "OutlierRule: max_dropped expected < min_runs (", min_runs,
            "), got ", max_dropped);
  DTI_CHECK(std::isfinite(threshold) && threshold > 0.0,
            "OutlierRule: threshold expected a finite value > 0, got ", threshold);
  DTI_CHECK(std::isfinite(mad_scale) && mad_scale > 0.0,
            "OutlierRule: mad_scale expected a finite value > 0, got ", mad_scale);
}

std::string outlier_policy_name(OutlierPolicy policy) {
  return policy == OutlierPolicy::kNone ? "none" : "rule";
}

OutlierPolicy parse_outlier_policy(const std::string& name) {
  if (name == "rule") return OutlierPolicy::kRule;
  if (name == "none") return OutlierPolicy::kNone;
  throw Error("outlier policy: unknown value '" + name + "'; valid: rule, none");
}

std::string OutlierRule::describe() const {
  if (policy == OutlierPolicy::kNone) {
    return "none: every finished run is kept (outlier policy none)";
  }
  std::ostringstream out;
  out << "outlier rule on the final reconstruction loss: robust z = "
      << (side == OutlierSide::kAbove ? "(loss - median)" : "|loss - median|") << " / ("
      << format_number(mad_scale) << " * MAD); with at least " << min_runs
      << " runs, drop the run(s) with the largest z > " << format_number(threshold) << ", at most "
      << max_dropped << "; MAD = 0 drops nothing; equal z go to the smallest run id";
  return out.str();
}

OutlierScreen screen_outliers(const std::vector<RunLoss>& runs, const OutlierRule& rule) {
  rule.validate();
  DTI_CHECK(!runs.empty(), "screen_outliers: expected at least one run, got none");
  std::set<std::string> ids;
  std::vector<double> losses;
  for (const RunLoss& run : runs) {
    DTI_CHECK(ids.insert(run.run_id).second, "screen_outliers: run ids expected unique, got '",
              run.run_id, "' twice");
    DTI_CHECK(std::isfinite(run.final_loss), "screen_outliers: run '", run.run_id,
              "' expected a finite final_loss, got ", run.final_loss,
              "; mark a diverged run as failed instead of aggregating it");
    losses.push_back(run.final_loss);
  }
  OutlierScreen screen;
  screen.rule = rule.describe();
  screen.median_loss = median_of(losses);
  std::vector<double> deviations;
  for (const double loss : losses) deviations.push_back(std::abs(loss - screen.median_loss));
  screen.mad = median_of(deviations);

  std::vector<size_t> candidates;
  std::vector<double> z(runs.size(), 0.0);
  const int64_t n = static_cast<int64_t>(runs.size());
  if (rule.policy == OutlierPolicy::kNone) {
    screen.note = "no run dropped: outlier policy none";
  } else if (n < rule.min_runs) {
    screen.note =
        detail::concat("no run dropped: ", n, " run(s), the rule needs at least ", rule.min_runs);
  } else if (screen.mad == 0.0) {
    // At least half the runs share the median loss exactly. The robust scale is then 0 and any
    // other run would get an infinite z however close it is; with real-valued losses this only
    // happens when runs are (nearly) bit-identical, which is a problem to surface, not to trim.
    screen.note =
        "no run dropped: MAD = 0 (at least half the runs share the median loss), "
        "robust z undefined";
  } else {
    const double scale = rule.mad_scale * screen.mad;
    for (size_t i = 0; i < runs.size(); ++i) {
      const double deviation = runs[i].final_loss - screen.median_loss;
      z[i] = (rule.side == OutlierSide::kAbove ? deviation : std::abs(deviation)) / scale;
      if (z[i] > rule.threshold) candidates.push_back(i);
    }
    // Largest z first; equal z broken by run id so that the store's row order never matters.
    std::sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
      return z[a] != z[b] ? z[a] > z[b] : runs[a].run_id < runs[b].run_id;
    });
    if (static_cast<int64_t>(candidates.size()) > rule.max_dropped) {
      candidates.resize(rule.max_dropped);
    }
    screen.note = candidates.empty()
                      ? detail::concat("no run dropped: largest robust z ",
                                       format_number(*std::max_element(z.begin(), z.end())),
                                       " <= ", format_number(rule.threshold))
                      : "dropped:";
  }
  std::vector<char> dropped(runs.size(), 0);
  for (const size_t i : candidates) {
    dropped[i] = 1;
    screen.dropped.push_back({runs[i].run_id, runs[i].final_loss, z[i]});
    screen.note +=
        detail::concat(" ", runs[i].run_id, " (final loss ", format_number(runs[i].final_loss),
                       ", robust z ", format_number(z[i]), ")");
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!dropped[i]) screen.kept_run_ids.push_back(runs[i].run_id);
  }
  return screen;
}

CellAggregate aggregate_cell(const std::vector<RunResult>& runs, const OutlierRule& rule) {
  DTI_CHECK(!runs.empty(), "aggregate_cell: expected at least one run, got none");
  std::vector<RunLoss> losses;
  for (const RunResult& run : runs) {
    DTI_CHECK(run.metrics.size() == runs.front().metrics.size() &&
                  std::equal(run.metrics.begin(), run.metrics.end(), runs.front().metrics.begin(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
              "aggregate_cell: every run expected the metrics of run '", runs.front().run_id,
              "', run '", run.run_id, "' differs");
    for (const auto& [name, value] : run.metrics) {
      DTI_CHECK(std::isfinite(value), "aggregate_cell: run '", run.run_id, "' metric '", name,
                "' expected a finite value, got ", value);
    }
    losses.push_back({run.run_id, run.final_loss});
  }
  CellAggregate cell;
  cell.rule = rule;
  cell.screen = screen_outliers(losses, rule);
  const std::set<std::string> kept(cell.screen.kept_run_ids.begin(),
                                   cell.screen.kept_run_ids.end());
  std::map<std::string, std::vector<double>> values;
  std::vector<double> kept_losses;
  for (const RunResult& run : runs) {
    if (kept.count(run.run_id) == 0) continue;
    kept_losses.push_back(run.final_loss);
    for (const auto& [name, value] : run.metrics) values[name].push_back(value);
  }
  cell.final_loss = mean_std(kept_losses);
  for (const auto& [name, list] : values) cell.metrics[name] = mean_std(list);
  return cell;
}

void BootstrapOptions::validate() const {
  DTI_CHECK(resamples >= 100, "BootstrapOptions: resamples expected >= 100, got ", resamples);
  DTI_CHECK(confidence > 0.0 && confidence < 1.0,
            "BootstrapOptions: confidence expected in (0, 1), got ", confidence);
}

std::string MeanDifference::describe() const {
  std::ostringstream out;
  out << "difference of means (variant - baseline) " << format_number(difference) << ", "
      << format_number(100.0 * options.confidence) << "% percentile bootstrap interval ["
      << format_number(ci_low) << ", " << format_number(ci_high)
      << "] over seeds (n = " << n_variant << " vs " << n_baseline << ", " << options.resamples
      << " resamples, mt19937_64 seed " << options.seed << ")"
      << (excludes_zero() ? ": exceeds seed noise" : ": within seed noise");
  return out.str();
}

MeanDifference compare_variants(const std::vector<double>& variant,
                                const std::vector<double>& baseline,
                                const BootstrapOptions& options) {
  options.validate();
  DTI_CHECK(variant.size() >= 2 && baseline.size() >= 2,
            "compare_variants: expected at least 2 seeds per variant, got ", variant.size(),
            " (variant) and ", baseline.size(), " (baseline)");
  check_finite_values("compare_variants", "variant", variant);
  check_finite_values("compare_variants", "baseline", baseline);
  MeanDifference result;
  result.options = options;
  result.n_variant = static_cast<int64_t>(variant.size());
  result.n_baseline = static_cast<int64_t>(baseline.size());
  result.difference = mean_of(variant) - mean_of(baseline);
  // Each resample redraws both variants' seeds with replacement, independently: the variants
  // are different runs, not paired by seed.
  std::mt19937_64 rng(options.seed);
  std::vector<double> differences(options.resamples);
  for (double& d : differences) {
    const double variant_mean = resample_mean(rng, variant);
    d = variant_mean - resample_mean(rng, baseline);
  }
  std::sort(differences.begin(), differences.end());
  const double tail = 0.5 * (1.0 - options.confidence);
  result.ci_low = quantile_sorted(differences, tail);
  result.ci_high = quantile_sorted(differences, 1.0 - tail);
  return result;
}

}  // namespace dti::reports
