// Bounded memory (issue #21) with the real binary: under a memory budget smaller than its
// sentences, the attention probe streams them from the cache in windows, gives the UAS of the run
// that holds them all, and its peak memory (measured in-process: the `stage NAME: ... peak memory`
// line) stays within 1.2 × when the training corpus is four times larger. The same ×4 run without
// a tight budget holds its sentences and its peak exceeds that: the check can fail. The word-vector
// probes (token_probes, scalar_mix) stream their features likewise, with the tables of the run that
// holds them; so do lin_probes and structural_probe. The multiple-choice stages encode their
// questions per batch under a budget too small to hold them, with the runs of held features.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/tables.h"

namespace fs = std::filesystem;

namespace bertology::test {
namespace {

const fs::path kSource = BERTOLOGY_SOURCE_DIR;
const fs::path kModel = fs::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2";
constexpr int kSentences = 300;
constexpr double kMiB = 1024.0 * 1024.0;

/// The first `sentences` sentences of EWT dev, `copies` times over (sent_ids made unique).
fs::path write_corpus(const fs::path& dir, int sentences, int copies) {
  std::ifstream in(kSource / "configs/samples/en_ewt-ud-dev.conllu");
  std::string text, line;
  int seen = 0;
  while (seen < sentences && std::getline(in, line)) {
    text += line + "\n";
    if (line.empty()) ++seen;
  }
  const fs::path path = dir / ("ewt_x" + std::to_string(copies) + ".conllu");
  std::ofstream out(path);
  for (int c = 0; c < copies; ++c)
    out << std::regex_replace(text, std::regex("# sent_id = (.*)"), "# sent_id = $1-copy" + std::to_string(c));
  return path;
}

fs::path write_study(const fs::path& dir, const fs::path& corpus) {
  const fs::path path = dir / (corpus.stem().string() + ".yaml");
  std::ofstream(path) << "model:\n  path: " << kModel.string() << "\n  threads: 2\n"
                      << "tokenizer:\n  max_length: 128\n"
                      << "corpus:\n  path: " << corpus.string() << "\n  format: conllu\n"
                      << "extract:\n  layers: [0]\n  attention: true\n"
                      << "cache:\n  dir: " << (dir / "cache").string() << "\n"
                      << "clark:\n  probe_epochs: 1\n  random_init_probe: false\n"
                      << "stages: [attention_probe]\n";
  return path;
}

struct StageRun {
  Result result;
  double peak_bytes = 0;
};

StageRun run_probe(const fs::path& study, const fs::path& out_dir, const std::string& memory_gb) {
  StageRun run;
  run.result = run_bertology({"run", study.string(), "--set", "study.output_dir=" + out_dir.string(), "--set",
                              "runtime.memory_gb=" + memory_gb});
  std::smatch m;
  if (std::regex_search(run.result.out, m, std::regex(R"(stage attention_probe: [0-9.]+ s, peak memory ([0-9.]+) (KiB|MiB|GiB))"))) {
    const double unit = m[2] == "KiB" ? 1024.0 : m[2] == "MiB" ? kMiB : kMiB * 1024.0;
    run.peak_bytes = std::stod(m[1]) * unit;
  }
  return run;
}

TEST(BoundedMemory, AttentionProbeStreamsUnderItsBudgetWithTheSameUasAndABoundedPeak) {
  ASSERT_TRUE(fs::exists(kModel)) << "run scripts/setup.sh first (it fetches the default model)";
  const fs::path dir = scratch("bounded_memory");
  const fs::path x1 = write_study(dir, write_corpus(dir, kSentences, 1));
  const fs::path x4 = write_study(dir, write_corpus(dir, kSentences, 4));

  // The default budget holds every sentence (the reference); it also extracts the entry.
  const StageRun held_x1 = run_probe(x1, dir / "held_x1", "8");
  ASSERT_EQ(held_x1.result.code, 0) << held_x1.result.err;
  EXPECT_NE(held_x1.result.out.find("sentences held in memory"), std::string::npos) << held_x1.result.out;

  // A budget below what the stage needs besides its features: one line naming the key, before
  // any work; the smallest budget that works is read from it.
  const StageRun refused = run_probe(x1, dir / "refused", "0.0625");
  ASSERT_NE(refused.result.code, 0);
  std::smatch need;
  ASSERT_TRUE(std::regex_search(refused.result.err, need,
                                std::regex(R"(runtime\.memory_gb: attention_probe needs at least ([0-9.]+) MiB besides the features it holds .* but the budget is 64\.0 MiB; raise runtime\.memory_gb)")))
      << refused.result.err;
  EXPECT_FALSE(fs::exists(dir / "refused/all-MiniLM-L6-v2/attention_probe/results.csv"));
  const double need_bytes = std::stod(need[1]) * kMiB;
  // 16 MiB to hold sentences: less than the ×1 training set (~30 MB), so every run below streams.
  const double budget_bytes = need_bytes + 16 * kMiB;
  const std::string budget = std::to_string(budget_bytes / (kMiB * 1024.0));

  const StageRun streamed_x1 = run_probe(x1, dir / "streamed_x1", budget);
  ASSERT_EQ(streamed_x1.result.code, 0) << streamed_x1.result.err;
  EXPECT_NE(streamed_x1.result.out.find("streamed: "), std::string::npos) << streamed_x1.result.out;
  // The UAS of every probe and baseline, identical to holding everything (same seed).
  EXPECT_EQ(slurp(dir / "held_x1/all-MiniLM-L6-v2/attention_probe/results.csv"),
            slurp(dir / "streamed_x1/all-MiniLM-L6-v2/attention_probe/results.csv"));

  // Extracted apart: the measured runs start from a complete entry (an extraction in the same
  // process would leave its freed heap resident, heap_policy.h, and count it in the stage's peak).
  const Result extracted = run_bertology({"extract", x4.string()});
  ASSERT_EQ(extracted.code, 0) << extracted.err;
  const StageRun streamed_x4 = run_probe(x4, dir / "streamed_x4", budget);
  ASSERT_EQ(streamed_x4.result.code, 0) << streamed_x4.result.err;
  const StageRun held_x4 = run_probe(x4, dir / "held_x4", "8");
  ASSERT_EQ(held_x4.result.code, 0) << held_x4.result.err;
  ASSERT_GT(streamed_x1.peak_bytes, 0) << streamed_x1.result.out;
  ASSERT_GT(streamed_x4.peak_bytes, 0) << streamed_x4.result.out;
  ASSERT_GT(held_x4.peak_bytes, 0) << held_x4.result.out;

  // Streamed: the ×4 corpus's peak stays within the budget and within the issue's target, 1.2 ×
  // the ×1 peak (what grows: the readers' corpus text and index, heap fragmentation); held: the ×4
  // sentences (~220 MB) show, so the bound is one a holding stage fails.
  EXPECT_LE(streamed_x4.peak_bytes, budget_bytes);
  EXPECT_LE(streamed_x4.peak_bytes, 1.2 * streamed_x1.peak_bytes)
      << streamed_x1.peak_bytes / kMiB << " MiB -> " << streamed_x4.peak_bytes / kMiB << " MiB";
  EXPECT_GT(held_x4.peak_bytes, 1.2 * streamed_x1.peak_bytes)
      << "held " << held_x4.peak_bytes / kMiB << " MiB, streamed x1 " << streamed_x1.peak_bytes / kMiB << " MiB";
}

/// Runs `stage` on 120 EWT sentences with its features held (8 GiB) and streamed (the smallest
/// budget, read from the one-line error of a too small one, plus 2 MiB: 1 MiB to hold features, the
/// rest halved), and expects the same `tables`; the logs say which happened. `sets` are further
/// `--set` overrides of both runs. Returns the run folder.
fs::path expect_streaming_changes_nothing(const std::string& stage, const std::vector<std::string>& tables,
                                          const std::string& held_says, const std::string& streamed_says,
                                          const std::vector<std::string>& sets = {}) {
  std::string tag;
  for (const auto& s : sets) tag += "_" + s.substr(s.find('=') + 1);
  const fs::path dir = scratch("bounded_memory_" + stage + tag);
  std::ofstream(dir / "probing.yaml") << "model:\n  path: " << kModel.string() << "\n  threads: 2\n"
                                      << "cache:\n  dir: " << (dir / "cache").string() << "\n"
                                      << "corpus:\n  path: " << (kSource / "configs/samples/ewt_dev_sample.conllu").string()
                                      << "\n  format: conllu\n  max_sentences: 120\n"
                                      << "extract:\n  word_pooling: mean\n"
                                      << "probe:\n  layers: [0, 3]\n  seeds: 1\n  max_epochs: 3\n  tasks: [upos, arc]\n"
                                      << "structural:\n  rank: 16\n  max_epochs: 3\n"
                                      << "lin:\n  data_dir: " << (kSource / "configs/samples/open_sesame").string()
                                      << "\n  nth: [2]\n  max_sentences_per_file: 120\n"
                                      << "stages: [" << stage << "]\n";
  const auto run = [&](const std::string& name, const std::string& memory_gb) {
    std::vector<std::string> args{"run", (dir / "probing.yaml").string(), "--set", "study.output_dir=" + (dir / name).string(),
                                  "--set", "runtime.memory_gb=" + memory_gb};
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    return run_bertology(args);
  };
  const Result held = run("held", "8");
  EXPECT_EQ(held.code, 0) << held.err;
  EXPECT_NE(held.out.find(held_says), std::string::npos) << held.out;
  const Result refused = run("refused", "0.0625");
  EXPECT_NE(refused.code, 0);
  std::smatch need;
  if (!std::regex_search(refused.err, need, std::regex("runtime\\.memory_gb: " + stage + " needs at least ([0-9.]+) MiB"))) {
    ADD_FAILURE() << refused.err;
    return dir;
  }
  const Result streamed = run("streamed", std::to_string((std::stod(need[1]) + 2.0) / 1024.0));
  EXPECT_EQ(streamed.code, 0) << streamed.err;
  // Jobs differ in size: a small one may still be held (the measured process base varies by a few
  // hundred KiB between runs); at least one must stream.
  EXPECT_NE(streamed.out.find(streamed_says), std::string::npos) << streamed.out;
  for (const auto& table : tables)
    EXPECT_EQ(slurp(dir / "held/all-MiniLM-L6-v2" / table), slurp(dir / "streamed/all-MiniLM-L6-v2" / table)) << table;
  return dir;
}

TEST(BoundedMemory, TokenProbesStreamUnderABudgetWithTheTablesOfHeldFeatures) {
  ASSERT_TRUE(fs::exists(kModel));
  expect_streaming_changes_nothing("token_probes", {"token_probes/results.csv", "token_probes/summary.csv"},
                                   "features held (float16)", "streamed in");
}

TEST(BoundedMemory, ScalarMixStreamsUnderABudgetWithTheTablesOfHeldFeatures) {
  ASSERT_TRUE(fs::exists(kModel));
  expect_streaming_changes_nothing("scalar_mix", {"scalar_mix/weights.csv", "scalar_mix/cumulative.csv", "scalar_mix/summary.csv"},
                                   "features held (float16)", "streamed in");
}

TEST(BoundedMemory, LinProbesStreamUnderABudgetWithTheTablesOfHeldFeatures) {
  ASSERT_TRUE(fs::exists(kModel));
  expect_streaming_changes_nothing("lin_probes", {"lin_probes/results.csv", "lin_probes/summary.csv"}, "features held (float16)",
                                   "streamed in");
}

TEST(BoundedMemory, StructuralProbeStreamsUnderABudgetWithTheTablesOfHeldSentences) {
  ASSERT_TRUE(fs::exists(kModel));
  expect_streaming_changes_nothing("structural_probe", {"structural_probe/summary.csv"}, "sentences held (float16)",
                                   "streamed in windows");
}

// probe.shuffle: blocks (the epoch order that streams linearly): held and streamed give the same
// tables again, and they differ from those of the full shuffle (the option does something).
TEST(BoundedMemory, BlockShuffledProbesStreamWithTheTablesOfHeldFeaturesAndDifferFromTheFullShuffle) {
  ASSERT_TRUE(fs::exists(kModel));
  const std::vector<std::string> blocks{"probe.shuffle=blocks", "probe.shuffle_block=64"};
  const fs::path token = expect_streaming_changes_nothing("token_probes", {"token_probes/results.csv"},
                                                          "features held (float16)", "streamed in", blocks);
  const Result full = run_bertology({"run", (token / "probing.yaml").string(), "--set",
                                     "study.output_dir=" + (token / "full").string(), "--set", "runtime.memory_gb=8"});
  ASSERT_EQ(full.code, 0) << full.err;
  EXPECT_NE(slurp(token / "held/all-MiniLM-L6-v2/token_probes/results.csv"),
            slurp(token / "full/all-MiniLM-L6-v2/token_probes/results.csv"));
  const std::vector<std::string> sentence_blocks{"probe.shuffle=blocks", "probe.shuffle_block=8"};
  expect_streaming_changes_nothing("structural_probe", {"structural_probe/summary.csv"}, "sentences held (float16)",
                                   "streamed in windows", sentence_blocks);
}

/// Columns of a CSV table but the timing ones (seconds, tokens_per_s).
std::vector<std::vector<std::string>> without_timing(const fs::path& path) {
  auto rows = read_csv(path);
  std::vector<size_t> keep;
  for (size_t c = 0; c < rows.at(0).size(); ++c)
    if (rows[0][c].find("seconds") == std::string::npos && rows[0][c].find("tokens_per_s") == std::string::npos)
      keep.push_back(c);
  for (auto& row : rows) {
    std::vector<std::string> kept;
    for (size_t c : keep) kept.push_back(row.at(c));
    row = kept;
  }
  return rows;
}

TEST(BoundedMemory, MultipleChoiceStagesEncodePerBatchUnderABudgetWithTheRunsOfHeldFeatures) {
  const fs::path dir = scratch("bounded_memory_mcrc");
  const fs::path fixtures = BERTOLOGY_FIXTURES_DIR;
  // Training and test set: the two MC160 fixture stories 250 times over (2,000 questions, ~3.3 MB
  // of features at max_length 40); dev: the stories once.
  const std::string tsv = slurp(fixtures / "mcrc/mc160.dev.first2.tsv"), ans = slurp(fixtures / "mcrc/mc160.dev.first2.ans");
  {
    std::ofstream many_tsv(dir / "many.tsv"), many_ans(dir / "many.ans");
    for (int c = 0; c < 250; ++c) {
      many_tsv << std::regex_replace(tsv, std::regex("mc160\\.dev\\."), "copy" + std::to_string(c) + ".");
      many_ans << ans;
    }
  }
  std::ofstream(dir / "si.yaml") << "model:\n  path: " << (fixtures / "models/tiny_mlm_gelu").string() << "\n  threads: 2\n"
                                 << "mcrc:\n  name: MC160\n  format: mctest\n  train: " << (dir / "many.tsv").string()
                                 << "\n  dev: " << (fixtures / "mcrc/mc160.dev.first2.tsv").string()
                                 << "\n  test: " << (dir / "many.tsv").string()
                                 << "\n  max_length: 40\n  lr: 0.001\n  epochs: 1\n  batch_size: 32\n  attacks: [AddSent2Opt-Shuffle]\n";
  const auto run = [&](const std::string& name, const std::string& stages, const std::string& memory_gb) {
    return run_bertology({"run", (dir / "si.yaml").string(), "--set", "study.output_dir=" + (dir / name).string(),
                          "--set", "cache.dir=" + (dir / ("cache_" + name)).string(), "--set", "stages=" + stages,
                          "--set", "runtime.memory_gb=" + memory_gb});
  };
  // The smallest budget of `stage`, from its one-line refusal; nothing is written.
  const auto smallest_budget = [&](const std::string& stage) {
    const Result refused = run("encoded", "[" + stage + "]", "0.0625");
    EXPECT_NE(refused.code, 0);
    EXPECT_FALSE(fs::exists(dir / "encoded/tiny_mlm_gelu" / stage / "stage.json"));
    std::smatch need;
    EXPECT_TRUE(std::regex_search(refused.err, need, std::regex("runtime\\.memory_gb: " + stage + " needs at least ([0-9.]+) "
                                                                "MiB besides the features it holds \\(.*text.*batch's activations")))
        << refused.err;
    return need.empty() ? std::string("8") : std::to_string((std::stod(need[1]) + 2.0) / 1024.0);
  };
  const Result held = run("held", "[mcrc_finetune, mcrc_attacks]", "8");
  ASSERT_EQ(held.code, 0) << held.err;
  EXPECT_NE(held.out.find("features: train held"), std::string::npos) << held.out;
  const Result finetune = run("encoded", "[mcrc_finetune]", smallest_budget("mcrc_finetune"));
  ASSERT_EQ(finetune.code, 0) << finetune.err;
  EXPECT_NE(finetune.out.find("features: train encoded per batch, dev held"), std::string::npos) << finetune.out;
  const Result attacks = run("encoded", "[mcrc_attacks]", smallest_budget("mcrc_attacks"));
  ASSERT_EQ(attacks.code, 0) << attacks.err;
  EXPECT_NE(attacks.out.find("features encoded per batch"), std::string::npos) << attacks.out;
  const fs::path a = dir / "held/tiny_mlm_gelu", b = dir / "encoded/tiny_mlm_gelu";
  EXPECT_EQ(slurp(a / "mcrc_finetune/test_predictions.csv"), slurp(b / "mcrc_finetune/test_predictions.csv"));
  EXPECT_EQ(without_timing(a / "mcrc_finetune/regimes.csv"), without_timing(b / "mcrc_finetune/regimes.csv"));
  EXPECT_EQ(without_timing(a / "mcrc_finetune/epochs.csv"), without_timing(b / "mcrc_finetune/epochs.csv"));
  EXPECT_EQ(slurp(a / "mcrc_attacks/attacks.csv"), slurp(b / "mcrc_attacks/attacks.csv"));
  EXPECT_EQ(slurp(a / "mcrc_attacks/per_question.csv"), slurp(b / "mcrc_attacks/per_question.csv"));
}

}  // namespace
}  // namespace bertology::test
