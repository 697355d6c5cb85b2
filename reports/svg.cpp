#include "reports/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <sstream>

#include "base/error.h"

namespace dti::reports {
namespace {

// Tableau 10: the same hues as the label palette, so plots and segmentations read alike.
const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string fixed2(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

std::string tick_text(double value) {
  if (std::abs(value) < 1e-12) return "0";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

// One axis: maps data values to pixels, linear or log10.
struct Axis {
  double low = 0.0, high = 1.0;  // in transformed units (log10 for a log axis)
  bool log = false;
  std::vector<double> ticks;  // in data units
  double pixel_from = 0.0, pixel_to = 1.0;
  double transform(double v) const { return log ? std::log10(v) : v; }
  double pixel(double v) const {
    return pixel_from + (transform(v) - low) / (high - low) * (pixel_to - pixel_from);
  }
};

Axis make_axis(double low, double high, bool log, double pixel_from, double pixel_to) {
  Axis axis;
  axis.log = log;
  axis.pixel_from = pixel_from;
  axis.pixel_to = pixel_to;
  if (log) {
    axis.low = std::floor(std::log10(low));
    axis.high = std::ceil(std::log10(high));
    if (axis.high <= axis.low) axis.high = axis.low + 1;
    for (double e = axis.low; e <= axis.high + 1e-9; ++e) axis.ticks.push_back(std::pow(10.0, e));
    return axis;
  }
  if (high - low < 1e-12) {  // a flat series still gets a readable axis around its value
    const double pad = std::max(std::abs(low) * 0.1, 1.0);
    low -= pad;
    high += pad;
  }
  axis.ticks = nice_ticks(low, high);
  axis.low = axis.ticks.front();
  axis.high = axis.ticks.back();
  return axis;
}

bool usable(double x, double y, bool log_y) {
  return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0);
}

void open_svg(std::ostringstream& out, const PlotOptions& o) {
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\""
      << o.height << "\" viewBox=\"0 0 " << o.width << " " << o.height
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  if (!o.title.empty())
    out << "<text x=\"" << o.width / 2 << "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">"
        << xml_escape(o.title) << "</text>\n";
}

void draw_frame(std::ostringstream& out, const PlotOptions& o) {
  const int right = o.width - o.margin_right, bottom = o.height - o.margin_bottom;
  out << "<rect x=\"" << o.margin_left << "\" y=\"" << o.margin_top << "\" width=\""
      << right - o.margin_left << "\" height=\"" << bottom - o.margin_top
      << "\" fill=\"none\" stroke=\"#444444\"/>\n";
  if (!o.x_label.empty())
    out << "<text x=\"" << (o.margin_left + right) / 2 << "\" y=\"" << o.height - 6
        << "\" text-anchor=\"middle\">" << xml_escape(o.x_label) << "</text>\n";
  if (!o.y_label.empty())
    out << "<text transform=\"translate(12," << (o.margin_top + bottom) / 2
        << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(o.y_label) << "</text>\n";
}

void draw_y_ticks(std::ostringstream& out, const Axis& axis, const PlotOptions& o) {
  for (double tick : axis.ticks) {
    const std::string y = fixed2(axis.pixel(tick));
    out << "<line x1=\"" << o.margin_left << "\" x2=\"" << o.width - o.margin_right << "\" y1=\""
        << y << "\" y2=\"" << y << "\" stroke=\"#e0e0e0\"/>\n"
        << "<text x=\"" << o.margin_left - 4 << "\" y=\"" << y
        << "\" text-anchor=\"end\" dominant-baseline=\"middle\">" << tick_text(tick) << "</text>\n";
  }
}

void draw_x_label_at(std::ostringstream& out, double x, const std::string& text,
                     const PlotOptions& o) {
  out << "<text x=\"" << fixed2(x) << "\" y=\"" << o.height - o.margin_bottom + 14
      << "\" text-anchor=\"middle\">" << xml_escape(text) << "</text>\n";
}

void no_data(std::ostringstream& out, const PlotOptions& o) {
  out << "<text x=\"" << o.width / 2 << "\" y=\"" << o.height / 2
      << "\" text-anchor=\"middle\" fill=\"#888888\">no data</text>\n</svg>\n";
}

// One series: its polyline, error bars, markers and legend entry.
void draw_series(std::ostringstream& out, const Series& s, size_t index,
                 const std::function<double(double)>& x_pixel, const Axis& y_axis,
                 const PlotOptions& o) {
  const char* colour = kColours[index % 10];
  std::ostringstream points;
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (!usable(s.x[i], s.y[i], o.log_y)) continue;
    const std::string px = fixed2(x_pixel(s.x[i])), py = fixed2(y_axis.pixel(s.y[i]));
    points << (points.tellp() > 0 ? " " : "") << px << "," << py;
    if (!s.y_error.empty() && s.y_error[i] != 0) {
      const double e = std::abs(s.y_error[i]);
      const double lo = o.log_y && s.y[i] - e <= 0 ? s.y[i] : s.y[i] - e;
      out << "<line x1=\"" << px << "\" x2=\"" << px << "\" y1=\"" << fixed2(y_axis.pixel(lo))
          << "\" y2=\"" << fixed2(y_axis.pixel(s.y[i] + e)) << "\" stroke=\"" << colour << "\"/>\n";
    }
    if (o.markers)
      out << "<circle cx=\"" << px << "\" cy=\"" << py << "\" r=\"3\" fill=\"" << colour
          << "\"/>\n";
  }
  out << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.5\" points=\""
      << points.str() << "\"/>\n";
  if (!s.name.empty())
    out << "<text x=\"" << o.width - o.margin_right - 6 << "\" y=\""
        << o.margin_top + 14 + 14 * index << "\" text-anchor=\"end\" fill=\"" << colour << "\">"
        << xml_escape(s.name) << "</text>\n";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double low, double high, int target) {
  DTI_CHECK(std::isfinite(low) && std::isfinite(high) && high > low && target > 0,
            "nice_ticks: expected finite low < high and target > 0, got [", low, ", ", high,
            "] and ", target);
  const double raw = (high - low) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  const double first = std::floor(low / step + 1e-9) * step;
  const double last = std::ceil(high / step - 1e-9) * step;
  std::vector<double> ticks;
  for (int i = 0; first + i * step <= last + step * 1e-6; ++i) {
    const double tick = first + i * step;
    ticks.push_back(std::abs(tick) < step * 1e-9 ? 0.0 : tick);
  }
  return ticks;
}

std::string render_svg_lines(const std::vector<Series>& series, const PlotOptions& o) {
  std::ostringstream out;
  open_svg(out, o);
  draw_frame(out, o);
  double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low;
  double y_low = x_low, y_high = -x_low;
  for (const Series& s : series) {
    DTI_CHECK(s.x.size() == s.y.size() && (s.y_error.empty() || s.y_error.size() == s.y.size()),
              "render_svg_lines: series '", s.name, "' has ", s.x.size(), " x, ", s.y.size(),
              " y and ", s.y_error.size(), " errors; expected equal lengths");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i], o.log_y)) continue;
      const double error = s.y_error.empty() ? 0.0 : std::abs(s.y_error[i]);
      x_low = std::min(x_low, s.x[i]);
      x_high = std::max(x_high, s.x[i]);
      y_low = std::min(y_low, o.log_y && s.y[i] - error <= 0 ? s.y[i] : s.y[i] - error);
      y_high = std::max(y_high, s.y[i] + error);
    }
  }
  if (!(x_low <= x_high)) {
    no_data(out, o);
    return out.str();
  }
  const double left = o.margin_left, right = o.width - o.margin_right;
  const double top = o.margin_top, bottom = o.height - o.margin_bottom;
  const Axis y_axis = make_axis(y_low, y_high, o.log_y, bottom, top);
  draw_y_ticks(out, y_axis, o);
  // Categorical x: slot i is centred at (i + 0.5) / n of the width.
  const bool categorical = !o.x_categories.empty();
  const size_t n_categories = o.x_categories.size();
  Axis x_axis;
  if (!categorical) {
    x_axis = make_axis(x_low, x_high, false, left, right);
    for (double tick : x_axis.ticks) draw_x_label_at(out, x_axis.pixel(tick), tick_text(tick), o);
  } else {
    for (size_t i = 0; i < n_categories; ++i)
      draw_x_label_at(out, left + (i + 0.5) / n_categories * (right - left), o.x_categories[i], o);
  }
  const std::function<double(double)> x_pixel = [&](double x) {
    return categorical ? left + (x + 0.5) / double(n_categories) * (right - left) : x_axis.pixel(x);
  };
  for (size_t k = 0; k < series.size(); ++k) draw_series(out, series[k], k, x_pixel, y_axis, o);
  out << "</svg>\n";
  return out.str();
}

std::string render_svg_bars(const std::vector<std::string>& labels,
                            const std::vector<double>& values, const PlotOptions& o) {
  DTI_CHECK(labels.size() == values.size(), "render_svg_bars: ", labels.size(), " labels but ",
            values.size(), " values");
  std::ostringstream out;
  open_svg(out, o);
  draw_frame(out, o);
  double high = 0.0;
  bool any = false;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    high = std::max(high, v);
    any = true;
  }
  if (!any) {
    no_data(out, o);
    return out.str();
  }
  const double left = o.margin_left, right = o.width - o.margin_right;
  const double bottom = o.height - o.margin_bottom;
  const Axis y_axis = make_axis(0.0, high > 0 ? high : 1.0, false, bottom, o.margin_top);
  draw_y_ticks(out, y_axis, o);
  const double slot = (right - left) / double(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double centre = left + (i + 0.5) * slot;
    draw_x_label_at(out, centre, labels[i], o);
    if (!std::isfinite(values[i])) continue;
    const double y = y_axis.pixel(std::max(values[i], 0.0));
    out << "<rect x=\"" << fixed2(centre - 0.35 * slot) << "\" y=\"" << fixed2(y) << "\" width=\""
        << fixed2(0.7 * slot) << "\" height=\"" << fixed2(bottom - y) << "\" fill=\""
        << kColours[i % 10] << "\"><title>" << xml_escape(labels[i]) << ": " << tick_text(values[i])
        << "</title></rect>\n";
  }
  out << "</svg>\n";
  return out.str();
}

}  // namespace dti::reports
