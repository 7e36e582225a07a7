// Stage `structural_probe`: Hewitt & Manning (2019)'s distance and depth probes on the word vectors
// of every layer: UUAS, DSpr, root accuracy, NSpr. Files: docs/probing.md.
#include <algorithm>
#include <cmath>
#include <memory>
#include <ostream>

#include "pipeline/cache/layer_convention.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/memory_budget.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/human_bytes.h"
#include "stages/structural_probe/cache_structural_sentences.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/probe/probe_entries.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/probe/probing_tables.h"
#include "stages/structural_probe/structural_section.h"
#include "pipeline/probe/structural_probe.h"
#include "pipeline/probe/token_tasks.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace bertology {
namespace {

std::string number(double v) { return std::isnan(v) ? "nan" : fixed(v, 4); }

void run_structural_probe(StageContext& ctx) {
  const Params& p = ctx.params;
  const ProbeParams& probe = probe_section().of(p);
  const StructuralParams& structural = structural_section().of(p);
  ProbeEntries entries(ctx);
  StageOutput out = ctx.begin_output();
  if (out.up_to_date()) return;
  set_torch_threads(p.model.threads);
  entries.open();
  const CacheReader& train_reader = entries.train();
  const CacheReader& test_reader = entries.test();
  const std::vector<int64_t> layers = probe_layers(p, train_reader);
  const TokenSplits& splits = entries.splits();
  const int64_t rank = structural.rank > 0 ? structural.rank : train_reader.hidden_size();
  int64_t n_max = 0;
  for (const auto* split : {&splits.train, &splits.dev})
    n_max = std::max(n_max, CacheStructuralSentences(train_reader, *split, layers.front()).max_words());
  n_max = std::max(n_max, CacheStructuralSentences(test_reader, splits.test, layers.front()).max_words());
  // Memory (docs/scale.md): one chunk's word vectors read and reordered, a batch's autograd graph
  // (the [n, n, rank] difference of each sentence is kept for backward; the square and two
  // gradients exist for one sentence at a time); the rest, halved for the read buffer beside the
  // window, holds sentences.
  MemoryBudget budget(p, "structural_probe");
  budget.reserve(train_reader.resident_bytes() + (&test_reader == &train_reader ? 0 : test_reader.resident_bytes()),
                 "the readers' corpora and index");
  budget.reserve(2 * p.extract.chunk_tokens * train_reader.hidden_size() * 4, "one chunk's word vectors, read and reordered");
  budget.reserve((structural.batch_sentences + 3) * n_max * n_max * rank * 4,
                 cat("a batch's training step (", structural.batch_sentences, " sentences of up to ", n_max, " words)"));
  const int64_t hold = budget.left() / 2;
  const char* const kinds[2] = {"distance", "depth"};
  const int64_t Ly = static_cast<int64_t>(layers.size()), S = probe.seeds;
  // The sentences of the layer the last job read, kept for the next job on this rank.
  int64_t held_layer = -1;
  std::unique_ptr<CacheStructuralSentences> train, dev, test;
  // Row: uuas, dspr, root accuracy, nspr, sentences.
  const auto table = ctx.run_job_grid(2 * Ly * S, 5, [&](int64_t j, double* row) {
    // Layer-major job order, so that consecutive jobs of a rank reuse the layer's sentences.
    const int kind = static_cast<int>((j / S) % 2);
    const int64_t l = j / (2 * S), seed = j % S;
    const int64_t layer = layers[static_cast<size_t>(l)];
    if (layer != held_layer) {
      train.reset(), dev.reset(), test.reset();
      train = std::make_unique<CacheStructuralSentences>(train_reader, splits.train, layer);
      dev = std::make_unique<CacheStructuralSentences>(train_reader, splits.dev, layer);
      test = std::make_unique<CacheStructuralSentences>(test_reader, splits.test, layer);
      if (train->total_bytes() + dev->total_bytes() + test->total_bytes() <= hold)
        train->keep_all(), dev->keep_all(), test->keep_all();
      held_layer = layer;
    }
    StructuralOptions o;
    o.kind = kinds[kind];
    o.rank = rank;
    o.lr = structural.lr;
    o.lr_decay = structural.lr_decay;
    o.batch_sentences = structural.batch_sentences;
    o.max_epochs = static_cast<int>(structural.max_epochs);
    o.patience = static_cast<int>(structural.patience);
    o.seed = static_cast<uint64_t>(p.runtime.seed + seed);
    o.shuffle = probe.epoch_shuffle();
    const StructuralResult r =
        train_structural_probe(*train, *dev, *test, train_reader.hidden_size(), o, hold, &stop_requested);
    row[0] = r.uuas, row[1] = r.dspr, row[2] = r.root_accuracy, row[3] = r.nspr, row[4] = static_cast<double>(r.sentences);
    ctx.out << "structural_probe: rank " << ctx.mpi.rank() << " " << kinds[kind] << " layer " << layer << " seed " << seed
            << ": " << (kind == 0 ? cat("UUAS ", number(r.uuas), " DSpr ", number(r.dspr))
                                  : cat("root ", number(r.root_accuracy), " NSpr ", number(r.nspr)))
            << " (" << r.epochs << " epochs, final lr " << r.final_lr << "; "
            << (train->keeps_all() ? cat("sentences held (", train_reader.dtype() == "float16" ? "float16" : "float32", ")") : cat("streamed in windows of at most ", human_bytes(double(hold))))
            << ")\n" << std::flush;
  });
  CsvTable summary(kStructuralSummary.columns);
  for (int kind = 0; kind < 2; ++kind)
    for (int64_t l = 0; l < Ly; ++l) {
      std::vector<double> cols[4];
      double sentences = 0;
      for (int64_t s = 0; s < S; ++s) {
        const double* row = table.data() + ((l * 2 + kind) * S + s) * 5;
        for (int c = 0; c < 4; ++c) cols[c].push_back(row[c]);
        sentences = row[4];
      }
      auto mean_of = [&](int c) { return kind == 0 ? (c < 2 ? mean_sd(cols[c]).mean : NAN) : (c >= 2 ? mean_sd(cols[c]).mean : NAN); };
      summary.add({kinds[kind], std::to_string(layers[static_cast<size_t>(l)]), number(mean_of(0)), number(mean_of(1)),
                   number(mean_of(2)), number(mean_of(3)), kind == 0 ? number(mean_sd(cols[0]).sd) : "nan",
                   kind == 1 ? number(mean_sd(cols[2]).sd) : "nan", std::to_string(S),
                   std::to_string(static_cast<int64_t>(sentences))});
    }
  out.write_table(kStructuralSummary, summary);
  nlohmann::json record = entries.split_sizes();
  record["layer_convention"] = kHiddenLayerColumn;
  record["probe_rank"] = structural.rank > 0 ? structural.rank : train_reader.hidden_size();
  out.finish(record);
}

const StageRegistration registration{
    {"structural_probe", "Hewitt & Manning 2019: distance and depth probes per layer (UUAS, DSpr, root, NSpr)",
     run_structural_probe, {&probe_section(), &structural_section()}}};

}  // namespace
}  // namespace bertology
