// Reading a finished cache entry: the API analysis stages use. Torch-free.
//
//   CacheReader r = CacheReader::open(CacheEntry{"cache/9c3b9213c4c4a575"});
//   FloatMatrix h = r.load_layer(HiddenLayer{3});                 // [all tokens in corpus order, d]
//   for (int64_t i = 0; i < r.num_sequences(); ++i) {
//     auto seq = r.sequence(i);                      // ids, word ids, corpus sentence index
//     auto a = r.word_attention(i, 5);               // [H_sel, U, U], Clark et al.'s word level
//   }
//
// Read limit. An entry of input.overlong: skip stores every sentence up to the model's maximum
// length; a request with a smaller tokenizer.max_length opens it with CacheEntry::read_max_length
// and sees only the sequences that fit, numbered as if the others had been skipped at extraction.
//
// Order. Sequences are numbered in corpus order (the order of plan.json; a sequence is one
// sentence, or a pair A+B with input.pairs; overlong sentences skipped at extraction have no
// sequence). Inside a chunk file sequences are stored in batch order (sorted by length); the
// reader hides that: every row it returns is in corpus order. Token rows of load_layer() are the
// sequences' tokens (specials included) one sequence after the other: sequence i owns rows
// [token_offset(i), token_offset(i + 1)). Word rows of load_layer_words() likewise with
// word_offset(i) (num_words rows per sequence, A's words then B's).
//
// I/O. open() reads only the JSON files, the corpus and each chunk's small index datasets
// (/tokens, /sequences, /attention/offsets: 12 bytes per wordpiece are kept in memory).
// load_layer(l) reads only /hidden/layer_LL of each chunk, one chunk at a time (peak memory: the
// result plus one chunk's rows). sequence_hidden() reads a row range (HDF5 hyperslab) of one
// chunk. attention() reads the whole /attention/layer_LL dataset of the sequence's chunk and keeps
// it (every stored layer of the largest chunk, at most kAttentionCacheBytes; least recently used
// dropped first), so a pass over the sequences in order reads each layer of each chunk once; a
// chunk whose layers do not fit is read per sequence (hyperslab). At most kOpenChunkFiles chunk files
// stay open (least recently used closed first).
//
// Errors. Everything the user can fix is an InputError with one line naming the file: entry
// incomplete (no manifest.json), corpus missing or changed since extraction (sha256), a layer or
// attention layer/head that the entry does not store (the message lists what is stored), a chunk
// file that fails to read (Fletcher-32 checksum, truncated file, inconsistent index): the message
// names the chunk and suggests `bertology cache verify`. Nothing is returned silently wrong.
//
// Threads. HDF5 here is used from one thread at a time, and the reader keeps mutable state
// (open-file cache) behind const methods: use one CacheReader from a single thread (or guard it
// with a mutex). Results (FloatMatrix, vectors) are plain values and may be shared freely.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/cache/cache_key.h"
#include "pipeline/cache/layer_convention.h"
#include "pipeline/cache/row_scratch.h"
#include "pipeline/corpus/corpus.h"
#include "pipeline/io/hdf5_file.h"

namespace bertology {

/// A dense row-major float matrix.
struct FloatMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> data;  ///< row-major, rows x cols
  float* row(int64_t r) { return data.data() + r * cols; }
  const float* row(int64_t r) const { return data.data() + r * cols; }
  float at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

/// Clark et al. (2019): attention FROM a word split into several pieces is the mean over its
/// pieces' rows (the paper) or its first piece's row (their released code's default).
enum class WordFrom { Mean, First };

/// Read access to one complete cache entry (see the file comment for order, I/O and errors).
class CacheReader {
 public:
  /// Chunk files kept open at once by sequence-level reads.
  static constexpr size_t kOpenChunkFiles = 2;
  /// HDF5 chunk cache of each dataset that sequence_hidden()/attention() read: holds the one or two
  /// HDF5 chunks (~1 MiB fp16, ~2 MiB fp32 each) a sequence spans, so a pass over the sequences of
  /// a chunk file reads, checksums and decodes each HDF5 chunk once instead of once per sequence.
  static constexpr size_t kChunkCacheBytes = size_t{4} << 20;
  /// attention() of a float16 entry reads a chunk's whole attention dataset of a layer at once (one
  /// HDF5 read instead of one per sequence) and keeps such layers as binary16, least recently used
  /// dropped first, up to this many bytes; when a chunk's stored layers do not all fit, attention
  /// is read per sequence instead (HDF5 hyperslab).
  static constexpr size_t kAttentionCacheBytes = size_t{256} << 20;

  /// Memory this reader holds whatever is read: the corpus (words, annotations, text, fields) and
  /// the per-piece and per-sequence index, estimated from their sizes. Corpus-sized (~250 B per
  /// CoNLL-U word) but small beside the vectors; memory budgets reserve it.
  int64_t resident_bytes() const { return resident_bytes_; }
  /// Bytes of the attention of every stored layer of the entry's largest chunk (float16): what the
  /// attention cache needs to read each chunk layer once in a pass in sequence order.
  int64_t largest_chunk_attention_bytes() const;
  /// Caps this reader's attention cache (default: largest_chunk_attention_bytes(), at most
  /// kAttentionCacheBytes: what a pass in sequence order needs). Memory: at most `bytes` plus one
  /// spare layer of a chunk.
  void set_attention_cache_bytes(size_t bytes) { attention_cache_limit_ = bytes; }

  /// Opens the COMPLETE entry `entry.dir` (<cache.dir>/<key16>, with manifest.json); re-reads the
  /// corpus from plan.json's path and checks its sha256. InputError naming the entry/file otherwise.
  /// With entry.read_max_length > 0, sequences longer than that many wordpieces are hidden: they
  /// have no sequence number, their sentences are listed by skipped_sentences(), and every count
  /// and row of the reader is that of an extraction that skipped them (InputError when none is left).
  static CacheReader open(const CacheEntry& entry);

  CacheReader(CacheReader&&) = default;
  CacheReader& operator=(CacheReader&&) = default;

  // ---- what the entry holds -------------------------------------------------------------------
  const std::string& entry_dir() const { return entry_dir_; }
  const CacheKeyParts& key() const { return key_; }      ///< model, input policy, storage, selection
  const Corpus& corpus() const { return corpus_; }       ///< sentences: words, annotations, fields
  int num_layers() const { return num_layers_; }         ///< model L (hidden layers 0..L exist)
  int hidden_size() const { return hidden_size_; }       ///< d
  int num_heads() const { return num_heads_; }           ///< model heads per layer
  const std::vector<int64_t>& layers() const { return key_.selection.layers; }  ///< stored hidden layers (0 = embeddings)
  bool has_attention() const { return key_.selection.attention; }
  const std::vector<int64_t>& attention_layers() const;  ///< stored attention layers, 0-based (empty without attention)
  const std::vector<int64_t>& attention_heads() const;   ///< stored heads = the H_sel axis of attention(), 0-based
  /// Position of model head `head` (0-based) on the H_sel axis; InputError when it is not stored.
  int head_index(int head) const;
  const std::string& word_pooling() const { return key_.selection.word_pooling; }  ///< none | mean | first
  const std::string& dtype() const { return key_.dtype; }  ///< stored precision: float16 | float32 (reads give float)
  int64_t num_chunks() const { return static_cast<int64_t>(chunks_.size()); }
  /// Corpus sentences left out as overlong (input.overlong = skip): at extraction (over the stored
  /// maximum) or hidden by the read limit, sorted.
  const std::vector<int64_t>& skipped_sentences() const { return skipped_sentences_; }
  /// The read limit open() applied (CacheEntry::read_max_length; 0 = none).
  int64_t read_max_length() const { return read_max_length_; }
  /// Stored sequences the read limit hides.
  int64_t hidden_sequences() const { return hidden_sequences_; }

  // ---- sequences (corpus order) ---------------------------------------------------------------
  int64_t num_sequences() const { return static_cast<int64_t>(seq_chunk_.size()); }
  int64_t num_tokens() const { return token_offsets_.back(); }  ///< rows of load_layer()
  int64_t num_words() const { return word_offsets_.back(); }    ///< rows of load_layer_words()
  /// First row of sequence i in load_layer() (i == num_sequences() gives num_tokens()).
  int64_t token_offset(int64_t i) const;
  /// First row of sequence i in load_layer_words() (i == num_sequences() gives num_words()).
  int64_t word_offset(int64_t i) const;
  /// Wordpieces of sequence i (specials included).
  int64_t sequence_length(int64_t i) const { return token_offset(i + 1) - token_offset(i); }
  /// The sequence whose sentence A or B is corpus sentence `sentence`; -1 when it was skipped.
  int64_t find_sequence(int64_t sentence) const;

  struct Sequence {
    int64_t sentence_a = -1, sentence_b = -1;  ///< corpus indices; sentence_b = -1 unless input.pairs
    std::vector<int32_t> input_ids;            ///< wordpieces as fed, specials included
    std::vector<int32_t> word_ids;             ///< word index in the sequence (B's follow A's), -1 = special
    std::vector<int32_t> segment_ids;          ///< 0 = A, 1 = B
    int32_t num_words = 0;                     ///< words of A (+ B), including words without pieces
    bool truncated = false;                    ///< pieces were dropped to fit max_length
  };
  /// Sequence i (corpus order); from memory, no file access.
  Sequence sequence(int64_t i) const;

  // ---- tensors (float32; fp16 entries widen exactly) ------------------------------------------
  /// Hidden layer `layer` (0 = embedding output .. L) of every token: [num_tokens(), d], corpus
  /// order. Reads only /hidden/layer_LL of each chunk.
  FloatMatrix load_layer(HiddenLayer layer) const;
  /// Word-pooled layer (the entry's word_pooling: mean or first piece) of every word:
  /// [num_words(), d], corpus order. A word without pieces is a zero row. Needs word_pooling != none.
  FloatMatrix load_layer_words(HiddenLayer layer) const;
  /// Rows `rows` (rows of load_layer_words(), in any order, repeats allowed) of a word-pooled layer
  /// into `out` = [rows.size(), d]: reads only the chunks that hold one of them, one chunk at a time
  /// (peak: one chunk's words). The values are those of load_layer_words().
  void read_word_rows(HiddenLayer layer, const std::vector<int64_t>& rows, float* out) const;
  /// The same, row k into out + at[k] (d floats; element offsets, e.g. interleaved with other
  /// layers' rows): a window is read straight into its place, no buffer of its own.
  void read_word_rows(HiddenLayer layer, const std::vector<int64_t>& rows, float* out,
                      const std::vector<int64_t>& at) const;
  /// The same two for rows of load_layer() (token level).
  void read_token_rows(HiddenLayer layer, const std::vector<int64_t>& rows, float* out) const;
  void read_token_rows(HiddenLayer layer, const std::vector<int64_t>& rows, float* out,
                       const std::vector<int64_t>& at) const;
  /// Row scratch (row_scratch.h). read_word_rows/read_token_rows decode every chunk they touch
  /// whole. When a read is a sparse sample of most of a dataset (it would decode at least
  /// kScratchSparseRatio times the rows it returns, and at least half the dataset: a window of a
  /// shuffled epoch under a budget), or when reads would decode a dataset more than
  /// kScratchAfterPasses times over (evaluation windows, epoch after epoch), the reader copies the
  /// dataset once, in corpus order and its stored precision, into an unlinked file of the
  /// row-scratch folder and reads those rows and every later one from there: same values, a window
  /// then reads only its rows. A split read whole, once, never copies. attention() does the same for
  /// an attention layer whose chunks it has decoded more than kScratchAfterPasses times over (the
  /// attention probe's windows): each sequence's maps are then one pread. Disk: rows × d × 2 bytes
  /// (float16 entry) per dataset copied, an attention layer H·Σt²·2 bytes, freed when the reader
  /// goes; none when the folder lacks the space (the reader goes on the slow way). Process-wide;
  /// default $TMPDIR, else /tmp; "" = off.
  static constexpr int kScratchSparseRatio = 4;
  static constexpr int kScratchAfterPasses = 2;
  static void set_row_scratch_dir(std::string dir);
  static std::string default_row_scratch_dir();  ///< $TMPDIR, else /tmp
  static const std::string& row_scratch_dir();
  /// Bytes of the scratch copies this reader made (0: none).
  int64_t row_scratch_bytes() const;
  /// Hidden layer of one sequence: [T, d] (a row range of one chunk).
  FloatMatrix sequence_hidden(int64_t i, HiddenLayer layer) const;
  /// Attention probabilities of `layer` (0-based transformer layer) for sequence i, wordpiece
  /// level: [H_sel, T, T] flat, [head][query][key]; heads = attention_heads(). Each row sums to 1
  /// (up to the stored dtype: ~4e-4 for float16).
  std::vector<float> attention(int64_t i, AttentionLayer layer) const;
  /// Clark et al.'s word-level attention of sequence i: units = the words (by word id, those with
  /// at least one piece) and each special token as its own unit, in sequence order (first piece's
  /// position). Attention TO a unit = sum over its pieces' columns; FROM a unit = mean over its
  /// pieces' rows (WordFrom::Mean) or its first piece's row (First). Rows still sum to 1.
  /// Returns [H_sel, U, U] flat; `unit_word_ids` (optional) gets each unit's word id (-1 = special).
  std::vector<float> word_attention(int64_t i, AttentionLayer layer, WordFrom from = WordFrom::Mean,
                                    std::vector<int32_t>* unit_word_ids = nullptr) const;
  /// The conversion word_attention() applies, on attention `a` = [H, T, T] of a sequence whose
  /// wordpieces have `word_ids` ([T], -1 = special) and `num_words` words: for callers that read
  /// attention on one thread and convert on another.
  static std::vector<float> to_word_level(std::vector<float> a, int64_t H, int64_t T, const int32_t* word_ids,
                                          int32_t num_words, WordFrom from, std::vector<int32_t>* unit_word_ids);

 private:
  CacheReader() = default;

  /// What open() keeps of one chunk file. Counts are those of plan.json (every stored sequence)
  /// until load_chunk_index() turns first_sequence/num_sequences into the visible ones.
  struct Chunk {
    std::string file;                  ///< absolute or entry-relative path of chunk_XXXXX.h5
    int64_t first_sequence = 0;        ///< global index of its first visible sequence (corpus order)
    int64_t num_sequences = 0;         ///< visible sequences (all stored ones without a read limit)
    int64_t num_tokens = 0, num_words = 0;  ///< stored rows of its datasets
    std::vector<int64_t> stored;       ///< visible corpus-order k -> stored (batch-order) position
    std::vector<int64_t> tok_off, word_off, att_off;  ///< per stored position (S + 1)
  };

  void load_chunk_index(int64_t c);
  const H5File& file(int64_t c) const;                 ///< open chunk c (LRU)
  /// InputError "<chunk file>: <what>; run `bertology cache verify ...`".
  [[noreturn]] void chunk_failure(int64_t c, const std::string& what) const;
  /// Inside a catch block: rethrows the current InputError/InternalError as a chunk_failure of c.
  [[noreturn]] void rethrow_in_chunk(int64_t c) const;
  void require_sequence(int64_t i) const;
  void require_hidden_layer(int layer, const char* what) const;
  void require_attention_layer(int layer) const;
  /// Rows `rows` (any order; word rows when `words`, else token rows) of `dataset`, row k into
  /// out + at[k]; sorted first when they are not in order.
  void read_rows(const std::string& dataset, bool words, const std::vector<int64_t>& rows, float* out,
                 const std::vector<int64_t>& at) const;
  /// Reads a whole row-major dataset of chunk c into corpus order (rows per stored sequence from `off`).
  void read_permuted(int64_t c, const std::string& dataset, const std::vector<int64_t>& off, float* out) const;
  /// The same as the stored binary16 bits; false, reading nothing, when `dataset` is not float16.
  bool read_permuted_half_bits(int64_t c, const std::string& dataset, const std::vector<int64_t>& off,
                               uint16_t* out) const;
  /// Both: `read(file, rows, buffer)` fills the chunk's rows in stored order (false: not readable so).
  template <typename Value, typename Read>
  bool read_permuted_as(int64_t c, const std::string& dataset, const std::vector<int64_t>& off, Value* out,
                        Read read) const;
  std::string verify_hint() const;
  /// The scratch copy of `dataset` when there is one or it is due now, for a read that returns
  /// `wanted` rows and would decode `to_decode` (see kScratchSparseRatio).
  const RowScratch* row_scratch(const std::string& dataset, bool words, int64_t wanted, int64_t to_decode) const;
  /// InputError (chunk_failure) unless chunk c's `dataset` is the flat [att_off.back()] of its maps.
  void require_attention_shape(int64_t c, const H5File& f, const std::string& dataset) const;

  std::string entry_dir_;
  CacheKeyParts key_;
  Corpus corpus_;
  int num_layers_ = 0, hidden_size_ = 0, num_heads_ = 0;
  std::vector<int64_t> skipped_sentences_;
  int64_t read_max_length_ = 0, hidden_sequences_ = 0;
  int64_t last_sentence_a_ = -1;  ///< while open() reads the chunk indexes: order check over every stored sequence
  std::vector<Chunk> chunks_;
  // Per sequence, corpus order.
  std::vector<int32_t> seq_chunk_;                 ///< chunk of each sequence
  std::vector<int64_t> seq_sentence_a_, seq_sentence_b_;
  std::vector<int64_t> token_offsets_{0}, word_offsets_{0};  ///< global rows (size S + 1)
  std::vector<int32_t> num_words_;
  std::vector<uint8_t> truncated_;
  std::vector<int32_t> input_ids_, word_ids_, segment_ids_;  ///< every token, corpus order
  // Open chunk files, most recently used first (HDF5 is single-threaded here: see file comment).
  mutable std::list<std::pair<int64_t, H5File>> open_files_;
  // Whole attention layers of chunks, most recently used first: ((chunk, layer), values).
  mutable std::list<std::pair<std::pair<int64_t, int>, std::vector<uint16_t>>> attention_layers_cache_;  ///< binary16
  mutable size_t attention_cache_bytes_ = 0;
  size_t attention_cache_limit_ = kAttentionCacheBytes;
  int64_t resident_bytes_ = 0;
  mutable std::vector<uint16_t> spare_attention_layer_;  ///< storage of the last layer dropped
  /// Per dataset read by read_rows (rows decoded so far) or attention() (values decoded so far), and
  /// its scratch copy (null once refused).
  struct RowScratchState {
    int64_t decoded_rows = 0;
    std::unique_ptr<RowScratch> copy;
    bool refused = false;
  };
  mutable std::map<std::string, RowScratchState> row_scratch_;
  /// An empty scratch file for `dataset` (rows × row_elements, the entry's precision), or null with a
  /// note on stderr and `state` marked refused.
  std::unique_ptr<RowScratch> new_row_scratch(RowScratchState& state, const std::string& dataset, int64_t rows,
                                              int64_t row_elements) const;
  /// The scratch copy of attention layer `layer` (`state`: its entry of row_scratch_; every visible
  /// sequence's maps, corpus order, at attention_offsets_) when there is one or its chunks were
  /// decoded more than kScratchAfterPasses times over (then made now); else null.
  const RowScratch* attention_scratch(int layer, RowScratchState& state) const;
  /// Keeps the complete `copy` as `state`'s, saying on the reader's first copy where the disk goes.
  const RowScratch* keep_row_scratch(RowScratchState& state, const std::string& dataset,
                                     std::unique_ptr<RowScratch> copy) const;
  /// Sequence i's maps are values [attention_offsets_[i], attention_offsets_[i + 1]) of an attention
  /// copy (S + 1; made with the first copy).
  mutable std::vector<int64_t> attention_offsets_;
};

}  // namespace bertology
