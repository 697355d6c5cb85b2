// Experiment files (experiments/suite/experiment_file.h): grids and cells as parsed, the sweep
// file `runexp sweep` writes, and every bad input named with the file, the key and the choices.
#include "experiments/suite/experiment_file.h"

#include <gtest/gtest.h>

#include "tests/support/expect_error.h"

namespace dti::experiments {
namespace {

ExperimentDefinition parse(const std::string& text) {
  return parse_experiment_file(text, "my.yml");
}

TEST(ExperimentFile, AGridIsTheCartesianProductFirstAxisSlowest) {
  const auto e = parse(
      "config: tetrominoes\nseeds: 3\nbaseline: n_sprites=4,lr=1e-4\n"
      "grid:\n  model.n_sprites: [4, 6]\n  training.optimizer.lr: [1e-4, 2e-4]\n");
  EXPECT_EQ(e.name, "my");
  EXPECT_EQ(e.store_experiment, "my");
  EXPECT_EQ(e.seeds, 3);
  EXPECT_EQ(e.source, "my.yml");
  ASSERT_EQ(e.cells.size(), 4u);
  EXPECT_EQ(e.cells[0].name, "n_sprites=4,lr=1e-4");
  EXPECT_EQ(e.cells[1].name, "n_sprites=4,lr=2e-4");
  EXPECT_EQ(e.cells[3].overrides,
            (std::vector<std::string>{"model.n_sprites=6", "training.optimizer.lr=2e-4"}));
  EXPECT_EQ(e.cells[2].config, "tetrominoes");
  EXPECT_EQ(e.sweep_parameter, "") << "two keys: no single axis to plot";
  EXPECT_EQ(e.baseline, "n_sprites=4,lr=1e-4");
}

TEST(ExperimentFile, OneNumericKeyIsPlottedAndNamedCellsKeepTheirOverrides) {
  auto e = parse("config: multi_dsprites\ngrid:\n  model.lambda_empty_sprite: [0, 1e-4]\n");
  EXPECT_EQ(e.sweep_parameter, "lambda_empty_sprite");
  EXPECT_FALSE(e.sweep_categorical);
  EXPECT_EQ(e.cells[1].variant, "lambda_empty_sprite=1e-4");
  EXPECT_EQ(e.outlier_policy, reports::OutlierPolicy::kRule);
  e = parse(
      "title: occlusion\noutliers: none\nmetrics: [ari_fg]\ncells:\n"
      "  - {name: full, config: multi_dsprites}\n"
      "  - {name: fixed, config: multi_dsprites, set: [model.pred_occlusion=false]}\n");
  EXPECT_EQ(e.description, "occlusion");
  EXPECT_EQ(e.outlier_policy, reports::OutlierPolicy::kNone);
  EXPECT_EQ(e.metrics, std::vector<std::string>{"ari_fg"});
  EXPECT_EQ(e.cells[1].overrides, std::vector<std::string>{"model.pred_occlusion=false"});
}

TEST(ExperimentFile, BadInputNamesTheFileTheKeyAndTheChoices) {
  EXPECT_ERROR_CONTAINS(parse("config: tetrominoes\nseed: 3\ngrid: {model.n_sprites: [4]}\n"),
                        "my.yml: unknown key 'seed'; did you mean 'seeds'?");
  EXPECT_ERROR_CONTAINS(parse("config: tetrominoes\ngrid: {model.n_sprites: []}\n"),
                        "my.yml: grid.model.n_sprites: empty list");
  EXPECT_ERROR_CONTAINS(parse("config: tetrominoes\ngrid: {}\n"), "my.yml: grid: expected keys");
  EXPECT_ERROR_CONTAINS(parse("config: tetrominoes\n"), "my.yml: no cells");
  EXPECT_ERROR_CONTAINS(
      parse("config: tetrominoes\nbaseline: K=5\ngrid: {model.n_sprites: [4, 6]}\n"),
      "my.yml: baseline: unknown cell 'K=5'");
  EXPECT_ERROR_CONTAINS(parse("config: tetrominoes\ncells: [{name: a}, {name: a}]\n"),
                        "two cells are named 'a'");
  EXPECT_ERROR_CONTAINS(parse("name: table1\nconfig: tetrominoes\ncells: [{name: a}]\n"),
                        "'table1' is a built-in experiment");
  EXPECT_ERROR_CONTAINS(parse("config: tetrominoes\ncells: [{name: a, sett: [x=1]}]\n"),
                        "cells[0]: unknown key 'sett'; did you mean 'set'?");
  EXPECT_ERROR_CONTAINS(parse("config: tetrominoes\ncells: [{name: a, set: [model.x]}]\n"),
                        "'model.x' is not key=value");
  EXPECT_ERROR_CONTAINS(parse("cells: [{name: a}]\n"), "no config");
  EXPECT_ERROR_CONTAINS(parse("config: t\nseeds: 0\ncells: [{name: a}]\n"), "seeds: expected");
  EXPECT_ERROR_CONTAINS(parse("config: t\noutliers: some\ncells: [{name: a}]\n"),
                        "unknown outlier policy 'some'");
}

TEST(ExperimentFile, SweepFileParsesBackWithItsFirstCellAsBaseline) {
  const auto text = sweep_file_text("s", "tetrominoes", {{"model.n_sprites", {"4", "6"}}}, 3);
  const auto e = parse_experiment_file(text, "s.yml");
  EXPECT_EQ(e.name, "s");
  EXPECT_EQ(e.seeds, 3);
  EXPECT_EQ(e.baseline, "n_sprites=4");
  EXPECT_EQ(e.outlier_policy, reports::OutlierPolicy::kNone);
  ASSERT_EQ(e.cells.size(), 2u);
}

TEST(ExperimentFile, PlotNamesTheParameterOfHandWrittenCells) {
  const auto e = parse(
      "config: tetrominoes\nplot: {parameter: K, categorical: true}\ncells:\n"
      "  - {name: k4, variant: K=4, set: [model.n_sprites=4]}\n"
      "  - {name: k6, variant: K=6, set: [model.n_sprites=6]}\n");
  EXPECT_EQ(e.sweep_parameter, "K");
  EXPECT_TRUE(e.sweep_categorical);
  EXPECT_ERROR_CONTAINS(parse("config: t\nplot: {parameter: K}\ncells: [{name: full}]\n"),
                        "my.yml: plot: cell 'full' has variant 'full'");
  EXPECT_ERROR_CONTAINS(parse("config: t\nplot: {param: K}\ncells: [{name: K=1}]\n"),
                        "my.yml: plot: expected {parameter: NAME}");
  EXPECT_ERROR_CONTAINS(
      parse("config: t\nplot: {parameter: K, categorical: yes}\ncells: [{name: K=1}]\n"),
      "plot.categorical: expected true or false");
}

TEST(ExperimentFile, PaperKeysAreForTheShippedExperimentsOnly) {
  EXPECT_ERROR_CONTAINS(parse("config: t\npaper_table: 1\ncells: [{name: a}]\n"),
                        "my.yml: paper_table: only the shipped paper experiments");
  const auto e = parse_paper_experiment_file(
      "name: table5\npaper_table: 5\nstore_as: table1\nconfig: t\ncells: [{name: a}]\n",
      "/share/table5.yml");
  EXPECT_EQ(e.table, 5);
  EXPECT_EQ(e.store_experiment, "table1");
  EXPECT_EQ(e.source, "") << "launched runs name a paper experiment, not its file";
  EXPECT_ERROR_CONTAINS(
      parse_paper_experiment_file("paper_table: 7\nconfig: t\ncells: [{name: a}]\n", "t.yml"),
      "t.yml: paper_table: expected the paper's table number, 1 to 5, got '7'");
}

TEST(ExperimentFile, ResolveTakesANameOrAFile) {
  EXPECT_EQ(resolve_experiment("table2").cells.size(), 6u);
  EXPECT_TRUE(resolve_experiment("table2").source.empty());
  EXPECT_ERROR_CONTAINS(resolve_experiment("tabel1"), "did you mean 'table1'?");
  EXPECT_ERROR_CONTAINS(resolve_experiment("/nonexistent/x.yml"), "cannot read experiment file");
}

}  // namespace
}  // namespace dti::experiments
