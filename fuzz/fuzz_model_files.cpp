// A checkpoint folder's text files: config.json, tokenizer_config.json and vocab.txt, split from
// one input at "\n#####\n" (model/bert_config.h, tokenizer/bert_tokenizer.h from_model_dir).
#include <filesystem>

#include "fuzz/fuzz_support.h"
#include "pipeline/model/bert_config.h"
#include "pipeline/tokenizer/bert_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const auto [config, rest] = fuzz::split_at(all, "\n#####\n");
  const auto [tokenizer_config, vocab] = fuzz::split_at(rest, "\n#####\n");
  const auto dir = fuzz::scratch_dir() / "model";
  std::filesystem::create_directories(dir);
  const std::string config_path = fuzz::write_file("model/config.json", config);
  fuzz::write_file("model/tokenizer_config.json", tokenizer_config);
  fuzz::write_file("model/vocab.txt", vocab);
  fuzz::expect_clean([&] { BertConfig::from_json_file(config_path); });
  fuzz::expect_clean([&] {
    const BertTokenizer tok = BertTokenizer::from_model_dir(dir.string());
    const Encoding e = tok.encode_text("Hello, world! [MASK] don't");
    FUZZ_REQUIRE(e.ids.size() == e.tokens.size(), "ids and tokens differ in length");
  });
  return 0;
}
