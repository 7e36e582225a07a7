// Stage `attention_probe`: Clark et al. (2019) §5, Table 3 — dependency parsing probes on
// attention (attention only; attention and word vectors), their baselines (right-branching;
// distances and word vectors) and the random-init control, UAS without punctuation.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
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
#include "pipeline/model/checkpoint_files.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/stop_signal.h"
#include "pipeline/stage/memory_budget.h"
#include "pipeline/util/human_bytes.h"
#include "stages/attention_probe/attention_probes.h"
#include "stages/attention_probe/cache_probe_sentences.h"
#include "stages/attention_probe/word_vectors.h"
#include "pipeline/model/derived_models.h"
#include "pipeline/probe/token_tasks.h"

namespace bertology {
namespace {

/// Float tensors of [K, n, n] alive in the heaviest probe's (attn_words) training step: the word
/// weights of both directions, their products with the maps, and the gradients of each.
constexpr int64_t kTrainingStepCopies = 8;

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

  // Sequences, vocabulary and sizes from the two entries; these readers (a corpus each) are gone
  // before training: every source opens its own.
  std::vector<int64_t> train_seqs, test_seqs;
  std::set<std::string> needed_words;
  int K = 0;
  int64_t reader_caches = 0, readers = 0;
  {
    const CacheReader train_reader = open_attention_entry(train_entry, "attention_probe");
    const CacheReader test_reader = open_attention_entry(test_entry, "attention_probe");
    if (held_out) {
      const int64_t S = train_reader.num_sequences(), cut = S - std::max<int64_t>(1, S / 10);
      BTL_REQUIRE(cut > 0, "attention_probe: ", S, " sentences are too few to hold out a test tenth; set clark.test_corpus");
      for (int64_t i = 0; i < S; ++i) (i < cut ? train_seqs : test_seqs).push_back(i);
    } else {
      for (int64_t i = 0; i < train_reader.num_sequences(); ++i) train_seqs.push_back(i);
      for (int64_t i = 0; i < test_reader.num_sequences(); ++i) test_seqs.push_back(i);
    }
    if (!clark.word_vectors.empty())
      for (const auto* reader : {&train_reader, &test_reader})
        for (const auto& s : reader->corpus().sentences)
          for (const auto& w : s.words) needed_words.insert(WordVectors::lower(w));
    K = train_reader.num_layers() * train_reader.num_heads();
    reader_caches = CacheProbeSentences::reader_cache_bytes(train_reader) + CacheProbeSentences::reader_cache_bytes(test_reader);
    readers = train_reader.resident_bytes() + test_reader.resident_bytes();
  }
  const WordVectors vectors = clark.word_vectors.empty() ? WordVectors::from_model(p.model.path)
                                                           : WordVectors::from_glove(clark.word_vectors, needed_words);
  const WordFrom from = clark_word_from(p);
  const ProbeSettings settings{clark.probe_epochs, clark.probe_lr, static_cast<uint64_t>(p.runtime.seed),
                               parse_root_features(clark.root_features)};

  // Memory (docs/scale.md): the word-vector table, the attention caches of a train and a test
  // reader, the longest sentence loaded and its training step; what is left holds sentences, all
  // of a model when they fit (read once for every job), else a window of the epoch order at a time.
  const CacheProbeSentences::Contents plain{false, false}, with_attention{true, true}, with_vectors{false, true};
  int64_t n_max = 0, test_sentences = 0, skipped = 0;
  Attachment right;
  {
    CacheProbeSentences train_plain(train_entry, train_seqs, from, plain, nullptr);
    CacheProbeSentences test_plain(test_entry, test_seqs, from, plain, nullptr);
    n_max = std::max(train_plain.max_words(), test_plain.max_words());
    test_sentences = test_plain.count();
    skipped = test_plain.skipped();
    // Right-branching needs no training: every rank computes it (gold heads only, 1 MiB windows).
    right = right_branching(test_plain, int64_t{1} << 20);
  }
  MemoryBudget budget(p, "attention_probe");
  budget.reserve(vectors.table_bytes(), "the word-vector table");
  // The checkpoint is read whole for its embeddings (freed, but the process's peak counts it).
  if (clark.word_vectors.empty())
    budget.reserve(static_cast<int64_t>(fs::file_size(checkpoint_weights_file(p.model.path))),
                   "reading the checkpoint for them");
  budget.reserve(readers, "the train and test readers' corpora and index");
  budget.reserve(reader_caches, "their attention caches");
  budget.reserve(probe_sentence_bytes(n_max, K, vectors.dim(), true), cat("the longest sentence (", n_max, " words)"));
  budget.reserve(kTrainingStepCopies * K * n_max * n_max * 4, "its training step");
  const int64_t hold = budget.left();

  std::vector<int64_t> counts(jobs.size() * 2, 0);
  // The sentences of the model and contents the last job read, kept for the next job on this rank.
  std::string held_model;
  bool held_attention = false;
  std::unique_ptr<CacheProbeSentences> train, test;
  ctx.for_my_share(static_cast<int64_t>(jobs.size()), [&](int64_t jj) {
    const size_t j = static_cast<size_t>(jj);
    const ProbeJob& job = jobs[j];
    const bool attention = job.kind != ProbeKind::DistancesWords;
    if (!train || held_model != job.model || held_attention != attention) {
      train.reset();
      test.reset();
      const bool random = job.model == "random_init";
      const auto contents = attention ? with_attention : with_vectors;
      train = std::make_unique<CacheProbeSentences>(random ? random_train : train_entry, train_seqs, from, contents, &vectors);
      test = std::make_unique<CacheProbeSentences>(random ? random_test : test_entry, test_seqs, from, contents, &vectors);
      if (train->total_bytes() + test->total_bytes() <= hold) train->keep_all(), test->keep_all();
      held_model = job.model;
      held_attention = attention;
    }
    ProbeReadStats read;
    const Attachment a = train_and_evaluate_probe(job.kind, *train, *test, K, vectors.dim(), settings, hold,
                                                  &stop_requested, &read);
    counts[j * 2] = a.correct;
    counts[j * 2 + 1] = a.count;
    ctx.out << "attention_probe: rank " << ctx.mpi.rank() << " " << job.probe << " (" << job.model << "): UAS "
            << fixed(a.uas(), 2) << "; "
            << (train->keeps_all() ? cat("sentences held in memory (", human_bytes(double(train->total_bytes() + test->total_bytes())), ")")
                                   : cat("streamed: ", read.sentences_loaded, " sentences read in ", read.windows,
                                         " windows of at most ", human_bytes(double(hold))))
            << "\n" << std::flush;
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
              {"test_sentences", test_sentences},
              {"test_sentences_skipped_word_without_pieces", skipped},
              {"word_vector_dim", vectors.dim()},
              {"word_vectors", clark.word_vectors.empty() ? "model input embeddings (mean over pieces)" : clark.word_vectors}});
}

const StageRegistration registration{
    {"attention_probe", "Clark et al. 2019 §5: attention-based dependency probes, baselines and random-init control",
     run_attention_probe, {&clark_section()}}};

}  // namespace
}  // namespace bertology
