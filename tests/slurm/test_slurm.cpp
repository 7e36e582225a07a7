// `bertology slurm` against a real single-node Slurm (Debian's slurm-wlm, started by this test with
// scripts/slurm-local.sh): submit the quickstart and compare with a direct mpirun run, requeue a
// running extraction, preemption signal -> flush -> requeue -> resume, a failed job cancels its
// dependants, injection attempts, sweeps that skip complete units.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <ctime>
#include <regex>
#include <thread>

#include "tests/support/process.h"

namespace fs = std::filesystem;
using namespace bertology::test;

namespace {

const fs::path kSource = BERTOLOGY_SOURCE_DIR;
const fs::path kFixtures = BERTOLOGY_FIXTURES_DIR;
const std::string kQuickstart = (kSource / "configs" / "studies" / "quickstart.yaml").string();

/// Brings a private Slurm up for the whole suite and down at the end.
class SlurmEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    base_ = "/tmp/btl-slurm-" + std::to_string(::getpid());
    auto r = run_sh(shell_quote((kSource / "scripts" / "slurm-local.sh").string()) + " up " + base_);
    ASSERT_EQ(r.code, 0) << "could not start Slurm (needs root and slurm-wlm: scripts/setup.sh installs it)\n"
                         << r.out << r.err;
    setenv("SLURM_CONF", (base_ + "/slurm.conf").c_str(), 1);
  }
  void TearDown() override {
    run_sh(shell_quote((kSource / "scripts" / "slurm-local.sh").string()) + " down " + base_);
    fs::remove_all(base_);
  }

 private:
  std::string base_;
};
testing::Environment* const slurm_env = testing::AddGlobalTestEnvironment(new SlurmEnvironment);

/// Job ids printed by `bertology slurm --submit`.
std::map<std::string, std::string> submitted_ids(const std::string& out) {
  std::map<std::string, std::string> ids;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(submitted extraction array (\d+))"))) ids["extract"] = m[1];
  if (std::regex_search(out, m, std::regex(R"(submitted stages array (\d+))"))) ids["stages"] = m[1];
  return ids;
}

/// The state of a job (and of its array tasks), e.g. "COMPLETED", "CANCELLED", "PENDING"; "" when unknown.
std::string job_states(const std::string& id) {
  auto r = run_sh("scontrol show job " + id + " 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\\n' ' '");
  return r.out;
}

/// Waits until none of the jobs is pending or running (timeout in seconds).
bool wait_jobs(const std::vector<std::string>& ids, int timeout_s) {
  for (int i = 0; i < timeout_s * 5; ++i) {
    bool active = false;
    for (const auto& id : ids) {
      if (id.empty()) continue;
      const std::string s = job_states(id);
      active |= s.find("PENDING") != std::string::npos || s.find("RUNNING") != std::string::npos ||
                s.find("REQUEUE") != std::string::npos || s.find("COMPLETING") != std::string::npos ||
                s.find("CONFIGURING") != std::string::npos;
    }
    if (!active) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

/// slurmctld holds a requeued batch job for about two minutes (Reason=BeginTime); a test has no
/// reason to wait that long, so it makes the job eligible at once, as an administrator could.
bool release_requeued(const std::string& id) {
  for (int i = 0; i < 300; ++i) {
    auto r = run_sh("scontrol show job " + id + " 2>/dev/null");
    if (r.out.find("Reason=BeginTime") != std::string::npos)
      return run_sh("scontrol update JobId=" + id + " StartTime=now").code == 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::map<std::string, std::string> chunk_digests(const fs::path& cache) {
  std::map<std::string, std::string> out;
  for (const auto& d : fs::directory_iterator(cache))
    for (const auto& f : fs::directory_iterator(d.path())) {
      const std::string name = f.path().filename().string();
      if (name.rfind("chunk_", 0) == 0 && f.path().extension() == ".h5")
        out[name] = run_sh("sha256sum " + shell_quote(f.path().string())).out.substr(0, 64);
    }
  return out;
}

/// Waits until `path` contains `text` (the requeued run has started), up to timeout_s seconds.
bool wait_for_text(const fs::path& path, const std::string& text, int timeout_s) {
  for (int i = 0; i < timeout_s * 5; ++i) {
    if (fs::exists(path) && slurp(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

bool manifest_present(const fs::path& cache) {
  std::error_code ec;
  if (!fs::exists(cache, ec)) return false;
  for (const auto& d : fs::directory_iterator(cache))
    if (fs::exists(d.path() / "manifest.json")) return true;
  return false;
}

bool some_chunk_done(const fs::path& cache) {
  std::error_code ec;
  if (!fs::exists(cache, ec)) return false;
  for (const auto& d : fs::directory_iterator(cache, ec))
    for (const auto& f : fs::directory_iterator(d.path(), ec))
      if (f.path().string().find(".done.json") != std::string::npos) return true;
  return false;
}

/// The quickstart run directly with mpirun, 2 ranks x 1 thread: the reference for the Slurm runs.
const std::map<std::string, std::string>& direct_reference() {
  static const std::map<std::string, std::string> ref = [] {
    const fs::path d = scratch("direct");
    auto r = run_sh("mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 " +
                    bertology_cmd({"run", kQuickstart, "--set", "cache.dir=" + (d / "cache").string(), "--set",
                                   "study.output_dir=" + (d / "results").string(), "--set", "model.threads=1"}));
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    return chunk_digests(d / "cache");
  }();
  return ref;
}

std::vector<std::string> quickstart_args(const fs::path& d, std::vector<std::string> extra = {}) {
  // Paths with spaces on purpose: they must survive rendering, sbatch and the scripts.
  std::vector<std::string> args = {"slurm", kQuickstart, "--out", (d / "job dir").string(), "--set",
                                   "cache.dir=" + (d / "cache dir").string(), "--set",
                                   "study.output_dir=" + (d / "results dir").string(), "--set", "slurm.ntasks=2", "--set",
                                   "slurm.cpus_per_task=1", "--set", "slurm.time_extract=00:10:00"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(Slurm, QuickstartThroughSlurmEqualsDirectMpirun) {
  const auto& ref = direct_reference();
  ASSERT_FALSE(ref.empty());
  const fs::path d = scratch("submit");
  auto args = quickstart_args(d);
  args.push_back("--submit");
  auto r = run_bertology(args);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto ids = submitted_ids(r.out);
  ASSERT_TRUE(ids.count("extract") && ids.count("stages")) << r.out;
  ASSERT_TRUE(wait_jobs({ids["extract"], ids["stages"]}, 300)) << job_states(ids["extract"]);
  EXPECT_NE(job_states(ids["extract"]).find("COMPLETED"), std::string::npos) << job_states(ids["extract"]);
  EXPECT_NE(job_states(ids["stages"]).find("COMPLETED"), std::string::npos) << job_states(ids["stages"]);
  EXPECT_EQ(chunk_digests(d / "cache dir"), ref);
  const std::string log = slurp(d / "job dir" / "logs" / ("extract_" + ids["extract"] + "_0.out"));
  EXPECT_NE(log.find("2 rank(s)"), std::string::npos) << log;  // srun --mpi=pmix started 2 MPI ranks

  // Rendering again finds the unit complete: no extraction job, only stages.
  auto again = run_bertology(quickstart_args(d));
  EXPECT_NE(again.out.find("1 already complete"), std::string::npos) << again.out;
  EXPECT_FALSE(fs::exists(d / "job dir" / "extract.sbatch")) << "stale script should not be rendered";
}

TEST(Slurm, RequeuedExtractionResumesToTheSameBytes) {
  const auto& ref = direct_reference();
  const fs::path d = scratch("requeue");
  auto args = quickstart_args(d, {"--set", "slurm.env=[BERTOLOGY_DEBUG_BATCH_DELAY_MS=250]", "--submit"});
  auto r = run_bertology(args);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto ids = submitted_ids(r.out);
  const fs::path cache = d / "cache dir";
  for (int i = 0; i < 600 && !some_chunk_done(cache); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(some_chunk_done(cache));
  ASSERT_FALSE(manifest_present(cache)) << "finished before the requeue";
  auto q = run_sh("scontrol requeue " + ids["extract"] + "_0");
  ASSERT_EQ(q.code, 0) << q.err;
  ASSERT_TRUE(release_requeued(ids["extract"] + "_0"));
  // The requeued run must start before "no job active" means "done" (on a loaded machine the
  // released job can sit between states that squeue shows as neither pending nor running).
  const fs::path out_log = d / "job dir" / "logs" / ("extract_" + ids["extract"] + "_0.out");
  ASSERT_TRUE(wait_for_text(out_log, "(restart 1)", 400)) << job_states(ids["extract"]) << slurp(out_log);
  ASSERT_TRUE(wait_jobs({ids["extract"], ids["stages"]}, 400)) << job_states(ids["extract"]);
  EXPECT_NE(job_states(ids["stages"]).find("COMPLETED"), std::string::npos) << job_states(ids["stages"]);
  const std::string log = slurp(d / "job dir" / "logs" / ("extract_" + ids["extract"] + "_0.out"));
  EXPECT_NE(log.find("(restart 1)"), std::string::npos) << log;
  EXPECT_EQ(chunk_digests(cache), ref);
}

TEST(Slurm, PreemptionSignalFlushesRequeuesAndResumes) {
  const auto& ref = direct_reference();
  const fs::path d = scratch("preempt");
  auto r = run_bertology(quickstart_args(d, {"--set", "slurm.env=[BERTOLOGY_DEBUG_BATCH_DELAY_MS=250]", "--submit"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto ids = submitted_ids(r.out);
  const fs::path cache = d / "cache dir";
  for (int i = 0; i < 600 && !some_chunk_done(cache); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(some_chunk_done(cache));
  ASSERT_FALSE(manifest_present(cache));
  // What --signal=B:USR1@N does before the time limit: USR1 to the batch script only.
  auto s = run_sh("scancel --batch --signal=USR1 " + ids["extract"] + "_0");
  ASSERT_EQ(s.code, 0) << s.err;
  ASSERT_TRUE(release_requeued(ids["extract"] + "_0")) << "the job did not requeue itself";
  const fs::path out_log = d / "job dir" / "logs" / ("extract_" + ids["extract"] + "_0.out");
  ASSERT_TRUE(wait_for_text(out_log, "(restart 1)", 400)) << job_states(ids["extract"]) << slurp(out_log);
  ASSERT_TRUE(wait_jobs({ids["extract"], ids["stages"]}, 400)) << job_states(ids["extract"]);
  const std::string log = slurp(d / "job dir" / "logs" / ("extract_" + ids["extract"] + "_0.out"));
  EXPECT_NE(log.find("requeueing job"), std::string::npos) << log;
  EXPECT_NE(log.find("(restart 1)"), std::string::npos) << log;
  EXPECT_NE(job_states(ids["stages"]).find("COMPLETED"), std::string::npos);
  EXPECT_EQ(chunk_digests(cache), ref);
}

TEST(Slurm, FailedExtractionCancelsItsDependants) {
  const fs::path d = scratch("fail");
  std::ofstream(d / "site setup.sh") << "echo 'site setup failed' >&2\nexit 3\n";
  auto r = run_bertology(quickstart_args(d, {"--set", "slurm.source=[\"" + (d / "site setup.sh").string() + "\"]", "--submit"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto ids = submitted_ids(r.out);
  ASSERT_TRUE(wait_jobs({ids["extract"], ids["stages"]}, 120)) << job_states(ids["stages"]);
  EXPECT_NE(job_states(ids["extract"]).find("FAILED"), std::string::npos) << job_states(ids["extract"]);
  EXPECT_NE(job_states(ids["stages"]).find("CANCELLED"), std::string::npos) << job_states(ids["stages"]);
  EXPECT_FALSE(fs::exists(d / "job dir" / "logs" / ("stages_" + ids["stages"] + "_0.out")));
}

TEST(Slurm, InjectionInConfigValuesIsRejectedOrInert) {
  const fs::path d = scratch("inject");
  const fs::path pwned = d / "pwned";
  // Site values that reach #SBATCH lines are validated: rejected with the key's position.
  std::ofstream(d / "site.yaml") << "slurm:\n  partition: \"debug; touch " << pwned.string() << "\"\n";
  auto r = run_bertology({"slurm", kQuickstart, (d / "site.yaml").string(), "--out", (d / "jobs").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((d / "site.yaml").string() + ":2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slurm.partition"), std::string::npos) << r.err;
  auto r2 = run_bertology({"slurm", kQuickstart, "--out", (d / "jobs").string(), "--set",
                           "slurm.extra_sbatch=[\"--comment=x\\n#SBATCH --wrap=touch\"]"});
  EXPECT_EQ(r2.code, 2) << r2.out;
  auto r3 = run_bertology({"slurm", kQuickstart, "--out", (d / "jobs").string(), "--set", "slurm.modules=[\"gcc; rm -rf /\"]"});
  EXPECT_EQ(r3.code, 2) << r3.out;
  EXPECT_FALSE(fs::exists(pwned));

  // Values that are meant to be free text are quoted and stay inert when the job runs.
  // Placeholders of the job template in a value are text too (the template is filled in one pass).
  const std::string evil = "$(touch " + pwned.string() + ")`touch " + pwned.string() + "`';touch " + pwned.string() +
                           ";' {{UNITS}}{{BINARY}}";
  auto ok = run_bertology(quickstart_args(d, {"--set", "slurm.env=[\"EVIL=" + evil + "\"]", "--submit"}));
  ASSERT_EQ(ok.code, 0) << ok.out << ok.err;
  auto ids = submitted_ids(ok.out);
  ASSERT_TRUE(wait_jobs({ids["extract"], ids["stages"]}, 300));
  EXPECT_NE(job_states(ids["stages"]).find("COMPLETED"), std::string::npos);
  EXPECT_FALSE(fs::exists(pwned)) << "a config value was executed";
  const std::string script = slurp(d / "job dir" / "extract.sbatch");
  EXPECT_NE(script.find("export EVIL='"), std::string::npos) << script;
  EXPECT_NE(script.find("{{UNITS}}{{BINARY}}"), std::string::npos) << script;
}

TEST(Slurm, SweepRendersOneUnitPerModelAndSkipsCompleteOnes) {
  const fs::path d = scratch("sweep");
  std::ofstream(d / "corpus.txt") << "the cat sat on the mat .\na dog ran\n";
  std::ofstream(d / "study.yaml") << "study:\n  name: sweep\ncorpus:\n  path: corpus.txt\n  format: text\ncache:\n  dir: cache\n";
  const std::string a = (kFixtures / "models" / "tiny_mlm_gelu").string(), b = (kFixtures / "models" / "tiny_base_relu").string();
  // Unit A complete already.
  ASSERT_EQ(run_bertology({"extract", (d / "study.yaml").string(), "--set", "model.path=" + a}).code, 0);
  auto r = run_bertology({"slurm", (d / "study.yaml").string(), "--model", a, "--model", b, "--out", (d / "jobs").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rendered 2 unit(s) (1 already complete"), std::string::npos) << r.out;
  const std::string extract = slurp(d / "jobs" / "extract.sbatch"), stages = slurp(d / "jobs" / "stages.sbatch");
  EXPECT_NE(extract.find("#SBATCH --array=0-0"), std::string::npos);
  EXPECT_NE(extract.find("unit_001.yaml"), std::string::npos);
  EXPECT_EQ(extract.find("unit_000.yaml"), std::string::npos);
  EXPECT_NE(stages.find("#SBATCH --array=0-1"), std::string::npos);
  EXPECT_NE(slurp(d / "jobs" / "units" / "unit_001.yaml").find(b), std::string::npos);
  // The same through a sweep file.
  std::ofstream(d / "sweep.yaml") << "sweep:\n  models: [" << a << ", " << b << "]\n";
  auto r2 = run_bertology({"slurm", (d / "study.yaml").string(), (d / "sweep.yaml").string(), "--out", (d / "jobs2").string()});
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_NE(r2.out.find("rendered 2 unit(s)"), std::string::npos) << r2.out;
}

/// Every file of a log folder, for failure messages.
std::string slurp_logs(const fs::path& dir) {
  std::string all;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) all += "==> " + f.path().string() + "\n" + slurp(f.path());
  return all;
}

/// EndTime/StartTime (seconds since the epoch) of every task of a job, from scontrol.
std::vector<std::pair<int64_t, int64_t>> task_times(const std::string& id) {
  std::vector<std::pair<int64_t, int64_t>> out;
  auto r = run_sh("scontrol -o show job " + id + " 2>/dev/null");
  std::istringstream lines(r.out);
  std::string line;
  const auto epoch = [](const std::string& text, const std::string& key) -> int64_t {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(key + R"(=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d))"))) return -1;
    std::tm tm{};
    strptime(m[1].str().c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    tm.tm_isdst = -1;
    return static_cast<int64_t>(mktime(&tm));
  };
  while (std::getline(lines, line))
    if (line.find("JobId=") != std::string::npos) out.emplace_back(epoch(line, "StartTime"), epoch(line, "EndTime"));
  return out;
}

// A campaign of two studies on two models (issue #17): one extraction array over the campaign's
// units, then one stages array over the four runs, afterok; every chunk computed once; a
// resubmission skips the complete units and submits only the stages.
TEST(Slurm, CampaignOfTwoStudiesOnTwoModels) {
  const fs::path d = scratch("campaign");
  const std::string a = (kFixtures / "models" / "tiny_mlm_gelu").string(), b = (kFixtures / "models" / "tiny_base_relu").string();
  const std::string common = "  path: " + (kFixtures / "corpus" / "ewt_dev_first30.conllu").string() +
                             "\n  format: conllu\ntokenizer:\n  max_length: 32\ninput:\n  overlong: truncate\n"
                             "model:\n  threads: 1\n";
  std::ofstream(d / "attention.yaml") << "study:\n  name: attention\ncorpus:\n" << common
                                      << "extract:\n  layers: [0]\n  attention: true\nstages: [attention_patterns]\n";
  std::ofstream(d / "probing.yaml") << "study:\n  name: probing\ncorpus:\n" << common
                                    << "extract:\n  word_pooling: mean\nprobe:\n  layers: [0, 1]\n  seeds: 1\n"
                                       "  max_epochs: 2\n  tasks: [upos]\nstages: [token_probes]\n";
  std::ofstream(d / "campaign.yaml") << "campaign:\n  name: pair\n  output_dir: results\n"
                                        "  studies: [attention.yaml, probing.yaml]\ncache:\n  dir: cache\n";
  const std::vector<std::string> args = {"slurm", (d / "campaign.yaml").string(), "--model", a, "--model", b,
                                         "--out", (d / "jobs").string(), "--set", "slurm.ntasks=1",
                                         "--set", "slurm.cpus_per_task=1"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = args;
    all.insert(all.end(), extra.begin(), extra.end());
    return run_bertology(all);
  };
  // Per model: the corpus (attention + word vectors, one unit for both studies) and the sentence
  // pairs attention_patterns reads.
  auto r = with({"--submit"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("rendered 4 extraction unit(s) (0 already complete in the cache) and 4 run(s)"), std::string::npos) << r.out;
  const std::string extract = slurp(d / "jobs" / "extract.sbatch"), stages = slurp(d / "jobs" / "stages.sbatch");
  EXPECT_NE(extract.find("#SBATCH --array=0-3"), std::string::npos);
  EXPECT_NE(extract.find("#SBATCH --job-name=bertology-pair-extract"), std::string::npos) << extract;
  EXPECT_NE(stages.find("#SBATCH --array=0-3"), std::string::npos);
  EXPECT_NE(stages.find("run_003.yaml"), std::string::npos);
  EXPECT_NE(slurp(d / "jobs" / "units" / "unit_000.yaml").find("probing/tiny_mlm_gelu: its corpus"), std::string::npos);
  auto ids = submitted_ids(r.out);
  ASSERT_TRUE(ids.count("extract") && ids.count("stages")) << r.out;
  std::smatch cm;
  ASSERT_TRUE(std::regex_search(r.out, cm, std::regex(R"(submitted compare job (\d+))"))) << r.out;
  const std::string compare_job = cm[1];
  ASSERT_TRUE(wait_jobs({ids["extract"], ids["stages"], compare_job}, 600)) << job_states(ids["stages"]);
  EXPECT_EQ(job_states(compare_job), "JobState=COMPLETED ") << slurp_logs(d / "jobs" / "logs");
  // The compare job ran after the stages and compared both studies on both models.
  const std::string md = slurp(d / "results" / "compare.md");
  EXPECT_NE(md.find("## attention"), std::string::npos) << md;
  EXPECT_NE(md.find("## probing"), std::string::npos) << md;
  EXPECT_NE(md.find("`tiny_base_relu` (L = 1); `tiny_mlm_gelu` (L = 2)."), std::string::npos) << md;
  EXPECT_EQ(job_states(ids["extract"]), "JobState=COMPLETED ") << slurp_logs(d / "jobs" / "logs");
  EXPECT_EQ(job_states(ids["stages"]), "JobState=COMPLETED ") << slurp_logs(d / "jobs" / "logs");
  // afterok: no stages task started before every extraction task ended.
  int64_t extract_end = 0, stages_start = INT64_MAX;
  for (const auto& [start, end] : task_times(ids["extract"])) extract_end = std::max(extract_end, end);
  for (const auto& [start, end] : task_times(ids["stages"])) stages_start = std::min(stages_start, start);
  EXPECT_GT(extract_end, 0);
  EXPECT_LT(stages_start, INT64_MAX) << "no stages task times";
  EXPECT_GE(stages_start, extract_end);
  for (const char* study : {"attention", "probing"})
    for (const fs::path model : {a, b})
      EXPECT_TRUE(fs::exists(d / "results" / study / model.filename() / (std::string(study) == "attention" ? "attention_patterns" : "token_probes") / "stage.json"))
          << study << " " << model;
  // One forward pass per unit: 4 entries, each chunk computed once.
  int64_t computed = 0, entries = 0;
  const std::regex computed_line(R"(chunk \d+ computed)");
  for (const auto& e : fs::directory_iterator(d / "cache")) {
    if (!fs::exists(e.path() / "manifest.json")) continue;
    ++entries;
    for (const auto& log : fs::directory_iterator(e.path() / "logs")) {
      const std::string text = slurp(log.path());
      computed += std::distance(std::sregex_iterator(text.begin(), text.end(), computed_line), std::sregex_iterator());
    }
  }
  EXPECT_EQ(entries, 4);
  EXPECT_EQ(computed, 4) << "one chunk per unit here (30 short sentences), computed once";

  // Resubmitted: every unit complete, only the stages array (up to date, it changes nothing).
  auto again = with({"--submit"});
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("rendered 4 extraction unit(s) (4 already complete"), std::string::npos) << again.out;
  EXPECT_FALSE(fs::exists(d / "jobs" / "extract.sbatch"));
  auto ids2 = submitted_ids(again.out);
  EXPECT_FALSE(ids2.count("extract"));
  ASSERT_TRUE(ids2.count("stages"));
  std::smatch cm2;
  ASSERT_TRUE(std::regex_search(again.out, cm2, std::regex(R"(submitted compare job (\d+))"))) << again.out;
  const std::string compare_again = cm2[1];
  ASSERT_TRUE(wait_jobs({ids2["stages"], compare_again}, 300));
  EXPECT_EQ(job_states(ids2["stages"]), "JobState=COMPLETED ");
  EXPECT_EQ(job_states(compare_again), "JobState=COMPLETED ");
}

}  // namespace
