// The example stage of docs/writing-a-stage.md end to end: two ranks give the table of one, each
// row's bins hold all of a head's attention, its section's key reaches it, and a rerun skips it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "tests/support/process.h"
#include "tests/support/tables.h"

namespace fs = std::filesystem;

namespace bertology::test {
namespace {

const fs::path kSource = BERTOLOGY_SOURCE_DIR;
const fs::path kModel = fs::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2";

TEST(AttentionDistanceStage, TwoRanksGiveTheTableOfOneAndRowsSumToOne) {
  ASSERT_TRUE(fs::exists(kModel)) << "run scripts/setup.sh first (it fetches the default model)";
  const fs::path dir = scratch("attention_distance_stage");
  std::ofstream(dir / "study.yaml")
      << "model:\n  path: " << kModel.string() << "\n  threads: 1\n"
      << "corpus:\n  path: " << (kSource / "configs/samples/ewt_dev_sample.conllu").string()
      << "\n  format: conllu\n  max_sentences: 30\n"
      << "extract:\n  layers: [0]\n  attention: true\n  chunk_tokens: 256\n"
      << "cache:\n  dir: " << (dir / "cache").string() << "\n"
      << "attention_distance:\n  bins: [0, 1, 3]\n"
      << "stages: [attention_distance]\n";
  const std::string config = (dir / "study.yaml").string();
  const auto one = run_bertology({"run", config, "--set", "study.output_dir=" + (dir / "one").string()});
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_sh("mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 " +
                          bertology_cmd({"run", config, "--set", "study.output_dir=" + (dir / "two").string()}));
  ASSERT_EQ(two.code, 0) << two.err << two.out;
  expect_same_tables(dir / "one/all-MiniLM-L6-v2", dir / "two/all-MiniLM-L6-v2", 1);

  const auto rows = read_csv(dir / "one/all-MiniLM-L6-v2/attention_distance/distances.csv");
  ASSERT_EQ(rows.front(), (std::vector<std::string>{"layer", "head", "d_0_0", "d_1_1", "d_2_3", "d_over_3", "mean_distance"}));
  ASSERT_EQ(rows.size(), 1u + 6 * 12);  // 6 layers x 12 heads of all-MiniLM-L6-v2
  for (size_t r = 1; r < rows.size(); ++r) {
    double mass = 0;
    for (size_t c = 2; c < 6; ++c) mass += std::stod(rows[r][c]);
    EXPECT_NEAR(mass, 1.0, 2e-3) << "row " << r;  // float16 attention rows sum to 1 within ~4e-4
    EXPECT_GE(std::stod(rows[r][6]), 0.0);
  }
  const auto again = run_bertology({"run", config, "--set", "study.output_dir=" + (dir / "one").string()});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("attention_distance: up to date"), std::string::npos) << again.out;
  // A different bin list is another input: the stage runs again.
  const auto other = run_bertology({"run", config, "--set", "study.output_dir=" + (dir / "one").string(), "--set",
                                    "attention_distance.bins=[0, 2]"});
  ASSERT_EQ(other.code, 0) << other.err;
  EXPECT_EQ(other.out.find("attention_distance: up to date"), std::string::npos) << other.out;
  EXPECT_EQ(read_csv(dir / "one/all-MiniLM-L6-v2/attention_distance/distances.csv").front().size(), 6u);
}

}  // namespace
}  // namespace bertology::test
