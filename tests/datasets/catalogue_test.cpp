// The dataset catalogue: one entry per dataset, names and aliases resolve, every entry can be
// made by some command, and the commands quoted for missing files are those of its entry.

#include "datasets/catalogue.h"

#include <gtest/gtest.h>

#include <set>

#include "base/error.h"

namespace dti::datasets {
namespace {

TEST(Catalogue, NamesAndAliasesAreUniqueAndResolve) {
  std::set<std::string> seen;
  for (const auto& e : dataset_catalogue()) {
    EXPECT_TRUE(seen.insert(e.name).second) << e.name;
    for (const auto& a : e.aliases) EXPECT_TRUE(seen.insert(a).second) << a;
    EXPECT_EQ(&dataset_entry(e.name), &e);
    for (const auto& a : e.aliases) EXPECT_EQ(dataset_entry(a).name, e.name);
  }
  EXPECT_EQ(dataset_entry("dsprites_gray").name, "multi_dsprites");  // the authors' config name
}

TEST(Catalogue, EveryEntryCanBeMadeAndIsEvaluated) {
  const std::set<std::string> protocols = {"instance", "clustering", "cosegmentation"};
  for (const auto& e : dataset_catalogue()) {
    EXPECT_TRUE(e.generated() || e.convert != nullptr) << e.name << ": nothing makes it";
    EXPECT_TRUE(e.convert == nullptr || !e.convert_input.empty()) << e.name;
    EXPECT_EQ(protocols.count(e.eval_protocol), 1u) << e.name << ": " << e.eval_protocol;
    EXPECT_GT(e.image_size, 0) << e.name;
    EXPECT_TRUE(!e.generated() || e.default_images > 0) << e.name;
  }
}

TEST(Catalogue, UnknownNamesListTheValidOnes) {
  try {
    dataset_entry("tetromino");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("did you mean 'tetrominoes'"), std::string::npos) << message;
    EXPECT_NE(message.find("weizmann_horse"), std::string::npos) << message;
  }
  EXPECT_THROW(generate("clevr6", 1, 0, false, "/nonexistent/x.h5"), Error);
  EXPECT_THROW(convert("multi_dsprites2", ConvertOptions{}), Error);
}

TEST(Catalogue, MakeCommandReproducesTheFileAndNamesTheDownload) {
  EXPECT_EQ(make_command("tetrominoes", "d/t.h5", 48),
            "runexp data generate tetrominoes --n 48 --seed 0 --out d/t.h5 (or from DeepMind's "
            "file: runexp data convert tetrominoes --input tetrominoes_train.tfrecords --out "
            "d/t.h5)");
  EXPECT_EQ(make_command("multi_dsprites2", "m.h5"),
            "runexp data generate multi_dsprites2 --n 60000 --seed 0 --out m.h5");
  EXPECT_EQ(make_command("clevr6", "c.h5"),
            "runexp data convert clevr6 --input clevr_with_masks_train.tfrecords --out c.h5");
  const std::string generic = make_command("mine", "x.h5");
  for (const auto& name : converter_names()) {
    EXPECT_NE(generic.find(name), std::string::npos) << generic;
  }
}

}  // namespace
}  // namespace dti::datasets
