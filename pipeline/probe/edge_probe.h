// Tenney et al.'s edge probe (ICLR 2019; "BERT rediscovers the classical NLP pipeline", ACL 2019),
// trained with LibTorch (this header is torch-free; the module is edge_probe_module.h).
//
// Model (jiant's EdgeClassifierModule with cnn_context 0, edges-tmpl):
//   x_i      = token vector i of the sentence: one layer, or with `mix` the scalar mix
//              γ Σ_l softmax(a)_l h_i^(l) over the sentence's stored layers (a, γ learned);
//   p_i^(k)  = W_k x_i + b_k                    projection of side k = 1, 2 to proj_dim (separate);
//   span rep r^(k) = pooling of p_i^(k) over the span's tokens i ∈ [begin, end):
//     attn (jiant, AllenNLP SelfAttentiveSpanExtractor): α = softmax_i(v_k · p_i^(k) + c_k),
//          r = Σ α_i p_i^(k); mean: α_i = 1/len; max: r_j = max_i p_ij^(k);
//   logits   = W_o LayerNorm(tanh(W_h [r^(1) ; r^(2)] + b_h)) + b_o  (dropout after the LayerNorm);
//   loss     = binary cross-entropy of sigmoid(logits) against the k-hot labels, mean over the
//              batch's targets × labels (multi-label, as jiant).
// attn and mean pool x first and project once: W (Σ α_i x_i) + b = Σ α_i p_i because Σ α_i = 1,
// and v·p_i = (Wᵀv)·x_i + const, which softmax ignores; the same function, fewer FLOPs for long spans
// (checked against a transcription of jiant in tests/model/test_edge_probe.cpp).
//
// jiant also applies dropout (0.2) to the token vectors before the projections (its sentence
// encoder's `dropout` on the scalar mix output): `input_dropout`.
//
// Training: Adam with AMSGrad (jiant's "adam"), batches of `batch_sentences` sentences (all their targets), order shuffled per
// epoch from `seed`, gradient norm clipped to `max_grad_norm`; after each epoch the dev micro-F1
// picks the best weights; the learning rate is multiplied by `lr_decay` after `lr_patience` epochs
// without a better dev F1 and training stops after `patience` such epochs or `max_epochs`.
// Scores: a (target, label) is predicted when its logit > 0; micro-F1 = 2TP / (2TP + FP + FN)
// over every (target, label), or over label `score_label` only (binary tasks: jiant reports the
// F1 of label "1"). Deterministic for fixed options and torch threads.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "pipeline/stage/epoch_order.h"
#include "pipeline/stage/windowed_source.h"

namespace bertology {

/// One target: spans [begin, end) of the sentence's token rows (wordpieces), span 2 optional.
struct EdgeTarget {
  int32_t span1_begin = 0, span1_end = 0;
  int32_t span2_begin = -1, span2_end = -1;  ///< -1: single-sided task
  std::vector<int32_t> labels;               ///< label indices (k-hot), may be empty
};

/// One sentence's token vectors and targets.
struct EdgeSentence {
  int64_t tokens = 0;                  ///< T rows
  int64_t layers = 1;                  ///< layers per row
  std::vector<float> vectors;          ///< [T, layers, d], or empty when vectors_half holds them
  std::vector<uint16_t> vectors_half;  ///< [T, layers, d] float16 bits (a float16 cache's values, exact)
  std::vector<EdgeTarget> targets;
};

/// Bytes an EdgeSentence of T tokens, `layers` layers of d values of `value_bytes` and `targets`
/// targets holds (the windowed sources' unit).
int64_t edge_sentence_bytes(int64_t T, int64_t layers, int64_t d, int64_t value_bytes, int64_t targets);

using EdgeSentenceSource = WindowedSource<EdgeSentence>;

struct EdgeProbeOptions {
  std::string pooling = "attn";  ///< attn | mean | max
  int64_t proj_dim = 256;        ///< jiant d_hid: the per-token projection
  int64_t hidden = 256;          ///< the MLP's hidden units
  double dropout = 0.3;          ///< after the LayerNorm
  double input_dropout = 0.2;    ///< on the (mixed) token vectors, as jiant's sentence encoder
  double lr = 1e-4;
  double lr_decay = 0.5;
  int lr_patience = 2;
  double max_grad_norm = 5.0;
  int64_t batch_sentences = 32;
  int max_epochs = 20;
  int patience = 5;
  uint64_t seed = 1234;
  EpochShuffle shuffle;          ///< the epoch order of the training sentences (probe.shuffle)
  int64_t num_labels = 2;
  bool two_sided = false;        ///< targets have span 2
  bool mix = false;              ///< scalar mix over the sentence's layers (else layers must be 1)
  int64_t score_label = -1;      ///< -1: micro-F1 over every label; k: F1 of label k only
};

/// True positives, false positives and false negatives over (target, label) decisions.
struct EdgeScore {
  int64_t tp = 0, fp = 0, fn = 0, targets = 0;
  /// 100 · 2TP / (2TP + FP + FN); NaN when there is nothing to score.
  double f1() const;
};

struct EdgeProbeResult {
  EdgeScore dev, test;
  int epochs = 0, best_epoch = 0;
  std::vector<double> mix_weights;  ///< softmax(a) of the best epoch (mix), else empty
  double mix_gamma = 1.0;
};

/// Trains on `train`, selects on `dev`, scores `test`, holding at most `hold_bytes` of sentences at
/// once (windows of whole batches; the result does not depend on it). `dim` = d. `should_stop`
/// (may be null) is polled between batches (StopRequested).
EdgeProbeResult train_edge_probe(EdgeSentenceSource& train, EdgeSentenceSource& dev, EdgeSentenceSource& test,
                                 int64_t dim, const EdgeProbeOptions& options,
                                 int64_t hold_bytes = std::numeric_limits<int64_t>::max(),
                                 bool (*should_stop)() = nullptr);
/// The same on sentences in memory.
EdgeProbeResult train_edge_probe(const std::vector<EdgeSentence>& train, const std::vector<EdgeSentence>& dev,
                                 const std::vector<EdgeSentence>& test, int64_t dim, const EdgeProbeOptions& options,
                                 bool (*should_stop)() = nullptr);

}  // namespace bertology
