// A corpus reader (corpus/readers.h through read_corpus), one target per format: the build defines
// FUZZ_FORMAT ("conllu", "conllx", "open_sesame", "text", "jsonl") and FUZZ_SUFFIX. Returned
// sentences are numbered by position, and annotations are absent or one per word with heads in
// [-1, words].
#include "fuzz/fuzz_support.h"
#include "pipeline/corpus/corpus.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string path = fuzz::write_file(std::string("corpus") + FUZZ_SUFFIX, {reinterpret_cast<const char*>(data), size});
  fuzz::expect_clean([&] {
    const Corpus corpus = read_corpus(path, parse_corpus_format(FUZZ_FORMAT));
    for (size_t i = 0; i < corpus.sentences.size(); ++i) {
      const Sentence& s = corpus.sentences[i];
      FUZZ_REQUIRE(s.index == static_cast<int64_t>(i), s.origin);
      FUZZ_REQUIRE(s.annotations.empty() || s.annotations.size() == s.words.size(), s.origin);
      for (const auto& a : s.annotations)
        FUZZ_REQUIRE(a.head >= -1 && a.head <= static_cast<int>(s.words.size()), s.origin);
    }
  });
  return 0;
}
