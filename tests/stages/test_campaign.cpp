// Campaigns (issue #17) end to end with the real binary: two studies that read the same corpus
// and the same test corpus, as one campaign on a fresh cache, compute each forward pass once
// (counted from the extraction logs) and give every table of the two studies run one after the
// other on another fresh cache; the dry run names the units and their users.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/process.h"
#include "tests/support/tables.h"

namespace fs = std::filesystem;

namespace bertology::test {
namespace {

const fs::path kSource = BERTOLOGY_SOURCE_DIR;
const fs::path kModel = fs::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2";

/// Clark-style attention study (≤ 128 wordpieces, attention of every layer, an attention probe
/// with a test corpus) and a probing study (≤ 512, word vectors, token probes with the same test
/// corpus), both on the first 40 sentences of the EWT sample.
void write_studies(const fs::path& dir) {
  const std::string common = "model:\n  path: " + kModel.string() + "\n  threads: 1\ncorpus:\n  path: " +
                             (kSource / "configs/samples/ewt_dev_sample.conllu").string() +
                             "\n  format: conllu\n  max_sentences: 40\ncache:\n  dir: " + (dir / "cache").string() + "\n";
  const std::string test_corpus = (kSource / "configs/samples/en_ewt-ud-test.conllu").string();
  std::ofstream(dir / "attention.yaml")
      << "study:\n  name: attention\n  output_dir: " << (dir / "separate/attention").string() << "\n" << common
      << "tokenizer:\n  max_length: 128\nextract:\n  layers: [0]\n  attention: true\n"
      << "clark:\n  min_relation_count: 10\n  probe_epochs: 2\n  random_init_probe: false\n  test_corpus: " << test_corpus << "\n"
      << "stages: [attention_patterns, dependency_heads, attention_probe]\n";
  std::ofstream(dir / "probing.yaml")
      << "study:\n  name: probing\n  output_dir: " << (dir / "separate/probing").string() << "\n" << common
      << "tokenizer:\n  max_length: 512\nextract:\n  word_pooling: mean\n"
      << "probe:\n  layers: [0, 3]\n  seeds: 1\n  max_epochs: 3\n  tasks: [upos]\n  test_corpus: " << test_corpus << "\n"
      << "stages: [token_probes]\n";
  std::ofstream(dir / "campaign.yaml") << "campaign:\n  name: pair\n  output_dir: " << (dir / "campaign").string()
                                       << "\n  studies: [attention.yaml, probing.yaml]\n";
}

/// Chunks computed under a cache root (the "computed" lines of every rank log) and entries that hold any.
struct Computed {
  int64_t chunks = 0, entries = 0;
};
Computed computed_chunks(const fs::path& cache) {
  Computed c;
  static const std::regex computed(R"(chunk \d+ computed)");
  for (const auto& e : fs::directory_iterator(cache)) {
    if (!fs::is_directory(e.path() / "logs")) continue;
    int64_t n = 0;
    for (const auto& log : fs::directory_iterator(e.path() / "logs")) {
      const std::string text = slurp(log.path());
      n += std::distance(std::sregex_iterator(text.begin(), text.end(), computed), std::sregex_iterator());
    }
    c.chunks += n;
    c.entries += n > 0;
  }
  return c;
}

/// Chunks of every complete entry (from plan.json) under a cache root.
int64_t planned_chunks(const fs::path& cache) {
  int64_t n = 0;
  static const std::regex index(R"("index")");
  for (const auto& e : fs::directory_iterator(cache))
    if (fs::exists(e.path() / "manifest.json")) {
      const std::string plan = slurp(e.path() / "plan.json");
      n += std::distance(std::sregex_iterator(plan.begin(), plan.end(), index), std::sregex_iterator());
    }
  return n;
}

TEST(Campaign, OneForwardPassPerCorpusAndTheTablesOfSeparateRuns) {
  ASSERT_TRUE(fs::exists(kModel)) << "run scripts/setup.sh first (it fetches the default model)";
  const fs::path dir = scratch("campaign");
  write_studies(dir);

  // The plan: three units. The analysed corpus and the test corpus, each read by both studies
  // (Clark's 128 wordpieces and the probes' 512 share them), and the sentence pairs of
  // attention_patterns.
  const auto plan = run_bertology({"run", (dir / "campaign.yaml").string(), "--dry-run"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_NE(plan.out.find("2 run(s), 5 extraction request(s) -> 3 unit(s)"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("attention/all-MiniLM-L6-v2: attention_probe (test corpus)"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("probing/all-MiniLM-L6-v2: token_probes (test corpus)"), std::string::npos) << plan.out;
  EXPECT_FALSE(fs::exists(dir / "cache"));

  const auto run = run_bertology({"run", (dir / "campaign.yaml").string()});
  ASSERT_EQ(run.code, 0) << run.err << run.out;
  const Computed campaign = computed_chunks(dir / "cache");
  EXPECT_EQ(campaign.entries, 3) << run.out;
  EXPECT_EQ(campaign.chunks, planned_chunks(dir / "cache")) << "each chunk computed once";
  EXPECT_NE(run.out.find("3 forward pass(es) served 5 extraction request(s)"), std::string::npos) << run.out;

  // The campaign's compare.md: its numbers are the per-model CSVs' (the probes of layer 3 of 6 at
  // relative depth 0.50; the best head of all relations).
  ASSERT_TRUE(fs::exists(dir / "campaign/compare.md")) << run.out;
  const std::string md = slurp(dir / "campaign/compare.md");
  const auto probes = read_csv(dir / "campaign/probing/all-MiniLM-L6-v2/token_probes/summary.csv");
  ASSERT_EQ(probes.size(), 3u);  // header, layers 0 and 3
  EXPECT_EQ(probes[2][1], "3");
  EXPECT_NE(md.find("| 0.50 | " + probes[2][2] + " |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 0.00 | " + probes[1][2] + " |"), std::string::npos) << md;
  const auto relations = read_csv(dir / "campaign/attention/all-MiniLM-L6-v2/dependency_heads/relations.csv");
  ASSERT_GE(relations.size(), 2u);
  EXPECT_EQ(relations[1][0], "all");
  EXPECT_NE(md.find("| all | " + relations[1][6] + " | " + relations[1][3] + "-" + relations[1][4] +
                    (relations[1][5] == "head_to_dep" ? "ᵀ" : "") + " | " + relations[1][8] + " | 34.5 (7-6; baseline 26.3) |"),
            std::string::npos) << md;

  // The same studies one after the other on a fresh cache: more forward passes, the same tables.
  for (const char* study : {"attention", "probing"}) {
    const auto one = run_bertology({"run", (dir / (std::string(study) + ".yaml")).string(), "--set",
                                    "cache.dir=" + (dir / "separate_cache").string()});
    ASSERT_EQ(one.code, 0) << one.err << one.out;
  }
  EXPECT_GT(computed_chunks(dir / "separate_cache").chunks, campaign.chunks);
  // Each study writes under <campaign.output_dir>/<study.name>.
  for (const char* study : {"attention", "probing"})
    expect_same_tables(dir / "campaign" / study / "all-MiniLM-L6-v2", dir / "separate" / study / "all-MiniLM-L6-v2", 2);

  // Again: nothing to extract, every stage up to date.
  const auto again = run_bertology({"run", (dir / "campaign.yaml").string()});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(computed_chunks(dir / "cache").chunks, campaign.chunks);
  EXPECT_EQ(again.out.find("[extract] chunks"), std::string::npos) << again.out;
}

// Under mpirun every rank plans alike (the survey and the dry-run checks are collective) and the
// ranks share each unit's chunks: two ranks give the tables of one.
TEST(Campaign, TwoRanksGiveTheTablesOfOne) {
  ASSERT_TRUE(fs::exists(kModel));
  const fs::path dir = scratch("campaign_mpi");
  write_studies(dir);
  const auto one = run_bertology({"run", (dir / "campaign.yaml").string()});
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_sh("mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 " +
                          bertology_cmd({"run", (dir / "campaign.yaml").string(), "--set",
                                         "cache.dir=" + (dir / "cache2").string(), "--set",
                                         "campaign.output_dir=" + (dir / "campaign2").string()}));
  ASSERT_EQ(two.code, 0) << two.err << two.out;
  EXPECT_EQ(computed_chunks(dir / "cache2").entries, 3) << two.out;
  for (const char* study : {"attention", "probing"})
    expect_same_tables(dir / "campaign" / study / "all-MiniLM-L6-v2", dir / "campaign2" / study / "all-MiniLM-L6-v2", 2);
  EXPECT_TRUE(fs::exists(dir / "campaign2/compare.md"));
}

TEST(Campaign, BadStudyListIsAOneLineError) {
  const fs::path dir = scratch("campaign_bad");
  std::ofstream(dir / "campaign.yaml") << "campaign:\n  studies: [missing.yaml]\n";
  const auto r = run_bertology({"run", (dir / "campaign.yaml").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  const auto m = run_bertology({"run", (kSource / "configs/studies/quickstart.yaml").string(), "--model", kModel.string()});
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.err.find("only campaigns take --model"), std::string::npos) << m.err;
}

}  // namespace
}  // namespace bertology::test
