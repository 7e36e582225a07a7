// The probing studies end to end with the real binary: the Lin study (diagnostic probes and
// confusion scores) and the probing toolkit (token probes, structural probe, scalar mix) give the
// same tables under `mpirun -np 2` as in one process, with complete reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/process.h"
#include "tests/support/tables.h"

namespace fs = std::filesystem;

namespace bertology::test {
namespace {

const fs::path kSource = BERTOLOGY_SOURCE_DIR;
const fs::path kModel = fs::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2";
const std::string kMpirun = "mpirun --allow-run-as-root --oversubscribe --bind-to none";

/// Small settings shared by both studies: two layers, two seeds, one thread per rank.
std::string small_probe_settings(const fs::path& dir) {
  return "model:\n  path: " + kModel.string() + "\n  threads: 1\n" + "cache:\n  dir: " + (dir / "cache").string() +
         "\nprobe:\n  layers: [0, 3]\n  seeds: 2\n  max_epochs: 4\n  patience: 2\n";
}

void run_both(const fs::path& config, const fs::path& dir, size_t min_tables) {
  const auto one = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "one").string()});
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_sh(kMpirun + " -np 2 " +
                          bertology_cmd({"run", config.string(), "--set", "study.output_dir=" + (dir / "two").string()}));
  ASSERT_EQ(two.code, 0) << two.err << two.out;
  expect_same_tables(dir / "one/all-MiniLM-L6-v2", dir / "two/all-MiniLM-L6-v2", min_tables);
}

TEST(ProbingStudy, LinStudyIsTheSameForOneAndTwoRanks) {
  ASSERT_TRUE(fs::exists(kModel)) << "run scripts/setup.sh first (it fetches the default model)";
  const fs::path dir = scratch("lin_study");
  std::ofstream(dir / "lin.yaml") << "study:\n  name: lin-test\n" << small_probe_settings(dir)
                                  << "tokenizer:\n  add_special_tokens: false\n  max_length: 128\n"
                                  << "corpus:\n  path: " << (kSource / "configs/samples/ewt_dev_sample.conllu").string()
                                  << "\n  format: conllu\n"
                                  << "lin:\n  data_dir: " << (kSource / "configs/samples/open_sesame").string()
                                  << "\n  nth: [1, 3]\n  max_sentences_per_file: 120\n"
                                  << "stages: [lin_probes, confusion_score, probing_report]\n";
  run_both(dir / "lin.yaml", dir, 4);
  const fs::path out = dir / "one/all-MiniLM-L6-v2";
  // 2 tasks with 2 + 3 splits, 2 N-th tasks with and without positions: (2 + 3 + 4) x 2 layers.
  const auto summary = read_csv(out / "lin_probes/summary.csv");
  EXPECT_EQ(summary.size(), 1u + 9 * 2);
  EXPECT_EQ(read_csv(out / "lin_probes/results.csv").size(), 1u + 9 * 2 * 2);
  // Every confusion condition A1-A4, R1-R8 with its uniform reference (1 or log2 3 bits).
  const auto conditions = read_csv(out / "confusion_score/summary.csv");
  ASSERT_EQ(conditions.size(), 13u);
  EXPECT_EQ(conditions[1][0], "A1");
  EXPECT_NEAR(std::stod(conditions[1][2]), 1.0, 1e-9);
  EXPECT_NEAR(std::stod(conditions[12][2]), std::log2(3.0), 1e-6);
  EXPECT_EQ(conditions[1][4], "480");  // 4 files x 120 sentences
  const std::string report = slurp(out / "report.md");
  EXPECT_NE(report.find("| main_aux / gen |"), std::string::npos);
  EXPECT_NE(report.find("| R8 |"), std::string::npos);
  // The possessive set is Lin's published gen_apost (the sample ships its first 500 lines), every
  // sentence's target found ("fish's" split into the basic tokens its index counts).
  EXPECT_NE(report.find("published: data_sbjn-join/sbjn-join.gen_apost"), std::string::npos);
  const auto record = nlohmann::json::parse(slurp(out / "lin_probes/stage.json"));
  EXPECT_EQ(record.at("sentences").at("subject_noun").at("gen_possessive").get<int>(), 120);
}

TEST(ProbingStudy, GenApostTargetsCountBasicTokens) {
  // The convention lin_probes relies on: in sbjn-join.gen_apost the target index counts BERT's
  // basic tokens ("fish's" = fish ' s), and that token is the head noun, tagged MN in the .pos twin.
  const fs::path dir = kSource / "configs/samples/open_sesame/data_sbjn-join";
  std::ifstream text(dir / "sbjn-join.gen_apost"), pos(dir / "sbjn-join.gen_apost.pos");
  auto fields = [](const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line.substr(0, line.find('\t')));
    for (std::string w; in >> w;) words.push_back(w);
    return std::make_pair(words, std::stoi(line.substr(line.find('\t') + 1)));
  };
  int lines = 0;
  for (std::string t, q; std::getline(text, t) && std::getline(pos, q); ++lines) {
    const auto [words, target] = fields(t);
    const auto [tags, unused] = fields(q);
    ASSERT_EQ(words.size(), tags.size()) << "line " << lines + 1;
    const size_t head = static_cast<size_t>(std::find(tags.begin(), tags.end(), "MN") - tags.begin());
    ASSERT_LT(head, words.size());
    std::vector<std::string> basic;
    for (const auto& w : words) {
      std::string run;
      for (char c : w)
        if (std::ispunct(static_cast<unsigned char>(c))) {
          if (!run.empty()) basic.push_back(run), run.clear();
          basic.emplace_back(1, c);
        } else {
          run += c;
        }
      if (!run.empty()) basic.push_back(run);
    }
    ASSERT_LT(static_cast<size_t>(target), basic.size()) << "line " << lines + 1;
    EXPECT_EQ(basic[static_cast<size_t>(target)], words[head]) << "line " << lines + 1;
  }
  EXPECT_EQ(lines, 500);
}

TEST(ProbingStudy, ProbingToolkitIsTheSameForOneAndTwoRanks) {
  ASSERT_TRUE(fs::exists(kModel));
  const fs::path dir = scratch("probing_study");
  std::ofstream(dir / "probing.yaml") << "study:\n  name: probing-test\n" << small_probe_settings(dir)
                                      << "  tasks: [upos, arc]\n  test_corpus: "
                                      << (kSource / "configs/samples/en_ewt-ud-test.conllu").string() << "\n"
                                      << "corpus:\n  path: " << (kSource / "configs/samples/ewt_dev_sample.conllu").string()
                                      << "\n  format: conllu\n  max_sentences: 120\n"
                                      << "extract:\n  word_pooling: mean\n"
                                      << "structural:\n  rank: 16\n  max_epochs: 4\n  patience: 2\n"
                                      << "stages: [token_probes, structural_probe, scalar_mix, probing_report]\n";
  run_both(dir / "probing.yaml", dir, 6);
  const fs::path out = dir / "one/all-MiniLM-L6-v2";
  EXPECT_EQ(read_csv(out / "token_probes/summary.csv").size(), 1u + 2 * 2);
  EXPECT_EQ(read_csv(out / "structural_probe/summary.csv").size(), 1u + 2 * 2);
  // Scalar mix: weights over all 7 layers per task, summing to 1.
  const auto weights = read_csv(out / "scalar_mix/weights.csv");
  ASSERT_EQ(weights.size(), 1u + 2 * 7);
  double sum = 0;
  for (size_t r = 1; r <= 7; ++r) sum += std::stod(weights[r][2]);
  EXPECT_NEAR(sum, 1.0, 1e-4);
  // UPOS from word vectors is far above chance even on 120 sentences.
  const auto tokens = read_csv(out / "token_probes/summary.csv");
  EXPECT_GT(std::stod(tokens[2][2]), 70.0) << "upos, layer 3";
  const std::string report = slurp(out / "report.md");
  EXPECT_NE(report.find("## Structural probe"), std::string::npos);
  EXPECT_NE(report.find("| upos |"), std::string::npos);
}

TEST(ProbingStudy, MissingOpenSesameDataIsAOneLineError) {
  const fs::path dir = scratch("lin_bad");
  std::ofstream(dir / "lin.yaml") << small_probe_settings(dir) << "corpus:\n  path: "
                                  << (kSource / "configs/samples/ewt_dev_sample.conllu").string()
                                  << "\nlin:\n  data_dir: " << (dir / "nowhere").string() << "\nstages: [lin_probes]\n";
  const auto r = run_bertology({"run", (dir / "lin.yaml").string(), "--set", "study.output_dir=" + (dir / "out").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("lin.data_dir: " + (dir / "nowhere").string() + "/data_aux/aux.train: no such file"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace bertology::test
