// The edge-probing study (edge_probing, tenney_report) end to end with the real binary: POS and
// dependency targets from CoNLL-U, coreference from the shipped LitBank sample and a jiant
// JSON-lines task give the same tables under `mpirun -np 2` as in one process; the POS/deps
// features come from the same cache entry as token_probes (no second extraction); bad input is a
// one-line FILE:LINE error and leaves no finished stage behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/tables.h"

namespace fs = std::filesystem;

namespace bertology::test {
namespace {

const fs::path kSource = BERTOLOGY_SOURCE_DIR;
const fs::path kModel = fs::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2";
const std::string kMpirun = "mpirun --allow-run-as-root --oversubscribe --bind-to none";

/// A two-sided jiant task in `dir` (train 40, dev 10, test 10 records): span 1 = the subject,
/// span 2 = the object, label = the verb's class; our own sentences.
void write_jiant_task(const fs::path& dir) {
  fs::create_directories(dir);
  const char* subjects[] = {"the old man", "a small dog", "my sister", "the teacher", "our neighbour"};
  const char* objects[] = {"the ball", "a letter", "the red car", "some bread"};
  const std::pair<const char*, const char*> verbs[] = {{"kicked", "motion"}, {"wrote", "creation"}, {"saw", "perception"},
                                                      {"bought", "possession"}, {"threw", "motion"}, {"heard", "perception"}};
  auto words = [](const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), ' ') + 1); };
  const std::pair<const char*, int> splits[] = {{"en-train.json", 40}, {"en-dev.json", 10}, {"en-test.json", 10}};
  int k = 0;
  for (const auto& [name, n] : splits) {
    std::ofstream f(dir / name);
    for (int i = 0; i < n; ++i, ++k) {
      const std::string s = subjects[k % 5], o = objects[(k / 5) % 4];
      const auto& [verb, label] = verbs[(k * 7) % 6];
      const int ns = words(s), no = words(o);
      nlohmann::json j = {{"text", s + " " + verb + " " + o + " ."},
                          {"targets", {{{"span1", {0, ns}}, {"span2", {ns + 1, ns + 1 + no}}, {"label", label}}}}};
      f << j.dump() << "\n";
    }
  }
}

fs::path write_config(const fs::path& dir, const std::string& extra_edge = "") {
  write_jiant_task(dir / "relations");
  const fs::path config = dir / "tenney.yaml";
  std::ofstream(config) << "study:\n  name: tenney-test\nmodel:\n  path: " << kModel.string() << "\n  threads: 1\n"
                        << "cache:\n  dir: " << (dir / "cache").string() << "\n"
                        << "corpus:\n  path: " << (kSource / "configs/samples/ewt_dev_sample.conllu").string()
                        << "\n  format: conllu\nextract:\n  word_pooling: mean\n"
                        << "edge:\n  tasks: [pos, deps]\n  coref_corpus: ["
                        << (kSource / "configs/samples/litbank_coref").string() << "]\n  jiant_dirs: ["
                        << (dir / "relations").string() << "]\n  layers: [0, 6]\n  seeds: 2\n  max_epochs: 2\n"
                        << "  lr: 0.001\n" << extra_edge
                        << "probe:\n  layers: [0, 6]\n  seeds: 1\n  max_epochs: 2\n  tasks: [xpos]\n"
                        << "stages: [edge_probing, tenney_report]\n";
  return config;
}

size_t entries_in(const fs::path& cache) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(cache))
    if (e.is_directory() && fs::exists(e.path() / "manifest.json")) n += 1;
  return n;
}

TEST(TenneyStudy, SameTablesForOneAndTwoRanksAndSharedEntries) {
  ASSERT_TRUE(fs::exists(kModel)) << "run scripts/setup.sh first (it fetches the default model)";
  const fs::path dir = scratch("tenney_study");
  const fs::path config = write_config(dir);
  const auto one = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "one").string()});
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_sh(kMpirun + " -np 2 " +
                          bertology_cmd({"run", config.string(), "--set", "study.output_dir=" + (dir / "two").string()}));
  ASSERT_EQ(two.code, 0) << two.err << two.out;
  const fs::path out = dir / "one/all-MiniLM-L6-v2";
  expect_same_tables(out, dir / "two/all-MiniLM-L6-v2", 5);

  // 4 tasks: 2 layers x 2 seeds each, and 7 cumulative mixes (MiniLM: layers 0..6).
  const auto results = read_csv(out / "edge_probing/results.csv");
  EXPECT_EQ(results.size(), 1u + 4 * (2 * 2 + 7));
  const auto tasks = read_csv(out / "edge_probing/tasks.csv");
  ASSERT_EQ(tasks.size(), 5u);
  std::vector<std::string> names;
  for (size_t r = 1; r < tasks.size(); ++r) names.push_back(tasks[r][0]);
  EXPECT_EQ(names, (std::vector<std::string>{"pos", "deps", "coref", "relations"}));
  EXPECT_EQ(tasks[3][1], "2");  // coref: labels 0 and 1
  EXPECT_EQ(tasks[4][1], "4");  // relations: motion, creation, perception, possession
  EXPECT_EQ(tasks[4][3], "10");
  EXPECT_EQ(read_csv(out / "edge_probing/mix.csv").size(), 1u + 4 * 7);
  const std::string report = slurp(out / "report.md");
  EXPECT_NE(report.find("## The pipeline order"), std::string::npos);
  EXPECT_NE(report.find("| coref | Coref. |"), std::string::npos);
  const auto record = nlohmann::json::parse(slurp(out / "edge_probing/stage.json"));
  EXPECT_EQ(record.at("tasks").at("coref").at("score").get<std::string>(), "F1 of label 1");

  // The run's corpus, the coreference documents and the jiant task: three entries. token_probes
  // on the same corpus reads the entry edge_probing used (no new one).
  EXPECT_EQ(entries_in(dir / "cache"), 3u);
  const auto probes = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "probes").string(),
                                     "--set", "stages=[token_probes]"});
  ASSERT_EQ(probes.code, 0) << probes.err;
  EXPECT_EQ(entries_in(dir / "cache"), 3u);
}

TEST(TenneyStudy, ConstituentsFromAFolderOfPennTrees) {
  // 30 trees in two files of a folder (corpus.format ptb reads folders): S → NP VP ., VP → V NP.
  const fs::path dir = scratch("tenney_ptb");
  fs::create_directories(dir / "trees/00");
  const char* nouns[] = {"dog", "cat", "bird", "child", "farmer", "sailor"};
  const char* verbs[] = {"saw", "chased", "heard", "found", "liked"};
  for (int f = 0; f < 2; ++f) {
    std::ofstream out(dir / "trees/00" / ("wsj_000" + std::to_string(f + 1) + ".mrg"));
    for (int k = 15 * f; k < 15 * (f + 1); ++k)
      out << "( (S (NP-SBJ (DT the) (NN " << nouns[k % 6] << ")) (VP (VBD " << verbs[k % 5] << ") (NP (DT a) (NN "
          << nouns[(k / 6) % 6] << "))) (. .)) )\n";
  }
  const fs::path config = dir / "ptb.yaml";
  std::ofstream(config) << "study:\n  name: tenney-ptb\nmodel:\n  path: " << kModel.string() << "\n  threads: 1\n"
                        << "cache:\n  dir: " << (dir / "cache").string() << "\ncorpus:\n  path: " << (dir / "trees").string()
                        << "\n  format: ptb\nextract:\n  word_pooling: mean\n"
                        << "edge:\n  tasks: [consts, pos, deps]\n  layers: [0]\n  seeds: 1\n  max_epochs: 1\n"
                        << "  cumulative: false\nstages: [edge_probing]\n";
  const auto r = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "out").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto tasks = read_csv(dir / "out/all-MiniLM-L6-v2/edge_probing/tasks.csv");
  ASSERT_EQ(tasks.size(), 4u);
  // Held out: the last 3 trees are the test set, 2 of the other 27 dev, 25 train; 4 constituents
  // (S, NP, VP, NP) and 6 words a tree.
  EXPECT_EQ(tasks[1], (std::vector<std::string>{"consts", "3", "100", "12", "nan", "nan", "nan", "nan"}));
  EXPECT_EQ(tasks[2][2], "150");
  EXPECT_EQ(tasks[3][2], "150");
}

TEST(TenneyStudy, BadInputIsAOneLineError) {
  const fs::path dir = scratch("tenney_bad");
  const fs::path config = write_config(dir);
  const auto expect_error = [&](const std::string& what, const std::vector<std::string>& sets) {
    std::vector<std::string> args = {"run", config.string(), "--set", "study.output_dir=" + (dir / "out").string()};
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    const auto r = run_bertology(args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out/all-MiniLM-L6-v2/edge_probing/stage.json"));
  };
  const fs::path test_file = dir / "relations/en-test.json";
  const std::string good = slurp(test_file);
  std::ofstream(test_file, std::ios::app) << R"({"text": "a b", "targets": [{"span1": [1, 3], "label": "motion"}]})" << "\n";
  expect_error(test_file.string() + ":11: \"span1\" [1, 3) is empty or outside the sentence's 2 words", {});
  std::ofstream(test_file) << good << "{\"text\": \"a b\", \"targets\": [\n";
  expect_error(test_file.string() + ":11: malformed JSON", {});
  fs::remove(test_file);
  expect_error("edge.jiant_dirs: " + (dir / "relations").string() + ": no test file", {});
  std::ofstream(test_file) << good;
  expect_error("edge.tasks: unknown task 'srl' (expected pos, deps, consts or entities)", {"edge.tasks=[pos, srl]"});
  expect_error("edge.tasks: consts needs corpus.format ptb", {"edge.tasks=[consts]"});
}

}  // namespace
}  // namespace bertology::test
