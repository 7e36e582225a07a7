// Stage `coref_heads`: Clark et al. (2019) §4.3, Table 2 — antecedent selection accuracy of every
// head (a mention's head word attends most to the head word of one of its antecedents), by
// mention type, beside the nearest-mention, head-match and rule-based baselines. Documents are
// cut to what fits in tokenizer.max_length wordpieces (the paper: 128). Choices: antecedents.h.
#include <algorithm>
#include <ostream>

#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/cache/cache_dir.h"
#include "pipeline/coref/antecedents.h"
#include "pipeline/util/error.h"
#include "pipeline/util/percent.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {
namespace {

/// Score arrays: rows = L·H heads then the three baselines; per row correct[4] and count[4].
constexpr int kBaselines = 3;
const char* const kBaselineNames[kBaselines] = {"nearest_mention", "nearest_head_match", "rule_based_sieves"};

void run_coref_heads(StageContext& ctx) {
  const Params& p = ctx.params;
  BTL_REQUIRE(!clark_section().of(p).coref_corpus.empty(), "coref_heads: set clark.coref_corpus (GUM-style CoNLL-U or CoNLL-2012 "
                                             "files or folders, e.g. LitBank's coref/conll)");
  // Documents, cut to max_length words first (a word gives at least one piece, so later words can
  // never fit), as a JSON-lines corpus the activation cache can key and extract.
  std::vector<CorefDocument> documents;
  for (const auto& file : coref_corpus_files(clark_section().of(p).coref_corpus, "clark.coref_corpus"))
    for (auto& d : read_coref_documents(file)) documents.push_back(truncate_document(d, std::max(1, p.tokenizer.max_length - 2)));
  BTL_REQUIRE(!documents.empty(), "coref_heads: no documents in clark.coref_corpus");
  // The file lives beside the cache entries it feeds (named by its content), not in the results.
  std::string lines;
  for (const auto& d : documents) lines += nlohmann::json({{"words", d.words}, {"document", d.id}}).dump() + "\n";
  const std::string corpus_file = ctx.corpus_file("coref_documents", ".jsonl", lines);
  // The cache keys the words only; mentions, heads and types are read from the files each run, so
  // they enter the stage's inputs as a digest.
  std::string annotations;
  for (const auto& d : documents) {
    annotations += d.id + "\n";
    for (const auto& m : d.mentions)
      annotations += cat(m.start, " ", m.end, " ", m.entity, " ", m.head, " ", static_cast<int>(m.type), "\n");
  }
  Params docs = p;
  docs.corpus.path = corpus_file;
  docs.corpus.format = "jsonl";
  docs.corpus.max_sentences = 0;
  docs.input.pairs = false;
  docs.input.overlong = "truncate";
  const CacheEntry entry = ctx.extract("documents", docs);
  StageOutput out = ctx.begin_output({{"mentions_sha256", sha256_hex(annotations.data(), annotations.size())}});
  if (out.up_to_date()) return;

  const CacheReader reader = open_attention_entry(entry, "coref_heads");
  BTL_REQUIRE(reader.num_sequences() == static_cast<int64_t>(documents.size()), entry.dir,
              ": the cache entry does not hold one sequence per document");
  const int L = reader.num_layers(), H = reader.num_heads(), K = L * H;
  const WordFrom from = clark_word_from(p);
  std::vector<int64_t> scores(static_cast<size_t>(K + kBaselines) * 8, 0);
  auto add_score = [&](int row, const CorefScore& s) {
    for (int k = 0; k < 4; ++k) {
      scores[static_cast<size_t>(row) * 8 + k] += s.correct[k];
      scores[static_cast<size_t>(row) * 8 + 4 + k] += s.count[k];
    }
  };
  std::vector<float> words;
  std::vector<int32_t> unit_word_ids;
  int64_t words_used = 0, skipped_documents = 0;
  ctx.for_my_share(reader.num_sequences(), [&](int64_t i) {
    const auto seq = reader.sequence(i);
    // Truncation drops pieces from the end: the words that kept a piece are a prefix.
    int present = 0;
    for (int32_t w : seq.word_ids) present = std::max(present, w + 1);
    // A word that produced no wordpiece (e.g. only a control character) has no attention row:
    // such a document is skipped (counted), for the heads and the baselines alike.
    std::vector<bool> has_piece(static_cast<size_t>(present), false);
    for (int32_t w : seq.word_ids)
      if (w >= 0) has_piece[static_cast<size_t>(w)] = true;
    if (std::find(has_piece.begin(), has_piece.end(), false) != has_piece.end()) {
      ++skipped_documents;
      return;
    }
    const CorefDocument doc = truncate_document(documents[static_cast<size_t>(i)], present);
    const auto queries = antecedent_queries(doc);
    words_used += present;
    if (queries.empty()) return;
    const std::vector<int> predicted_by[kBaselines] = {nearest_mention(doc, queries), nearest_head_match(doc, queries),
                                                       rule_based_sieves(doc, queries)};
    for (int b = 0; b < kBaselines; ++b) {
      CorefScore s;
      score_predictions(queries, predicted_by[b], s);
      add_score(K + b, s);
    }
    std::vector<int> predicted(queries.size());
    for (int l = 0; l < L; ++l) {
      const auto units = reader.word_attention(i, AttentionLayer{l}, from, &unit_word_ids);
      if (!words_only_attention(units, H, unit_word_ids, present, words))
        throw InternalError(cat("coref_heads: document ", i, " lost a word"));
      for (int h = 0; h < H; ++h) {
        const float* a = words.data() + static_cast<size_t>(h) * present * present;
        for (size_t q = 0; q < queries.size(); ++q)
          predicted[q] = argmax_skipping(a + static_cast<size_t>(queries[q].head) * present, present, queries[q].head);
        CorefScore s;
        score_predictions(queries, predicted, s);
        add_score(l * H + h, s);
      }
    }
  });
  ctx.mpi.allreduce_sum(scores);
  words_used = ctx.mpi.allreduce_sum(words_used);
  skipped_documents = ctx.mpi.allreduce_sum(skipped_documents);

  auto pct = [&](int row, int k) {
    const int64_t c = scores[static_cast<size_t>(row) * 8 + k], n = scores[static_cast<size_t>(row) * 8 + 4 + k];
    return fixed(percent(static_cast<double>(c), static_cast<double>(n)), 4);
  };
  auto count = [&](int row, int k) { return std::to_string(scores[static_cast<size_t>(row) * 8 + 4 + k]); };
  CsvTable heads(kCorefHeads.columns), baselines(kCorefBaselines.columns);
  for (int row = 0; row < K + kBaselines; ++row) {
    std::vector<std::string> cells;
    if (row < K) cells = {std::to_string(row / H + 1), std::to_string(row % H + 1)};
    else cells = {kBaselineNames[row - K]};
    for (int k = 0; k < 4; ++k) cells.push_back(pct(row, k));
    for (int k = 0; k < 4; ++k) cells.push_back(count(row, k));
    (row < K ? heads : baselines).add(std::move(cells));
  }
  out.write_table(kCorefHeads, heads);
  out.write_table(kCorefBaselines, baselines);
  out.finish({{"num_documents", reader.num_sequences()}, {"num_words", words_used},
              {"num_queries", scores[static_cast<size_t>(K) * 8 + 4]}, {"max_length", p.tokenizer.max_length}, {"skipped_documents_word_without_pieces", skipped_documents},
              {"index_base", 1}});
  return;
}

const StageRegistration registration{
    {"coref_heads", "Clark et al. 2019 §4.3: antecedent selection accuracy of every head, with baselines", run_coref_heads, {&clark_section()}}};

}  // namespace
}  // namespace bertology
