// The real `bertology` binary: exit codes, one-line errors naming the file, JSON and HDF5 outputs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/process.h"

namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = BERTOLOGY_FIXTURES_DIR;
const std::string kPython = "/usr/bin/python3";  // Debian's, with h5py and numpy (scripts/setup.sh)

using namespace bertology::test;

fs::path tiny(const std::string& name) { return kFixtures / "models" / ("tiny_" + name); }

/// Copy of a tiny model folder (to corrupt it).
fs::path model_copy(const std::string& name) {
  const fs::path dst = scratch("model_" + name);
  fs::copy(tiny(name), dst, fs::copy_options::recursive);
  return dst;
}

/// Expects exit code 2 and a single stderr line that contains every part.
void expect_input_error(const Result& r, std::initializer_list<std::string> parts) {
  EXPECT_EQ(r.code, 2) << r.err;
  std::string line = r.err;
  while (!line.empty() && line.back() == '\n') line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos) << "more than one line on stderr:\n" << r.err;
  for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "'" << p << "' not in: " << r.err;
}

std::vector<nlohmann::json> json_lines(const std::string& s) {
  std::vector<nlohmann::json> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(Cli, VersionHelpAndUnknownCommand) {
  auto v = run_bertology({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find(BERTOLOGY_VERSION), std::string::npos);
  auto h = run_bertology({"encode", "--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--no-attention"), std::string::npos);
  expect_input_error(run_bertology({"frobnicate"}), {"unknown command 'frobnicate'"});
  expect_input_error(run_bertology({"encode", "--bogus-flag"}), {"bogus-flag"});
}

// ids equal Hugging Face's (the reference batch was tokenized by HF BertTokenizer).
TEST(Cli, TokenizeMatchesReferenceIds) {
  const auto sentences = nlohmann::json::parse(slurp(kFixtures / "models" / "tiny_mlm_gelu.sentences.json"))["sentences"];
  std::vector<std::string> args = {"tokenize", "--model", tiny("mlm_gelu").string()};
  for (const auto& s : sentences) {
    args.push_back("--text");
    args.push_back(s.get<std::string>());
  }
  auto r = run_bertology(args);
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), sentences.size());
  // Expected ids: python-free check against the reference safetensors would need a parser here;
  // the HF ids for sentence 1 ("a dog ran") are [CLS]=2, a, dog, ran, [SEP]=3 in the fixture vocab.
  EXPECT_EQ(lines[1]["tokens"], nlohmann::json({"[CLS]", "a", "dog", "ran", "[SEP]"}));
  EXPECT_EQ(lines[1]["word_ids"], nlohmann::json::parse("[null, 0, 1, 2, null]"));
  EXPECT_EQ(lines[0]["text"], sentences[0]);
  EXPECT_EQ(lines[1]["ids"][0], 2);
  EXPECT_EQ(lines[1]["ids"].back(), 3);
}

TEST(Cli, TokenizeWordsModeAndInputFile) {
  const fs::path d = scratch("tok_input");
  std::ofstream(d / "in.txt") << "dogs ran\nthe mat\n";
  auto r = run_bertology({"tokenize", "--model", tiny("mlm_gelu").string(), "--input", (d / "in.txt").string(), "--words"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  // "dogs" -> dog ##s : both pieces belong to word 0.
  EXPECT_EQ(lines[0]["tokens"], nlohmann::json({"[CLS]", "dog", "##s", "ran", "[SEP]"}));
  EXPECT_EQ(lines[0]["word_ids"], nlohmann::json::parse("[null, 0, 0, 1, null]"));
}

/// True when a temporary of `out` (util/files.h: "OUT.tmp.HOST.PID.N") is still there.
bool temporary_left_beside(const fs::path& out) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out.parent_path(), ec))
    if (e.path().filename().string().rfind(out.filename().string() + ".tmp", 0) == 0) return true;
  return false;
}

void encode_and_check(const std::string& model, const std::string& dtype, double tolerance) {
  const auto sentences = nlohmann::json::parse(slurp(kFixtures / "models" / ("tiny_" + model + ".sentences.json")));
  const fs::path d = scratch("encode_" + model + dtype);
  {
    std::ofstream in(d / "in.txt");
    for (const auto& s : sentences["sentences"]) in << s.get<std::string>() << "\n";
  }
  const fs::path out = d / "out.h5";
  auto r = run_bertology({"encode", "--model", tiny(model).string(), "--input", (d / "in.txt").string(), "--out",
                      out.string(), "--dtype", dtype, "--batch-size", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("encoded 4 sentences"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_FALSE(temporary_left_beside(out));
  auto check = run_sh(kPython + " " + shell_quote(std::string(BERTOLOGY_SOURCE_DIR) + "/tests/cli/check_encode.py") + " " +
                      shell_quote(out.string()) + " " +
                      shell_quote((kFixtures / "models" / ("tiny_" + model + ".reference.safetensors")).string()) + " " +
                      shell_quote((kFixtures / "models" / ("tiny_" + model + ".sentences.json")).string()) + " " +
                      std::to_string(tolerance));
  EXPECT_EQ(check.code, 0) << check.out << check.err;
}

TEST(Cli, EncodeFloat32MatchesHuggingFaceInH5py) { encode_and_check("mlm_gelu", "float32", 1e-5); }
TEST(Cli, EncodeFloat16ReadsAsFloat16InH5py) { encode_and_check("base_gelu_new", "float16", 1e-2); }

TEST(Cli, DumpConfigShowsEffectiveValues) {
  auto r = run_bertology({"encode", "--dump-config", "--set", "model.threads=3", "--model", tiny("base_relu").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("threads: 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tiny_base_relu"), std::string::npos) << r.out;
}

// ---- Bad input: one line naming the file and the problem, exit code 2, no output left. ----

Result encode_with(const fs::path& model_dir, const fs::path& out) {
  return run_bertology({"encode", "--model", model_dir.string(), "--text", "the cat", "--out", out.string()});
}

TEST(CliErrors, MissingConfigJson) {
  const fs::path m = model_copy("base_relu");
  fs::remove(m / "config.json");
  const fs::path out = scratch("err1") / "o.h5";
  expect_input_error(encode_with(m, out), {(m / "config.json").string(), "no such file"});
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(temporary_left_beside(out));
}

TEST(CliErrors, TruncatedSafetensors) {
  const fs::path m = model_copy("base_relu");
  fs::remove(m / "pytorch_model.bin");
  fs::resize_file(m / "model.safetensors", fs::file_size(m / "model.safetensors") / 2);
  expect_input_error(encode_with(m, scratch("err2") / "o.h5"), {(m / "model.safetensors").string()});
}

/// Rewrites the safetensors JSON header in place (same length, padded with spaces).
void patch_header(const fs::path& file, const std::string& from, const std::string& to) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t n = 0;
  f.read(reinterpret_cast<char*>(&n), 8);
  std::string header(n, ' ');
  f.read(header.data(), n);
  auto pos = header.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  std::string replacement = to;
  ASSERT_LE(replacement.size(), from.size());
  replacement.resize(from.size(), ' ');
  header.replace(pos, from.size(), replacement);
  f.seekp(8);
  f.write(header.data(), n);
}

TEST(CliErrors, HeaderLiesAboutShape) {
  const fs::path m = model_copy("base_relu");
  fs::remove(m / "pytorch_model.bin");
  // pooler.dense.bias is [16] F32 = 64 bytes; claim [17].
  patch_header(m / "model.safetensors", "\"pooler.dense.bias\":{\"dtype\":\"F32\",\"shape\":[16]",
               "\"pooler.dense.bias\":{\"dtype\":\"F32\",\"shape\":[17]");
  expect_input_error(encode_with(m, scratch("err3") / "o.h5"), {(m / "model.safetensors").string(), "pooler.dense.bias"});
}

TEST(CliErrors, HeaderLiesAboutDtype) {
  const fs::path m = model_copy("base_relu");
  fs::remove(m / "pytorch_model.bin");
  patch_header(m / "model.safetensors", "\"pooler.dense.bias\":{\"dtype\":\"F32\"",
               "\"pooler.dense.bias\":{\"dtype\":\"F99\"");
  expect_input_error(encode_with(m, scratch("err4") / "o.h5"), {(m / "model.safetensors").string(), "F99"});
}

TEST(CliErrors, ShapeMismatchWithConfig) {
  const fs::path m = model_copy("base_relu");
  std::string cfg = slurp(m / "config.json");
  cfg.replace(cfg.find("\"intermediate_size\": 24"), 23, "\"intermediate_size\": 30");
  std::ofstream(m / "config.json") << cfg;
  expect_input_error(encode_with(m, scratch("err5") / "o.h5"), {"model.safetensors", "intermediate.dense", "[30, 16]"});
}

TEST(CliErrors, VocabWithoutSpecialTokens) {
  const fs::path m = model_copy("base_relu");
  std::string vocab = slurp(m / "vocab.txt");
  vocab.replace(vocab.find("[CLS]"), 5, "[XLS]");
  std::ofstream(m / "vocab.txt") << vocab;
  expect_input_error(encode_with(m, scratch("err6") / "o.h5"), {(m / "vocab.txt").string(), "[CLS]"});
}

TEST(CliErrors, MalformedYamlConfig) {
  const fs::path d = scratch("yaml");
  std::ofstream(d / "bad.yaml") << "model:\n  threads: [1, 2\n";
  auto r = run_bertology({"encode", (d / "bad.yaml").string(), "--text", "x", "--out", (d / "o.h5").string()});
  expect_input_error(r, {(d / "bad.yaml").string() + ":", "YAML"});
}

TEST(CliErrors, UnknownConfigKey) {
  const fs::path d = scratch("yaml2");
  std::ofstream(d / "study.yaml") << "model:\n  threads: 2\n  treads: 3\n";
  auto r = run_bertology({"encode", (d / "study.yaml").string(), "--text", "x", "--out", (d / "o.h5").string()});
  expect_input_error(r, {(d / "study.yaml").string() + ":3:", "treads"});
  expect_input_error(run_bertology({"tokenize", "--set", "model.bogus=1", "--text", "x"}), {"model.bogus"});
}

TEST(CliErrors, MissingInputFile) {
  expect_input_error(run_bertology({"tokenize", "--model", tiny("base_relu").string(), "--input", "/nonexistent/in.txt"}),
                     {"/nonexistent/in.txt", "no such file"});
}

TEST(Mcrc, AttackExportsEveryAttackedSetAndBaselinesMatchHandCounts) {
  const fs::path dir = scratch("mcrc");
  const std::string data = (kFixtures / "mcrc" / "mc160.dev.first2.tsv").string();
  auto r = run_bertology({"mcrc", "attack", data, "--format", "mctest", "--out", (dir / "out").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto summary = nlohmann::json::parse(slurp(dir / "out" / "summary.json"));
  ASSERT_EQ(summary.at("attacks").size(), 7u);
  // AddAns2Opt: each wrong option becomes "option answer", the correct one is untouched.
  const auto attacked = nlohmann::json::parse(slurp(dir / "out" / "AddAns2Opt.json"));
  ASSERT_EQ(attacked.size(), 8u);  // 2 stories x 4 questions
  for (const auto& q : attacked) {
    const int answer = q.at("answer").get<int>();
    const std::string correct = q.at("options")[answer].get<std::string>();
    for (size_t k = 0; k < q.at("options").size(); ++k) {
      const std::string option = q.at("options")[k].get<std::string>();
      if (static_cast<int>(k) == answer) continue;
      ASSERT_GE(option.size(), correct.size() + 1) << option;
      EXPECT_EQ(option.substr(option.size() - correct.size() - 1), " " + correct) << option;
    }
  }
  // Same seed, same bytes; another seed shuffles differently.
  auto again = run_bertology({"mcrc", "attack", data, "--format", "mctest", "--attack", "AddSent2Pas-Shuffle", "--out",
                              (dir / "again").string()});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(slurp(dir / "again" / "AddSent2Pas-Shuffle.json"), slurp(dir / "out" / "AddSent2Pas-Shuffle.json"));
  auto other = run_bertology({"mcrc", "attack", data, "--format", "mctest", "--attack", "AddSent2Pas-Shuffle", "--seed",
                              "7", "--out", (dir / "other").string()});
  ASSERT_EQ(other.code, 0) << other.err;
  EXPECT_NE(slurp(dir / "other" / "AddSent2Pas-Shuffle.json"), slurp(dir / "out" / "AddSent2Pas-Shuffle.json"));
  // Longest option by words: 5 of the 8 fixture questions have their answer as the longest option.
  auto b = run_bertology({"mcrc", "baselines", data, "--format", "mctest"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_NE(b.out.find("random guess   25 %"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("longest option 62.5 %"), std::string::npos) << b.out;
  expect_input_error(run_bertology({"mcrc", "attack", data, "--format", "mctest", "--attack", "Nope", "--out", "x"}),
                     {"Nope"});
}

}  // namespace

// `bertology derive`: the control checkpoints as model folders. Read back with numpy from the
// safetensors bytes: no-positions zeroes exactly the position embeddings; random-init keeps the
// embeddings, re-draws the encoder (same seed, same bytes; another seed, other bytes).
TEST(Cli, DeriveWritesTheControlCheckpoints) {
  const fs::path d = scratch("derive");
  const std::string model = tiny("mlm_gelu").string();
  auto np = run_bertology({"derive", "no-positions", "--model", model, "--out", (d / "nopos").string()});
  ASSERT_EQ(np.code, 0) << np.err;
  auto r1 = run_bertology({"derive", "random-init", "--model", model, "--out", (d / "r1").string(), "--seed", "7"});
  auto r2 = run_bertology({"derive", "random-init", "--model", model, "--out", (d / "r2").string(), "--seed", "7"});
  auto r3 = run_bertology({"derive", "random-init", "--model", model, "--out", (d / "r3").string(), "--seed", "8"});
  ASSERT_EQ(r1.code + r2.code + r3.code, 0) << r1.err << r2.err << r3.err;
  EXPECT_TRUE(fs::exists(d / "r1" / "config.json") && fs::exists(d / "r1" / "vocab.txt"));
  const std::string check = R"PY(
import json, struct, sys, numpy as np
def load(path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']; dt = {'F32': np.float32, 'F16': np.float16}[v['dtype']]
        out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=dt).reshape(v['shape'])
    return out
orig = load(sys.argv[1] + '/model.safetensors'); nopos = load(sys.argv[2] + '/nopos/model.safetensors')
r1, r2, r3 = (load(sys.argv[2] + '/' + x + '/model.safetensors') for x in ('r1', 'r2', 'r3'))
pos = [k for k in orig if k.endswith('position_embeddings.weight')][0]
assert not nopos[pos].any() and orig[pos].any()
assert all(np.array_equal(orig[k], nopos[k]) for k in orig if k != pos)
word = [k for k in orig if k.endswith('word_embeddings.weight')][0]
enc = [k for k in r1 if 'encoder' in k and k.endswith('query.weight')][0]
assert np.array_equal(orig[word], r1[word])
assert np.array_equal(r1[enc], r2[enc]) and not np.array_equal(r1[enc], r3[enc]) and not np.array_equal(r1[enc], orig[enc])
print('ok')
)PY";
  std::ofstream(d / "check.py") << check;
  auto r = run_sh("/usr/bin/python3 " + shell_quote((d / "check.py").string()) + " " + shell_quote(model) + " " +
                  shell_quote(d.string()));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok"), std::string::npos);
  auto bad = run_bertology({"derive", "sideways", "--model", model, "--out", (d / "x").string()});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("random-init or no-positions"), std::string::npos) << bad.err;
}
