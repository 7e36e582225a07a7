// Penn Treebank brackets (corpus/ptb.h), then what parses through the Stanford Dependencies
// conversion (exactly one root, heads in range) and the CoNLL-X writer, read back by the CoNLL-X
// reader: the same words and heads (a round trip).
#include "fuzz/fuzz_support.h"
#include "pipeline/corpus/conllx_writer.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bertology;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<PtbTree> trees;
  fuzz::expect_clean([&] { trees = parse_ptb(text, "input.mrg"); });
  std::vector<std::vector<DepToken>> sentences;
  for (const auto& tree : trees)
    fuzz::expect_clean([&] {
      auto tokens = ptb_to_dependencies(tree.root, {}, tree.origin);
      int roots = 0;
      for (const auto& t : tokens) {
        roots += t.head == 0;
        FUZZ_REQUIRE(t.head >= 0 && t.head <= static_cast<int>(tokens.size()), tree.origin);
      }
      FUZZ_REQUIRE(roots == 1, tree.origin);
      sentences.push_back(std::move(tokens));
    });
  if (sentences.empty()) return 0;
  const std::string out = (fuzz::scratch_dir() / "converted.conllx").string();
  bool written = false;
  fuzz::expect_clean([&] {
    ConllxWriter writer(out);
    for (const auto& s : sentences) writer.write(s);
    writer.commit();
    written = true;
  });
  if (!written) return 0;
  fuzz::expect_clean([&] {
    const Corpus back = read_corpus(out, CorpusFormat::Conllx);
    FUZZ_REQUIRE(back.sentences.size() == sentences.size(), "sentence count after the round trip");
    for (size_t i = 0; i < sentences.size(); ++i) {
      const auto& s = back.sentences[i];
      FUZZ_REQUIRE(s.words.size() == sentences[i].size(), s.origin);
      for (size_t w = 0; w < s.words.size(); ++w) {
        FUZZ_REQUIRE(s.words[w] == sentences[i][w].word, s.origin);
        FUZZ_REQUIRE(s.annotations[w].head == sentences[i][w].head, s.origin);
      }
    }
  });
  return 0;
}
