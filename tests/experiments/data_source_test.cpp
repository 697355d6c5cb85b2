// A table built on generated stand-in data says so: the dataset file's provenance
// (datasets/data_origin.h) is stored with each run (reports/store.h: DataSource) and becomes a
// footnote of every cell, in Markdown, LaTeX, CSV and the HTML report, quoting the command that
// converts the real file. A table on data converted from DeepMind's records carries no such note.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "datasets/catalogue.h"
#include "datasets/data_origin.h"
#include "datasets/dataset_file.h"
#include "datasets/inspect.h"
#include "experiments/run/run_record.h"
#include "experiments/run/run_summary.h"
#include "reports/atomic_file.h"
#include "reports/html_report.h"
#include "reports/paper_tables.h"
#include "reports/table_render.h"
#include "tests/reports/temp_dir.h"
#include "tests/support/expect_error.h"
#include "tests/support/golden_h5.h"

namespace dti::experiments {
namespace {

using reports::test::TempDir;

constexpr const char* kGeneratedNote = "generated data, not the paper's";

std::string real_tetrominoes_records() {
  return dti::test::fixtures_dir() + "/datasets/tetrominoes/tetrominoes_mini.tfrecords";
}

// Converts the real Tetrominoes records of the fixtures into `data` (a converted, not generated,
// file).
void convert_real_records(const std::string& data) {
  datasets::ConvertOptions options;
  options.inputs = {real_tetrominoes_records()};
  options.output = data;
  options.show_progress = false;
  datasets::convert("tetrominoes", options);
}

// Stores three finished Table 1 Tetrominoes runs trained on the file at `data_path`, each with the
// data source the file's provenance gives (as cell_run.cpp does once it opens the file).
void store_runs_on(const std::string& store_path, const std::string& data_path) {
  const datasets::DatasetReader reader(data_path, "tetrominoes");
  const datasets::DataOrigin origin = datasets::data_origin(reader.info(), data_path);
  reports::Store store = reports::Store::open(store_path);
  for (int64_t seed = 0; seed < 3; ++seed) {
    const int64_t id = store.start_run(
        {"table1", "tetrominoes", "tetrominoes", "", seed, "K: 19\n", "test", "1.13.1", "cpu"});
    store.set_data_source(id, {origin.kind, origin.note});
    store.record_metrics(id, {{"ari_fg", 0.99 - 0.001 * seed, {}}, {"ari", 0.9, {}}});
    store.finish_run(id, {0.002 + 0.0001 * seed, 100, 10.0, 1});
  }
}

reports::PaperTable table1_of(const std::string& store_path) {
  return reports::build_paper_table(reports::paper_table_spec(1), reports::Store::open(store_path));
}

TEST(DataSource, GeneratedFileGivesTheNoteWithTheConvertCommand) {
  TempDir dir;
  const std::string data = dir.file("tetrominoes_n4.h5");
  datasets::generate("tetrominoes", 4, 0, false, data);
  const datasets::DataOrigin origin =
      datasets::data_origin(datasets::DatasetReader(data).info(), data);
  EXPECT_EQ(origin.kind, "generated");
  EXPECT_EQ(origin.note, std::string(kGeneratedNote) +
                             "; convert the real file with: `runexp data convert tetrominoes "
                             "--input tetrominoes_train.tfrecords --out " +
                             data + "` (first 60,000 records)");
  // Multi-dSprites2 has no converter: the note says so instead of quoting a command.
  // `runexp data inspect` says it too.
  const datasets::DatasetReader reader(data);
  EXPECT_CONTAINS(datasets::format_report(datasets::inspect_dataset(reader, false)),
                  "origin:         " + origin.note + "\n");
  EXPECT_CONTAINS(datasets::generated_data_note("multi_dsprites2", "x.h5"),
                  "this build has no converter");
  EXPECT_CONTAINS(datasets::generated_data_note("multi_dsprites", "x.h5"),
                  "runexp data convert multi_dsprites --input "
                  "multi_dsprites_colored_on_grayscale.tfrecords --out x.h5");
}

TEST(DataSource, ConvertedRealRecordsGiveNoNote) {
  TempDir dir;
  const std::string data = dir.file("tetrominoes.h5");
  convert_real_records(data);
  const datasets::DataOrigin origin =
      datasets::data_origin(datasets::DatasetReader(data).info(), data);
  EXPECT_EQ(origin.kind, "converted");
  EXPECT_EQ(origin.note, "");
  const datasets::DatasetReader reader(data);
  EXPECT_EQ(datasets::format_report(datasets::inspect_dataset(reader, false)).find("origin:"),
            std::string::npos);
  // A file whose provenance names neither (made outside this suite) is unknown, without a note.
  datasets::DatasetInfo foreign;
  foreign.name = "tetrominoes";
  foreign.provenance = "{\"made_by\":\"someone else\"}";
  EXPECT_EQ(datasets::data_origin(foreign, data).kind, "");
}

TEST(DataSource, TableOnGeneratedDataHasTheFootnoteEverywhere) {
  TempDir dir;
  const std::string data = dir.file("tetrominoes_n4.h5");
  datasets::generate("tetrominoes", 4, 0, false, data);
  const std::string store_path = dir.file("results.sqlite");
  store_runs_on(store_path, data);

  // In the store, with every run.
  const reports::Store stored = reports::Store::open(store_path);
  for (const auto& run : stored.list_runs(reports::RunFilter("table1"))) {
    EXPECT_EQ(run.data.kind, "generated");
    EXPECT_CONTAINS(run.data.note, kGeneratedNote);
  }
  const reports::PaperTable table = table1_of(store_path);
  const std::string note = "table1/tetrominoes: " + std::string(kGeneratedNote) +
                           "; convert the real file with: `runexp data convert tetrominoes "
                           "--input tetrominoes_train.tfrecords --out " +
                           data + "` (first 60,000 records)";
  const std::string markdown = reports::render_markdown(table);
  EXPECT_CONTAINS(markdown, "- [1] " + note + "\n");
  // Both Tetrominoes cells (ARI-FG, ARI) refer to it.
  EXPECT_CONTAINS(markdown, "| DTI-Sprites (ours) | 98.9 ± 0.1 [1] | 90.0 ± 0.0 [1] |");
  EXPECT_CONTAINS(reports::render_latex(table), "generated data, not the paper's");
  const std::string where = "table1/tetrominoes: ";
  EXPECT_CONTAINS(reports::render_csv(table), note.substr(where.size()));

  const std::string fragment = reports::render_html(table);
  EXPECT_CONTAINS(fragment, "<td>98.9 ± 0.1 [1]</td>");
  EXPECT_CONTAINS(fragment,
                  "<li>[1] table1/tetrominoes: generated data, not the paper&#39;s; "
                  "convert the real file with: <code>runexp data convert tetrominoes");
  // The whole HTML report: the table's footnote and the runs table's data column.
  const reports::Store store = reports::Store::open(store_path);
  // `runexp show`.
  std::ostringstream shown;
  show_run(store, 1, RunnerOptions{}, shown);
  EXPECT_CONTAINS(shown.str(), "  data: generated: generated data, not the paper's; convert");
  const auto summary = reports::render_experiment_report(store, "table1", dir.file("report"), {});
  const std::string html = reports::read_file(summary.index_path);
  EXPECT_CONTAINS(html, "generated data, not the paper&#39;s; convert the real file with: <code>");
  EXPECT_CONTAINS(html, "\">generated</td>");
}

TEST(DataSource, TableOnConvertedRecordsHasNoFootnote) {
  TempDir dir;
  const std::string data = dir.file("tetrominoes.h5");
  convert_real_records(data);
  const std::string store_path = dir.file("results.sqlite");
  store_runs_on(store_path, data);

  for (const auto& run : reports::Store::open(store_path).list_runs(reports::RunFilter("table1")))
    EXPECT_EQ(run.data.kind, "converted");
  const reports::PaperTable table = table1_of(store_path);
  EXPECT_CONTAINS(reports::render_markdown(table),
                  "| DTI-Sprites (ours) | 98.9 ± 0.1 | 90.0 ± 0.0 |");
  for (const std::string& text : {reports::render_markdown(table), reports::render_latex(table),
                                  reports::render_csv(table), reports::render_html(table)})
    EXPECT_EQ(text.find("generated data"), std::string::npos) << text;
}

TEST(DataSource, SomeRunsOnGeneratedDataAreCounted) {
  TempDir dir;
  const std::string store_path = dir.file("results.sqlite");
  reports::Store store = reports::Store::open(store_path);
  for (int64_t seed = 0; seed < 3; ++seed) {
    const int64_t id = store.start_run(
        {"table1", "tetrominoes", "tetrominoes", "", seed, "K: 19\n", "test", "1.13.1", "cpu"});
    if (seed == 2) store.set_data_source(id, {"generated", "generated data, not the paper's"});
    store.record_metrics(id, {{"ari_fg", 0.99, {}}, {"ari", 0.9, {}}});
    store.finish_run(id, {0.002, 100, 10.0, 1});
  }
  const auto cell = reports::collect_cell(store, {"table1", "tetrominoes", "ari_fg"});
  EXPECT_EQ(cell.data_note, "1 of 3 runs: generated data, not the paper's");
  EXPECT_ERROR_CONTAINS(store.set_data_source(1, {"synthetic", ""}),
                        "data source kind 'synthetic' of run 1 is not one of generated, converted");
  EXPECT_ERROR_CONTAINS(store.set_data_source(99, {"generated", ""}), "no run with id 99");
}

// A Slurm task's record carries the data source to the results store (`runexp collect`).
TEST(DataSource, FolderRecordsCarryIt) {
  TempDir dir;
  FolderRecord record;
  record.status = "finished";
  record.spec = {"table1", "tetrominoes", "tetrominoes", "", 0, "K: 19\n", "test", "1.13.1", "cpu"};
  record.data = {"generated", "generated data, not the paper's; convert ..."};
  record.outcome.final_loss = 0.002;
  record.metrics = {{"ari_fg", 0.99, {}}};
  const std::string run_dir = dir.file("runs/table1/tetrominoes/seed0-abc");
  std::filesystem::create_directories(run_dir);
  write_record(run_dir, record);
  const auto read = read_record(run_dir);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->data.kind, "generated");
  EXPECT_EQ(read->data.note, record.data.note);

  reports::Store store = reports::Store::open(dir.file("results.sqlite"));
  std::ostringstream log;
  EXPECT_EQ(collect_records(store, dir.path().string(), log).ingested, 1) << log.str();
  EXPECT_EQ(store.list_runs(reports::RunFilter("table1")).at(0).data.kind, "generated");
}

}  // namespace
}  // namespace dti::experiments
