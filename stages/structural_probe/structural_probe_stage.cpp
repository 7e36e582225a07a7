// Stage `structural_probe`: Hewitt & Manning (2019)'s distance and depth probes on the word vectors
// of every layer: UUAS, DSpr, root accuracy, NSpr. Files: docs/probing.md.
#include <cmath>
#include <ostream>

#include "pipeline/cache/layer_convention.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
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

std::vector<StructuralSentence> structural_sentences(const CacheReader& reader, const std::vector<int64_t>& seqs,
                                                     const FloatMatrix& words) {
  std::vector<StructuralSentence> out;
  const int64_t d = words.cols;
  for (int64_t i : seqs) {
    const auto seq = reader.sequence(i);
    const Sentence& s = reader.corpus().sentences[static_cast<size_t>(seq.sentence_a)];
    BTL_REQUIRE(s.annotations.size() == s.words.size(), s.origin, ": the structural probe needs gold heads");
    StructuralSentence t;
    t.n = static_cast<int>(s.words.size());
    const float* first = words.row(reader.word_offset(i));
    t.vectors.assign(first, first + t.n * d);
    for (const auto& a : s.annotations) {
      BTL_REQUIRE(a.head >= 0, s.origin, ": a word has no gold head");
      t.heads.push_back(a.head);
      t.keep.push_back(!is_hewitt_punctuation(a));
    }
    out.push_back(std::move(t));
  }
  return out;
}

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
  LayerCache cache(train_reader, test_reader);
  const char* const kinds[2] = {"distance", "depth"};
  const int64_t Ly = static_cast<int64_t>(layers.size()), S = probe.seeds;
  // Row: uuas, dspr, root accuracy, nspr, sentences.
  const auto table = ctx.run_job_grid(2 * Ly * S, 5, [&](int64_t j, double* row) {
    // Layer-major job order, so that consecutive jobs of a rank reuse the loaded layer.
    const int kind = static_cast<int>((j / S) % 2);
    const int64_t l = j / (2 * S), seed = j % S;
    const int64_t layer = layers[static_cast<size_t>(l)];
    const auto train = structural_sentences(train_reader, splits.train, cache.get(train_reader, layer));
    const auto dev = structural_sentences(train_reader, splits.dev, cache.get(train_reader, layer));
    const auto test = structural_sentences(test_reader, splits.test, cache.get(test_reader, layer));
    StructuralOptions o;
    o.kind = kinds[kind];
    o.rank = structural.rank > 0 ? structural.rank : train_reader.hidden_size();
    o.lr = structural.lr;
    o.lr_decay = structural.lr_decay;
    o.batch_sentences = structural.batch_sentences;
    o.max_epochs = static_cast<int>(structural.max_epochs);
    o.patience = static_cast<int>(structural.patience);
    o.seed = static_cast<uint64_t>(p.runtime.seed + seed);
    const StructuralResult r = train_structural_probe(train, dev, test, train_reader.hidden_size(), o, &stop_requested);
    row[0] = r.uuas, row[1] = r.dspr, row[2] = r.root_accuracy, row[3] = r.nspr, row[4] = static_cast<double>(r.sentences);
    ctx.out << "structural_probe: rank " << ctx.mpi.rank() << " " << kinds[kind] << " layer " << layer << " seed " << seed
            << ": " << (kind == 0 ? cat("UUAS ", number(r.uuas), " DSpr ", number(r.dspr))
                                  : cat("root ", number(r.root_accuracy), " NSpr ", number(r.nspr)))
            << " (" << r.epochs << " epochs, final lr " << r.final_lr << ")\n" << std::flush;
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
