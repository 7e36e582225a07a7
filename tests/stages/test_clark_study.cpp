// The Clark et al. (2019) study end to end with the real binary: every stage under `mpirun -np 2`
// gives the tables of a single process; counts agree with the corpus; a rerun skips finished
// stages; PTB input; the gradient stage; clear errors for bad inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/process.h"
#include "tests/support/tables.h"

namespace fs = std::filesystem;

namespace bertology::test {
namespace {

const fs::path kFixtures = BERTOLOGY_FIXTURES_DIR;
const fs::path kSource = BERTOLOGY_SOURCE_DIR;
const fs::path kModel = fs::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2";
const std::string kMpirun = "mpirun --allow-run-as-root --oversubscribe --bind-to none";
constexpr int kSentences = 40;

/// The study on the default model: 40 EWT dev sentences analysed and used for training, 40 EWT
/// test sentences for evaluation, the LitBank excerpt and the GUM-style fixture for coreference.
fs::path write_study(const fs::path& dir) {
  std::ofstream(dir / "study.yaml")
      << "model:\n  path: " << kModel.string() << "\n  threads: 1\n"
      << "tokenizer:\n  max_length: 128\n"
      << "corpus:\n  path: " << (kSource / "configs/samples/ewt_dev_sample.conllu").string()
      << "\n  format: conllu\n  max_sentences: " << kSentences << "\n"
      << "extract:\n  layers: [0]\n  attention: true\n  chunk_tokens: 256\n"
      << "cache:\n  dir: " << (dir / "cache").string() << "\n"
      << "clark:\n  min_relation_count: 10\n  probe_epochs: 2\n"
      << "  test_corpus: " << (kSource / "configs/samples/en_ewt-ud-test.conllu").string() << "\n"
      << "  coref_corpus: [" << (kFixtures / "coref/litbank_excerpt.conll").string() << ", "
      << (kFixtures / "coref/gum_style.conllu").string() << "]\n"
      << "stages: [attention_patterns, dependency_heads, attention_probe, coref_heads, head_clusters, clark_report]\n";
  return dir / "study.yaml";
}

bool has_matplotlib() { return run_sh("/usr/bin/python3 -c 'import matplotlib, numpy'").code == 0; }

TEST(ClarkStudy, TwoRanksGiveTheTablesOfOneAndTheReportIsComplete) {
  ASSERT_TRUE(fs::exists(kModel)) << "run scripts/setup.sh first (it fetches the default model)";
  const fs::path dir = scratch("clark_study");
  const fs::path config = write_study(dir);
  const auto one = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "one").string()});
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_sh(kMpirun + " -np 2 " +
                          bertology_cmd({"run", config.string(), "--set", "study.output_dir=" + (dir / "two").string()}));
  ASSERT_EQ(two.code, 0) << two.err << two.out;
  const fs::path a = dir / "one/all-MiniLM-L6-v2", b = dir / "two/all-MiniLM-L6-v2";
  expect_same_tables(a, b, 8);

  // Counts against the corpus itself: `all` of dependency_heads = the words of the 40 sentences.
  int64_t words = 0, sentences = 0;
  std::istringstream conllu(slurp(kSource / "configs/samples/ewt_dev_sample.conllu"));
  std::string line;
  while (std::getline(conllu, line) && sentences < kSentences) {
    if (line.empty()) ++sentences;
    else if (line[0] != '#' && line.find('\t') != std::string::npos) {
      const std::string id = line.substr(0, line.find('\t'));
      if (id.find('-') == std::string::npos && id.find('.') == std::string::npos) ++words;
    }
  }
  const auto relations = read_csv(a / "dependency_heads/relations.csv");
  ASSERT_GE(relations.size(), 3u);
  EXPECT_EQ(relations[1][0], "all");
  EXPECT_EQ(std::stoll(relations[1][1]), words);
  // 72 heads x 2 directions per reported relation.
  EXPECT_EQ(read_csv(a / "dependency_heads/heads.csv").size(), 1 + (relations.size() - 1) * 6 * 12 * 2);
  EXPECT_EQ(read_csv(a / "attention_patterns/patterns.csv").size(), 1u + 72);
  EXPECT_EQ(read_csv(a / "head_clusters/embedding.csv").size(), 1u + 72);
  const auto probe = read_csv(a / "attention_probe/results.csv");
  ASSERT_EQ(probe.size(), 6u);  // right-branching, attn, attn_words, distances_words, random-init
  for (size_t r = 1; r < probe.size(); ++r) EXPECT_EQ(probe[r][4], probe[1][4]) << "same scored words for every probe";
  const auto summary = nlohmann::json::parse(slurp(a / "attention_patterns/summary.json"));
  EXPECT_EQ(summary.at("num_sequences").get<int>(), kSentences / 2);

  const std::string report = slurp(a / "report.md");
  for (const char* section : {"## 1. Surface-level patterns", "## 2. Dependency heads", "## 3. Attention-based probing",
                              "## 4. Coreference", "## 5. Gradient", "## 6. Head clusters"})
    EXPECT_NE(report.find(section), std::string::npos) << section;
  EXPECT_NE(report.find("| det | det |"), std::string::npos);
  EXPECT_NE(report.find("best head"), std::string::npos);
  const auto run = nlohmann::json::parse(slurp(a / "run.json"));
  EXPECT_TRUE(run.at("stages").contains("coref_heads"));
  if (has_matplotlib())
    for (const char* png : {"fig1_special_tokens.png", "fig2_positional.png", "fig4_entropy.png",
                            "fig5_dependency_heads.png", "fig6_head_clusters.png"})
      EXPECT_TRUE(fs::exists(a / "figures" / png)) << png;

  // A rerun reuses every cache entry and skips every finished stage.
  const auto again = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "one").string()});
  ASSERT_EQ(again.code, 0) << again.err;
  for (const char* stage : {"attention_patterns", "dependency_heads", "attention_probe", "coref_heads", "head_clusters"})
    EXPECT_NE(again.out.find(std::string(stage) + ": up to date"), std::string::npos) << stage << "\n" << again.out;
  // A deleted table makes its stage run again (and only that stage).
  fs::remove(a / "dependency_heads/relations.csv");
  const auto third = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "one").string()});
  ASSERT_EQ(third.code, 0) << third.err;
  EXPECT_EQ(third.out.find("dependency_heads: up to date"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("attention_patterns: up to date"), std::string::npos) << third.out;
  EXPECT_TRUE(fs::exists(a / "dependency_heads/relations.csv"));
}

TEST(ClarkStudy, PennTreebankInputRunsTheDependencyStages) {
  const fs::path dir = scratch("clark_ptb");
  const fs::path config = write_study(dir);
  const std::string mrg = (kFixtures / "ptb/wsj_style.mrg").string();
  const auto r = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "out").string(),
                                "--set", "corpus.format=ptb", "--set", "corpus.path=" + mrg, "--set",
                                "clark.test_corpus=" + mrg, "--set", "clark.min_relation_count=1", "--set",
                                "clark.random_init_probe=false", "--set",
                                "stages=[dependency_heads, attention_probe, clark_report]"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto relations = read_csv(dir / "out/all-MiniLM-L6-v2/dependency_heads/relations.csv");
  std::map<std::string, std::string> sd;
  for (size_t i = 1; i < relations.size(); ++i) sd[relations[i][0]] = relations[i][2];
  // Stanford labels from the converter, passed through as their own SD relation.
  for (const char* rel : {"nsubj", "det", "nsubjpass", "auxpass", "punct", "root"}) {
    ASSERT_TRUE(sd.count(rel)) << rel;
    EXPECT_EQ(sd[rel], rel);
  }
  const auto stage = nlohmann::json::parse(slurp(dir / "out/all-MiniLM-L6-v2/dependency_heads/stage.json"));
  EXPECT_EQ(stage.at("labels"), "stanford");
  EXPECT_EQ(read_csv(dir / "out/all-MiniLM-L6-v2/attention_probe/results.csv").size(), 5u);
}

TEST(ClarkStudy, GradientStageAgreesAcrossRanksAndNeedsAnMlmHead) {
  const fs::path dir = scratch("clark_gradients");
  const fs::path config = write_study(dir);
  // Short sentences in the tiny model's vocabulary (it takes 40 wordpieces).
  std::ofstream(dir / "tiny.txt") << "the cat sat on the mat .\nthe dog ran , the cat sat .\na dog and a cat are friends .\n"
                                     "hello world .\nthe mat sat on the dog .\nmostly the cat ran .\n";
  const std::vector<std::string> common = {
      "--set", "corpus.path=" + (dir / "tiny.txt").string(), "--set", "corpus.format=text", "--set",
      "clark.gradient_model=" + (kFixtures / "models/tiny_mlm_gelu").string(), "--set", "stages=[attention_gradients]"};
  auto args = [&](const std::string& out) {
    std::vector<std::string> a = {"run", config.string(), "--set", "study.output_dir=" + (dir / out).string()};
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };
  const auto one = run_bertology(args("one"));
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_sh(kMpirun + " -np 2 " + bertology_cmd(args("two")));
  ASSERT_EQ(two.code, 0) << two.err;
  expect_same_tables(dir / "one/all-MiniLM-L6-v2/attention_gradients", dir / "two/all-MiniLM-L6-v2/attention_gradients", 1);
  const auto rows = read_csv(dir / "one/all-MiniLM-L6-v2/attention_gradients/gradients.csv");
  ASSERT_EQ(rows.size(), 3u);  // 2 layers
  for (size_t r = 1; r < rows.size(); ++r)
    for (size_t c = 1; c < 4; ++c) EXPECT_GT(std::stod(rows[r][c]), 0.0);

  auto no_head = args("none");
  no_head.push_back("--set");
  no_head.push_back("clark.gradient_model=''");  // empty = model.path, the default model
  const auto refused = run_bertology(no_head);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("all-MiniLM-L6-v2: attention_gradients needs the masked-LM head"), std::string::npos)
      << refused.err;
}

TEST(ClarkStudy, MalformedCoreferenceFileIsAOneLineError) {
  const fs::path dir = scratch("clark_bad_coref");
  const fs::path config = write_study(dir);
  std::ofstream(dir / "bad.conll") << "#begin document (d); part 0\nd\t0\t0\tHe\t_\t_\t_\t_\t_\t_\t_\t_\t(1\n\n#end document\n";
  const auto r = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "out").string(), "--set",
                                "clark.coref_corpus=[" + (dir / "bad.conll").string() + "]", "--set", "stages=[coref_heads]"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((dir / "bad.conll").string() + ":"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out/all-MiniLM-L6-v2/coref_heads/stage.json"));
}

}  // namespace
}  // namespace bertology::test
