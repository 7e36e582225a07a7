// The tokenizer on arbitrary bytes, text mode and word mode, with the default model's real
// vocabulary (models/all-MiniLM-L6-v2, which scripts/setup.sh fetches: BERTOLOGY_FUZZ_VOCAB_DIR). Invalid UTF-8 must
// be an InputError; otherwise tokens -> ids -> tokens round-trips (an id maps back to its token,
// [UNK] for pieces out of the vocabulary) and word ids lie in [0, num_words).
#include "fuzz/fuzz_support.h"
#include "pipeline/tokenizer/bert_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  static const BertTokenizer tok = BertTokenizer::from_model_dir(BERTOLOGY_FUZZ_VOCAB_DIR);
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto check = [&](const Encoding& e) {
    FUZZ_REQUIRE(e.ids.size() == e.tokens.size() && e.word_ids.size() == e.tokens.size(), "lengths");
    for (size_t i = 0; i < e.ids.size(); ++i) {
      FUZZ_REQUIRE(tok.id_to_token(e.ids[i]) == e.tokens[i] || e.ids[i] == tok.unk_id(), e.tokens[i]);
      FUZZ_REQUIRE(tok.token_to_id(e.tokens[i]) == e.ids[i], e.tokens[i]);
      FUZZ_REQUIRE(e.word_ids[i] >= -1 && e.word_ids[i] < e.num_words, "word id out of range");
    }
  };
  fuzz::expect_clean([&] { check(tok.encode_text(text)); });
  fuzz::expect_clean([&] {
    std::vector<std::string> words;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i)
      if (i == text.size() || text[i] == ' ') words.push_back(text.substr(start, i - start)), start = i + 1;
    check(tok.encode_words(words));
  });
  return 0;
}
