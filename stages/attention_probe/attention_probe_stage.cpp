// Stage `attention_probe`: Clark et al. (2019) §5, Table 3 — dependency parsing probes on
// attention (attention only; attention and word vectors), their baselines (right-branching;
// distances and word vectors) and the random-init control, UAS without punctuation.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "pipeline/analysis/clark_common.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/analysis/word_attention.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/stop_signal.h"
#include "stages/attention_probe/attention_probes.h"
#include "pipeline/model/derived_models.h"
#include "pipeline/probe/token_tasks.h"

namespace bertology {
namespace {

/// Word vectors: the model's input word embeddings (mean over a word's pieces) or a GloVe file.
class WordVectors {
 public:
  static WordVectors from_model(const std::string& model_dir) {
    WordVectors v;
    v.table_ = model_word_embeddings(model_dir, &v.rows_, &v.dim_);
    return v;
  }
  /// Reads only the vectors of `needed` (lower-cased words) from a GloVe text file.
  static WordVectors from_glove(const std::string& path, const std::set<std::string>& needed) {
    std::ifstream in(path);
    BTL_REQUIRE(in.good(), path, ": cannot open the word-vector file (clark.word_vectors)");
    WordVectors v;
    v.glove_ = true;
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      std::istringstream fields(line);
      std::string word;
      fields >> word;
      if (word.empty()) continue;
      std::vector<float> values;
      float x;
      while (fields >> x) values.push_back(x);
      BTL_REQUIRE(!values.empty() && (v.dim_ == 0 || static_cast<int64_t>(values.size()) == v.dim_), path, ":", number,
                  ": expected a word and ", v.dim_ == 0 ? std::string("its vector") : std::to_string(v.dim_) + " numbers");
      v.dim_ = static_cast<int64_t>(values.size());
      if (needed.count(word)) v.glove_table_.emplace(word, std::move(values));
    }
    BTL_REQUIRE(v.dim_ > 0, path, ": no word vectors");
    return v;
  }
  int dim() const { return static_cast<int>(dim_); }
  /// [n, dim] for the words of a sequence.
  std::vector<float> sentence(const Sentence& s, const CacheReader::Sequence& seq) const {
    const size_t n = s.words.size(), d = static_cast<size_t>(dim_);
    std::vector<float> out(n * d, 0.f);
    if (glove_) {
      for (size_t w = 0; w < n; ++w) {
        const auto it = glove_table_.find(lower(s.words[w]));
        if (it != glove_table_.end()) std::copy(it->second.begin(), it->second.end(), out.begin() + w * d);
      }
      return out;
    }
    std::vector<int> pieces(n, 0);
    for (size_t t = 0; t < seq.input_ids.size(); ++t) {
      const int w = seq.word_ids[t];
      if (w < 0 || static_cast<size_t>(w) >= n) continue;
      const float* row = table_.data() + static_cast<size_t>(seq.input_ids[t]) * d;
      for (size_t c = 0; c < d; ++c) out[static_cast<size_t>(w) * d + c] += row[c];
      pieces[static_cast<size_t>(w)] += 1;
    }
    for (size_t w = 0; w < n; ++w)
      if (pieces[w] > 1)
        for (size_t c = 0; c < d; ++c) out[w * d + c] /= static_cast<float>(pieces[w]);
    return out;
  }
  static std::string lower(const std::string& word) {
    std::string s = word;
    for (char& c : s)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
  }

 private:
  bool glove_ = false;
  int64_t rows_ = 0, dim_ = 0;
  std::vector<float> table_;
  std::map<std::string, std::vector<float>> glove_table_;
};

/// Probe inputs of the sequences `seqs` of an entry. Without attention only gold, punctuation and
/// word vectors are filled. Sentences with a word that produced no piece are skipped (counted).
std::vector<ProbeSentence> probe_sentences(const CacheReader& reader, const std::vector<int64_t>& seqs, WordFrom from,
                                           bool with_attention, const WordVectors& vectors, int64_t* skipped) {
  const int L = reader.num_layers(), H = reader.num_heads(), K = L * H;
  std::vector<ProbeSentence> out;
  std::vector<float> words;
  std::vector<int32_t> unit_word_ids;
  for (int64_t i : seqs) {
    if (stop_requested()) throw StopRequested{};
    const auto seq = reader.sequence(i);
    const Sentence& s = reader.corpus().sentences[static_cast<size_t>(seq.sentence_a)];
    const int n = static_cast<int>(s.words.size());
    BTL_REQUIRE(s.annotations.size() == s.words.size(), s.origin,
                ": attention_probe needs gold heads (a CoNLL-U, CoNLL-X or PTB corpus)");
    ProbeSentence p;
    p.n = n;
    for (const auto& a : s.annotations) {
      BTL_REQUIRE(a.head >= 0 && a.head <= n, s.origin, ": a word has no gold head");
      p.gold.push_back(a.head);
      p.scored.push_back(is_clark_punctuation(a) ? 0 : 1);
    }
    // A word that produced no wordpiece has no attention row: the sentence is left out of every
    // probe and baseline alike (counted).
    std::vector<bool> has_piece(static_cast<size_t>(n), false);
    for (int32_t w : seq.word_ids)
      if (w >= 0 && w < n) has_piece[static_cast<size_t>(w)] = true;
    bool complete = std::find(has_piece.begin(), has_piece.end(), false) == has_piece.end();
    if (with_attention && complete) {
      p.attention.resize(static_cast<size_t>(K) * n * n);
      p.root.resize(static_cast<size_t>(K) * n * 4);
      for (int l = 0; l < L && complete; ++l) {
        const auto units = reader.word_attention(i, AttentionLayer{l}, from, &unit_word_ids);
        complete = words_only_attention(units, H, unit_word_ids, n, words);
        if (!complete) break;
        std::copy(words.begin(), words.end(), p.attention.begin() + static_cast<int64_t>(l) * H * n * n);
        // Columns of [CLS] (the first unit) and the final [SEP] (the last unit); words follow unit order.
        const int U = static_cast<int>(unit_word_ids.size());
        std::vector<int> unit_of_word(static_cast<size_t>(n), -1);
        for (int u = 0; u < U; ++u)
          if (unit_word_ids[static_cast<size_t>(u)] >= 0) unit_of_word[static_cast<size_t>(unit_word_ids[static_cast<size_t>(u)])] = u;
        for (int h = 0; h < H; ++h)
          for (int j = 0; j < n; ++j) {
            const int u = unit_of_word[static_cast<size_t>(j)];
            const float* map = units.data() + static_cast<int64_t>(h) * U * U;  // [U, U], rows = from
            const size_t at = ((static_cast<size_t>(l) * H + h) * n + j) * 4;
            p.root[at] = map[static_cast<int64_t>(u) * U];               // j -> [CLS]
            p.root[at + 1] = map[static_cast<int64_t>(u) * U + U - 1];   // j -> [SEP]
            p.root[at + 2] = map[u];                                     // [CLS] -> j
            p.root[at + 3] = map[static_cast<int64_t>(U - 1) * U + u];   // [SEP] -> j
          }
      }
    }
    if (!complete) {
      ++*skipped;
      continue;
    }
    p.vectors = vectors.sentence(s, seq);
    out.push_back(std::move(p));
  }
  return out;
}

std::string random_init_model_dir(const Params& p) {
  return derived_model_dir(p.cache.dir, p.model.path, cat("random-init seed ", p.runtime.seed));
}

struct ProbeJob {
  std::string probe, model;  // model: "pretrained" | "random_init"
  ProbeKind kind;
};

void run_attention_probe(StageContext& ctx) {
  const Params& p = ctx.params;
  const ClarkParams& clark = clark_section().of(p);
  BTL_REQUIRE(!p.input.pairs, "attention_probe: needs one sentence per input; set input.pairs: false");
  namespace fs = std::filesystem;

  // Entries: train = the run's entry; test = clark.test_corpus (or a held-out tail); and the same
  // two for the random-init copy of the model.
  const bool held_out = clark.test_corpus.empty();
  const CacheEntry train_entry = ctx.cache();
  CacheEntry test_entry = train_entry;
  if (!held_out) {
    Params test = p;
    test.corpus.path = clark.test_corpus;  // corpus.max_sentences applies to both (quick runs)
    test_entry = ctx.extract("test corpus", test);
  }
  CacheEntry random_train, random_test;
  // The random-init copy lives in the cache root (it is 1× the model's size), named by the
  // original weights and the seed, so studies share it and results/ stays small.
  const std::string random_model = random_init_model_dir(p);
  if (clark.random_init_probe) {
    if (ctx.mpi.rank() == 0) write_random_init_model(p.model.path, random_model, static_cast<uint64_t>(p.runtime.seed));
    ctx.mpi.barrier();
    Params random = p;
    random.model.path = random_model;
    random_train = ctx.extract("random-init model, training corpus", random);
    random_test = random_train;
    if (!held_out) {
      random.corpus.path = clark.test_corpus;
      random_test = ctx.extract("random-init model, test corpus", random);
    }
  }
  // The word vectors by content: a file replaced in place must not look up to date.
  StageOutput out = ctx.begin_output(
      {{"word_vectors_sha256", clark.word_vectors.empty() ? "" : sha256_file(clark.word_vectors)}});
  if (out.up_to_date()) return;
  set_torch_threads(p.model.threads);

  std::vector<ProbeJob> jobs = {{"attn", "pretrained", ProbeKind::Attn},
                                {"attn_words", "pretrained", ProbeKind::AttnWords},
                                {"distances_words", "pretrained", ProbeKind::DistancesWords}};
  if (clark.random_init_probe) jobs.push_back({"attn_words", "random_init", ProbeKind::AttnWords});

  const CacheReader train_reader = open_attention_entry(train_entry, "attention_probe");
  const CacheReader test_reader = open_attention_entry(test_entry, "attention_probe");
  std::vector<int64_t> train_seqs, test_seqs;
  if (held_out) {
    const int64_t S = train_reader.num_sequences(), cut = S - std::max<int64_t>(1, S / 10);
    BTL_REQUIRE(cut > 0, "attention_probe: ", S, " sentences are too few to hold out a test tenth; set clark.test_corpus");
    for (int64_t i = 0; i < S; ++i) (i < cut ? train_seqs : test_seqs).push_back(i);
  } else {
    for (int64_t i = 0; i < train_reader.num_sequences(); ++i) train_seqs.push_back(i);
    for (int64_t i = 0; i < test_reader.num_sequences(); ++i) test_seqs.push_back(i);
  }

  std::set<std::string> needed_words;
  if (!clark.word_vectors.empty())
    for (const auto* reader : {&train_reader, &test_reader})
      for (const auto& s : reader->corpus().sentences)
        for (const auto& w : s.words) needed_words.insert(WordVectors::lower(w));
  const WordVectors vectors = clark.word_vectors.empty() ? WordVectors::from_model(p.model.path)
                                                           : WordVectors::from_glove(clark.word_vectors, needed_words);
  const WordFrom from = clark_word_from(p);
  const int K = train_reader.num_layers() * train_reader.num_heads();
  const ProbeSettings settings{clark.probe_epochs, clark.probe_lr, static_cast<uint64_t>(p.runtime.seed),
                               parse_root_features(clark.root_features)};

  // Right-branching and the test size need no training: every rank computes them (cheap).
  int64_t skipped = 0;
  const auto test_plain = probe_sentences(test_reader, test_seqs, from, false, vectors, &skipped);
  const Attachment right = right_branching(test_plain);

  std::vector<int64_t> counts(jobs.size() * 2, 0);
  std::map<std::string, std::pair<std::vector<ProbeSentence>, std::vector<ProbeSentence>>> data;  // by model
  ctx.for_my_share(static_cast<int64_t>(jobs.size()), [&](int64_t jj) {
    const size_t j = static_cast<size_t>(jj);
    const ProbeJob& job = jobs[j];
    if (!data.count(job.model)) {
      int64_t ignored = 0;
      if (job.model == "random_init") {
        const CacheReader tr = open_attention_entry(random_train, "attention_probe");
        const CacheReader te = open_attention_entry(random_test, "attention_probe");
        data[job.model] = {probe_sentences(tr, train_seqs, from, true, vectors, &ignored),
                           probe_sentences(te, test_seqs, from, true, vectors, &ignored)};
      } else {
        data[job.model] = {probe_sentences(train_reader, train_seqs, from, true, vectors, &ignored),
                           probe_sentences(test_reader, test_seqs, from, true, vectors, &ignored)};
      }
    }
    const auto& [train, test] = data[job.model];
    const Attachment a = train_and_evaluate_probe(job.kind, train, test, K, vectors.dim(), settings, &stop_requested);
    counts[j * 2] = a.correct;
    counts[j * 2 + 1] = a.count;
    ctx.out << "attention_probe: rank " << ctx.mpi.rank() << " " << job.probe << " (" << job.model << "): UAS "
            << fixed(a.uas(), 2) << "\n" << std::flush;
  });
  ctx.mpi.allreduce_sum(counts);

  CsvTable results(kAttentionProbeResults.columns);
  results.add({"right_branching", "none", fixed(right.uas(), 4), std::to_string(right.correct), std::to_string(right.count)});
  for (size_t j = 0; j < jobs.size(); ++j) {
    const Attachment a{counts[j * 2], counts[j * 2 + 1]};
    results.add({jobs[j].probe, jobs[j].model, fixed(a.uas(), 4), std::to_string(a.correct), std::to_string(a.count)});
  }
  out.write_table(kAttentionProbeResults, results);
  out.finish({{"train_sentences", static_cast<int64_t>(train_seqs.size())},
              {"test_sentences", static_cast<int64_t>(test_seqs.size()) - skipped},
              {"test_sentences_skipped_word_without_pieces", skipped},
              {"word_vector_dim", vectors.dim()},
              {"word_vectors", clark.word_vectors.empty() ? "model input embeddings (mean over pieces)" : clark.word_vectors}});
}

const StageRegistration registration{
    {"attention_probe", "Clark et al. 2019 §5: attention-based dependency probes, baselines and random-init control",
     run_attention_probe, {&clark_section()}}};

}  // namespace
}  // namespace bertology
