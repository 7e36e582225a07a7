// The extraction plan: corpus sentences -> model input sequences -> chunks -> batches.
//
// Everything here is a pure function of (corpus, tokenizer, input policy, budgets), never of the
// number of ranks, so any rank count computes the same chunks with the same batches and writes the
// same bytes. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/corpus/corpus.h"
#include "pipeline/tokenizer/bert_tokenizer.h"

namespace bertology {

/// How sentences become model inputs (recorded in the cache key).
struct InputPolicy {
  bool special_tokens = true;    ///< [CLS] ... [SEP] (Clark, Hewitt) or raw pieces (Lin's probes)
  bool pairs = false;            ///< [CLS] A [SEP] B [SEP] from consecutive sentences (0+1, 2+3, ...)
  int max_length = 512;          ///< most wordpieces per sequence, specials included
  bool truncate = false;         ///< overlong: truncate (longest sentence first) instead of skipping
};

/// One model input.
struct PlannedSequence {
  int64_t sentence_a = -1;             ///< corpus index of the (first) sentence
  int64_t sentence_b = -1;             ///< second sentence in pair mode, else -1
  std::vector<int32_t> input_ids;      ///< wordpiece ids as fed, specials included
  std::vector<int32_t> word_ids;       ///< word index per piece (-1 = special); B's words follow A's
  std::vector<int8_t> segment_ids;     ///< 0 for A, 1 for B
  int32_t num_words = 0;               ///< words of A (+ B)
  int32_t num_words_a = 0;             ///< words of A
  bool truncated = false;              ///< pieces were dropped to fit max_length
  int64_t length() const { return static_cast<int64_t>(input_ids.size()); }
};

/// A run of consecutive sequences that becomes one HDF5 file.
struct PlannedChunk {
  int64_t index = 0;            ///< chunk number (file chunk_<index>.h5)
  int64_t first_sequence = 0;   ///< index into ExtractionPlan::sequences
  int64_t num_sequences = 0;
  int64_t num_tokens = 0;       ///< sum of sequence lengths (no padding)
  int64_t num_words = 0;        ///< sum of num_words
  int64_t attention_elements = 0;  ///< sum of T^2 (multiply by stored heads x layers)
};

/// The whole plan.
struct ExtractionPlan {
  std::vector<PlannedSequence> sequences;
  std::vector<PlannedChunk> chunks;
  std::vector<int64_t> skipped_sentences;  ///< overlong sentences left out (skip policy)
  int64_t truncated_sequences = 0;
  int64_t num_tokens = 0;
};

/// Tokenizes the corpus and cuts it into chunks of about `chunk_tokens` wordpieces, in corpus order
/// (a sequence longer than the budget gets a chunk of its own). Throws InputError naming the
/// sentence's FILE:LINE for tokenizer errors.
ExtractionPlan make_plan(const Corpus& corpus, const BertTokenizer& tokenizer, const InputPolicy& policy,
                         int64_t chunk_tokens);

/// Most padding a batch may carry, as a fraction of its padded size (part of the cache format:
/// batch composition changes float round-off, so changing it needs kCacheFormatVersion + 1).
constexpr double kMaxPaddingFraction = 0.15;

/// Batches of one chunk: sequence indices (into plan.sequences), sorted by length so that padding
/// is small, each batch with at most `batch_tokens` padded wordpieces (batch size x longest) and at
/// most kMaxPaddingFraction padding.
std::vector<std::vector<int64_t>> make_batches(const ExtractionPlan& plan, const PlannedChunk& chunk,
                                               int64_t batch_tokens);

/// Static assignment of chunks to ranks, balanced by tokens (largest first onto the least loaded
/// rank; ties by lower rank). Returns, for `rank`, its chunk indices in increasing order.
std::vector<int64_t> assign_chunks(const std::vector<PlannedChunk>& chunks, const std::vector<int64_t>& pending,
                                   int num_ranks, int rank);

}  // namespace bertology
