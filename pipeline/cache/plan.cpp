#include "pipeline/cache/plan.h"

#include <algorithm>
#include <numeric>

#include "pipeline/util/error.h"

namespace bertology {

namespace {

/// Pieces of one sentence without special tokens.
Encoding encode_sentence(const BertTokenizer& tokenizer, const Sentence& s) {
  try {
    return s.pretokenized ? tokenizer.encode_words(s.words, false) : tokenizer.encode_text(s.text, false);
  } catch (const InputError& e) {
    throw InputError(cat(s.origin, ": ", e.what()));
  }
}

/// Drops pieces from the end of the longer part until the total fits (HF "longest_first").
bool truncate_longest_first(Encoding& a, Encoding* b, size_t budget) {
  bool cut = false;
  auto size = [&] { return a.ids.size() + (b ? b->ids.size() : 0); };
  while (size() > budget) {
    Encoding& victim = (b && b->ids.size() > a.ids.size()) ? *b : a;
    victim.ids.pop_back();
    victim.word_ids.pop_back();
    victim.tokens.pop_back();
    cut = true;
  }
  return cut;
}

PlannedSequence assemble(const BertTokenizer& tokenizer, const InputPolicy& policy, int64_t ia, const Encoding& a,
                         int32_t words_a, int64_t ib, const Encoding* b, int32_t words_b) {
  PlannedSequence seq;
  seq.sentence_a = ia;
  seq.sentence_b = ib;
  seq.num_words_a = words_a;
  seq.num_words = words_a + words_b;
  auto push = [&](int32_t id, int32_t word, int8_t segment) {
    seq.input_ids.push_back(id);
    seq.word_ids.push_back(word);
    seq.segment_ids.push_back(segment);
  };
  if (policy.special_tokens) push(tokenizer.cls_id(), -1, 0);
  for (size_t k = 0; k < a.ids.size(); ++k) push(a.ids[k], a.word_ids[k], 0);
  if (policy.special_tokens) push(tokenizer.sep_id(), -1, 0);
  if (b) {
    for (size_t k = 0; k < b->ids.size(); ++k) push(b->ids[k], b->word_ids[k] + words_a, 1);
    if (policy.special_tokens) push(tokenizer.sep_id(), -1, 1);
  }
  return seq;
}

}  // namespace

ExtractionPlan make_plan(const Corpus& corpus, const BertTokenizer& tokenizer, const InputPolicy& policy,
                         int64_t chunk_tokens) {
  BTL_REQUIRE(chunk_tokens > 0, "extract.chunk_tokens must be positive");
  ExtractionPlan plan;
  const size_t n = corpus.sentences.size();
  const size_t step = policy.pairs ? 2 : 1;
  for (size_t i = 0; i < n; i += step) {
    const Sentence& sa = corpus.sentences[i];
    Encoding a = encode_sentence(tokenizer, sa);
    const bool has_b = policy.pairs && i + 1 < n;
    Encoding b;
    if (has_b) b = encode_sentence(tokenizer, corpus.sentences[i + 1]);
    const size_t specials = policy.special_tokens ? (has_b ? 3 : 2) : 0;
    BTL_REQUIRE(policy.max_length > static_cast<int>(specials), "tokenizer.max_length ", policy.max_length,
                " leaves no room for wordpieces");
    const size_t budget = policy.max_length - specials;
    bool truncated = false;
    if (a.ids.size() + b.ids.size() > budget) {
      if (!policy.truncate) {
        plan.skipped_sentences.push_back(sa.index);
        if (has_b) plan.skipped_sentences.push_back(corpus.sentences[i + 1].index);
        continue;
      }
      truncated = truncate_longest_first(a, has_b ? &b : nullptr, budget);
    }
    // Word counts come from the tokenizer (words that yield no pieces still count as words).
    PlannedSequence seq = assemble(tokenizer, policy, sa.index, a, a.num_words, has_b ? corpus.sentences[i + 1].index : -1,
                                   has_b ? &b : nullptr, has_b ? b.num_words : 0);
    seq.truncated = truncated;
    plan.truncated_sequences += truncated;
    plan.num_tokens += seq.length();
    plan.sequences.push_back(std::move(seq));
  }
  BTL_REQUIRE(!plan.sequences.empty(), corpus.path, ": every sentence is longer than tokenizer.max_length ",
              policy.max_length, " (input.overlong: skip)");

  // Chunks: consecutive sequences up to the token budget.
  PlannedChunk chunk;
  for (size_t s = 0; s < plan.sequences.size(); ++s) {
    const int64_t len = plan.sequences[s].length();
    if (chunk.num_sequences > 0 && chunk.num_tokens + len > chunk_tokens) {
      plan.chunks.push_back(chunk);
      chunk = PlannedChunk();
      chunk.index = static_cast<int64_t>(plan.chunks.size());
      chunk.first_sequence = static_cast<int64_t>(s);
    }
    chunk.num_sequences += 1;
    chunk.num_tokens += len;
    chunk.num_words += plan.sequences[s].num_words;
    chunk.attention_elements += len * len;
  }
  plan.chunks.push_back(chunk);
  return plan;
}

std::vector<std::vector<int64_t>> make_batches(const ExtractionPlan& plan, const PlannedChunk& chunk,
                                               int64_t batch_tokens) {
  std::vector<int64_t> order(chunk.num_sequences);
  std::iota(order.begin(), order.end(), chunk.first_sequence);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return plan.sequences[x].length() < plan.sequences[y].length();
  });
  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> batch;
  int64_t real = 0;  // unpadded wordpieces in `batch`
  for (int64_t s : order) {
    // Sorted ascending, so the newest sequence is the longest: padded size = count x its length.
    // A batch closes when it would exceed the token budget or carry more than kMaxPaddingFraction
    // padding (a chunk of short and long sentences otherwise wastes half its compute on padding).
    const int64_t longest = plan.sequences[s].length();
    const int64_t padded = static_cast<int64_t>(batch.size() + 1) * longest;
    if (!batch.empty() && (padded > batch_tokens || padded - (real + longest) > kMaxPaddingFraction * padded)) {
      batches.push_back(std::move(batch));
      batch.clear();
      real = 0;
    }
    batch.push_back(s);
    real += longest;
  }
  if (!batch.empty()) batches.push_back(std::move(batch));
  return batches;
}

std::vector<int64_t> assign_chunks(const std::vector<PlannedChunk>& chunks, const std::vector<int64_t>& pending,
                                   int num_ranks, int rank) {
  std::vector<int64_t> order = pending;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return chunks[a].num_tokens > chunks[b].num_tokens; });
  std::vector<int64_t> load(num_ranks, 0);
  std::vector<int64_t> mine;
  for (int64_t c : order) {
    const int target = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    load[target] += chunks[c].num_tokens;
    if (target == rank) mine.push_back(c);
  }
  std::sort(mine.begin(), mine.end());
  return mine;
}

}  // namespace bertology
