// Stage `edge_probing`: Tenney et al. (ICLR 2019; ACL 2019) edge probing on spans. Per task:
// probes of every layer alone (seeds: mean ± sd), the scalar mix over all layers (mixing weights,
// center of gravity Ē_s) and cumulative scoring (mix over layers 0..l, Δ per layer, expected
// layer Ē_Δ). Tasks: pos / deps / consts from the run's corpus (its entry and probe.test_corpus:
// the same entries as token_probes), coreference from edge.coref_corpus, and jiant JSON-lines
// tasks from edge.jiant_dirs (each extracted as a corpus of its own). Files: docs/tenney2019.md.
#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/cache/layer_convention.h"
#include "pipeline/coref/coref_document.h"
#include "pipeline/corpus/ptb.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/probe/edge_probe.h"
#include "pipeline/probe/edge_tasks.h"
#include "pipeline/probe/probe_entries.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/probe/tree_metrics.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/memory_budget.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/stop_signal.h"
#include "stages/edge_probing/cache_edge_sentences.h"
#include "stages/edge_probing/edge_section.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

constexpr int kTrain = 0, kDev = 1, kTest = 2;

/// One task's targets: per split, the sequences of a reader and each one's word-level targets.
struct EdgeTaskData {
  std::string name;
  bool two_sided = false;
  const CacheReader* readers[3] = {nullptr, nullptr, nullptr};
  std::vector<int64_t> sequences[3];
  std::vector<std::vector<EdgeWordTarget>> targets[3];
  std::vector<std::string> labels;  ///< sorted union over the splits (jiant's labels.txt)
  int64_t score_label = -1;         ///< labels {"0", "1"}: F1 of "1" (binary, as jiant)
};

void finish_labels(EdgeTaskData& t) {
  std::set<std::string> all;
  for (int s = 0; s < 3; ++s)
    for (const auto& list : t.targets[s])
      for (const auto& target : list) all.insert(target.labels.begin(), target.labels.end());
  t.labels.assign(all.begin(), all.end());
  BTL_REQUIRE(!t.labels.empty(), "edge_probing: task ", t.name, " has no labelled targets");
  if (t.labels == std::vector<std::string>{"0", "1"}) t.score_label = 1;
}

/// PTB trees of a corpus file, directory or pattern, in corpus order (edge task consts).
std::vector<PtbTree> read_trees(const std::string& spec) {
  std::vector<PtbTree> trees;
  for (const auto& file : ptb_input_files(spec)) {
    const std::string data = read_text_file(file, "a PTB tree file");
    for (auto& t : parse_ptb(data, file)) trees.push_back(std::move(t));
  }
  return trees;
}

/// The train, dev and test files of a jiant task folder, by name.
std::array<std::string, 3> jiant_split_files(const std::string& dir) {
  BTL_REQUIRE(fs::is_directory(dir), "edge.jiant_dirs: ", dir, ": not a folder");
  std::array<std::string, 3> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string(), ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".json" && ext != ".jsonl")) continue;
    const int split = name.find("train") != std::string::npos ? kTrain
                      : (name.find("dev") != std::string::npos) ? kDev
                      : name.find("test") != std::string::npos  ? kTest
                                                                : -1;
    if (split < 0) continue;
    BTL_REQUIRE(files[static_cast<size_t>(split)].empty(), "edge.jiant_dirs: ", dir, ": two ",
                split == kTrain ? "train" : split == kDev ? "dev" : "test", " files (", files[static_cast<size_t>(split)],
                ", ", e.path().string(), ")");
    files[static_cast<size_t>(split)] = e.path().string();
  }
  for (int s = 0; s < 3; ++s)
    BTL_REQUIRE(!files[static_cast<size_t>(s)].empty(), "edge.jiant_dirs: ", dir, ": no ",
                s == kTrain ? "train" : s == kDev ? "dev (or development)" : "test", " file (*.json or *.jsonl)");
  return files;
}

/// Records as a JSON-lines corpus ({"words": [...]}, one per record) in the cache's corpora folder,
/// extracted with the run's model and settings; returns the entry.
CacheEntry extract_records(StageContext& ctx, const std::string& stem, const std::string& label,
                           const std::vector<EdgeRecord>& records) {
  std::string lines;
  for (const auto& r : records) lines += nlohmann::json({{"words", r.words}}).dump() + "\n";
  Params v = ctx.params;
  v.corpus.path = ctx.corpus_file("edge_" + stem, ".jsonl", lines);
  v.corpus.format = "jsonl";
  v.corpus.max_sentences = 0;
  v.input.pairs = false;
  v.input.overlong = "truncate";
  return ctx.extract(label, v);
}

/// Digest of records' targets (the cache keys the words only).
std::string targets_digest(const std::vector<EdgeRecord>& records) {
  std::string all;
  for (const auto& r : records) {
    for (const auto& t : r.targets) {
      all += cat(t.span1_begin, " ", t.span1_end, " ", t.span2_begin, " ", t.span2_end);
      for (const auto& l : t.labels) all += " " + l;
      all += "\n";
    }
    all += "|\n";
  }
  return sha256_hex(all.data(), all.size());
}

/// A records-based task waiting for its entry: the records of each split, in entry order.
struct RecordTask {
  std::string name;
  std::vector<EdgeRecord> records;  ///< train, then dev, then test
  size_t split_end[3] = {0, 0, 0};
  CacheEntry entry;
};

void run_edge_probing(StageContext& ctx) {
  const Params& p = ctx.params;
  const EdgeParams& edge = edge_section().of(p);
  std::vector<EdgeCorpusTask> corpus_tasks;
  for (const auto& t : edge.tasks) corpus_tasks.push_back(parse_edge_corpus_task(t));
  BTL_REQUIRE(!corpus_tasks.empty() || !edge.coref_corpus.empty() || !edge.jiant_dirs.empty(),
              "edge_probing: no task (set edge.tasks, edge.coref_corpus or edge.jiant_dirs)");

  // ---- inputs (collective: every rank extracts the same entries in the same order) ----------
  std::optional<ProbeEntries> entries;
  if (!corpus_tasks.empty()) entries.emplace(ctx);
  std::vector<RecordTask> record_tasks;
  if (!edge.coref_corpus.empty()) {
    std::vector<CorefDocument> documents;
    for (const auto& file : coref_corpus_files(edge.coref_corpus, "edge.coref_corpus"))
      for (auto& d : read_coref_documents(file)) documents.push_back(std::move(d));
    const size_t n = documents.size();
    const size_t test_begin = n - std::max<size_t>(1, static_cast<size_t>(std::llround(edge.coref_test_fraction * n)));
    const double dev_fraction = probe_section().of(p).dev_fraction;
    const size_t dev_begin = test_begin - std::min(test_begin, static_cast<size_t>(std::llround(dev_fraction * test_begin)));
    BTL_REQUIRE(n >= 3 && dev_begin > 0, "edge.coref_corpus: ", n, " documents; the coref task needs at least 3 (train, dev, test)");
    RecordTask task{"coref", {}, {}, {}};
    for (size_t d = 0; d < n; ++d) {
      for (auto& r : coref_edge_records({documents[d]}))
        task.records.push_back(std::move(r));
      if (d + 1 == dev_begin) task.split_end[kTrain] = task.records.size();
      if (d + 1 == test_begin) task.split_end[kDev] = task.records.size();
    }
    task.split_end[kTest] = task.records.size();
    record_tasks.push_back(std::move(task));
  }
  for (const auto& dir : edge.jiant_dirs) {
    RecordTask task;
    task.name = fs::path(dir).lexically_normal().filename().string();
    if (task.name.empty()) task.name = fs::path(dir).lexically_normal().parent_path().filename().string();
    const auto files = jiant_split_files(dir);
    for (int s = 0; s < 3; ++s) {
      for (auto& r : read_jiant_edges(files[static_cast<size_t>(s)])) task.records.push_back(std::move(r));
      task.split_end[s] = task.records.size();
    }
    record_tasks.push_back(std::move(task));
  }
  nlohmann::json digests = nlohmann::json::object();
  for (auto& t : record_tasks) {
    t.entry = extract_records(ctx, t.name, t.name + " records", t.records);
    digests[t.name] = targets_digest(t.records);
  }
  StageOutput out = ctx.begin_output({{"targets_sha256", digests}});
  if (out.up_to_date()) return;
  set_torch_threads(p.model.threads);

  // ---- tasks ---------------------------------------------------------------------------------
  std::deque<CacheReader> readers;
  std::vector<EdgeTaskData> tasks;
  if (entries) {
    entries->open();
    const TokenSplits& splits = entries->splits();
    std::vector<PtbTree> train_trees, test_trees;
    const bool consts = std::find(corpus_tasks.begin(), corpus_tasks.end(), EdgeCorpusTask::Consts) != corpus_tasks.end();
    if (consts) {
      BTL_REQUIRE(p.corpus.format == "ptb", "edge.tasks: consts needs corpus.format ptb (Penn trees), not ", p.corpus.format);
      train_trees = read_trees(p.corpus.path);
      const std::string& test_corpus = probe_section().of(p).test_corpus;
      if (!test_corpus.empty()) test_trees = read_trees(test_corpus);
    }
    for (EdgeCorpusTask kind : corpus_tasks) {
      EdgeTaskData t;
      t.name = edge_corpus_task_name(kind);
      t.two_sided = edge_task_two_sided(kind);
      const std::vector<int64_t>* split_sequences[3] = {&splits.train, &splits.dev, &splits.test};
      for (int s = 0; s < 3; ++s) {
        const CacheReader& reader = s == kTest ? *splits.test_reader : *splits.train_reader;
        const std::vector<PtbTree>& trees = (s == kTest && !test_trees.empty()) ? test_trees : train_trees;
        t.readers[s] = &reader;
        for (int64_t seq : *split_sequences[s]) {
          const int64_t sentence = reader.sequence(seq).sentence_a;
          const Sentence& sent = reader.corpus().sentences[static_cast<size_t>(sentence)];
          const PtbTree* tree = nullptr;
          if (kind == EdgeCorpusTask::Consts) {
            BTL_REQUIRE(sentence < static_cast<int64_t>(trees.size()), sent.origin, ": no PTB tree for this sentence");
            tree = &trees[static_cast<size_t>(sentence)];
          }
          t.sequences[s].push_back(seq);
          t.targets[s].push_back(corpus_edge_targets(kind, sent, tree));
        }
      }
      finish_labels(t);
      tasks.push_back(std::move(t));
    }
  }
  for (const auto& r : record_tasks) {
    readers.push_back(CacheReader::open(r.entry));
    const CacheReader& reader = readers.back();
    EdgeTaskData t;
    t.name = r.name;
    t.two_sided = !r.records.empty() && !r.records.front().targets.empty() && r.records.front().targets.front().span2_begin >= 0;
    for (int s = 0; s < 3; ++s) {
      t.readers[s] = &reader;
      for (size_t k = s == 0 ? 0 : r.split_end[s - 1]; k < r.split_end[s]; ++k) {
        const int64_t seq = reader.find_sequence(static_cast<int64_t>(k));
        if (seq < 0) continue;  // no words with pieces
        t.sequences[s].push_back(seq);
        t.targets[s].push_back(r.records[k].targets);
      }
    }
    finish_labels(t);
    tasks.push_back(std::move(t));
  }

  // ---- layers, memory, jobs ------------------------------------------------------------------
  const CacheReader& first = *tasks.front().readers[kTrain];
  const int64_t L1 = first.num_layers() + 1, d = first.hidden_size();
  for (const auto& t : tasks)
    for (int s = 0; s < 3; ++s)
      BTL_REQUIRE(static_cast<int64_t>(t.readers[s]->layers().size()) == L1, t.readers[s]->entry_dir(),
                  ": edge_probing needs every hidden layer 0..L in the cache (leave extract.layers empty)");
  std::vector<int64_t> layers = edge.layers;
  if (layers.empty())
    for (int64_t l = 0; l < L1; ++l) layers.push_back(l);
  for (int64_t l : layers) BTL_REQUIRE(l < L1, "edge.layers: layer ", l, " does not exist (the model has 0..", L1 - 1, ")");
  const EdgeProbeOptions base = edge.trainer;

  MemoryBudget budget(p, ctx.name());
  std::set<const CacheReader*> distinct;
  for (const auto& t : tasks)
    for (auto* r : t.readers) distinct.insert(r);
  int64_t resident = 0;
  for (auto* r : distinct) resident += r->resident_bytes();
  budget.reserve(resident, "the readers' corpora and index");
  int64_t largest_batch_tokens = 0;
  for (const auto& t : tasks)
    for (int s = 0; s < 3; ++s) {
      std::vector<int64_t> lengths;
      for (int64_t seq : t.sequences[s]) lengths.push_back(t.readers[s]->sequence_length(seq));
      std::sort(lengths.rbegin(), lengths.rend());
      int64_t tokens = 0;
      for (size_t k = 0; k < lengths.size() && static_cast<int64_t>(k) < base.batch_sentences; ++k) tokens += lengths[k];
      largest_batch_tokens = std::max(largest_batch_tokens, tokens);
    }
  // A step widens the batch's rows of every layer to float, mixes them and gathers the spans (×4).
  budget.reserve(4 * largest_batch_tokens * L1 * d * 4, "the largest training step (4 × tokens × layers × d × 4 B)");
  const int64_t hold = budget.left();

  struct Job {
    int64_t task, layer, seed;
    bool mix;  ///< cumulative scalar mix over layers 0..layer
  };
  std::vector<Job> jobs;
  const int64_t T = static_cast<int64_t>(tasks.size()), Ly = static_cast<int64_t>(layers.size());
  for (int64_t l = 0; l < Ly; ++l)  // layer-major: a rank's consecutive jobs read the same layer
    for (int64_t t = 0; t < T; ++t)
      for (int64_t s = 0; s < edge.seeds; ++s) jobs.push_back({t, layers[static_cast<size_t>(l)], s, false});
  if (edge.cumulative)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t top = 0; top < L1; ++top) jobs.push_back({t, top, 0, true});

  // Row: dev tp fp fn, test tp fp fn, test targets, epochs, best epoch, gamma, weights[L1].
  const int64_t width = 11 + L1;
  // The previous job's sentences on this rank, reused by a job that differs only in its seed (jobs
  // are layer-major, then task, then seed): held features are read once per (task, layer) and rank.
  struct JobSentences {
    int64_t task = -1, layer = -1;
    bool mix = false, held = false;
    std::unique_ptr<CacheEdgeSentences> train, dev, test;
  } last;
  const auto table = ctx.run_job_grid(static_cast<int64_t>(jobs.size()), width, [&](int64_t j, double* row) {
    const Job& job = jobs[static_cast<size_t>(j)];
    const EdgeTaskData& t = tasks[static_cast<size_t>(job.task)];
    if (last.task != job.task || last.layer != job.layer || last.mix != job.mix) {
      last = JobSentences{};  // the previous features go before the next are read
      std::vector<int64_t> which;
      if (job.mix)
        for (int64_t l = 0; l <= job.layer; ++l) which.push_back(l);
      else
        which.push_back(job.layer);
      std::map<std::string, int32_t> label_index;
      for (size_t k = 0; k < t.labels.size(); ++k) label_index[t.labels[k]] = static_cast<int32_t>(k);
      const auto split = [&](int s) {
        return std::make_unique<CacheEdgeSentences>(*t.readers[s], t.sequences[s], t.targets[s], label_index, which);
      };
      last.train = split(kTrain), last.dev = split(kDev), last.test = split(kTest);
      last.held = last.train->total_bytes() + last.dev->total_bytes() + last.test->total_bytes() <= hold;
      if (last.held) last.train->keep_all(), last.dev->keep_all(), last.test->keep_all();
      last.task = job.task, last.layer = job.layer, last.mix = job.mix;
    }
    CacheEdgeSentences &train = *last.train, &dev = *last.dev, &test = *last.test;
    const bool held = last.held;
    EdgeProbeOptions o = base;
    o.num_labels = static_cast<int64_t>(t.labels.size());
    o.score_label = t.score_label;
    o.two_sided = t.two_sided;
    o.mix = job.mix;
    o.seed = static_cast<uint64_t>(p.runtime.seed + job.seed);
    o.shuffle = probe_section().of(p).epoch_shuffle();
    // Each split keeps its last window: three windows at most.
    const EdgeProbeResult r = train_edge_probe(train, dev, test, d, o, held ? hold : hold / 3, &stop_requested);
    const double values[11] = {static_cast<double>(r.dev.tp),  static_cast<double>(r.dev.fp),  static_cast<double>(r.dev.fn),
                               static_cast<double>(r.test.tp), static_cast<double>(r.test.fp), static_cast<double>(r.test.fn),
                               static_cast<double>(test.targets()), static_cast<double>(r.epochs),
                               static_cast<double>(r.best_epoch), r.mix_gamma, static_cast<double>(train.targets())};
    std::copy(values, values + 11, row);
    for (size_t m = 0; m < r.mix_weights.size(); ++m) row[11 + m] = r.mix_weights[m];
    ctx.out << "edge_probing: rank " << ctx.mpi.rank() << " " << t.name << (job.mix ? " layers 0.." : " layer ")
            << job.layer << (job.mix ? "" : cat(" seed ", job.seed)) << ": test F1 " << fixed(r.test.f1(), 2)
            << " (" << r.epochs << " epochs; " << (held ? "held" : "streamed") << ")\n"
            << std::flush;
  });

  // ---- tables --------------------------------------------------------------------------------
  const auto f1 = [](const double* tp_fp_fn) {
    return EdgeScore{static_cast<int64_t>(tp_fp_fn[0]), static_cast<int64_t>(tp_fp_fn[1]), static_cast<int64_t>(tp_fp_fn[2]), 0}.f1();
  };
  CsvTable results({"task", "probe", "layer", "run", "dev_f1", "test_f1", "epochs", "best_epoch", "test_targets"});
  CsvTable summary(kEdgeSummary.columns), cumulative(kEdgeCumulative.columns), mix(kEdgeMix.columns),
      task_table(kEdgeTasks.columns);
  std::map<std::pair<int64_t, int64_t>, std::vector<double>> per_layer;  // (task, layer) → test F1 per seed
  std::vector<std::vector<double>> cum_dev(static_cast<size_t>(T)), cum_test(static_cast<size_t>(T));
  std::vector<std::vector<double>> full_weights(static_cast<size_t>(T));
  std::vector<double> train_targets(static_cast<size_t>(T)), test_targets(static_cast<size_t>(T));
  for (size_t j = 0; j < jobs.size(); ++j) {
    const Job& job = jobs[j];
    const double* row = table.data() + j * static_cast<size_t>(width);
    const std::string& name = tasks[static_cast<size_t>(job.task)].name;
    results.add({name, job.mix ? "mix_0_to_layer" : "layer", std::to_string(job.layer), std::to_string(job.seed),
                 fixed(f1(row), 4), fixed(f1(row + 3), 4), std::to_string(static_cast<int64_t>(row[7])),
                 std::to_string(static_cast<int64_t>(row[8])), std::to_string(static_cast<int64_t>(row[6]))});
    train_targets[static_cast<size_t>(job.task)] = row[10], test_targets[static_cast<size_t>(job.task)] = row[6];
    if (job.mix) {
      cum_dev[static_cast<size_t>(job.task)].push_back(f1(row));
      cum_test[static_cast<size_t>(job.task)].push_back(f1(row + 3));
      if (job.layer == L1 - 1) full_weights[static_cast<size_t>(job.task)].assign(row + 11, row + 11 + L1);
    } else {
      per_layer[{job.task, job.layer}].push_back(f1(row + 3));
    }
  }
  for (const auto& [key, runs] : per_layer) {
    double mean = 0, sd = 0;
    for (double v : runs) mean += v / static_cast<double>(runs.size());
    for (double v : runs) sd += (v - mean) * (v - mean);
    sd = runs.size() > 1 ? std::sqrt(sd / static_cast<double>(runs.size() - 1)) : std::nan("");
    summary.add({tasks[static_cast<size_t>(key.first)].name, std::to_string(key.second), fixed(mean, 4), fixed(sd, 4),
                 std::to_string(runs.size())});
  }
  for (int64_t t = 0; t < T; ++t) {
    const auto& name = tasks[static_cast<size_t>(t)].name;
    const auto& dev_scores = cum_dev[static_cast<size_t>(t)];
    const auto& w = full_weights[static_cast<size_t>(t)];
    for (size_t l = 0; l < dev_scores.size(); ++l)
      cumulative.add({name, std::to_string(l), fixed(dev_scores[l], 4), fixed(cum_test[static_cast<size_t>(t)][l], 4),
                      l == 0 ? "nan" : fixed(dev_scores[l] - dev_scores[l - 1], 4)});
    for (size_t l = 0; l < w.size(); ++l) mix.add({name, std::to_string(l), fixed(w[l], 6)});
    // Tenney scores the cumulative probes on dev (Δ from dev F1, as their notebook).
    const bool have = edge.cumulative && !dev_scores.empty();
    task_table.add({name, std::to_string(tasks[static_cast<size_t>(t)].labels.size()),
                    std::to_string(static_cast<int64_t>(train_targets[static_cast<size_t>(t)])),
                    std::to_string(static_cast<int64_t>(test_targets[static_cast<size_t>(t)])),
                    have ? fixed(cum_test[static_cast<size_t>(t)].front(), 4) : "nan",
                    have ? fixed(cum_test[static_cast<size_t>(t)].back(), 4) : "nan",
                    have ? fixed(center_of_gravity(w), 4) : "nan", have ? fixed(expected_layer(dev_scores), 4) : "nan"});
  }
  out.write("results.csv", results.str());
  out.write_table(kEdgeSummary, summary);
  out.write_table(kEdgeTasks, task_table);
  if (edge.cumulative) {
    out.write_table(kEdgeCumulative, cumulative);
    out.write_table(kEdgeMix, mix);
  }
  nlohmann::json record = nlohmann::json::object();
  for (const auto& t : tasks)
    record["tasks"][t.name] = {{"train_sentences", t.sequences[kTrain].size()},
                               {"dev_sentences", t.sequences[kDev].size()},
                               {"test_sentences", t.sequences[kTest].size()},
                               {"labels", t.labels.size()},
                               {"score", t.score_label >= 0 ? "F1 of label 1" : "micro-F1"}};
  record["layer_convention"] = kHiddenLayerColumn;
  out.finish(record);
}

const StageRegistration registration{
    {"edge_probing",
     "Tenney et al. 2019 edge probing: span probes per layer, scalar mix, cumulative scoring and expected layer",
     run_edge_probing, {&edge_section(), &probe_section()}}};

}  // namespace
}  // namespace bertology
