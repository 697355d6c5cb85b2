#include "reports/html_report.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <regex>

#include "base/error.h"
#include "reports/atomic_file.h"
#include "reports/sweep.h"
#include "tests/reports/report_fixture.h"

namespace dti::reports {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::vector<std::string> image_sources(const std::string& html) {
  std::vector<std::string> sources;
  const std::regex pattern("<img src=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), pattern);
       it != std::sregex_iterator(); ++it)
    sources.push_back((*it)[1]);
  return sources;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class HtmlReportTest : public ::testing::Test {
 protected:
  TempDir dir_;
  test::SampleStore sample_ = test::make_sample_store(dir_);
  std::string out_ = dir_.file("report");
};

TEST_F(HtmlReportTest, WritesASelfContainedFolder) {
  const Store store = Store::open(sample_.path);
  ReportOptions options;
  options.tables = {build_paper_table(paper_table_spec(1), store)};
  const ReportSummary summary = render_experiment_report(store, "table1", out_, options);

  EXPECT_EQ(summary.index_path, (fs::path(out_).lexically_normal() / "index.html").string());
  EXPECT_EQ(summary.runs, 1);
  EXPECT_EQ(summary.images, sample_.images);
  EXPECT_EQ(summary.plots, 3);  // loss and ari_fg curves, sprite usage
  ASSERT_EQ(summary.missing_files.size(), 1u);
  EXPECT_EQ(summary.missing_files[0], sample_.deleted_artifact);

  const std::string html = read_file(summary.index_path);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>dtisprites: table1</title>"), std::string::npos);
  EXPECT_NE(html.find("Table 1 smoke run &lt;tetrominoes&gt;"), std::string::npos);  // escaped
  EXPECT_NE(html.find("<table class=\"paper\">"), std::string::npos);
  EXPECT_NE(html.find("<th colspan=\"2\">Multi-dSprites</th>"), std::string::npos);
  EXPECT_NE(html.find("missing: " + sample_.deleted_artifact), std::string::npos);
  EXPECT_NE(html.find("model.pt</code>"), std::string::npos);  // checkpoint listed, not copied
  // The runs table links each run's folder (its checkpoint's), relative to the report.
  EXPECT_NE(html.find("<th>folder</th>"), std::string::npos);
  EXPECT_NE(html.find("/artifacts/\">artifacts</a>"), std::string::npos);
  EXPECT_EQ(count(html, "<svg "), 3u);
  EXPECT_EQ(count(html, "<polyline"), 2u);
  EXPECT_EQ(count(html, "<title>"), 1u + 19u);  // page title + one tooltip per usage bar
  // No server, no network: nothing is fetched from a URL.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);

  const auto sources = image_sources(html);
  EXPECT_EQ(static_cast<int64_t>(sources.size()), sample_.images);
  for (const std::string& source : sources) {
    EXPECT_EQ(source.rfind("assets/", 0), 0u) << source;
    EXPECT_TRUE(fs::is_regular_file(fs::path(out_) / source)) << source;
  }
  // Sample table: two samples, columns in the fixed order, then the layer kinds.
  EXPECT_NE(html.find("<tr><th>sample</th><th>input</th><th>reconstruction</th><th>semantic</th>"
                      "<th>instance</th><th>layer 0</th></tr>"),
            std::string::npos);
}

TEST_F(HtmlReportTest, SpritesWithAlphaAreComposedOnACheckerboard) {
  const Store store = Store::open(sample_.path);
  render_experiment_report(store, "table1", out_);
  const auto sprites = store.artifacts(sample_.run_id, "sprites");
  const fs::path composed = fs::path(out_) / "assets" / ("run" + std::to_string(sample_.run_id)) /
                            (std::to_string(sprites[0].id) + "-sprites.png");
  const Image image = read_png(composed.string());
  ASSERT_EQ(image.channels, 3);
  ASSERT_EQ(image.height, 16);
  EXPECT_FLOAT_EQ(image.at(0, 0, 0), 1.0f);  // opaque magenta stays
  EXPECT_FLOAT_EQ(image.at(0, 0, 1), 0.0f);
  EXPECT_NEAR(image.at(0, 8, 0), 0.8f, 1.0 / 255);   // transparent: light square
  EXPECT_NEAR(image.at(0, 12, 0), 0.6f, 1.0 / 255);  // next square is dark
  // A grey mask (one channel) is copied as it is.
  const auto masks = store.artifacts(sample_.run_id, "masks");
  const Image mask =
      read_png((fs::path(out_) / "assets" / ("run" + std::to_string(sample_.run_id)) /
                (std::to_string(masks[0].id) + "-masks.png"))
                   .string());
  EXPECT_EQ(mask.channels, 1);
}

TEST_F(HtmlReportTest, RerenderReplacesTheFolderAndLeavesNoTemporaries) {
  const Store store = Store::open(sample_.path);
  render_experiment_report(store, "table1", out_);
  write_file_atomically(out_ + "/stale.txt", "from an older report");
  render_experiment_report(store, "table1", out_);
  EXPECT_FALSE(fs::exists(out_ + "/stale.txt"));
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".partial"), std::string::npos) << name;
    EXPECT_EQ(name.find(".previous"), std::string::npos) << name;
  }
  EXPECT_THROW(render_experiment_report(store, "table9", out_), Error);
  EXPECT_TRUE(fs::exists(out_ + "/index.html"));  // the failed render did not touch it
}

TEST_F(HtmlReportTest, PaperTablesOfTheExperimentAreIncludedByDefault) {
  const Store store = Store::open(sample_.path);
  const std::string html = read_file(render_experiment_report(store, "table1", out_).index_path);
  EXPECT_NE(html.find("<caption>Table 1: multi-object"), std::string::npos);
  EXPECT_NE(html.find("<caption>Table 5: semantic segmentation"), std::string::npos);
  ReportOptions options;
  options.include_paper_tables = false;
  const std::string bare =
      read_file(render_experiment_report(store, "table1", out_, options).index_path);
  EXPECT_EQ(bare.find("<caption>"), std::string::npos);
}

TEST_F(HtmlReportTest, StaleRunsAreFlagged) {
  {
    Store store = Store::open(sample_.path);
    store.start_run({"table1", "clevr6", "clevr6", "", 0, "x", "test", "1.13.1", "cpu"});
  }
  // A live process on this host is never stale: the run must belong to another host, whose
  // heartbeat is then aged past the stale limit.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(sample_.path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE runs SET host = 'elsewhere' WHERE status = 'running'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const Store store = Store::open(sample_.path, StoreOptions{30000, 1e-9});
  const ReportSummary summary = render_experiment_report(store, "table1", out_);
  EXPECT_EQ(summary.runs, 2);
  EXPECT_NE(read_file(summary.index_path).find("running (stale: killed or silent)"),
            std::string::npos);
}

TEST(Sweep, Figure8LossAgainstK) {
  TempDir dir;
  Store store = Store::open(dir.file("results.sqlite"));
  const double losses[3][2] = {{4e-3, 5e-3}, {2e-3, 2.2e-3}, {1.9e-3, 2.1e-3}};
  const int ks[3] = {10, 19, 25};
  for (int i = 0; i < 3; ++i)
    for (int seed = 0; seed < 2; ++seed) {
      RunSpec spec{"figure8",     "tetrominoes",
                   "tetrominoes", "K=" + std::to_string(ks[i]),
                   seed,          "K: " + std::to_string(ks[i]),
                   "test",        "1.13.1",
                   "cpu"};
      const int64_t id = store.start_run(spec);
      store.record_metric(id, "ari_fg", 0.9 + 0.01 * i);
      store.finish_run(id, RunOutcome{losses[i][seed], 100, 1.0, 1});
    }
  store.start_run({"figure8", "tetrominoes", "tetrominoes", "K=40", 0, "K: 40", "t", "1", "cpu"});

  EXPECT_EQ(sweep_value("K=19", "K"), "19");
  EXPECT_EQ(sweep_value("lambda=1e-4", "K"), "");
  const auto points = collect_sweep(store, "figure8", "K", "final_loss");
  ASSERT_EQ(points.size(), 3u);  // the unfinished K=40 run is not a point
  EXPECT_EQ(points[1].label, "19");
  EXPECT_DOUBLE_EQ(points[1].x, 19.0);
  EXPECT_DOUBLE_EQ(points[1].mean, 2.1e-3);
  EXPECT_NEAR(points[1].std_dev, std::sqrt(2.0) * 1e-4, 1e-12);
  EXPECT_EQ(points[1].n, 2);

  const ReportSummary summary = render_experiment_report(store, "figure8", dir.file("report"));
  const std::string html = read_file(summary.index_path);
  EXPECT_NE(html.find("<h2>Sweep over K</h2>"), std::string::npos);
  EXPECT_NE(html.find(">final_loss against K</text>"), std::string::npos);
  EXPECT_NE(html.find(">ari_fg against K</text>"), std::string::npos);
  EXPECT_EQ(count(html, "<circle"), 6u);  // three K values in each of the two plots

  // Figure 9: λ sweeps include 0, so the axis is categorical, in numeric order.
  for (const char* lambda : {"1e-3", "0", "1e-4", "1e-5"}) {
    const int64_t id =
        store.start_run({"figure9", "multi_dsprites", "multi_dsprites",
                         std::string("lambda=") + lambda, 0, lambda, "t", "1", "cpu"});
    store.finish_run(id, RunOutcome{1e-3, 1, 1.0, 1});
  }
  const std::string figure9 =
      read_file(render_experiment_report(store, "figure9", dir.file("report9")).index_path);
  const size_t zero = figure9.find(">0</text>"), small = figure9.find(">1e-5</text>"),
               large = figure9.find(">1e-3</text>");
  ASSERT_NE(zero, std::string::npos) << figure9;
  EXPECT_LT(zero, small);
  EXPECT_LT(small, large);
  EXPECT_NE(figure9.find("<h2>Sweep over lambda</h2>"), std::string::npos);

  const int64_t odd =
      store.start_run({"figure8", "tetrominoes", "tetrominoes", "K=many", 0, "?", "t", "1", "cpu"});
  store.finish_run(odd, RunOutcome{1e-3, 1, 1.0, 1});
  EXPECT_THROW(collect_sweep(store, "figure8", "K", "final_loss"), Error);
}

}  // namespace
}  // namespace dti::reports
