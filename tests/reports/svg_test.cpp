#include "reports/svg.h"

#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"

namespace dti::reports {
namespace {

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Svg, NiceTicks) {
  EXPECT_EQ(nice_ticks(0, 2), (std::vector<double>{0, 0.5, 1, 1.5, 2}));
  EXPECT_EQ(nice_ticks(0, 4), (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_EQ(nice_ticks(0.13, 0.87),
            (std::vector<double>{0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0}));
  EXPECT_EQ(nice_ticks(-3, 7), (std::vector<double>{-4, -2, 0, 2, 4, 6, 8}));
  EXPECT_THROW(nice_ticks(1, 1), Error);
}

// Plot area with the default options: x 64..504, y 28..276.
TEST(Svg, LinePointsLandWhereTheAxesSay) {
  PlotOptions options;
  options.title = "loss & <metric>";
  const std::string svg = render_svg_lines({{"train", {0, 1, 2}, {0, 1, 4}, {}}}, options);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"320\"", 0),
            0u);
  EXPECT_NE(svg.find("points=\"64.00,276.00 284.00,214.00 504.00,28.00\""), std::string::npos)
      << svg;
  EXPECT_NE(svg.find(">loss &amp; &lt;metric&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">train</text>"), std::string::npos);  // legend
  EXPECT_EQ(count(svg, "dominant-baseline"), 5u);           // y ticks 0..4
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(Svg, LogAxisSkipsNonPositiveValues) {
  PlotOptions options;
  options.log_y = true;
  const std::string svg =
      render_svg_lines({{"", {0, 1, 2, 3}, {1e-3, 0.0, 1e-2, 1e-1}, {}}}, options);
  // Decades 1e-3 .. 1e-1: ticks at y = 276, 152, 28; the zero is left out.
  EXPECT_NE(svg.find("points=\"64.00,276.00 357.33,152.00 504.00,28.00\""), std::string::npos)
      << svg;
  EXPECT_NE(svg.find(">0.001</text>"), std::string::npos);
}

TEST(Svg, CategoriesErrorBarsAndMarkers) {
  PlotOptions options;
  options.x_categories = {"0", "1e-05", "1e-4", "1e-3"};
  options.markers = true;
  const std::string svg =
      render_svg_lines({{"", {0, 1, 2, 3}, {2, 2, 3, 4}, {0.5, 0, 0.5, 0.5}}}, options);
  EXPECT_EQ(count(svg, "<circle"), 4u);
  EXPECT_NE(svg.find(">1e-05</text>"), std::string::npos);
  // Slot centres at 64 + (i + 0.5) * 110.
  EXPECT_NE(svg.find("cx=\"119.00\""), std::string::npos);
  EXPECT_NE(svg.find("cx=\"449.00\""), std::string::npos);
  // Error bars for the three non-zero errors (vertical: x1 == x2).
  EXPECT_EQ(count(svg, "<line x1=\"119.00\" x2=\"119.00\""), 1u);
  EXPECT_EQ(count(svg, "<line x1=\"174.00\" x2=\"174.00\""), 0u);
}

TEST(Svg, BarsAndEmptyPlots) {
  const std::string bars = render_svg_bars({"0", "1"}, {0.25, 0.75}, PlotOptions{});
  EXPECT_EQ(count(bars, "<rect x="), 3u);  // frame + two bars
  EXPECT_NE(bars.find("<title>1: 0.75</title>"), std::string::npos);
  EXPECT_NE(render_svg_lines({}, PlotOptions{}).find(">no data</text>"), std::string::npos);
  EXPECT_NE(render_svg_bars({"a"}, {NAN}, PlotOptions{}).find(">no data</text>"),
            std::string::npos);
  EXPECT_THROW(render_svg_bars({"a"}, {}, PlotOptions{}), Error);
  EXPECT_THROW(render_svg_lines({{"bad", {1, 2}, {1}, {}}}, PlotOptions{}), Error);
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}

}  // namespace
}  // namespace dti::reports
