// Clark et al. (2019) §5, Table 3: attention-based probing classifiers for dependency parsing,
// trained with LibTorch (the header is torch-free).
//
// For dependent j (0-based word) the candidates are ROOT (index 0) and every other word i
// (index i + 1); the probe scores each, a softmax over candidates gives p(i|j), the loss of a
// sentence is Σ_j −log p(gold head | j), one sentence per Adam step (the paper's setup). A word is
// never its own head (that candidate is masked).
//   attn:            s(i|j) = Σ_k w_k α^k_{j→i} + u_k α^k_{i→j}
//   attn_words:      the same with each weight a linear function (with bias) of v_i ⊕ v_j
//                    (the paper's formula; Clark's TF code pairs candidate i with v_{i+1}, an
//                    off-by-one we do not copy)
// ROOT (RootFeatures):
//   released (Clark's code): two global scalars a, b turn every map, in both directions, into a
//     ROOT feature that the map's own weight multiplies:
//       s(ROOT|j) = Σ_k w_k (a α^k_{j→[CLS]} + b α^k_{j→[SEP]}) + u_k (a α^k_{[CLS]→j} + b α^k_{[SEP]→j});
//     attn_words: w_k, u_k are the weights for candidate ROOT with v_ROOT = 0 (bias + W_dep v_j).
//     a, b start from U(−√3, √3), TF's default (Glorot) initialiser for a scalar.
//   free: s(ROOT|j) = Σ_k r_k α^k_{j→[CLS]} + q_k α^k_{j→[SEP]}, 2K weights of their own
//     (attn_words: linear functions of v_j), one direction.
//   The two differ in how ROOT is scored, not in the word-to-word scores.
//   distances_words: MLP(tanh, 256) over v_j ⊕ v_i ⊕ 8 distance features (forward and backward
//                    distance / n, indicators of offsets 0, +1, −1, +2, −2, ROOT); v_ROOT = 0
// α^k are the word-level attention maps of all L·H heads (k = layer·H + head).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage/windowed_source.h"

namespace bertology {

/// One sentence as the probes see it.
struct ProbeSentence {
  int n = 0;                     ///< words
  std::vector<int> gold;         ///< [n] gold head, 1-based, 0 = ROOT
  std::vector<uint8_t> scored;   ///< [n] 1 = counts for UAS (not punctuation)
  std::vector<float> attention;  ///< [K, n, n]: attention[k][j][i] = α^k from word j to word i
  std::vector<float> root;       ///< [K, n, 4]: α^k j→[CLS], j→[SEP], [CLS]→j, [SEP]→j
  std::vector<float> vectors;    ///< [n, dv] word vectors
};

enum class ProbeKind { Attn, AttnWords, DistancesWords };
const char* probe_kind_name(ProbeKind kind);

/// How the attention probes score ROOT (see the file comment): "released" | "free".
enum class RootFeatures { Released, Free };
RootFeatures parse_root_features(const std::string& name);  ///< InputError naming clark.root_features

struct ProbeSettings {
  int epochs = 1;         ///< passes over the training sentences
  double lr = 0.002;      ///< Adam learning rate
  uint64_t seed = 1234;   ///< parameter init and sentence order
  RootFeatures root = RootFeatures::Released;
};

/// Attachment counts over the scored words.
struct Attachment {
  int64_t correct = 0, count = 0;
  double uas() const { return count > 0 ? 100.0 * correct / count : 0.0; }
};

/// Bytes a loaded ProbeSentence of n words holds (its vectors' payload): K·n² + 4·K·n floats of
/// attention when `attention`, n·dv floats of word vectors, n gold heads and n flags.
int64_t probe_sentence_bytes(int64_t n, int64_t K, int64_t dv, bool attention);

/// Where the probes get their sentences: count() of them, loaded a window at a time, so that a
/// training set larger than memory streams from the cache (pipeline/stage/windowed_source.h).
using ProbeSentenceSource = WindowedSource<ProbeSentence>;

/// What streaming cost: windows loaded and sentences loaded over training and evaluation.
struct ProbeReadStats {
  int64_t windows = 0, sentences_loaded = 0;
};

/// Trains a probe of `kind` on `train` and counts correct heads on `test`. K = attention maps per
/// direction (L·H), dv = word-vector size. Each epoch visits the training sentences in an order
/// shuffled from the seed, one Adam step per sentence, loading them in windows of at most
/// `hold_bytes` (a window holds at least one sentence); the windows change what is read when, not
/// the order of the steps, so the result is the same for every hold_bytes. Deterministic for fixed
/// settings and torch threads. `should_stop` is polled between steps; when it returns true the
/// function throws StopRequested.
Attachment train_and_evaluate_probe(ProbeKind kind, ProbeSentenceSource& train, ProbeSentenceSource& test, int K,
                                    int dv, const ProbeSettings& settings, int64_t hold_bytes, bool (*should_stop)(),
                                    ProbeReadStats* stats = nullptr);
/// The same on sentences in memory.
Attachment train_and_evaluate_probe(ProbeKind kind, const std::vector<ProbeSentence>& train,
                                    const std::vector<ProbeSentence>& test, int K, int dv,
                                    const ProbeSettings& settings, bool (*should_stop)());

/// Right-branching baseline: the head of word j is word j + 1; the last word is the root.
Attachment right_branching(const std::vector<ProbeSentence>& test);
/// The same over a source, read in windows of at most `hold_bytes`.
Attachment right_branching(ProbeSentenceSource& test, int64_t hold_bytes);

/// The input word embeddings of a checkpoint folder as float32: [vocab, d] row-major.
std::vector<float> model_word_embeddings(const std::string& model_dir, int64_t* rows, int64_t* cols);

}  // namespace bertology
