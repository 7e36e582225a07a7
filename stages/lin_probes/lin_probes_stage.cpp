// Stage `lin_probes`: Lin, Tan & Frank (2019) §4 — per-layer diagnostic classifiers on a frozen
// model: which token is the main auxiliary, the subject's head noun, the N-th token (with and
// without position embeddings), trained on the training split and scored on test and on the
// generalisation sets. Lin's setup: no [CLS]/[SEP], a per-token binary classifier (dropout +
// linear), the sentence's prediction = its token with the highest class-1 score. docs/probing.md.
#include <cctype>
#include <filesystem>
#include <algorithm>
#include <map>
#include <memory>
#include <sstream>
#include <ostream>

#include "pipeline/cache/layer_convention.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/memory_budget.h"
#include "pipeline/stage/seed_tables.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/util/files.h"
#include "pipeline/model/checkpoint.h"
#include "pipeline/model/derived_models.h"
#include "pipeline/probe/lin_section.h"
#include "pipeline/probe/probe_section.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/probe/token_tasks.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

/// The sequences of one split and, per sequence, the wordpiece to find (-1: no label, skipped).
struct Split {
  std::string name;
  const CacheReader* reader = nullptr;
  std::vector<int64_t> sequences;
  std::vector<int64_t> target_piece;  // per entry of `sequences`: index within the sequence
};

/// One probing task: a training split (dev = its last dev_fraction) and evaluation splits.
struct LinTask {
  std::string name;
  Split train, dev;
  std::vector<Split> evaluations;
};

/// Lin's inputs: the file as an Open Sesame corpus, no special tokens, hidden states only.
Params lin_inputs(const Params& p, const std::string& file, const std::string& format) {
  const LinParams& lin = lin_section().of(p);
  Params v = p;
  v.corpus.path = file;
  v.corpus.format = format;
  v.corpus.max_sentences = format == "open_sesame" ? lin.max_sentences_per_file : p.corpus.max_sentences;
  v.tokenizer.add_special_tokens = false;
  v.input.pairs = false;
  v.input.overlong = "skip";
  v.extract.layers = {};
  v.extract.attention = false;
  v.extract.word_pooling = "none";
  return v;
}

/// How open_sesame_lines rewrites a line.
enum class LineRewrite {
  None,
  /// Insert "'s" before the target word (the target index moves up by one): the synthesised
  /// possessive set, used only when the published one is absent.
  InsertPossessive,
  /// Split punctuation off into words of its own ("fish's" -> "fish ' s"): sbjn-join.gen_apost's
  /// target indices count BERT's basic tokens, which split at punctuation, and not the
  /// space-separated words. The wordpieces are the same either way.
  SplitPunctuation,
};

/// Words of `text` with every ASCII punctuation character a word of its own.
std::vector<std::string> punctuation_split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) {
    std::string run;
    for (char c : w) {
      if (std::ispunct(static_cast<unsigned char>(c))) {
        if (!run.empty()) words.push_back(run), run.clear();
        words.emplace_back(1, c);
      } else {
        run += c;
      }
    }
    if (!run.empty()) words.push_back(run);
  }
  return words;
}

/// The first `max_lines` lines (0 = all) of an Open Sesame file, rewritten as `rewrite` says.
std::string open_sesame_lines(const fs::path& file, int64_t max_lines, LineRewrite rewrite) {
  const std::string text = read_file_bytes(file.string(), "an Open Sesame file");
  std::string out;
  size_t pos = 0;
  int64_t number = 0;
  while (pos < text.size() && (max_lines == 0 || number < max_lines)) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (line.empty()) continue;
    if (rewrite != LineRewrite::None) {
      const size_t tab = line.find('\t');
      BTL_REQUIRE(tab != std::string::npos, file.string(), ":", number, ": expected sentence<TAB>target");
      std::vector<std::string> words;
      if (rewrite == LineRewrite::SplitPunctuation) {
        words = punctuation_split_words(line.substr(0, tab));
      } else {
        std::istringstream in(line.substr(0, tab));
        for (std::string w; in >> w;) words.push_back(w);
      }
      const std::string rest = line.substr(tab + 1);
      const std::string target_field = rest.substr(0, rest.find('\t'));
      BTL_REQUIRE(!target_field.empty() && target_field.find_first_not_of("0123456789") == std::string::npos, file.string(),
                  ":", number, ": the target index '", target_field, "' is not a number");
      int target = std::stoi(target_field);
      if (rewrite == LineRewrite::InsertPossessive) {
        BTL_REQUIRE(target > 0 && target < static_cast<int>(words.size()), file.string(), ":", number,
                    ": the target has no word before it to make possessive");
        words.insert(words.begin() + target, "'s");
        ++target;
      } else {
        BTL_REQUIRE(target < static_cast<int>(words.size()), file.string(), ":", number, ": the target index ", target,
                    " is past the sentence's ", words.size(), " basic tokens");
      }
      line.clear();
      for (size_t k = 0; k < words.size(); ++k) line += (k ? " " : "") + words[k];
      line += "\t" + std::to_string(target);
    }
    out += line + "\n";
  }
  return out;
}

/// Position of the first piece of the sentence's "target" word.
int64_t target_piece(const CacheReader& reader, int64_t i) {
  const auto seq = reader.sequence(i);
  const Sentence& s = reader.corpus().sentences[static_cast<size_t>(seq.sentence_a)];
  const auto it = s.fields.find("target");
  BTL_REQUIRE(it != s.fields.end(), s.origin, ": no target index");
  const int32_t word = std::stoi(it->second);
  for (size_t t = 0; t < seq.word_ids.size(); ++t)
    if (seq.word_ids[t] == word) return static_cast<int64_t>(t);
  return -1;
}

Split open_sesame_split(const std::string& name, const CacheReader& reader, const std::function<bool(const Sentence&)>& keep) {
  Split s;
  s.name = name;
  s.reader = &reader;
  for (int64_t i = 0; i < reader.num_sequences(); ++i) {
    const Sentence& sentence = reader.corpus().sentences[static_cast<size_t>(reader.sequence(i).sentence_a)];
    if (!keep(sentence)) continue;
    const int64_t t = target_piece(reader, i);
    if (t < 0) continue;
    s.sequences.push_back(i);
    s.target_piece.push_back(t);
  }
  return s;
}

/// Moves the last `fraction` of `train` into a dev split.
Split cut_dev(Split& train, double fraction) {
  Split dev;
  dev.name = "dev";
  dev.reader = train.reader;
  const size_t n = static_cast<size_t>(fraction * static_cast<double>(train.sequences.size()));
  dev.sequences.assign(train.sequences.end() - static_cast<int64_t>(n), train.sequences.end());
  dev.target_piece.assign(train.target_piece.end() - static_cast<int64_t>(n), train.target_piece.end());
  train.sequences.resize(train.sequences.size() - n);
  train.target_piece.resize(train.target_piece.size() - n);
  return dev;
}

/// Per-token rows of a split at one layer, read from its entry on demand: label 1 at the target
/// piece, groups per sentence (train_probe holds them when they fit the budget, else reads windows).
class PositionSplit : public ProbeSplit {
 public:
  PositionSplit(const Split& split, int64_t layer) : reader_(*split.reader), layer_(layer) {
    groups_.push_back(0);
    for (size_t k = 0; k < split.sequences.size(); ++k) {
      const int64_t i = split.sequences[k], first = reader_.token_offset(i), T = reader_.sequence_length(i);
      for (int64_t t = 0; t < T; ++t) {
        token_rows_.push_back(first + t);
        labels_.push_back(t == split.target_piece[k] ? 1 : 0);
      }
      groups_.push_back(static_cast<int64_t>(token_rows_.size()));
    }
  }
  int64_t rows() const override { return static_cast<int64_t>(token_rows_.size()); }
  int64_t dim() const override { return reader_.hidden_size(); }
  int64_t layers() const override { return 1; }
  const std::vector<int64_t>& labels() const override { return labels_; }
  const std::vector<int64_t>& groups() const override { return groups_; }
  bool exact_in_half() const override { return reader_.dtype() == "float16"; }  // stored vectors, as read
  void load(const std::vector<int64_t>& ids, float* out) override {
    std::vector<int64_t> rows;  // in the window's order: the reader puts each row in its place
    rows.reserve(ids.size());
    for (int64_t i : ids) rows.push_back(token_rows_[static_cast<size_t>(i)]);
    reader_.read_token_rows(HiddenLayer{static_cast<int>(layer_)}, rows, out);
  }

 private:
  const CacheReader& reader_;
  int64_t layer_;
  std::vector<int64_t> token_rows_, labels_, groups_;
};

void run_lin_probes(StageContext& ctx) {
  const Params& p = ctx.params;
  const LinParams& lin = lin_section().of(p);
  const ProbeParams& probe = probe_section().of(p);
  BTL_REQUIRE(!lin.data_dir.empty(), "lin_probes: set lin.data_dir (the Open Sesame data: data_aux/, data_sbjn/)");
  const fs::path data = lin.data_dir;
  for (const char* f : {"data_aux/aux.train", "data_aux/aux.test", "data_aux/aux.gen", "data_sbjn/sbjn.train",
                        "data_sbjn/sbjn.test", "data_sbjn/sbjn.gen"})
    BTL_REQUIRE(fs::exists(data / f), "lin.data_dir: ", (data / f).string(), ": no such file");
  // Inputs, each its own cache entry. The files are copied (first lin.max_sentences_per_file lines)
  // without their .pos twins, which the probes do not need and which upstream are not parallel to
  // data_sbjn's sentences. The possessive generalisation set is Lin's published
  // data_sbjn-join/sbjn-join.gen_apost when lin.data_dir has it; otherwise (older copies of the
  // data) it is synthesised from sbjn.gen, whose subjects are compounds ("your queen bee ..."), by
  // inserting 's before the head noun ("your queen 's bee ...").
  const fs::path published_possessive = data / "data_sbjn-join/sbjn-join.gen_apost";
  const bool possessive_published = fs::exists(published_possessive);
  std::map<std::string, CacheEntry> entries;
  for (const char* f : {"data_aux/aux.train", "data_aux/aux.test", "data_aux/aux.gen", "data_sbjn/sbjn.train",
                        "data_sbjn/sbjn.test", "data_sbjn/sbjn.gen", "possessive"}) {
    const bool possessive = std::string(f) == "possessive";
    const fs::path source = !possessive ? data / f : possessive_published ? published_possessive : data / "data_sbjn/sbjn.gen";
    const LineRewrite rewrite = !possessive ? LineRewrite::None
                                : possessive_published ? LineRewrite::SplitPunctuation : LineRewrite::InsertPossessive;
    const std::string content = open_sesame_lines(source, lin.max_sentences_per_file, rewrite);
    const std::string name = possessive ? (possessive_published ? "sbjn-join.gen_apost" : "possessive-synthesised")
                                        : fs::path(f).filename().string();
    const std::string file = ctx.corpus_file(cat("open_sesame-", name), ".tsv", content);
    entries[f] = ctx.extract(f, lin_inputs(p, file, "open_sesame"));
  }
  const std::string nth_corpus = lin.nth_corpus.empty() ? p.corpus.path : lin.nth_corpus;
  const std::string nth_format = lin.nth_corpus.empty() ? p.corpus.format : "conllu";
  std::string no_positions;
  if (!lin.nth.empty()) {
    entries["nth"] = ctx.extract("N-th token sentences", lin_inputs(p, nth_corpus, nth_format));
    no_positions = derived_model_dir(p.cache.dir, p.model.path, "no-positions");
    if (ctx.mpi.rank() == 0) write_model_without_positions(p.model.path, no_positions);
    ctx.mpi.barrier();
    Params np = lin_inputs(p, nth_corpus, nth_format);
    np.model.path = no_positions;
    entries["nth_nopos"] = ctx.extract("N-th token, model without position embeddings", np);
  }
  const ProbeOptions base = probe_options(p);
  const std::string possessive_source =
      possessive_published ? "published: data_sbjn-join/sbjn-join.gen_apost"
                           : "synthesised: data_sbjn/sbjn.gen with 's inserted before the head noun (no sbjn-join.gen_apost)";
  StageOutput out = ctx.begin_output({{"possessive_set", possessive_source}});
  if (out.up_to_date()) return;
  set_torch_threads(p.model.threads);

  std::map<std::string, CacheReader> readers;
  for (const auto& [name, e] : entries) readers.emplace(name, CacheReader::open(e));
  const auto all = [](const Sentence&) { return true; };
  std::vector<LinTask> tasks;
  {
    LinTask t;
    t.name = "main_aux";
    t.train = open_sesame_split("train", readers.at("data_aux/aux.train"), all);
    t.dev = cut_dev(t.train, probe.dev_fraction);
    t.evaluations = {open_sesame_split("test", readers.at("data_aux/aux.test"), all),
                     open_sesame_split("gen", readers.at("data_aux/aux.gen"), all)};
    tasks.push_back(std::move(t));
  }
  {
    LinTask t;
    t.name = "subject_noun";
    t.train = open_sesame_split("train", readers.at("data_sbjn/sbjn.train"), all);
    t.dev = cut_dev(t.train, probe.dev_fraction);
    t.evaluations = {open_sesame_split("test", readers.at("data_sbjn/sbjn.test"), all),
                     open_sesame_split("gen_compound", readers.at("data_sbjn/sbjn.gen"), all),
                     open_sesame_split("gen_possessive", readers.at("possessive"), all)};
    tasks.push_back(std::move(t));
  }
  for (int64_t n : lin.nth)
    for (const char* variant : {"nth", "nth_nopos"}) {
      const CacheReader& r = readers.at(variant);
      Split filtered;
      filtered.reader = &r;
      for (int64_t i = 0; i < r.num_sequences(); ++i) {
        const int64_t T = r.sequence_length(i);
        if (T < 10 || T > 30 || n > T) continue;  // Lin: sentences of 10-30 wordpieces
        filtered.sequences.push_back(i);
        filtered.target_piece.push_back(n - 1);
      }
      BTL_REQUIRE(filtered.sequences.size() >= 10, "lin_probes: too few sentences of 10-30 wordpieces in ", nth_corpus);
      LinTask t;
      t.name = cat("nth_", n, std::string(variant) == "nth" ? "" : "_nopos");
      const size_t cut = filtered.sequences.size() * 8 / 10;  // first 80% train, the rest test
      Split test;
      test.name = "test";
      test.reader = &r;
      test.sequences.assign(filtered.sequences.begin() + static_cast<int64_t>(cut), filtered.sequences.end());
      test.target_piece.assign(filtered.target_piece.begin() + static_cast<int64_t>(cut), filtered.target_piece.end());
      filtered.sequences.resize(cut);
      filtered.target_piece.resize(cut);
      filtered.name = "train";
      t.train = filtered;
      t.dev = cut_dev(t.train, probe.dev_fraction);
      t.evaluations = {test};
      tasks.push_back(std::move(t));
    }

  const std::vector<int64_t> layers = probe.layers.empty() ? readers.at("data_aux/aux.train").layers() : probe.layers;
  // Memory (docs/scale.md): every reader's corpus and index, one chunk's vectors read and
  // reordered, the trainer's working memory; half the rest holds a job's token rows (the other half:
  // margin for a window's row index and the heap between windows, as probe_hold_bytes).
  MemoryBudget budget(p, "lin_probes");
  int64_t readers_bytes = 0;
  for (const auto& [name, reader] : readers) readers_bytes += reader.resident_bytes();
  budget.reserve(readers_bytes, cat("the ", readers.size(), " readers' corpora and index"));
  budget.reserve(2 * p.extract.chunk_tokens * readers.at("data_aux/aux.train").hidden_size() * 4,
                 "one chunk's vectors, read and reordered");
  budget.reserve(probe_working_bytes(1, readers.at("data_aux/aux.train").hidden_size(), probe.trainer.batch_size),
                 "the probe's evaluation chunk and training batch");
  const int64_t hold = budget.left() / 2;
  const int64_t Ly = static_cast<int64_t>(layers.size()), S = probe.seeds, K = static_cast<int64_t>(tasks.size());
  const int64_t width = 2 * 3;  // (correct, count) for up to 3 evaluation splits
  const auto table = ctx.run_job_grid(K * Ly * S, width, [&](int64_t j, double* row) {
    const LinTask& task = tasks[static_cast<size_t>(j / (Ly * S))];
    const int64_t layer = layers[static_cast<size_t>((j / S) % Ly)], seed = j % S;
    PositionSplit train(task.train, layer), dev(task.dev, layer);
    std::vector<std::unique_ptr<PositionSplit>> evaluations;
    for (const auto& e : task.evaluations) evaluations.push_back(std::make_unique<PositionSplit>(e, layer));
    std::vector<ProbeSplit*> extra;
    for (size_t k = 1; k < evaluations.size(); ++k) extra.push_back(evaluations[k].get());
    ProbeOptions o = base;
    o.num_classes = 2;
    o.position_task = true;
    o.seed = static_cast<uint64_t>(p.runtime.seed + seed);
    ProbeReads reads;
    const ProbeResult r = train_probe(train, dev, *evaluations[0], o, hold, &stop_requested, &reads, extra);
    row[0] = static_cast<double>(r.test.correct), row[1] = static_cast<double>(r.test.count);
    for (size_t k = 0; k < r.extra.size(); ++k)
      row[2 + 2 * k] = static_cast<double>(r.extra[k].correct), row[3 + 2 * k] = static_cast<double>(r.extra[k].count);
    ctx.out << "lin_probes: rank " << ctx.mpi.rank() << " " << task.name << " layer " << layer << " seed " << seed
            << ": test " << fixed(r.test.accuracy(), 2) << "%; "
            << reads.describe() << "\n"
            << std::flush;
  });

  SeedTables results({"task", "split"});
  for (int64_t k = 0; k < K; ++k)
    for (size_t e = 0; e < tasks[static_cast<size_t>(k)].evaluations.size(); ++e)
      for (int64_t l = 0; l < Ly; ++l) {
        std::vector<std::pair<double, double>> runs;
        for (int64_t s = 0; s < S; ++s) {
          const double* row = table.data() + ((k * Ly + l) * S + s) * width;
          runs.emplace_back(row[2 * e], row[2 * e + 1]);
        }
        results.add({tasks[static_cast<size_t>(k)].name, tasks[static_cast<size_t>(k)].evaluations[e].name},
                    layers[static_cast<size_t>(l)], runs);
      }
  nlohmann::json sizes;
  for (const auto& t : tasks) {
    sizes[t.name]["train"] = t.train.sequences.size();
    sizes[t.name]["dev"] = t.dev.sequences.size();
    for (const auto& e : t.evaluations) sizes[t.name][e.name] = e.sequences.size();
  }
  out.write("results.csv", results.runs().str());
  out.write_table(kLinSummary, results.summary());
  out.finish({{"sentences", sizes}, {"layer_convention", kHiddenLayerColumn}});
  return;
}

const StageRegistration registration{
    {"lin_probes", "Lin et al. 2019: main auxiliary, subject noun and N-th token probes per layer", run_lin_probes,
     {&probe_section(), &lin_section()}}};

}  // namespace
}  // namespace bertology
