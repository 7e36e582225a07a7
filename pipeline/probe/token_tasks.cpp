#include "pipeline/probe/token_tasks.h"

#include "pipeline/probe/probe_section.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "pipeline/stage/memory_budget.h"
#include "pipeline/util/error.h"

namespace bertology {

TokenTask parse_token_task(const std::string& name) {
  if (name == "upos") return TokenTask::Upos;
  if (name == "xpos") return TokenTask::Xpos;
  if (name == "deprel") return TokenTask::Deprel;
  if (name == "arc") return TokenTask::Arc;
  throw InputError(cat("probe.tasks: unknown task '", name, "' (upos, xpos, deprel, arc)"));
}

const char* token_task_name(TokenTask task) {
  switch (task) {
    case TokenTask::Upos: return "upos";
    case TokenTask::Xpos: return "xpos";
    case TokenTask::Deprel: return "deprel";
    case TokenTask::Arc: return "arc";
  }
  return "?";
}

bool is_clark_punctuation(const WordAnnotation& a) { return a.deprel == "punct"; }

bool is_hewitt_punctuation(const WordAnnotation& a) {
  static const std::set<std::string> hewitt = {"''", ",", ".", ":", "``", "-LRB-", "-RRB-"};
  if (a.xpos.empty() || a.xpos == "_") return a.upos == "PUNCT";
  return hewitt.count(a.xpos) > 0;
}

ProbeOptions probe_options(const Params& params) {
  ProbeOptions o = probe_section().of(params).trainer;
  o.shuffle = probe_section().of(params).epoch_shuffle();
  return o;
}

CacheReader open_word_entry(const CacheEntry& entry, const std::string& stage) {
  CacheReader reader = CacheReader::open(entry);
  BTL_REQUIRE(reader.word_pooling() != "none", stage, ": cache entry ", entry.dir,
              " has no word-pooled hidden states; set extract.word_pooling: mean");
  return reader;
}

std::vector<int64_t> probe_layers(const Params& params, const CacheReader& reader) {
  const ProbeParams& probe = probe_section().of(params);
  if (probe.layers.empty()) return reader.layers();
  for (int64_t l : probe.layers)
    BTL_REQUIRE(std::find(reader.layers().begin(), reader.layers().end(), l) != reader.layers().end(),
                "probe.layers: layer ", l, " is not in the cache entry (extract.layers)");
  return probe.layers;
}

TokenSplits token_splits(const CacheReader& train_reader, const CacheReader& test_reader, bool held_out,
                         double dev_fraction) {
  TokenSplits s;
  s.train_reader = &train_reader;
  s.test_reader = &test_reader;
  int64_t n = train_reader.num_sequences();
  if (held_out) {
    const int64_t test = std::max<int64_t>(1, n / 10);
    for (int64_t i = n - test; i < n; ++i) s.test.push_back(i);
    n -= test;
  } else {
    for (int64_t i = 0; i < test_reader.num_sequences(); ++i) s.test.push_back(i);
  }
  const int64_t dev = static_cast<int64_t>(dev_fraction * static_cast<double>(n));
  for (int64_t i = 0; i < n; ++i) (i < n - dev ? s.train : s.dev).push_back(i);
  BTL_REQUIRE(!s.train.empty() && !s.test.empty(), "probes: too few sentences for training and test sets");
  return s;
}

namespace {

/// One example: the word row(s) whose vectors make its features, and its label.
struct Example {
  int64_t row = 0, head_row = -1;  // rows of load_layer_words(); head_row >= 0 for arcs
  std::string label;
};

std::vector<Example> examples(TokenTask task, const CacheReader& reader, const std::vector<int64_t>& sequences) {
  std::vector<Example> out;
  for (int64_t i : sequences) {
    const auto seq = reader.sequence(i);
    const Sentence& s = reader.corpus().sentences[static_cast<size_t>(seq.sentence_a)];
    BTL_REQUIRE(s.annotations.size() == s.words.size(), s.origin, ": token probes need CoNLL-U annotations");
    const int64_t base = reader.word_offset(i);
    for (size_t w = 0; w < s.words.size(); ++w) {
      const auto& a = s.annotations[w];
      Example e;
      e.row = base + static_cast<int64_t>(w);
      switch (task) {
        case TokenTask::Upos: e.label = a.upos; break;
        case TokenTask::Xpos: e.label = a.xpos; break;
        case TokenTask::Deprel: e.label = a.deprel; break;
        case TokenTask::Arc:
          if (a.head <= 0) continue;
          e.head_row = base + a.head - 1;
          e.label = a.deprel;
          break;
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace

CacheTokenSplit::CacheTokenSplit(const CacheReader& reader, std::vector<int64_t> word_rows, std::vector<int64_t> head_rows,
                                 std::vector<int64_t> labels, std::vector<int64_t> which)
    : reader_(reader), word_rows_(std::move(word_rows)), head_rows_(std::move(head_rows)), labels_(std::move(labels)),
      which_(std::move(which)) {
  BTL_CHECK(head_rows_.empty() || head_rows_.size() == word_rows_.size(), "CacheTokenSplit: head rows do not match rows");
  BTL_CHECK(labels_.size() == word_rows_.size(), "CacheTokenSplit: labels do not match rows");
}

bool CacheTokenSplit::exact_in_half() const { return reader_.dtype() == "float16"; }

void CacheTokenSplit::load(const std::vector<int64_t>& ids, float* out) {
  // Window row r is [M, D] at out + r·M·D, layer m at + m·D: the word's vector, or for arcs
  // [v_head ; v_dependent] (D = 2h). Each layer's rows are read straight into those places,
  // sorted by row once here so that the reader does not sort them per layer.
  const bool arcs = !head_rows_.empty();
  const int64_t h = reader_.hidden_size(), M = layers(), D = dim();
  std::vector<std::pair<int64_t, int64_t>> placed;  // (row, element offset of layer 0)
  placed.reserve(ids.size() * (arcs ? 2 : 1));
  for (size_t r = 0; r < ids.size(); ++r) {
    const size_t i = static_cast<size_t>(ids[r]);
    const int64_t base = static_cast<int64_t>(r) * M * D;
    if (arcs) placed.emplace_back(head_rows_[i], base);
    placed.emplace_back(word_rows_[i], base + (arcs ? h : 0));
  }
  std::sort(placed.begin(), placed.end());
  std::vector<int64_t> rows(placed.size()), at(placed.size());
  for (size_t k = 0; k < placed.size(); ++k) rows[k] = placed[k].first, at[k] = placed[k].second;
  for (int64_t m = 0; m < M; ++m)
    reader_.read_word_rows(HiddenLayer{static_cast<int>(which_[static_cast<size_t>(m)])}, rows, out + m * D, at);
}

namespace {

std::unique_ptr<CacheTokenSplit> token_split(const std::vector<Example>& ex, const CacheReader& reader,
                                             const std::vector<int64_t>& which,
                                             const std::map<std::string, int64_t>& label_index, bool arc) {
  std::vector<int64_t> rows, heads, labels;
  rows.reserve(ex.size());
  labels.reserve(ex.size());
  for (const auto& e : ex) {
    rows.push_back(e.row);
    if (arc) heads.push_back(e.head_row);
    const auto it = label_index.find(e.label);
    labels.push_back(it == label_index.end() ? -1 : it->second);
  }
  return std::make_unique<CacheTokenSplit>(reader, std::move(rows), std::move(heads), std::move(labels), which);
}

}  // namespace

int64_t probe_hold_bytes(const Params& params, const std::string& stage, const CacheReader& train,
                         const CacheReader& test, int64_t mixed_layers) {
  const ProbeParams& probe = probe_section().of(params);
  bool arcs = false;
  for (const auto& t : probe.tasks) arcs = arcs || parse_token_task(t) == TokenTask::Arc;
  const int64_t dim = (arcs ? 2 : 1) * train.hidden_size();
  MemoryBudget budget(params, stage);
  budget.reserve(train.resident_bytes() + (&test == &train ? 0 : test.resident_bytes()), "the readers' corpora and index");
  budget.reserve(2 * params.extract.chunk_tokens * train.hidden_size() * static_cast<int64_t>(sizeof(float)),
                 "one chunk's word vectors, read and reordered");
  budget.reserve(probe_working_bytes(mixed_layers, dim, probe.trainer.batch_size),
                 cat("the probe's evaluation chunk and training batch (", mixed_layers, " layer(s) of ", dim, " floats a row)"));
  return budget.left() / 2;
}

TaskSplits task_splits(TokenTask task, const TokenSplits& splits, const std::vector<int64_t>& which) {
  const auto train = examples(task, *splits.train_reader, splits.train);
  const auto dev = examples(task, *splits.train_reader, splits.dev);
  const auto test = examples(task, *splits.test_reader, splits.test);
  std::set<std::string> names;
  for (const auto& e : train) names.insert(e.label);
  TaskSplits t;
  t.label_names.assign(names.begin(), names.end());
  std::map<std::string, int64_t> index;
  for (size_t k = 0; k < t.label_names.size(); ++k) index[t.label_names[k]] = static_cast<int64_t>(k);
  const bool arc = task == TokenTask::Arc;
  t.train = token_split(train, *splits.train_reader, which, index, arc);
  t.dev = token_split(dev, *splits.train_reader, which, index, arc);
  t.test = token_split(test, *splits.test_reader, which, index, arc);
  return t;
}

}  // namespace bertology
