// Coreference documents (coref/coref_document.h): FUZZ_SUFFIX ".conllu" (GUM-style) or ".conll"
// (CoNLL-2012). Mentions lie inside their document, heads inside their mention, per-word vectors
// have one entry per word.
#include "fuzz/fuzz_support.h"
#include "pipeline/coref/coref_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string path = fuzz::write_file(std::string("coref") + FUZZ_SUFFIX, {reinterpret_cast<const char*>(data), size});
  fuzz::expect_clean([&] {
    for (const auto& doc : read_coref_documents(path)) {
      const int n = static_cast<int>(doc.words.size());
      FUZZ_REQUIRE(static_cast<int>(doc.heads.size()) == n, doc.origin);
      for (int h : doc.heads) FUZZ_REQUIRE(h >= -1 && h < n, doc.origin);
      for (const auto& m : doc.mentions) {
        FUZZ_REQUIRE(m.start >= 0 && m.start < m.end && m.end <= n, doc.origin);
        FUZZ_REQUIRE(m.head >= m.start && m.head < m.end, doc.origin);
      }
    }
  });
  return 0;
}
