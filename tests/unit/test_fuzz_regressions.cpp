// The inputs the fuzzers found (fuzz/regressions/<target>/, issue #19) through the same readers in
// the normal build: each must now give a valid object or bertology's one-line InputError. Before
// the fixes: nlohmann's out_of_range escaped from the JSON readers (a number too large for a
// double), yaml-cpp's LoadAll never returned on a stray ',', zip and YAML errors quoted newlines
// into multi-line messages, and a word labelled like a phrase ("(S go)") indexed head_pos -1 in
// the SD conversion (caught by UBSan in `scripts/fuzz.sh replay`, which CI runs on these files).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "pipeline/config/config.h"
#include "pipeline/config/params.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"
#include "pipeline/mcrc/mc_readers.h"
#include "pipeline/model/bert_config.h"
#include "pipeline/model/torch_bin.h"
#include "pipeline/model/safetensors.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "tests/support/files.h"
#include "tests/support/scratch.h"

namespace fs = std::filesystem;
using namespace bertology;
using bertology::test::scratch;
using bertology::test::slurp;

namespace {

const fs::path kRegressions = fs::path(BERTOLOGY_SOURCE_DIR) / "fuzz" / "regressions";

/// The readers each target fuzzes, on a regression file (`scratch` for files they need beside it).
const std::map<std::string, std::function<void(const fs::path&, const fs::path&)>>& readers() {
  static const std::map<std::string, std::function<void(const fs::path&, const fs::path&)>> table = {
      {"fuzz_ptb",
       [](const fs::path& file, const fs::path&) {
         for (const auto& tree : parse_ptb(slurp(file), file.string())) ptb_to_dependencies(tree.root, {}, tree.origin);
       }},
      {"fuzz_dream", [](const fs::path& file, const fs::path&) { read_mc_dataset(file.string(), "dream"); }},
      {"fuzz_race",
       [](const fs::path& file, const fs::path& dir) {
         fs::create_directories(dir / "race");
         fs::copy_file(file, dir / "race" / "1.txt", fs::copy_options::overwrite_existing);
         read_mc_dataset((dir / "race").string(), "race");
       }},
      {"fuzz_jsonl", [](const fs::path& file, const fs::path&) { read_corpus(file.string(), CorpusFormat::JsonLines); }},
      {"fuzz_config", [](const fs::path& file, const fs::path&) { params_from_config(Config::load({file.string()})); }},
      {"fuzz_torch_bin", [](const fs::path& file, const fs::path&) { read_torch_bin(file.string()); }},
      {"fuzz_safetensors", [](const fs::path& file, const fs::path&) { read_safetensors(file.string()); }},
      {"fuzz_model_files",
       [](const fs::path& file, const fs::path& dir) {
         // config.json, tokenizer_config.json and vocab.txt, separated by "\n#####\n" (fuzz_model_files.cpp)
         const std::string all = slurp(file), sep = "\n#####\n";
         const size_t a = all.find(sep), b = a == std::string::npos ? a : all.find(sep, a + sep.size());
         fs::create_directories(dir / "model");
         std::ofstream(dir / "model" / "config.json") << all.substr(0, a);
         std::ofstream(dir / "model" / "tokenizer_config.json")
             << (a == std::string::npos ? "" : all.substr(a + sep.size(), b == std::string::npos ? b : b - a - sep.size()));
         std::ofstream(dir / "model" / "vocab.txt") << (b == std::string::npos ? "" : all.substr(b + sep.size()));
         try {
           BertConfig::from_json_file((dir / "model" / "config.json").string());
         } catch (const InputError& e) {
           EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
         }
         BertTokenizer::from_model_dir((dir / "model").string());
       }},
  };
  return table;
}

TEST(FuzzRegressions, EveryFindingNowGivesAValueOrAOneLineInputError) {
  int files = 0;
  for (const auto& target : fs::directory_iterator(kRegressions)) {
    const std::string name = target.path().filename().string();
    const auto reader = readers().find(name);
    for (const auto& file : fs::directory_iterator(target.path())) {
      ASSERT_NE(reader, readers().end()) << "no reader for the regressions of " << name;
      ++files;
      const fs::path dir = scratch("fuzz_regression_" + std::to_string(files));
      try {
        reader->second(file.path(), dir);
      } catch (const InputError& e) {
        const std::string message = e.what();
        EXPECT_FALSE(message.empty()) << file.path();
        EXPECT_EQ(message.find('\n'), std::string::npos) << file.path() << ": " << message;
      } catch (const std::exception& e) {
        ADD_FAILURE() << file.path() << ": " << typeid(e).name() << ": " << e.what();
      }
    }
  }
  EXPECT_GE(files, 9);
}

TEST(FuzzRegressions, MessagesNameTheProblem) {
  const fs::path dir = scratch("fuzz_regression_messages");
  auto message_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  };
  const std::string dream = (kRegressions / "fuzz_dream" / "number-overflow.json").string();
  EXPECT_NE(message_of([&] { read_mc_dataset(dream, "dream"); }).find("malformed JSON"), std::string::npos);
  const std::string comma = (kRegressions / "fuzz_config" / "stray-comma.yaml").string();
  EXPECT_NE(message_of([&] { Config::load({comma}); }).find("stray-comma.yaml:1:1: malformed YAML: a token outside any node"), std::string::npos);
  const std::string nul = (kRegressions / "fuzz_config" / "stray-comma-nul.yaml").string();
  EXPECT_NE(message_of([&] { Config::load({nul}); }).find("stray-comma-nul.yaml:3:3: control character U+0000"),
            std::string::npos)
      << message_of([&] { Config::load({nul}); });
  const std::string scalar = (kRegressions / "fuzz_config" / "multi-line-scalar.yaml").string();
  EXPECT_NE(message_of([&] { Config::load({scalar}); }).find("expected a map of sections, got 'w\\ns'"), std::string::npos)
      << message_of([&] { Config::load({scalar}); });
  // A CR alone (yaml-cpp kept it inside the scalar, and the value changed when its dump was read
  // again); CRLF files still load, to the same configuration as LF ones.
  const std::string cr = (kRegressions / "fuzz_config" / "carriage-return-alone.yaml").string();
  EXPECT_NE(message_of([&] { Config::load({cr}); }).find("carriage-return-alone.yaml:3:"), std::string::npos)
      << message_of([&] { Config::load({cr}); });
  EXPECT_NE(message_of([&] { Config::load({cr}); }).find("a carriage return without a line feed"), std::string::npos);
  std::ofstream(dir / "lf.yaml") << "study:\n  name: a b\nmodel:\n  threads: 1\n";
  std::ofstream(dir / "crlf.yaml") << "study:\r\n  name: a b\r\nmodel:\r\n  threads: 1\r\n";
  EXPECT_EQ(Config::load({(dir / "crlf.yaml").string()}).dump(), Config::load({(dir / "lf.yaml").string()}).dump());
  // A float size outside int's range (nlohmann's get<int>() of it is undefined behaviour, UBSan in
  // fuzz_model_files), and an integer that get<int>() wrapped silently to a valid 768.
  const std::string floaty = (kRegressions / "fuzz_model_files" / "float-size-out-of-int-range").string();
  readers().at("fuzz_model_files")(floaty, dir / "floaty");
  EXPECT_EQ(message_of([&] { BertConfig::from_json_file((dir / "floaty" / "model" / "config.json").string()); }),
            (dir / "floaty" / "model" / "config.json").string() +
                ": key 'hidden_size' must be an integer in [-2147483648, 2147483647], got 199000000000.0");
  std::ofstream(dir / "wraps.json") << R"({"hidden_size": 4294968064, "num_hidden_layers": 1, "num_attention_heads": 12,
                                         "vocab_size": 10})";
  EXPECT_NE(message_of([&] { BertConfig::from_json_file((dir / "wraps.json").string()); })
                .find("wraps.json: key 'hidden_size' must be an integer in [-2147483648, 2147483647], got 4294968064"),
            std::string::npos)
      << message_of([&] { BertConfig::from_json_file((dir / "wraps.json").string()); });
  // One line whatever a message quotes.
  EXPECT_EQ(std::string(InputError("a\nb\tc\r\x01").what()), "a\\nb\\tc\\r\\x01");
  // Two documents are still reported where the second starts.
  std::ofstream(dir / "two.yaml") << "study:\n  name: a\n---\nstudy:\n  name: b\n";
  EXPECT_NE(message_of([&] { Config::load({(dir / "two.yaml").string()}); }).find("two.yaml:3:1: more than one YAML document"),
            std::string::npos)
      << message_of([&] { Config::load({(dir / "two.yaml").string()}); });
}

}  // namespace
