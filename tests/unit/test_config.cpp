// Tests of configuration loading, stacking, validation and dumping (pipeline/config).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/config/config.h"
#include "pipeline/analysis/clark_section.h"
#include "pipeline/config/config_section.h"
#include "pipeline/config/params.h"
#include "pipeline/mcrc/mcrc_section.h"
#include "pipeline/probe/lin_section.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/config/schema.h"
#include "pipeline/util/error.h"
#include "tests/support/unit.h"

#ifndef BERTOLOGY_FIXTURES_DIR
#error "BERTOLOGY_FIXTURES_DIR must name tests/fixtures"
#endif

namespace bertology {
namespace {

using test::input_error;

namespace fs = std::filesystem;

const std::string kFixtures = std::string(BERTOLOGY_FIXTURES_DIR) + "/config";

std::string fixture(const std::string& name) { return kFixtures + "/" + name; }

std::string cwd_path(const std::string& relative) {
  return (fs::current_path() / relative).lexically_normal().string();
}

std::string load_error(const std::vector<std::string>& files, const std::vector<std::string>& sets = {}) {
  return input_error([&] { Config::load(files, sets); });
}

std::string set_error(const std::string& set) { return load_error({}, {set}); }

/// Each test gets a fresh directory for the config files it writes.
class ConfigTest : public test::ScratchDirTest {
 protected:
  /// The error of loading `text` as the only config file, with the file path replaced by "F".
  std::string file_error(const std::string& text) {
    std::string path = write("c.yaml", text);
    std::string message = load_error({path});
    if (message.rfind(path, 0) == 0) message.replace(0, path.size(), "F");
    return message;
  }

};

// A schema with the key types the default schema does not use yet.
const Schema& test_schema() {
  static const Schema schema({
      float_key("train.lr", 0.001, 0.0, 1.0, "Learning rate."),
      ints_key("probe.layers", {0, 1}, 0, 11, "Layers to probe."),
      int_key("probe.rank", kRequired, 1, kUnbounded, "Probe rank."),
      file_key("data.corpus", kRequired, "Corpus file."),
      path_key("data.out", "out", "Output path."),
      string_key("deep.nest.name", "x", "Three levels deep."),
      bool_key("flag", false, "A top-level bool."),
  });
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Schema

TEST(ConfigSchema, DescribeListsEveryKeyWithTypeDefaultAndDoc) {
  std::string text = describe_schema();
  for (const KeySpec& spec : default_schema().keys()) {
    EXPECT_NE(text.find(spec.key), std::string::npos) << spec.key;
    EXPECT_NE(text.find(spec.doc), std::string::npos) << spec.key;
  }
  EXPECT_NE(text.find("int >= 1"), std::string::npos);
  EXPECT_NE(text.find("one of cpu|cuda|cuda:N"), std::string::npos);
  EXPECT_NE(text.find("default: 512"), std::string::npos);
  EXPECT_NE(test_schema().describe().find("required"), std::string::npos);
}

TEST(ConfigSchema, RejectsBrokenTables) {
  EXPECT_THROW(Schema({int_key("a.b", 1, kUnbounded, kUnbounded, ""), int_key("a.b", 2, kUnbounded, kUnbounded, "")}),
               InternalError);
  EXPECT_THROW(Schema({int_key("a", 1, kUnbounded, kUnbounded, ""), int_key("a.b", 2, kUnbounded, kUnbounded, "")}),
               InternalError);
  EXPECT_THROW(Schema({int_key("a", 0, 1, 5, "")}), InternalError);  // default out of range
  EXPECT_THROW(Schema({enum_key("a", {"x", "y"}, "z", "")}), InternalError);
  EXPECT_THROW(Schema({enum_key("a", {}, "z", "")}), InternalError);
  EXPECT_THROW(Schema({string_key("a..b", "", "")}), InternalError);
  EXPECT_NO_THROW(Schema({int_key("a.b", 1, 1, 1, ""), enum_key("a.c", {"x"}, "x", "")}));
}

TEST(ConfigSchema, EditDistanceCountsSwapsAsOneEdit) {
  EXPECT_EQ(edit_distance("model.thread", "model.threads"), 1u);
  EXPECT_EQ(edit_distance("modle", "model"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(default_schema().suggest("model.banana"), "");
  EXPECT_EQ(default_schema().suggest("modle"), "model");
}

// ---------------------------------------------------------------------------------------------
// Defaults, merging, overrides

TEST_F(ConfigTest, DefaultsFilled) {
  Config cfg = Config::load({}, {});
  EXPECT_EQ(cfg.get_string("study.name"), "adhoc");
  EXPECT_EQ(cfg.get_string("study.output_dir"), cwd_path("results"));
  EXPECT_EQ(cfg.get_string("model.path"), cwd_path("models/all-MiniLM-L6-v2"));
  EXPECT_EQ(cfg.get_string("model.device"), "cpu");
  EXPECT_EQ(cfg.get_string("model.dtype"), "float32");
  EXPECT_EQ(cfg.get_int("model.threads"), 2);
  EXPECT_TRUE(cfg.get_bool("tokenizer.add_special_tokens"));
  EXPECT_EQ(cfg.get_int("tokenizer.max_length"), 512);
  EXPECT_EQ(cfg.get_int("runtime.seed"), 1234);
  EXPECT_EQ(cfg.get_string("runtime.log_level"), "info");
  EXPECT_TRUE(cfg.get_strings("stages").empty());
  EXPECT_EQ(cfg.entries().size(), default_schema().keys().size());
  EXPECT_FALSE(cfg.is_set("model.threads"));
  EXPECT_EQ(cfg.origin("model.threads").str(), "default");
}

TEST_F(ConfigTest, MergeOrderLaterFileWinsNestedMapsMergeListsReplace) {
  std::string base = fixture("base.yaml"), over = fixture("override.yaml");
  Config cfg = Config::load({base, over});
  EXPECT_EQ(cfg.get_int("model.threads"), 5);                         // later file wins
  EXPECT_EQ(cfg.get_string("model.device"), "cuda");                  // sibling key survives
  EXPECT_EQ(cfg.get_string("study.name"), "base");                    // untouched section survives
  EXPECT_EQ(cfg.get_strings("stages"), std::vector<std::string>{"x"});  // list replaced whole
  EXPECT_EQ(cfg.origin("model.threads").str(), over + ":3:12");
  EXPECT_EQ(cfg.origin("model.device").str(), base + ":5:11");
  EXPECT_EQ(cfg.origin("stages").str(), over + ":5:3");

  Config reversed = Config::load({over, base});
  EXPECT_EQ(reversed.get_int("model.threads"), 3);
  EXPECT_EQ(reversed.get_strings("stages"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ConfigTest, SetOverridesApplyAfterFiles) {
  Config cfg = Config::load({fixture("base.yaml")},
                            {"model.threads=4", "tokenizer.add_special_tokens=false", "stages=[p, q]",
                             "model.path=dir with spaces", "study.name=\"quoted name\"",
                             "model.threads=7"});
  EXPECT_EQ(cfg.get_int("model.threads"), 7);  // later --set wins
  EXPECT_FALSE(cfg.get_bool("tokenizer.add_special_tokens"));
  EXPECT_EQ(cfg.get_strings("stages"), (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(cfg.get_string("model.path"), cwd_path("dir with spaces"));
  EXPECT_EQ(cfg.get_string("study.name"), "quoted name");
  EXPECT_EQ(cfg.get_string("model.device"), "cuda");  // from the file
  EXPECT_EQ(cfg.origin("model.threads").str(), "--set model.threads");
  EXPECT_TRUE(cfg.is_set("model.threads"));
}

TEST_F(ConfigTest, SetOfAWholeSectionMergesIntoIt) {
  Config cfg = Config::load({fixture("base.yaml")}, {"model={threads: 9, dtype: bfloat16}"});
  EXPECT_EQ(cfg.get_int("model.threads"), 9);
  EXPECT_EQ(cfg.get_string("model.dtype"), "bfloat16");
  EXPECT_EQ(cfg.get_string("model.device"), "cuda");
  EXPECT_EQ(cfg.origin("model.dtype").str(), "--set model");
}

TEST_F(ConfigTest, EmptyFileAndEmptySectionChangeNothing) {
  std::string empty = write("empty.yaml", "# only a comment\n");
  std::string section = write("section.yaml", "model:\n  # threads: 8\nruntime: ~\n");
  Config cfg = Config::load({empty, section});
  EXPECT_EQ(cfg.get_int("model.threads"), 2);
  EXPECT_FALSE(cfg.is_set("runtime.seed"));
}

// ---------------------------------------------------------------------------------------------
// Validation errors in files

TEST_F(ConfigTest, UnknownKeySuggestsClosestWithExactPosition) {
  std::string path = fixture("unknown_key.yaml");
  EXPECT_EQ(load_error({path}), path + ":4:3: unknown key 'model.thread' (did you mean 'model.threads'?)");
}

TEST_F(ConfigTest, UnknownKeysElsewhere) {
  EXPECT_EQ(file_error("model:\n  seed: 1\n"), "F:2:3: unknown key 'model.seed' (did you mean 'runtime.seed'?)");
  EXPECT_EQ(file_error("modle:\n  threads: 1\n"), "F:1:1: unknown key 'modle' (did you mean 'model'?)");
  EXPECT_EQ(file_error("model:\n  banana: 1\n"), "F:2:3: unknown key 'model.banana'");
}

TEST_F(ConfigTest, WrongTypes) {
  EXPECT_EQ(file_error("model:\n  threads: \"4\"\n"), "F:2:12: model.threads: expected int, got string \"4\"");
  EXPECT_EQ(file_error("model:\n  threads: four\n"), "F:2:12: model.threads: expected int, got 'four'");
  EXPECT_EQ(file_error("model:\n  threads: 2.5\n"), "F:2:12: model.threads: expected int, got '2.5'");
  EXPECT_EQ(file_error("model:\n  threads: {a: 1}\n"), "F:2:12: model.threads: expected int, got a map");
  EXPECT_EQ(file_error("model:\n  device: [cpu]\n"), "F:2:11: model.device: expected one of cpu|cuda|cuda:N, got a list");
  EXPECT_EQ(file_error("tokenizer:\n  add_special_tokens: yes\n"),
            "F:2:23: tokenizer.add_special_tokens: expected bool (true or false), got 'yes'");
  EXPECT_EQ(file_error("model: 3\n"), "F:1:8: model: expected a map of keys, got '3'");
  EXPECT_EQ(file_error("stages: a\n"), "F:1:9: stages: expected list of strings, got 'a' (write [a] for a list of one)");
  EXPECT_EQ(file_error("stages:\n  - a\n  - [b]\n"), "F:3:5: stages[1]: expected string, got a list");
  EXPECT_EQ(file_error("- a\n- b\n"), "F:1:1: expected a map of sections, got a list");
  // An empty value is reported at its key: yaml-cpp marks it at the next token.
  EXPECT_EQ(file_error("model:\n  threads:\n  device: cpu\n"), "F:2:3: model.threads: expected int, got an empty value");
}

TEST_F(ConfigTest, OutOfRange) {
  EXPECT_EQ(file_error("model:\n  threads: -1\n"), "F:2:12: model.threads: expected int >= 0, got -1");
  EXPECT_EQ(file_error("tokenizer:\n  max_length: 1\n"), "F:2:15: tokenizer.max_length: expected int in [2, 100000], got 1");
  EXPECT_EQ(file_error("tokenizer:\n  max_length: 100001\n"),
            "F:2:15: tokenizer.max_length: expected int in [2, 100000], got 100001");
  EXPECT_EQ(file_error("runtime:\n  seed: 99999999999999999999\n"),
            "F:2:9: runtime.seed: '99999999999999999999' does not fit a 64-bit int");
}

TEST_F(ConfigTest, BadEnum) {
  EXPECT_EQ(file_error("model:\n  device: gpu\n"), "F:2:11: model.device: expected one of cpu|cuda|cuda:N, got 'gpu'");
  // "cuda:N" admits an index, nothing else after the colon.
  for (const char* bad : {"cuda:", "cuda:x", "cuda:-1", "cuda:1a", "cpu:0", "cuda:12345"})
    EXPECT_EQ(file_error(std::string("model:\n  device: \"") + bad + "\"\n"),
              std::string("F:2:11: model.device: expected one of cpu|cuda|cuda:N, got '") + bad + "'") << bad;
  EXPECT_EQ(file_error("runtime:\n  log_level: INFO\n"),
            "F:2:14: runtime.log_level: expected one of debug|info|warn|error, got 'INFO'");
}

TEST_F(ConfigTest, MalformedYamlWithPosition) {
  std::string path = fixture("malformed.yaml");
  // yaml-cpp reports where it gave up (the next key), not where the list opened.
  EXPECT_EQ(load_error({path}), path + ":4:9: malformed YAML: end of sequence flow not found");
  EXPECT_EQ(file_error("a: 1\n  b: 2\n"), "F:2:4: malformed YAML: illegal map value");
}

TEST_F(ConfigTest, MissingFileAndDirectoryAsFile) {
  std::string missing = (dir_ / "nope.yaml").string();
  EXPECT_EQ(load_error({missing}), missing + ": no such file");
  EXPECT_EQ(load_error({dir_.string()}), dir_.string() + ": is a directory, not a config file");
}

TEST_F(ConfigTest, DuplicateAndDottedKeysAreRejected) {
  EXPECT_EQ(file_error("model:\n  threads: 1\n  threads: 2\n"),
            "F:3:3: duplicate key 'model.threads' (first set on line 2)");
  EXPECT_EQ(file_error("model.threads: 1\n"), "F:1:1: key 'model.threads' contains '.'; nest it under its section instead");
}

TEST_F(ConfigTest, EarlierFileIsValidatedEvenIfOverridden) {
  std::string bad = write("bad.yaml", "model:\n  threads: -2\n");
  std::string good = write("good.yaml", "model:\n  threads: 3\n");
  EXPECT_EQ(load_error({bad, good}), bad + ":2:12: model.threads: expected int >= 0, got -2");
}

// ---------------------------------------------------------------------------------------------
// Validation errors in --set

TEST_F(ConfigTest, UnknownKeyViaSet) {
  EXPECT_EQ(set_error("model.thread=4"), "--set model.thread: unknown key 'model.thread' (did you mean 'model.threads'?)");
  EXPECT_EQ(set_error("threads=4"), "--set threads: unknown key 'threads' (did you mean 'model.threads'?)");
  EXPECT_EQ(set_error("model={devic: cuda}"), "--set model: unknown key 'model.devic' (did you mean 'model.device'?)");
}

TEST_F(ConfigTest, MalformedSet) {
  EXPECT_EQ(set_error("model.threads"), "--set model.threads: expected KEY=VALUE, e.g. --set model.threads=4");
  EXPECT_EQ(set_error("=4"), "--set =4: expected KEY=VALUE, e.g. --set model.threads=4");
  EXPECT_EQ(set_error("stages=[a, b"), "--set stages: malformed YAML: end of sequence flow not found");
  EXPECT_EQ(set_error("model.threads=\"4\""), "--set model.threads: expected int, got string \"4\"");
  EXPECT_EQ(set_error("model.threads="), "--set model.threads: expected int, got an empty value");
  EXPECT_EQ(set_error("stages=[a, {b: 1}]"), "--set stages: stages[1]: expected string, got a map");
}

// ---------------------------------------------------------------------------------------------
// Paths

TEST_F(ConfigTest, RelativePathsResolveAgainstTheFileDirectory) {
  Config cfg = Config::load({fixture("sub/relative.yaml")});
  EXPECT_EQ(cfg.get_string("model.path"), fs::path(kFixtures + "/tiny_model").lexically_normal().string());
  EXPECT_EQ(cfg.get_string("study.output_dir"), fs::path(kFixtures + "/sub/out").lexically_normal().string());
  EXPECT_NO_THROW(cfg.check_paths({"model.path"}));
  EXPECT_NO_THROW(cfg.check_paths());

  Config set = Config::load({fixture("sub/relative.yaml")}, {"model.path=rel/dir/"});
  EXPECT_EQ(set.get_string("model.path"), cwd_path("rel/dir"));
  Config absolute = Config::load({}, {"model.path=/abs/./x/../y"});
  EXPECT_EQ(absolute.get_string("model.path"), "/abs/y");
}

TEST_F(ConfigTest, CheckPathsReportsWhereThePathWasSet) {
  std::string path = write("c.yaml", "model:\n  path: missing_model\n");
  Config cfg = Config::load({path});
  EXPECT_EQ(input_error([&] { cfg.check_paths({"model.path"}); }),
            path + ":2:9: model.path: no such directory '" + (dir_ / "missing_model").string() + "'");

  std::string file = write("weights.bin", "x");
  Config not_dir = Config::load({}, {"model.path=" + file});
  EXPECT_EQ(input_error([&] { not_dir.check_paths(); }), "--set model.path: '" + file + "' is not a directory");

  Config dflt = Config::load({}, {});
  if (!fs::exists(cwd_path("models/all-MiniLM-L6-v2"))) {
    EXPECT_EQ(input_error([&] { dflt.check_paths({"model.path"}); }),
              "model.path (default): no such directory '" + cwd_path("models/all-MiniLM-L6-v2") + "'");
  }
  EXPECT_THROW(cfg.check_paths({"model.threads"}), InternalError);
  EXPECT_NO_THROW(cfg.check_paths({"study.output_dir"}));  // may not exist yet
}

// ---------------------------------------------------------------------------------------------
// Dump

TEST_F(ConfigTest, DumpListsAllKeysInSchemaOrder) {
  Config cfg = Config::load({}, {"stages=[embed, probe]"});
  std::string expected = "study:\n"
                         "  name: adhoc\n"
                         "  output_dir: " + cwd_path("results") + "\n"
                         "model:\n"
                         "  path: " + cwd_path("models/all-MiniLM-L6-v2") + "\n"
                         "  device: cpu\n"
                         "  dtype: float32\n"
                         "  threads: 2\n"
                         "tokenizer:\n"
                         "  add_special_tokens: true\n"
                         "  max_length: 512\n"
                         "corpus:\n"
                         "  path: \"\"\n"
                         "  format: conllu\n"
                         "  max_sentences: 0\n"
                         "input:\n"
                         "  pairs: false\n"
                         "  overlong: skip\n"
                         "extract:\n"
                         "  layers: []\n"
                         "  word_pooling: none\n"
                         "  attention: false\n"
                         "  attention_layers: []\n"
                         "  attention_heads: []\n"
                         "  dtype: float16\n"
                         "  chunk_tokens: 4096\n"
                         "  batch_tokens: 4096\n"
                         "  deflate: 0\n"
                         "cache:\n"
                         "  dir: " + cwd_path("cache") + "\n"
                         "  verify_on_resume: true\n"
                         "slurm:\n"
                         "  partition: \"\"\n"
                         "  account: \"\"\n"
                         "  qos: \"\"\n"
                         "  time_extract: \"04:00:00\"\n"
                         "  time_stages: \"02:00:00\"\n"
                         "  nodes: 1\n"
                         "  ntasks: 1\n"
                         "  cpus_per_task: 2\n"
                         "  gpus_per_task: 0\n"
                         "  mem: \"\"\n"
                         "  modules: []\n"
                         "  env: []\n"
                         "  source: []\n"
                         "  extra_sbatch: []\n"
                         "  signal_seconds: 300\n"
                         "  requeue: true\n"
                         "  binary: \"\"\n"
                         "sweep:\n"
                         "  models: []\n"
                         "campaign:\n"
                         "  name: campaign\n"
                         "  output_dir: \"\"\n"
                         "  studies: []\n"
                         "runtime:\n"
                         "  seed: 1234\n"
                         "  memory_gb: 8.0\n"
                         "  row_scratch: true\n"
                         "  scratch_dir: \"\"\n"
                         "  log_level: info\n"
                         "unit_section:\n"
                         "  label: \"\"\n"
                         "  count: 7\n"
                         "  small: 3\n"
                         "  ratio: 0.5\n"
                         "  names: [a, b]\n"
                         "stages: [embed, probe]\n";
  EXPECT_EQ(cfg.dump(), expected);
}

TEST_F(ConfigTest, DumpRoundTrip) {
  Config cfg = Config::load({fixture("base.yaml"), fixture("sub/relative.yaml")},
                            {"study.name='with: colon # and hash'", "runtime.seed=0", "stages=[\"yes\", '1', a b]",
                             "tokenizer.add_special_tokens=false"});
  std::string dump = cfg.dump();
  std::string path = write("dump/effective.yaml", dump);  // another directory: paths must be absolute
  Config again = Config::load({path});
  EXPECT_EQ(again.dump(), dump);
  // Quoted so that YAML 1.1 readers (PyYAML) do not see a bool and an int.
  EXPECT_NE(dump.find("stages: [\"yes\", \"1\", a b]\n"), std::string::npos) << dump;
  EXPECT_EQ(again.get_string("study.name"), "with: colon # and hash");
  EXPECT_EQ(again.get_strings("stages"), (std::vector<std::string>{"yes", "1", "a b"}));
  EXPECT_EQ(Config::from_string(dump).dump(), dump);
}

TEST_F(ConfigTest, DumpRoundTripOfFloatsAndIntLists) {
  std::string corpus = write("corpus.txt", "text\n");
  for (const char* lr : {"0.1", "1e-7", "1", "0.30000000000000004", "2.5E-3", ".5"}) {
    Config cfg = Config::load({}, {cat("train.lr=", lr), "probe.rank=3", "data.corpus=" + corpus,
                                   "probe.layers=[11, 0, 5]"},
                              test_schema());
    std::string dump = cfg.dump();
    Config again = Config::load({write("d.yaml", dump)}, {}, test_schema());
    EXPECT_EQ(again.dump(), dump) << lr;
    EXPECT_EQ(again.get_float("train.lr"), cfg.get_float("train.lr")) << lr;
    EXPECT_EQ(again.get_ints("probe.layers"), (std::vector<int64_t>{11, 0, 5}));
  }
  Config cfg = Config::load({}, {"probe.rank=3", "data.corpus=" + corpus}, test_schema());
  EXPECT_NE(cfg.dump().find("lr: 0.001\n"), std::string::npos) << cfg.dump();
  EXPECT_NE(cfg.dump().find("deep:\n  nest:\n    name: x\n"), std::string::npos) << cfg.dump();
}

// ---------------------------------------------------------------------------------------------
// Key types the default schema does not use yet

TEST_F(ConfigTest, FloatIntListRequiredAndFileKeys) {
  const Schema& s = test_schema();
  std::string corpus = write("corpus.txt", "text\n");
  auto err = [&](const std::vector<std::string>& sets) { return input_error([&] { Config::load({}, sets, s); }); };
  std::vector<std::string> ok = {"probe.rank=3", "data.corpus=" + corpus};

  EXPECT_EQ(err({}), "missing required keys 'probe.rank', 'data.corpus' (set it in a config file or with --set probe.rank=...)");
  EXPECT_EQ(err({"data.corpus=" + corpus}), "missing required key 'probe.rank' (set it in a config file or with --set probe.rank=...)");

  auto with = [&](const std::string& set) { auto v = ok; v.push_back(set); return v; };
  EXPECT_EQ(Config::load({}, with("train.lr=1"), s).get_float("train.lr"), 1.0);  // an int is a float
  EXPECT_EQ(err(with("train.lr=1.5")), "--set train.lr: expected float in [0, 1], got 1.5");
  EXPECT_EQ(err(with("train.lr=.nan")), "--set train.lr: expected float, got '.nan'");
  EXPECT_EQ(err(with("train.lr='0.1'")), "--set train.lr: expected float, got string \"0.1\"");
  EXPECT_EQ(err(with("probe.layers=[1, 12]")), "--set probe.layers: probe.layers[1]: expected int in [0, 11], got 12");
  EXPECT_EQ(err(with("probe.layers=3")),
            "--set probe.layers: expected list of ints, each in [0, 11], got '3' (write [3] for a list of one)");
  EXPECT_TRUE(Config::load({}, with("flag=True"), s).get_bool("flag"));
  EXPECT_EQ(err(with("flag='true'")), "--set flag: expected bool (true or false), got string \"true\"");

  std::string list_file = write("layers.yaml", "probe:\n  layers:\n    - 1\n    - x\n");
  EXPECT_EQ(input_error([&] { Config::load({list_file}, ok, s); }),
            list_file + ":4:7: probe.layers[1]: expected int, got 'x'");

  Config cfg = Config::load({}, ok, s);
  EXPECT_NO_THROW(cfg.check_paths());
  Config dir_as_file = Config::load({}, {"probe.rank=3", "data.corpus=" + dir_.string()}, s);
  EXPECT_EQ(input_error([&] { dir_as_file.check_paths({"data.corpus"}); }),
            "--set data.corpus: '" + dir_.string() + "' is not a regular file");
}

// ---------------------------------------------------------------------------------------------
// Params and Config::fail

TEST_F(ConfigTest, ParamsFromConfig) {
  Params p = params_from_config(Config::load({fixture("base.yaml")}, {"runtime.log_level=debug", "tokenizer.max_length=128"}));
  EXPECT_EQ(p.study.name, "base");
  EXPECT_EQ(p.model.device, "cuda");
  EXPECT_EQ(p.model.threads, 3);
  EXPECT_EQ(p.model.path, cwd_path("models/all-MiniLM-L6-v2"));
  EXPECT_EQ(p.tokenizer.max_length, 128);
  EXPECT_TRUE(p.tokenizer.add_special_tokens);
  EXPECT_EQ(p.runtime.log_level, "debug");
  EXPECT_EQ(p.runtime.seed, 1234);
  EXPECT_EQ(p.stages, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ConfigTest, ParamsDefaultsMirrorSchemaDefaults) {
  Params from_schema = params_from_config(Config::load({}, {}));
  Params built;
  EXPECT_EQ(from_schema.study.name, built.study.name);
  EXPECT_EQ(from_schema.study.output_dir, cwd_path(built.study.output_dir));
  EXPECT_EQ(from_schema.model.device, built.model.device);
  EXPECT_EQ(from_schema.model.dtype, built.model.dtype);
  EXPECT_EQ(from_schema.model.threads, built.model.threads);
  EXPECT_EQ(from_schema.tokenizer.add_special_tokens, built.tokenizer.add_special_tokens);
  EXPECT_EQ(from_schema.tokenizer.max_length, built.tokenizer.max_length);
  EXPECT_EQ(from_schema.runtime.seed, built.runtime.seed);
  EXPECT_EQ(from_schema.runtime.log_level, built.runtime.log_level);
  EXPECT_EQ(from_schema.campaign.name, built.campaign.name);
  EXPECT_EQ(from_schema.campaign.output_dir, built.campaign.output_dir);
  EXPECT_EQ(from_schema.campaign.studies, built.campaign.studies);
  EXPECT_EQ(from_schema.stages, built.stages);
}

// A section declared the way stages declare theirs (config_section.h), registered here because
// unit_tests links no stage: its rows join the schema, and its values travel in Params.
struct UnitSectionParams {
  std::string label;
  int64_t count{};
  int small{};
  double ratio{};
  std::vector<std::string> names;
};
const ConfigSection<UnitSectionParams>& unit_section() {
  static const ConfigSection<UnitSectionParams> section("unit_section", "a section of the unit tests", {
      field(&UnitSectionParams::label, string_key("label", "", "A label.")),
      field(&UnitSectionParams::count, int_key("count", 7, 0, kUnbounded, "A count.")),
      field(&UnitSectionParams::small, int_key("small", 3, 0, kUnbounded, "An int field of an unbounded key.")),
      field(&UnitSectionParams::ratio, float_key("ratio", 0.5, 0.0, 1.0, "A ratio.")),
      field(&UnitSectionParams::names, strings_key("names", {"a", "b"}, "Names.")),
  });
  return section;
}
const bool unit_section_registered = (register_section(unit_section()), true);

TEST_F(ConfigTest, SectionRowsJoinTheSchemaAndFillTheirStruct) {
  ASSERT_TRUE(unit_section_registered);
  ASSERT_NE(default_schema().find("unit_section.count"), nullptr);
  EXPECT_NE(describe_schema().find("unit_section.ratio"), std::string::npos);
  // Defaults come from the rows alone: a Params built in code holds no values, of() answers them.
  const Params built;
  EXPECT_EQ(unit_section().of(built).count, 7);
  EXPECT_EQ(unit_section().of(built).small, 3);
  EXPECT_EQ(unit_section().of(built).names, (std::vector<std::string>{"a", "b"}));
  // Set values reach the typed struct through params_from_config.
  const Params p = params_from_config(Config::load({}, {"unit_section.count=12", "unit_section={ratio: 0.25, label: x}"}));
  EXPECT_EQ(unit_section().of(p).count, 12);
  EXPECT_DOUBLE_EQ(unit_section().of(p).ratio, 0.25);
  EXPECT_EQ(unit_section().of(p).label, "x");
  EXPECT_EQ(unit_section().values_json(p),
            nlohmann::json({{"label", "x"}, {"count", 12}, {"small", 3}, {"ratio", 0.25}, {"names", {"a", "b"}}}));
  // Validation is the schema's: range, type, and an int too large for an int field.
  EXPECT_EQ(input_error([&] { Config::load({}, {"unit_section.ratio=2"}); }),
            "--set unit_section.ratio: expected float in [0, 1], got 2.0");
  EXPECT_EQ(input_error([&] { params_from_config(Config::load({}, {"unit_section.small=10000000000"})); }),
            "--set unit_section.small: 10000000000 does not fit a 32-bit int");
  // Another section of the same name is a bug in the build.
  static const ConfigSection<UnitSectionParams> twin("unit_section", "a second one", {});
  EXPECT_THROW(register_section(twin), InternalError);
}

TEST_F(ConfigTest, FamilySectionDefaultsComeFromTheirRows) {
  // The sections of pipeline/ libraries answer their row defaults without a config.
  const Params built;
  // ProbeOptions says batch_size 32 in-class; the row (64) wins: one default per key.
  EXPECT_EQ(probe_section().of(built).trainer.patience, 3);
  EXPECT_EQ(probe_section().of(built).trainer.batch_size, 64);
  EXPECT_EQ(clark_section().of(built).possessive_rule, "paper");
  EXPECT_EQ(clark_section().of(built).root_features, "released");
  EXPECT_EQ(lin_section().of(built).nth, (std::vector<int64_t>{1, 2, 4, 8}));
  EXPECT_EQ(mcrc_section().of(built).attack_seed, 2020);
  EXPECT_EQ(mcrc_section().of(built).training.batch_size, 16);  // the trainer's options, bound to the rows
  EXPECT_DOUBLE_EQ(mcrc_section().of(built).training.lr, 5e-5);
}

TEST_F(ConfigTest, ParamsRejectIntsTooLargeForTheirField) {
  Config cfg = Config::load({}, {"model.threads=10000000000"});
  EXPECT_EQ(input_error([&] { params_from_config(cfg); }), "--set model.threads: 10000000000 does not fit a 32-bit int");
}

TEST_F(ConfigTest, FailPrefixesTheOrigin) {
  std::string path = write("c.yaml", "model:\n  threads: 4\n");
  Config cfg = Config::load({path}, {"runtime={seed: 7}"});
  EXPECT_EQ(input_error([&] { cfg.fail("model.threads", "too many"); }), path + ":2:12: model.threads: too many");
  EXPECT_EQ(input_error([&] { cfg.fail("runtime.seed", "odd"); }), "--set runtime: runtime.seed: odd");
  EXPECT_EQ(input_error([&] { cfg.fail("model.dtype", "unsupported"); }), "model.dtype (default): unsupported");
  EXPECT_THROW(cfg.get_int("model.nope"), InternalError);
  EXPECT_THROW(cfg.get_int("model.device"), InternalError);
}

}  // namespace
}  // namespace bertology
