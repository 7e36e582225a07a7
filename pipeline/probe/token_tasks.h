// Word-level probing tasks from CoNLL-U annotations (Tenney et al.'s token tasks), built from
// cache entries with word-pooled hidden states; shared by token_probes and scalar_mix.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/cache/cache_reader.h"
#include "pipeline/config/params.h"
#include "pipeline/probe/probe_trainer.h"

namespace bertology {

/// upos, xpos, deprel (a word's relation), arc (the relation of head → dependent, from the
/// concatenation [v_head ; v_dependent]; root words are not examples).
enum class TokenTask { Upos, Xpos, Deprel, Arc };
TokenTask parse_token_task(const std::string& name);  ///< InputError naming probe.tasks otherwise
const char* token_task_name(TokenTask task);

/// Punctuation left out of attachment scores, each paper by its own rule:
///  - Clark et al. (2019), attention probes: the word's relation is `punct` (UD, and the Stanford
///    Dependencies our PTB converter writes, which label exactly is_punctuation_tag() words so).
///  - Hewitt & Manning (2019), structural probe: XPOS is one of the seven PTB tags of his
///    reporter, `` '' , . : -LRB- -RRB- (so `$`, `#`, HYPH, NFP count as words). A corpus without
///    XPOS (`_` or empty) falls back to UPOS PUNCT.
bool is_clark_punctuation(const WordAnnotation& a);
bool is_hewitt_punctuation(const WordAnnotation& a);

/// The probe.* section as trainer options (num_classes and seed are set per job).
ProbeOptions probe_options(const Params& p);

/// Opens an entry that must hold word-pooled hidden states (InputError naming `stage` otherwise).
CacheReader open_word_entry(const CacheEntry& entry, const std::string& stage);
/// probe.layers (all stored layers when empty); InputError when one is not stored.
std::vector<int64_t> probe_layers(const Params& p, const CacheReader& reader);

/// Sequences of the training, dev and test sets. Without a test corpus (held_out) the last 10% of
/// the training entry's sequences are the test set. The dev set is the last `dev_fraction` of the
/// remaining training sequences.
struct TokenSplits {
  const CacheReader* train_reader = nullptr;  ///< holds train and dev
  const CacheReader* test_reader = nullptr;
  std::vector<int64_t> train, dev, test;      ///< sequence indices
};
TokenSplits token_splits(const CacheReader& train_reader, const CacheReader& test_reader, bool held_out,
                         double dev_fraction);

/// One split of a task read from its cache entry on demand (train_probe reads it once when it fits
/// the memory budget, else a window at a time). Features: per layer of `which`, the word's vector,
/// or for arcs [v_head ; v_dependent]. Memory: 24 B per row (rows,
/// labels) besides the windows; a load reads the chunks holding the window's words, per layer.
class CacheTokenSplit : public ProbeSplit {
 public:
  CacheTokenSplit(const CacheReader& reader, std::vector<int64_t> word_rows, std::vector<int64_t> head_rows,
                  std::vector<int64_t> labels, std::vector<int64_t> which);
  int64_t rows() const override { return static_cast<int64_t>(word_rows_.size()); }
  int64_t dim() const override { return head_rows_.empty() ? reader_.hidden_size() : 2 * reader_.hidden_size(); }
  int64_t layers() const override { return static_cast<int64_t>(which_.size()); }
  const std::vector<int64_t>& labels() const override { return labels_; }
  const std::vector<int64_t>& groups() const override { return no_groups_; }
  void load(const std::vector<int64_t>& ids, float* out) override;
  /// Stored word vectors, copied as read: exact in float16 when the entry stores float16.
  bool exact_in_half() const override;

 private:
  const CacheReader& reader_;
  std::vector<int64_t> word_rows_, head_rows_, labels_, which_, no_groups_;
};

/// Bytes a token probe (token_probes, scalar_mix) may hold features in under runtime.memory_gb:
/// the budget less the readers (their corpora and index, CacheReader::resident_bytes), one chunk's
/// word vectors read and reordered (2 × extract.chunk_tokens × d × 4 B) and the trainer's working
/// memory for rows of up to `mixed_layers` layers (probe_working_bytes; rows of 2d with an arc
/// task), halved: the other half is the margin for what a window needs besides its features (its
/// sorted row index, 32 B a row, and the heap between windows of different sizes).
/// InputError naming runtime.memory_gb for `stage` when the budget is below what it needs.
int64_t probe_hold_bytes(const Params& params, const std::string& stage, const CacheReader& train,
                         const CacheReader& test, int64_t mixed_layers);

/// The three splits of a task read on demand; labels are indices into label_names (the training
/// labels, sorted); a dev/test label unseen in training is -1 (always wrong).
struct TaskSplits {
  std::unique_ptr<CacheTokenSplit> train, dev, test;
  std::vector<std::string> label_names;
};
TaskSplits task_splits(TokenTask task, const TokenSplits& splits, const std::vector<int64_t>& which);

}  // namespace bertology
