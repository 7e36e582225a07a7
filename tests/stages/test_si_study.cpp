// The Si et al. (2019) study end to end with the real binary: fine-tuning (data-parallel under
// real mpirun), attacks, un-answerable training and the report, on a tiny random model and the
// MCTest fixture; one training step on 2 ranks equals the step on 1 rank; a run killed with
// SIGKILL resumes to exactly the model of an uninterrupted run; configuration errors are one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/model/safetensors.h"
#include "tests/support/process.h"
#include "tests/support/tables.h"

namespace fs = std::filesystem;

namespace bertology::test {
namespace {

const fs::path kFixtures = BERTOLOGY_FIXTURES_DIR;
const std::string kMpirun = "mpirun --allow-run-as-root --oversubscribe --bind-to none";

/// A study on the tiny MLM model (no pooler: pooler and classifier are initialised) and the two
/// MC160 fixture stories (8 questions) as train, dev and test; `extra` is appended.
fs::path write_config(const fs::path& dir, const std::string& extra) {
  const std::string data = (kFixtures / "mcrc/mc160.dev.first2.tsv").string();
  std::ofstream(dir / "si.yaml") << "study:\n  name: si-test\n  output_dir: " << (dir / "results").string() << "\n"
                                 << "model:\n  path: " << (kFixtures / "models/tiny_mlm_gelu").string() << "\n  threads: 1\n"
                                 << "cache:\n  dir: " << (dir / "cache").string() << "\n"
                                 << "mcrc:\n  name: MC160\n  format: mctest\n  train: " << data << "\n  dev: " << data
                                 << "\n  test: " << data << "\n  max_length: 40\n  lr: 0.001\n" << extra;
  return dir / "si.yaml";
}

/// The float32 tensors of a checkpoint's model.safetensors.
std::map<std::string, std::vector<float>> weights(const fs::path& model_dir) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, raw] : read_safetensors((model_dir / "model.safetensors").string())) {
    std::vector<float> v(raw.data.size() / sizeof(float));
    std::memcpy(v.data(), raw.data.data(), raw.data.size());
    out[name] = std::move(v);
  }
  return out;
}

fs::path best_dir(const fs::path& results, const std::string& regime = "original") {
  const auto runs = nlohmann::json::parse(slurp(results / "tiny_mlm_gelu/mcrc_finetune/runs.json"));
  return runs.at("runs").at(regime).at("best_dir").get<std::string>();
}

TEST(SiStudy, WholeStudyWritesBothTablesAndTheReport) {
  const fs::path dir = scratch("si_whole");
  const auto config = write_config(dir, "  epochs: 2\n  batch_size: 4\n  unanswerable: [P-Remove, Q-Shuffle]\n"
                                        "stages: [mcrc_finetune, mcrc_attacks, si_report]\n");
  const auto r = run_bertology({"run", config.string()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const fs::path out = dir / "results/tiny_mlm_gelu";
  const auto regimes = read_csv(out / "mcrc_finetune/regimes.csv");
  ASSERT_EQ(regimes.size(), 4u);  // header, original, P-Remove, Q-Shuffle
  EXPECT_EQ(regimes[1][1], "original");
  EXPECT_EQ(regimes[2][1], "P-Remove");
  EXPECT_EQ(read_csv(out / "mcrc_finetune/epochs.csv").size(), 1u + 3 * 2);
  EXPECT_EQ(read_csv(out / "mcrc_finetune/test_predictions.csv").size(), 1u + 3 * 8);
  const auto attacks = read_csv(out / "mcrc_attacks/attacks.csv");
  ASSERT_EQ(attacks.size(), 1u + 1 + 7);  // original + 7 attacks
  EXPECT_EQ(attacks[1][1], "original");
  EXPECT_EQ(attacks[2][1], "AddSent2Pas-Shuffle");
  EXPECT_EQ(read_csv(out / "mcrc_attacks/per_question.csv").size(), 1u + 7 * 8);
  EXPECT_EQ(read_csv(out / "mcrc_attacks/correlations.csv").size(), 4u);
  // The original accuracy of mcrc_attacks is the test accuracy mcrc_finetune measured.
  EXPECT_EQ(std::stod(attacks[1][3]), std::stod(regimes[1][7]));
  const std::string report = slurp(out / "report.md");
  EXPECT_NE(report.find("## Table 2"), std::string::npos);
  EXPECT_NE(report.find("paper, MC160 (BERT-large)"), std::string::npos);
  EXPECT_NE(report.find("| AddSent2Opt | "), std::string::npos);
  EXPECT_NE(report.find("| P-Remove | "), std::string::npos);
  EXPECT_NE(report.find("| P-Remove | "), std::string::npos);
  EXPECT_NE(report.find(" | 38.7 |"), std::string::npos);  // the paper's P-Remove on MC160
  // The best checkpoint is a BertForMultipleChoice folder Hugging Face-style loaders read.
  const auto config_json = nlohmann::json::parse(slurp(best_dir(dir / "results") / "config.json"));
  EXPECT_EQ(config_json.at("architectures")[0], "BertForMultipleChoice");
  EXPECT_EQ(weights(best_dir(dir / "results")).count("classifier.weight"), 1u);
  // A second run finds every stage up to date and trains nothing.
  const auto again = run_bertology({"run", config.string()});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("mcrc_finetune: up to date"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("mcrc train:"), std::string::npos) << again.out;
}

TEST(SiStudy, OneStepOnTwoRanksEqualsTheStepOnOneRank) {
  const fs::path dir = scratch("si_ranks");
  // One epoch of one global batch of all 8 questions = one optimiser step (no warm-up: its first
  // step has learning rate 0); dropout off so that both runs compute the same function (ranks
  // draw their own dropout masks).
  const auto config = write_config(dir, "  epochs: 1\n  batch_size: 8\n  micro_batch: 2\n  dropout: 0\n  warmup: 0\n  unanswerable: []\n"
                                        "stages: [mcrc_finetune]\n");
  const auto one = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "one").string(),
                                  "--set", "cache.dir=" + (dir / "cache_one").string()});
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_sh(kMpirun + " -np 2 " + bertology_cmd({"run", config.string(), "--set", "study.output_dir=" + (dir / "two").string(),
                                                               "--set", "cache.dir=" + (dir / "cache_two").string()}));
  ASSERT_EQ(two.code, 0) << two.err << two.out;
  const auto a = weights(best_dir(dir / "one")), b = weights(best_dir(dir / "two"));
  // The step changed the encoder (so the comparison below compares trained weights): Adam moves
  // every weight with a non-zero gradient by about the learning rate.
  double moved = 0;
  for (const auto& [name, raw] : read_safetensors((kFixtures / "models/tiny_mlm_gelu/model.safetensors").string())) {
    if (!a.count(name) || raw.dtype != DType::F32) continue;
    std::vector<float> start(raw.data.size() / sizeof(float));
    std::memcpy(start.data(), raw.data.data(), raw.data.size());
    const auto& now = a.at(name);
    for (size_t i = 0; i < start.size() && i < now.size(); ++i)
      moved = std::max(moved, std::fabs(static_cast<double>(now[i] - start[i])));
  }
  EXPECT_GT(moved, 5e-4);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, va] : a) {
    const auto& vb = b.at(name);
    ASSERT_EQ(va.size(), vb.size()) << name;
    double diff = 0;
    for (size_t i = 0; i < va.size(); ++i) diff = std::max(diff, std::fabs(static_cast<double>(va[i] - vb[i])));
    EXPECT_LT(diff, 1e-6) << name;
  }
  EXPECT_NE(slurp(dir / "two/tiny_mlm_gelu/mcrc_finetune/runs.json").find("\"allreduce\": \"mpi\""), std::string::npos);
}

TEST(SiStudy, KilledRunResumesToTheUninterruptedModel) {
  const fs::path dir = scratch("si_kill");
  // 2 epochs x 4 steps, checkpoints every 2 steps, dropout on; the kill comes after step 3, so
  // the rerun restarts from step 2 and redoes step 3 with the same dropout masks.
  const auto config = write_config(dir, "  epochs: 2\n  batch_size: 2\n  checkpoint_every: 2\n  unanswerable: []\n"
                                        "stages: [mcrc_finetune]\n");
  const auto whole = run_bertology({"run", config.string(), "--set", "study.output_dir=" + (dir / "whole").string(),
                                    "--set", "cache.dir=" + (dir / "cache_whole").string()});
  ASSERT_EQ(whole.code, 0) << whole.err;
  const std::vector<std::string> args = {"run", config.string(), "--set", "study.output_dir=" + (dir / "killed").string(),
                                         "--set", "cache.dir=" + (dir / "cache_killed").string()};
  const auto killed = run_sh("BERTOLOGY_FAULT_KILL_AT_STEP=3 " + bertology_cmd(args));
  EXPECT_EQ(killed.code, 128 + 9) << killed.err;
  EXPECT_FALSE(fs::exists(dir / "killed/tiny_mlm_gelu/mcrc_finetune/stage.json"));
  const auto resumed = run_bertology(args);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("at step 2 of 8"), std::string::npos) << resumed.out;
  const auto a = weights(best_dir(dir / "whole")), b = weights(best_dir(dir / "killed"));
  for (const auto& [name, va] : a) EXPECT_EQ(va, b.at(name)) << name;
  // Same dev accuracies and losses per epoch.
  const auto ea = read_csv(dir / "whole/tiny_mlm_gelu/mcrc_finetune/epochs.csv");
  const auto eb = read_csv(dir / "killed/tiny_mlm_gelu/mcrc_finetune/epochs.csv");
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t r = 0; r < ea.size(); ++r)
    for (size_t c = 0; c + 1 < ea[r].size(); ++c) EXPECT_EQ(ea[r][c], eb[r][c]);  // all but seconds
}

TEST(SiStudy, SigtermSavesTheStateAndExitsForRequeue) {
  const fs::path dir = scratch("si_sigterm");
  // Long enough (1000 epochs of 2 steps) that the signal always arrives mid-training.
  const auto config = write_config(dir, "  epochs: 1000\n  batch_size: 4\n  checkpoint_every: 5\n  unanswerable: []\n"
                                        "stages: [mcrc_finetune]\n");
  const std::string state = (dir / "cache/mcrc").string();
  const auto stopped = run_sh("( " + bertology_cmd({"run", config.string()}) + " & pid=$!; "
                              "for i in $(seq 600); do ls " + shell_quote(state) + "/*/state/state.json >/dev/null 2>&1 && break; sleep 0.05; done; "
                              "kill -TERM $pid; wait $pid )");
  EXPECT_EQ(stopped.code, 75) << stopped.err << stopped.out;  // requeue
  EXPECT_NE(stopped.err.find("stopped by signal 15"), std::string::npos) << stopped.err;
  // The signal lands in a training step (the state is saved then) or in an epoch's dev
  // evaluation (the last periodic state stays the resume point).
  EXPECT_FALSE(fs::exists(dir / "results/tiny_mlm_gelu/mcrc_finetune/stage.json"));
  // The state a rerun resumes from (resuming itself is KilledRunResumesToTheUninterruptedModel).
  const auto saved = nlohmann::json::parse(slurp(fs::directory_iterator(state)->path() / "state/state.json"));
  EXPECT_GT(saved.at("steps").get<int64_t>(), 0);
  EXPECT_LT(saved.at("steps").get<int64_t>(), 2000);
}

TEST(SiStudy, SlurmGraphHasNoExtractionJob) {
  const fs::path dir = scratch("si_slurm");
  const auto config = write_config(dir, "stages: [mcrc_finetune, mcrc_attacks, si_report]\n");
  const auto r = run_bertology({"slurm", config.string(), "--out", (dir / "jobs").string(), "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("[no extraction"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "jobs/extract.sbatch"));
  EXPECT_NE(slurp(dir / "jobs/stages.sbatch").find(" run "), std::string::npos);
}

TEST(SiStudy, ConfigurationErrorsAreOneLine) {
  const fs::path dir = scratch("si_errors");
  const auto config = write_config(dir, "stages: [mcrc_finetune]\n");
  std::ofstream(dir / "no_train.yaml") << "model:\n  path: " << (kFixtures / "models/tiny_mlm_gelu").string()
                                        << "\nstages: [mcrc_finetune]\n";
  auto r = run_bertology({"run", (dir / "no_train.yaml").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("mcrc.train: not set"), std::string::npos) << r.err;
  r = run_bertology({"run", config.string(), "--set", "mcrc.attacks=[AddSent2Pas]", "--set", "stages=[mcrc_attacks]"});
  EXPECT_EQ(r.code, 2);
  r = run_bertology({"run", config.string(), "--set", "mcrc.unanswerable=[P-Scramble]"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("P-Scramble"), std::string::npos) << r.err;
  std::ofstream(dir / "broken.tsv") << "mc160.x.0\tAuthor\tA story.\tone: Who?\ta\tb\n";
  std::ofstream(dir / "broken.ans") << "A\tB\tC\tD\n";
  r = run_bertology({"run", config.string(), "--set", "mcrc.train=" + (dir / "broken.tsv").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((dir / "broken.tsv").string() + ":1"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace bertology::test
