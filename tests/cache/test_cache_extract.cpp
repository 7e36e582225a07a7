// The activation cache end to end, with the real binary and real `mpirun`: byte-identical chunks
// for any rank count, kill -9 and resume, SIGTERM/SIGUSR1 and requeue, corrupt chunks, reuse,
// concurrent runs, dry run. Each test compares against a clean single-rank run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/process.h"

namespace fs = std::filesystem;
using namespace bertology::test;

namespace {

const fs::path kFixtures = BERTOLOGY_FIXTURES_DIR;
const std::string kMpirun = "mpirun --allow-run-as-root --oversubscribe --bind-to none";

/// A study config on the tiny fixture model and 30 UD EWT sentences, cut into many small chunks.
fs::path write_config(const fs::path& dir, const fs::path& cache, const std::string& extra = "") {
  std::ofstream(dir / "study.yaml") << "model:\n  path: " << (kFixtures / "models" / "tiny_mlm_gelu").string()
                                    << "\n  threads: 1\n"
                                       "corpus:\n  path: " << (kFixtures / "corpus" / "ewt_dev_first30.conllu").string()
                                    << "\n  format: conllu\n"
                                       "extract:\n  attention: true\n  word_pooling: mean\n  chunk_tokens: 160\n"
                                       "  batch_tokens: 256\n"
                                       // the tiny model takes 40 wordpieces; its letter vocabulary splits words finely
                                       "input:\n  overlong: truncate\n"
                                    << extra << "cache:\n  dir: " << cache.string() << "\n";
  return dir / "study.yaml";
}

/// The single entry directory under a cache root.
fs::path entry_of(const fs::path& cache) {
  std::vector<fs::path> entries;
  for (const auto& d : fs::directory_iterator(cache))
    if (d.is_directory()) entries.push_back(d.path());
  EXPECT_EQ(entries.size(), 1u) << cache;
  return entries.empty() ? fs::path() : entries[0];
}

/// chunk file name -> sha256 computed from the bytes (not trusting the records).
std::map<std::string, std::string> chunk_digests(const fs::path& entry) {
  std::map<std::string, std::string> out;
  for (const auto& f : fs::directory_iterator(entry)) {
    const std::string name = f.path().filename().string();
    if (name.rfind("chunk_", 0) == 0 && f.path().extension() == ".h5") {
      auto r = run_sh("sha256sum " + shell_quote(f.path().string()));
      out[name] = r.out.substr(0, 64);
    }
  }
  return out;
}

/// The clean single-rank reference, computed once for all tests.
const std::map<std::string, std::string>& reference_digests() {
  static const std::map<std::string, std::string> digests = [] {
    const fs::path d = scratch("reference");
    auto cfg = write_config(d, d / "cache");
    auto r = run_bertology({"extract", cfg.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    return chunk_digests(entry_of(d / "cache"));
  }();
  return digests;
}

bool no_temp_files(const fs::path& entry) {
  for (const auto& f : fs::directory_iterator(entry))
    if (f.path().filename().string().find(".tmp.") != std::string::npos) return false;
  return true;
}

/// Starts `cmd` in the background (exec'd, own process group); returns its pid.
pid_t spawn(const std::string& cmd, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const std::string full = "exec " + cmd + " >" + log.string() + ".out 2>" + log.string() + ".err";
    execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Waits until some chunk of the entry under `cache` is finished (and the run is not).
bool wait_for_first_chunk(const fs::path& cache) {
  for (int i = 0; i < 600; ++i) {
    std::error_code ec;
    if (fs::exists(cache, ec))
      for (const auto& d : fs::directory_iterator(cache, ec))
        if (fs::exists(d.path() / "chunk_00000.done.json") || fs::exists(d.path() / "chunk_00001.done.json"))
          return !fs::exists(d.path() / "manifest.json");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(CacheExtract, ReferenceHasSeveralChunksAndHdf5ReadableByH5py) {
  const auto& ref = reference_digests();
  EXPECT_GE(ref.size(), 4u);
  const fs::path d = scratch("h5py");
  auto cfg = write_config(d, d / "cache");
  ASSERT_EQ(run_bertology({"extract", cfg.string()}).code, 0);
  const fs::path chunk = entry_of(d / "cache") / "chunk_00000.h5";
  auto r = run_sh("/usr/bin/python3 -c " + shell_quote(
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1])\n"
      "h = f['hidden/layer_00']\n"
      "assert h.dtype == 'float16', h.dtype\n"
      "assert h.shape[0] == f['tokens/input_ids'].shape[0] == f['sequences/offsets'][-1]\n"
      "assert f['attention/layer_01'].shape[0] == f['attention/offsets'][-1]\n"
      "print(f.attrs['layer_convention'])\n") + " " + shell_quote(chunk.string()));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("embedding output"), std::string::npos);
}

TEST(CacheExtract, AnyRankCountGivesByteIdenticalChunks) {
  const auto& ref = reference_digests();
  for (int np : {1, 2, 3}) {
    const fs::path d = scratch("np" + std::to_string(np));
    auto cfg = write_config(d, d / "cache");
    auto r = run_sh(kMpirun + " -np " + std::to_string(np) + " " + bertology_cmd({"extract", cfg.string()}));
    ASSERT_EQ(r.code, 0) << "np=" << np << "\n" << r.out << r.err;
    EXPECT_EQ(chunk_digests(entry_of(d / "cache")), ref) << "np=" << np;
    EXPECT_NE(r.out.find(std::to_string(np) + " rank(s)"), std::string::npos) << r.out;
  }
}

TEST(CacheExtract, KillNineOfOneRankThenResumeIsByteIdentical) {
  const fs::path d = scratch("kill9");
  auto cfg = write_config(d, d / "cache");
  const std::string cmd = "env BERTOLOGY_DEBUG_BATCH_DELAY_MS=60 " + kMpirun + " -np 2 " + bertology_cmd({"extract", cfg.string()});
  const pid_t mpirun = spawn(cmd, d / "run1");
  ASSERT_TRUE(wait_for_first_chunk(d / "cache")) << slurp(d / "run1.err");
  // kill -9 one rank (a child of mpirun); mpirun then ends the job.
  auto ranks = run_sh("pgrep -P " + std::to_string(mpirun));
  const pid_t rank = std::atoi(ranks.out.c_str());
  ASSERT_GT(rank, 0) << "no rank process found";
  ASSERT_EQ(kill(rank, SIGKILL), 0);
  EXPECT_NE(wait_exit(mpirun), 0);
  const fs::path entry = entry_of(d / "cache");
  EXPECT_FALSE(fs::exists(entry / "manifest.json")) << "the run finished before the kill";

  auto r = run_bertology({"extract", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(chunk_digests(entry), reference_digests());
  // Leftovers of the killed rank are garbage that gc removes; the finished chunks stay.
  auto gc = run_bertology({"cache", "gc", cfg.string()});
  EXPECT_EQ(gc.code, 0) << gc.err;
  EXPECT_TRUE(no_temp_files(entry));
  EXPECT_EQ(chunk_digests(entry), reference_digests());
  EXPECT_EQ(run_bertology({"cache", "verify", cfg.string()}).code, 0);
  // The manifest was rewritten for the recomputed chunk: it names its current bytes.
  const auto manifest = nlohmann::json::parse(slurp(entry / "manifest.json"));
  EXPECT_EQ(manifest.at("chunks")[1].at("sha256").get<std::string>(), chunk_digests(entry).at("chunk_00001.h5"));
}

TEST(CacheExtract, SigtermFlushesExitsWithRequeueCodeAndResumes) {
  const fs::path d = scratch("sigterm");
  auto cfg = write_config(d, d / "cache");
  const pid_t pid = spawn("env BERTOLOGY_DEBUG_BATCH_DELAY_MS=60 " + bertology_cmd({"extract", cfg.string()}), d / "run1");
  ASSERT_TRUE(wait_for_first_chunk(d / "cache"));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(pid), 75);
  EXPECT_NE(slurp(d / "run1.err").find("requeue"), std::string::npos) << slurp(d / "run1.err");
  const fs::path entry = entry_of(d / "cache");
  EXPECT_FALSE(fs::exists(entry / "manifest.json"));
  EXPECT_TRUE(no_temp_files(entry)) << "an abandoned chunk left its temporary file";
  // Every chunk that has a record is complete and correct already.
  const auto partial = chunk_digests(entry);
  EXPECT_GE(partial.size(), 1u);
  for (const auto& [name, digest] : partial) EXPECT_EQ(digest, reference_digests().at(name)) << name;

  auto r = run_bertology({"extract", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(chunk_digests(entry), reference_digests());
}

TEST(CacheExtract, SigusrOneUnderMpirunStopsEveryRank) {
  const fs::path d = scratch("sigusr1");
  auto cfg = write_config(d, d / "cache");
  const pid_t mpirun = spawn("env BERTOLOGY_DEBUG_BATCH_DELAY_MS=60 " + kMpirun + " -np 2 " +
                             bertology_cmd({"extract", cfg.string()}), d / "run1");
  ASSERT_TRUE(wait_for_first_chunk(d / "cache"));
  ASSERT_EQ(kill(mpirun, SIGUSR1), 0);  // mpirun forwards SIGUSR1 to the ranks
  EXPECT_EQ(wait_exit(mpirun), 75) << slurp(d / "run1.err");
  auto r = run_sh(kMpirun + " -np 2 " + bertology_cmd({"extract", cfg.string()}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(chunk_digests(entry_of(d / "cache")), reference_digests());
}

TEST(CacheExtract, CorruptChunkIsFoundByVerifyAndRecomputed) {
  const fs::path d = scratch("corrupt");
  auto cfg = write_config(d, d / "cache");
  ASSERT_EQ(run_bertology({"extract", cfg.string()}).code, 0);
  const fs::path entry = entry_of(d / "cache");
  const fs::path victim = entry / "chunk_00001.h5";
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(fs::file_size(victim) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(fs::file_size(victim) / 2));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  auto v = run_bertology({"cache", "verify", cfg.string()});
  EXPECT_EQ(v.code, 3) << v.out << v.err;
  EXPECT_NE(v.out.find("CORRUPT " + victim.string()), std::string::npos) << v.out;

  // A dry run reports it and changes nothing.
  auto dry = run_bertology({"extract", cfg.string(), "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.err.find("a real run recomputes it"), std::string::npos) << dry.err;
  EXPECT_TRUE(fs::exists(victim));
  EXPECT_TRUE(fs::exists(entry / "chunk_00001.done.json"));

  auto r = run_bertology({"extract", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("chunk_00001.h5"), std::string::npos) << "no warning about the corrupt chunk: " << r.err;
  EXPECT_EQ(chunk_digests(entry), reference_digests());
  EXPECT_EQ(run_bertology({"cache", "verify", cfg.string()}).code, 0);
  // The manifest was rewritten for the recomputed chunk: it names its current bytes.
  const auto manifest = nlohmann::json::parse(slurp(entry / "manifest.json"));
  EXPECT_EQ(manifest.at("chunks")[1].at("sha256").get<std::string>(), chunk_digests(entry).at("chunk_00001.h5"));
}

TEST(CacheExtract, ConcurrentRunsOnOneCacheDirectory) {
  const fs::path d = scratch("concurrent");
  auto cfg = write_config(d, d / "cache");
  const pid_t a = spawn(bertology_cmd({"extract", cfg.string()}), d / "a");
  const pid_t b = spawn(bertology_cmd({"extract", cfg.string()}), d / "b");
  EXPECT_EQ(wait_exit(a), 0) << slurp(d / "a.err");
  EXPECT_EQ(wait_exit(b), 0) << slurp(d / "b.err");
  const fs::path entry = entry_of(d / "cache");
  EXPECT_EQ(chunk_digests(entry), reference_digests());
  EXPECT_TRUE(fs::exists(entry / "manifest.json"));
  EXPECT_EQ(run_bertology({"cache", "verify", cfg.string()}).code, 0);
}

TEST(CacheExtract, SubsetSelectionReusesTheCompleteEntry) {
  const fs::path d = scratch("reuse");
  auto cfg = write_config(d, d / "cache");
  ASSERT_EQ(run_bertology({"extract", cfg.string()}).code, 0);
  auto r = run_bertology({"extract", cfg.string(), "--set", "extract.layers=[1, 2]", "--set", "extract.attention=false"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("reusing cache"), std::string::npos) << r.out;
  EXPECT_EQ(std::distance(fs::directory_iterator(d / "cache"), fs::directory_iterator()), 1);
  // A different setting of the base (dtype) is a new entry.
  auto r2 = run_bertology({"extract", cfg.string(), "--set", "extract.dtype=float32", "--set", "extract.attention=false"});
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(r2.out.find("reusing cache"), std::string::npos);
  EXPECT_EQ(std::distance(fs::directory_iterator(d / "cache"), fs::directory_iterator()), 2);
  auto ls = run_bertology({"cache", "ls", cfg.string()});
  EXPECT_EQ(ls.code, 0);
  EXPECT_NE(ls.out.find("complete"), std::string::npos) << ls.out;
}

/// The number of entry directories under a cache root.
int64_t entry_count(const fs::path& cache) {
  int64_t n = 0;
  for (const auto& d : fs::directory_iterator(cache)) n += d.is_directory();
  return n;
}

// input.overlong: skip stores every sentence the model takes; a smaller tokenizer.max_length is a
// read-time filter, so requests that differ only in it share one entry (issue #17).
TEST(CacheExtract, SkipLimitsShareOneEntryAndSayWhatTheyLeaveOut) {
  const fs::path d = scratch("limits");
  auto cfg = write_config(d, d / "cache");
  auto full = run_bertology({"extract", cfg.string(), "--set", "input.overlong=skip"});
  ASSERT_EQ(full.code, 0) << full.err;
  auto shorter = run_bertology({"extract", cfg.string(), "--set", "input.overlong=skip", "--set", "tokenizer.max_length=24"});
  ASSERT_EQ(shorter.code, 0) << shorter.err;
  EXPECT_EQ(entry_count(d / "cache"), 1);
  EXPECT_NE(shorter.out.find("over tokenizer.max_length 24 are stored for longer limits but left out of this request"),
            std::string::npos) << shorter.out;
  // Truncation changes the bytes: its limit stays in the key.
  auto truncated = run_bertology({"extract", cfg.string(), "--set", "tokenizer.max_length=24"});
  ASSERT_EQ(truncated.code, 0) << truncated.err;
  EXPECT_EQ(entry_count(d / "cache"), 2);
}

// A request for datasets a complete entry of the same forward pass lacks extracts the union (not a
// second partial copy); the union supersedes the old entry, serves both requests from then on, and
// holds the old entry's datasets byte for byte (h5py). `cache gc` removes the superseded entry.
TEST(CacheExtract, MissingDatasetsExtractTheUnionWhichSupersedes) {
  const fs::path d = scratch("union");
  auto cfg = write_config(d, d / "cache");
  const std::vector<std::string> a = {"--set", "extract.layers=[1]", "--set", "extract.attention=false",
                                      "--set", "extract.word_pooling=none"};
  const std::vector<std::string> b = {"--set", "extract.layers=[2]", "--set", "extract.attention=true",
                                      "--set", "extract.attention_layers=[0]", "--set", "extract.word_pooling=none"};
  auto with = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"extract", cfg.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_bertology(args);
  };
  ASSERT_EQ(with(a).code, 0);
  const fs::path first = entry_of(d / "cache");
  auto rb = with(b);
  ASSERT_EQ(rb.code, 0) << rb.err;
  EXPECT_NE(rb.out.find("extracting the union of both, which supersedes it"), std::string::npos) << rb.out;
  ASSERT_EQ(entry_count(d / "cache"), 2);
  fs::path uni;
  for (const auto& e : fs::directory_iterator(d / "cache"))
    if (e.path() != first) uni = e.path();
  const auto key = nlohmann::json::parse(std::ifstream(uni / "key.json"));
  EXPECT_EQ(key["selection"]["layers"], nlohmann::json({1, 2}));
  EXPECT_EQ(key["selection"]["attention_layers"], nlohmann::json({0}));
  auto ls = run_bertology({"cache", "ls", cfg.string()});
  EXPECT_NE(ls.out.find("superseded"), std::string::npos) << ls.out;
  // The union's layer 1 is the first entry's layer 1, bit for bit.
  auto same = run_sh("/usr/bin/python3 -c \"import h5py,glob,sys,numpy as np\n"
                     "a=sorted(glob.glob(sys.argv[1]+'/chunk_*.h5')); b=sorted(glob.glob(sys.argv[2]+'/chunk_*.h5'))\n"
                     "assert len(a)==len(b) and len(a)>1\n"
                     "for x,y in zip(a,b):\n"
                     "  assert np.array_equal(h5py.File(x)['hidden/layer_01'][:].view(np.uint16), h5py.File(y)['hidden/layer_01'][:].view(np.uint16))\n"
                     "print('same', len(a))\" " + shell_quote(first.string()) + " " + shell_quote(uni.string()));
  EXPECT_EQ(same.code, 0) << same.err;
  EXPECT_NE(same.out.find("same"), std::string::npos) << same.out;
  // The second request is served by the union from now on (the first by its own entry while it
  // exists); gc removes the superseded entry and nothing else, and then the union serves both.
  auto again = with(b);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("reusing cache " + uni.string()), std::string::npos) << again.out;
  auto gc = run_bertology({"cache", "gc", cfg.string()});
  ASSERT_EQ(gc.code, 0) << gc.err;
  EXPECT_NE(gc.out.find("1 superseded entries"), std::string::npos) << gc.out;
  EXPECT_FALSE(fs::exists(first));
  EXPECT_TRUE(fs::exists(uni / "manifest.json"));
  auto after = with(a);
  ASSERT_EQ(after.code, 0) << after.err;
  EXPECT_NE(after.out.find("reusing cache " + uni.string()), std::string::npos) << after.out;
  EXPECT_EQ(entry_count(d / "cache"), 1);
}

TEST(CacheExtract, DryRunPrintsSizesAndWritesNothing) {
  const fs::path d = scratch("dry");
  auto cfg = write_config(d, d / "cache");
  auto r = run_bertology({"extract", cfg.string(), "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("expected bytes (float16)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("attention/layer_LL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(reference_digests().size()) + " chunks"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "cache"));
}

TEST(CacheExtract, BadInputsAreOneLineErrors) {
  const fs::path d = scratch("bad");
  std::ofstream(d / "bad.conllu") << "1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\n\n";  // 9 columns
  auto cfg = write_config(d, d / "cache");
  auto r = run_bertology({"extract", cfg.string(), "--set", "corpus.path=" + (d / "bad.conllu").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((d / "bad.conllu").string() + ":1:"), std::string::npos) << r.err;
  auto r2 = run_bertology({"extract", cfg.string(), "--set", "extract.layers=[99]"});
  EXPECT_EQ(r2.code, 2);
  EXPECT_NE(r2.err.find("extract.layers"), std::string::npos) << r2.err;
  std::ofstream(d / "nocorpus.yaml") << "model:\n  path: " << (kFixtures / "models" / "tiny_mlm_gelu").string() << "\n";
  auto r3 = run_bertology({"extract", (d / "nocorpus.yaml").string()});
  EXPECT_EQ(r3.code, 2);
  EXPECT_NE(r3.err.find("corpus.path"), std::string::npos) << r3.err;
  EXPECT_FALSE(fs::exists(d / "cache"));
}

}  // namespace

namespace {

// Disk full: a 192 KiB tmpfs (mounting needs root, as CI has) cannot hold the cache.
TEST(CacheExtract, DiskFullFailsLoudlyAndMarksNothingComplete) {
  const fs::path d = scratch("diskfull");
  const fs::path mnt = d / "small";
  fs::create_directories(mnt);
  auto m = run_sh("mount -t tmpfs -o size=192k tmpfs " + shell_quote(mnt.string()));
  ASSERT_EQ(m.code, 0) << "this test mounts a small tmpfs and needs root: " << m.err;
  auto cfg = write_config(d, mnt / "cache");
  auto r = run_bertology({"extract", cfg.string()});
  EXPECT_EQ(r.code, 1) << r.err;  // an internal (environment) error, not a crash
  EXPECT_NE(r.err.find("disk full"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line, no HDF5 error stack:\n" << r.err;
  const fs::path entry = entry_of(mnt / "cache");
  EXPECT_FALSE(fs::exists(entry / "manifest.json"));
  // Whatever has a record is a complete, correct chunk; nothing else claims to be finished.
  for (const auto& [name, digest] : chunk_digests(entry)) {
    const std::string done = name.substr(0, name.size() - 3) + ".done.json";
    if (fs::exists(entry / done)) EXPECT_EQ(digest, reference_digests().at(name)) << name;
  }
  auto v = run_bertology({"cache", "verify", cfg.string()});
  EXPECT_EQ(v.code, 0) << v.out;
  run_sh("umount " + shell_quote(mnt.string()));
}

}  // namespace
