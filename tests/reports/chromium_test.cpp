// Opens the rendered report in headless Chromium (Debian's `chromium`) from disk, as a reader
// would: every image must load, and the screenshot must show the page with the sprite on it.
// Skipped when /usr/bin/chromium (or $DTI_CHROMIUM) is absent.

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <regex>

#include "reports/html_report.h"
#include "reports/image.h"
#include "tests/reports/report_fixture.h"

namespace dti::reports {
namespace {

namespace fs = std::filesystem;

std::string chromium_path() {
  const char* custom = std::getenv("DTI_CHROMIUM");
  return custom && *custom ? custom : "/usr/bin/chromium";
}

// Runs chromium headless on `url` with `action` (--dump-dom or --screenshot=...); returns stdout.
std::string run_chromium(const std::string& profile, const std::string& action,
                         const std::string& url) {
  const std::string command =
      "timeout 120 " + chromium_path() +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --user-data-dir=" +
      profile + " --window-size=1200,900 " + action + " '" + url + "' 2>/dev/null";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return output;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  pclose(pipe);
  return output;
}

TEST(ReportInChromium, EveryImageLoadsAndTheSpriteIsOnScreen) {
  if (access(chromium_path().c_str(), X_OK) != 0)
    GTEST_SKIP() << "chromium not found at " << chromium_path()
                 << " (install it with ci/install-deps.sh, or set DTI_CHROMIUM)";
  test::TempDir dir;
  const test::SampleStore sample = test::make_sample_store(dir);
  const Store store = Store::open(sample.path);
  // Without the paper tables the first run's sprites sit inside the 1200×900 screenshot.
  ReportOptions options;
  options.include_paper_tables = false;
  const ReportSummary summary =
      render_experiment_report(store, "table1", dir.file("report"), options);
  const std::string url = "file://" + summary.index_path;

  // The page's own script counts images with naturalWidth > 0 after the load event.
  const std::string dom = run_chromium(dir.file("profile-dom"), "--dump-dom", url);
  std::smatch match;
  ASSERT_TRUE(std::regex_search(dom, match, std::regex("data-images-loaded=\"(\\d+)/(\\d+)\"")))
      << "no load count in the DOM Chromium dumped (" << dom.size() << " bytes):\n"
      << dom.substr(0, 2000);
  EXPECT_EQ(std::stoll(match[2]), summary.images);
  EXPECT_EQ(match[1], match[2]) << "images that failed to load are marked class=\"broken\"";

  const std::string screenshot = dir.file("screenshot.png");
  run_chromium(dir.file("profile-shot"), "--screenshot=" + screenshot, url);
  ASSERT_TRUE(fs::is_regular_file(screenshot)) << "Chromium wrote no screenshot";
  const Image shot = read_png(screenshot);
  ASSERT_GE(shot.channels, 3);
  EXPECT_EQ(shot.width, 1200);
  int64_t magenta = 0, light_check = 0, dark_check = 0, non_white = 0;
  for (int y = 0; y < shot.height; ++y) {
    for (int x = 0; x < shot.width; ++x) {
      const float r = shot.at(y, x, 0), g = shot.at(y, x, 1), b = shot.at(y, x, 2);
      if (r < 0.98f || g < 0.98f || b < 0.98f) ++non_white;
      if (r > 0.95f && g < 0.05f && b > 0.95f) ++magenta;
      if (std::abs(r - 0.8f) < 0.01f && r == g && g == b) ++light_check;
      if (std::abs(r - 0.6f) < 0.01f && r == g && g == b) ++dark_check;
    }
  }
  EXPECT_GT(non_white, 20000) << "the screenshot is (almost) blank";
  // The 8×16 opaque half of the sprite is shown at 96 px height: 48×96 magenta pixels.
  EXPECT_GT(magenta, 3000) << "the sprite's magenta is not on screen";
  EXPECT_GT(light_check, 500) << "no checkerboard behind the transparent half";
  EXPECT_GT(dark_check, 500) << "no checkerboard behind the transparent half";
}

}  // namespace
}  // namespace dti::reports
