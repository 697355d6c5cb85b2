#pragma once
// Standalone SVG plots for the HTML report (inline or as .svg files): line plots for loss and
// metric curves and for the Figure 8 / Figure 9 sweeps (with error bars), bar plots for sprite
// usage. Pure string output, deterministic (coordinates printed with two decimals).

#include <string>
#include <vector>

namespace dti::reports {

/// One line of a plot.
struct Series {
  /// Legend entry ("" for none).
  std::string name;
  /// X values (or category indices when PlotOptions::x_categories is set).
  std::vector<double> x;
  /// Y values, one per x.
  std::vector<double> y;
  /// Optional ± error per point (e.g. std over seeds); empty or one per point.
  std::vector<double> y_error;
};

/// Layout and axes of a plot.
struct PlotOptions {
  /// Title drawn above the plot.
  std::string title;
  /// X axis label.
  std::string x_label;
  /// Y axis label.
  std::string y_label;
  /// Logarithmic y axis (non-positive values are left out).
  bool log_y = false;
  /// Categorical x axis: x values are indices into these labels, evenly spaced.
  std::vector<std::string> x_categories;
  /// Draw a marker at every point.
  bool markers = false;
  /// Total width in pixels.
  int width = 520;
  /// Total height in pixels.
  int height = 320;
  /// Space left of the plot area (y tick labels), pixels.
  int margin_left = 64;
  /// Space right of the plot area, pixels.
  int margin_right = 16;
  /// Space above the plot area (title), pixels.
  int margin_top = 28;
  /// Space below the plot area (x tick labels and label), pixels.
  int margin_bottom = 44;
};

/// Round tick values covering [low, high] with about `target` steps of 1, 2 or 5 × 10^k.
std::vector<double> nice_ticks(double low, double high, int target = 5);

/// A line plot of `series`; an empty or all-invalid input gives a frame saying "no data".
std::string render_svg_lines(const std::vector<Series>& series, const PlotOptions& options);

/// A bar plot, one bar per label (e.g. sprite usage: share of selections per sprite).
std::string render_svg_bars(const std::vector<std::string>& labels,
                            const std::vector<double>& values, const PlotOptions& options);

/// Escapes &, <, >, " and ' for XML and HTML text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace dti::reports
