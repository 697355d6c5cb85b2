#include "reports/sweep.h"

#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "base/error.h"

namespace dti::reports {

std::string sweep_value(const std::string& variant, const std::string& parameter) {
  const std::string prefix = parameter + "=";
  if (variant.compare(0, prefix.size(), prefix) != 0) return "";
  return variant.substr(prefix.size());
}

std::vector<SweepPoint> collect_sweep(const Store& store, const std::string& experiment,
                                      const std::string& parameter, const std::string& quantity) {
  RunFilter filter(experiment);
  filter.status = RunStatus::finished;
  std::map<double, std::pair<std::string, std::vector<double>>> by_value;
  for (const RunRecord& run : store.list_runs(filter)) {
    const std::string text = sweep_value(run.spec.variant, parameter);
    if (text.empty()) continue;
    double x = 0.0;
    try {
      size_t used = 0;
      x = std::stod(text, &used);
      DTI_CHECK(used == text.size(), "trailing characters");
    } catch (const std::exception&) {
      throw Error("collect_sweep: run " + std::to_string(run.id) + " has variant '" +
                  run.spec.variant + "', expected " + parameter + "=<number>");
    }
    std::optional<double> value;
    if (quantity == "final_loss") {
      value = run.outcome.final_loss;
    } else {
      const auto metrics = store.final_metrics(run.id);
      if (auto found = metrics.find(quantity); found != metrics.end()) value = found->second;
    }
    if (!value || !std::isfinite(*value)) continue;
    auto& entry = by_value[x];
    entry.first = text;
    entry.second.push_back(*value);
  }
  std::vector<SweepPoint> points;
  for (const auto& [x, entry] : by_value) {
    const std::vector<double>& values = entry.second;
    double sum = 0.0;
    for (double v : values) sum += v;
    const double mean = sum / double(values.size());
    double squares = 0.0;
    for (double v : values) squares += (v - mean) * (v - mean);
    const double std_dev = values.size() > 1 ? std::sqrt(squares / double(values.size() - 1)) : 0.0;
    points.push_back({entry.first, x, mean, std_dev, int64_t(values.size())});
  }
  return points;
}

std::string render_sweep_svg(const std::vector<SweepPoint>& points, const std::string& parameter,
                             const std::string& quantity, bool categorical,
                             const std::string& title) {
  Series series;
  PlotOptions options;
  options.title = title;
  options.x_label = parameter;
  options.y_label = quantity + " (mean ± std over seeds)";
  options.markers = true;
  options.log_y = quantity.find("loss") != std::string::npos;
  for (size_t i = 0; i < points.size(); ++i) {
    series.x.push_back(categorical ? double(i) : points[i].x);
    series.y.push_back(points[i].mean);
    series.y_error.push_back(points[i].std_dev);
    if (categorical) options.x_categories.push_back(points[i].label);
  }
  return render_svg_lines({series}, options);
}

std::string render_sweep_markdown(const std::vector<SweepPoint>& points,
                                  const std::string& parameter, const std::string& title) {
  std::ostringstream text;
  text << title << "\n\n| " << parameter << " | final loss (mean ± std) | runs |\n|---|---|---|\n";
  for (const auto& p : points) {
    text << "| " << p.label << " | " << std::scientific << std::setprecision(3) << p.mean << " ± "
         << p.std_dev << std::defaultfloat << " | " << p.n << " |\n";
  }
  if (points.empty()) text << "| (no finished run) | | |\n";
  return text.str();
}

}  // namespace dti::reports
