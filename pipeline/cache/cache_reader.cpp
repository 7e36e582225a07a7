#include "pipeline/cache/cache_reader.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "pipeline/cache/cache_dir.h"
#include "pipeline/cache/chunk_format.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/json_number.h"

namespace bertology {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string join(const std::vector<int64_t>& v) {
  if (v.empty()) return "none";
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s;
}

bool contains(const std::vector<int64_t>& sorted, int64_t x) { return std::binary_search(sorted.begin(), sorted.end(), x); }

/// Offsets: size n + 1, start at 0, never decrease, end at `total`.
bool valid_offsets(const std::vector<int64_t>& off, size_t n, int64_t total) {
  if (off.size() != n + 1 || off[0] != 0 || off.back() != total) return false;
  for (size_t i = 0; i < n; ++i)
    if (off[i + 1] < off[i]) return false;
  return true;
}

const std::vector<int64_t> kNone;

}  // namespace

// ---------------------------------------------------------------------------------------------
// open

namespace {

/// The heap a Corpus holds: each string's object and, past the small-string buffer, its characters.
int64_t corpus_bytes(const Corpus& corpus) {
  const auto str = [](const std::string& x) {
    return static_cast<int64_t>(sizeof(std::string) + (x.capacity() > 15 ? x.capacity() + 1 : 0));
  };
  int64_t bytes = 0;
  for (const Sentence& s : corpus.sentences) {
    bytes += static_cast<int64_t>(sizeof(Sentence)) + str(s.text) + str(s.origin);
    for (const auto& w : s.words) bytes += str(w);
    for (const auto& a : s.annotations)
      bytes += static_cast<int64_t>(sizeof(WordAnnotation)) - 5 * static_cast<int64_t>(sizeof(std::string)) + str(a.lemma) +
               str(a.upos) + str(a.xpos) + str(a.deprel) + str(a.misc);
    for (const auto& [k, v] : s.fields) bytes += 64 + str(k) + str(v);  // + a map node
  }
  return bytes;
}

}  // namespace

CacheReader CacheReader::open(const CacheEntry& entry_arg) {
  CacheReader r;
  std::string dir = entry_arg.dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  r.entry_dir_ = dir;
  r.read_max_length_ = std::max<int64_t>(0, entry_arg.read_max_length);
  const CacheEntry entry{dir};
  std::error_code ec;
  BTL_REQUIRE(fs::is_directory(dir, ec), dir, ": no such cache entry (expected a directory <cache.dir>/<key16>; "
              "`bertology cache ls` lists them)");
  BTL_REQUIRE(fs::exists(entry.key_file(), ec), dir, ": not a cache entry (no key.json)");

  // Incomplete entries (killed or still running extraction) are never read.
  if (!fs::exists(entry.manifest_file(), ec)) {
    int64_t total = -1, done = 0;
    try {
      const json plan = json::parse(read_file_bytes(entry.plan_file(), "a cache plan (plan.json)"));
      total = static_cast<int64_t>(plan.at("chunks").size());
      for (int64_t i = 0; i < total; ++i) done += read_chunk_record(entry, i).has_value();
    } catch (const std::exception&) {
      // no or unreadable plan: say so without the count
    }
    throw InputError(cat(entry.manifest_file(), ": cache entry is incomplete (no manifest.json",
                         total >= 0 ? cat("; ", done, " of ", total, " chunks finished") : std::string(),
                         "): run `bertology extract` (or `run`) with its config again to finish it"));
  }

  const std::string key_text = read_file_bytes(entry.key_file(), "a cache key (key.json)");
  r.key_ = parse_key_json(key_text, entry.key_file());

  // plan.json: chunks in corpus order, corpus identity, model sizes.
  json plan, manifest;
  try {
    plan = json::parse(read_file_bytes(entry.plan_file(), "a cache plan (plan.json)"));
  } catch (const json::exception& e) {
    throw InputError(cat(entry.plan_file(), ": malformed plan: ", e.what()));
  }
  try {
    manifest = json::parse(read_file_bytes(entry.manifest_file(), "a cache manifest (manifest.json)"));
  } catch (const json::exception& e) {
    throw InputError(cat(entry.manifest_file(), ": malformed manifest: ", e.what()));
  }
  std::string corpus_path, corpus_format, corpus_sha;
  int64_t corpus_sentences = 0, plan_sequences = 0, plan_tokens = 0, chunk_bytes = 0;
  try {
    const json& c = plan.at("corpus");
    corpus_path = c.at("path").get<std::string>();
    corpus_format = c.at("format").get<std::string>();
    corpus_sha = c.at("sha256").get<std::string>();
    corpus_sentences = json_number<int64_t>(c.at("num_sentences"), entry.plan_file(), "corpus.num_sentences");
    const json& m = plan.at("model");
    r.num_layers_ = json_number<int>(m.at("num_layers"), entry.plan_file(), "model.num_layers");
    r.hidden_size_ = json_number<int>(m.at("hidden_size"), entry.plan_file(), "model.hidden_size");
    r.num_heads_ = json_number<int>(m.at("num_heads"), entry.plan_file(), "model.num_heads");
    plan_sequences = json_number<int64_t>(plan.at("num_sequences"), entry.plan_file(), "num_sequences");
    plan_tokens = json_number<int64_t>(plan.at("num_tokens"), entry.plan_file(), "num_tokens");
    if (plan.contains("skipped_sentences"))
      r.skipped_sentences_ = json_numbers<int64_t>(plan.at("skipped_sentences"), entry.plan_file(), "skipped_sentences");
    std::sort(r.skipped_sentences_.begin(), r.skipped_sentences_.end());
    int64_t next = 0;
    for (const json& jc : plan.at("chunks")) {
      Chunk ch;
      const int64_t index = json_number<int64_t>(jc.at("index"), entry.plan_file(), "chunks[].index");
      BTL_REQUIRE(index == static_cast<int64_t>(r.chunks_.size()), entry.plan_file(), ": chunk ", index,
                  " listed out of order");
      ch.file = entry.chunk_file(index);
      ch.first_sequence = json_number<int64_t>(jc.at("first_sequence"), entry.plan_file(), "chunks[].first_sequence");
      ch.num_sequences = json_number<int64_t>(jc.at("num_sequences"), entry.plan_file(), "chunks[].num_sequences");
      ch.num_tokens = json_number<int64_t>(jc.at("num_tokens"), entry.plan_file(), "chunks[].num_tokens");
      ch.num_words = json_number<int64_t>(jc.at("num_words"), entry.plan_file(), "chunks[].num_words");
      BTL_REQUIRE(ch.first_sequence == next && ch.num_sequences > 0, entry.plan_file(), ": chunk ", index,
                  " does not continue the previous one (first_sequence ", ch.first_sequence, ", expected ", next, ")");
      // Bounds that keep the sums below free of overflow; the chunk files check the exact counts.
      constexpr int64_t kMaxCount = int64_t{1} << 40;
      BTL_REQUIRE(ch.num_sequences <= kMaxCount && ch.num_tokens >= 0 && ch.num_tokens <= kMaxCount &&
                      ch.num_words >= 0 && ch.num_words <= kMaxCount,
                  entry.plan_file(), ": chunk ", index, " has impossible counts (num_sequences ", ch.num_sequences,
                  ", num_tokens ", ch.num_tokens, ", num_words ", ch.num_words, ")");
      next += ch.num_sequences;
      r.chunks_.push_back(std::move(ch));
    }
    BTL_REQUIRE(next == plan_sequences && !r.chunks_.empty(), entry.plan_file(), ": chunks hold ", next,
                " sequences, plan says ", plan_sequences);
    // The manifest lists every chunk with its size: a cheap check that the files are the finished ones.
    const json& mc = manifest.at("chunks");
    BTL_REQUIRE(mc.size() == r.chunks_.size(), entry.manifest_file(), ": lists ", mc.size(), " chunks, plan.json ",
                r.chunks_.size());
    for (const json& m : mc) {
      const int64_t index = json_number<int64_t>(m.at("index"), entry.manifest_file(), "chunks[].index");
      BTL_REQUIRE(index >= 0 && index < static_cast<int64_t>(r.chunks_.size()), entry.manifest_file(),
                  ": unknown chunk ", index);
      const uint64_t bytes = json_number<uint64_t>(m.at("bytes"), entry.manifest_file(), "chunks[].bytes");
      const auto size = fs::file_size(r.chunks_[index].file, ec);
      if (ec) r.chunk_failure(index, "missing (listed in manifest.json)");
      if (size != bytes)
        r.chunk_failure(index, cat("size ", size, " bytes != ", bytes, " recorded in manifest.json"));
      chunk_bytes += static_cast<int64_t>(size);
    }
  } catch (const json::exception& e) {
    throw InputError(cat(entry.plan_file(), ": malformed plan or manifest: ", e.what()));
  }
  BTL_REQUIRE(r.num_layers_ > 0 && r.hidden_size_ > 0 && r.num_heads_ > 0, entry.plan_file(),
              ": model sizes missing or not positive");

  // The corpus: re-read from where extraction read it, and only if it is byte-identical. A PTB
  // corpus may be a folder or a pattern: read_corpus reads and hashes its files.
  const bool many_files = parse_corpus_format(corpus_format) == CorpusFormat::Ptb;
  if (!many_files) {
    BTL_REQUIRE(fs::is_regular_file(corpus_path, ec), corpus_path, ": corpus of cache entry ", dir,
                " is missing (its path is recorded in plan.json); restore it or re-extract");
    const std::string now_sha = sha256_file(corpus_path);
    BTL_REQUIRE(now_sha == corpus_sha, corpus_path, ": corpus changed since cache entry ", dir,
                " was extracted (sha256 ", now_sha.substr(0, 12), "... != ", corpus_sha.substr(0, 12),
                "... recorded in plan.json); restore the original file or re-run `bertology extract`");
  }
  r.corpus_ = read_corpus(corpus_path, parse_corpus_format(corpus_format), r.key_.max_sentences);
  BTL_REQUIRE(r.corpus_.content_sha256 == corpus_sha, corpus_path,
              many_files ? cat(": corpus changed since cache entry ", dir, " was extracted (sha256 of its files); restore "
                               "the original files or re-run `bertology extract`")
                         : std::string(": corpus changed while being read (sha256)"));
  BTL_REQUIRE(static_cast<int64_t>(r.corpus_.sentences.size()) == corpus_sentences, corpus_path, ": ",
              r.corpus_.sentences.size(), " sentences read, plan.json of ", dir, " records ", corpus_sentences);

  // Each chunk's index datasets, in corpus order. plan.json's counts are checked against the chunk
  // files only as these are read: reserve no more than the files could hold (a corrupt count is
  // then an error, not an allocation).
  r.seq_chunk_.reserve(static_cast<size_t>(std::clamp<int64_t>(plan_sequences, 0, chunk_bytes / 16)));
  r.token_offsets_.reserve(static_cast<size_t>(std::clamp<int64_t>(plan_sequences, 0, chunk_bytes / 16)) + 1);
  r.input_ids_.reserve(static_cast<size_t>(std::clamp<int64_t>(plan_tokens, 0, chunk_bytes / 4)));
  int64_t stored_tokens = 0;
  for (int64_t c = 0; c < static_cast<int64_t>(r.chunks_.size()); ++c) {
    stored_tokens += r.chunks_[c].num_tokens;
    r.load_chunk_index(c);
  }
  BTL_REQUIRE(stored_tokens == plan_tokens, entry.plan_file(), ": chunks hold ", stored_tokens,
              " wordpieces, plan says ", plan_tokens);
  BTL_REQUIRE(r.num_sequences() > 0, dir, ": every stored sequence is longer than tokenizer.max_length ",
              r.read_max_length_, " (input.overlong: skip)");
  std::sort(r.skipped_sentences_.begin(), r.skipped_sentences_.end());
  r.open_files_.clear();
  r.resident_bytes_ = corpus_bytes(r.corpus_) +
                      static_cast<int64_t>(sizeof(int32_t)) * static_cast<int64_t>(r.input_ids_.capacity() + r.word_ids_.capacity() + r.segment_ids_.capacity()) +
                      static_cast<int64_t>(sizeof(int64_t)) * static_cast<int64_t>(r.token_offsets_.capacity() + r.word_offsets_.capacity() + r.seq_sentence_a_.capacity() + r.seq_sentence_b_.capacity());
  for (const Chunk& ch : r.chunks_)
    r.resident_bytes_ += static_cast<int64_t>(sizeof(int64_t) * (ch.stored.capacity() + ch.tok_off.capacity() + ch.word_off.capacity() + ch.att_off.capacity()));
  // A pass in sequence order needs one chunk's layers at a time; more would only grow with the
  // corpus (up to kAttentionCacheBytes) without saving a read.
  if (r.has_attention())
    r.attention_cache_limit_ = static_cast<size_t>(
        std::min<int64_t>(r.largest_chunk_attention_bytes(), static_cast<int64_t>(kAttentionCacheBytes)));
  return r;
}

void CacheReader::load_chunk_index(int64_t c) {
  Chunk& ch = chunks_[c];
  const int64_t S = ch.num_sequences;
  std::vector<int64_t> sent_a, sent_b;
  std::vector<int32_t> nwords, trunc, ids, wids, segs;
  try {
    const H5File& f = file(c);
    const std::string chunk_key = f.string_attribute("/", "key_json");
    // Sizes come from plan.json and are checked before anything is allocated.
    const int64_t N = ch.num_tokens;
    ids = f.read_i32("/tokens/input_ids", N);
    wids = f.read_i32("/tokens/word_ids", N);
    segs = f.read_i32("/tokens/segment_ids", N);
    ch.tok_off = f.read_i64("/sequences/offsets", S + 1);
    sent_a = f.read_i64("/sequences/sentence_a", S);
    sent_b = f.read_i64("/sequences/sentence_b", S);
    nwords = f.read_i32("/sequences/num_words", S);
    ch.word_off = f.read_i64("/sequences/word_offsets", S + 1);
    trunc = f.read_i32("/sequences/truncated", S);
    if (key_.selection.attention) ch.att_off = f.read_i64("/attention/offsets", S + 1);
    if (key_json(parse_key_json(chunk_key, ch.file)) != key_json(key_))
      chunk_failure(c, "belongs to another cache key (root attribute key_json differs from key.json)");
  } catch (const std::runtime_error&) {
    rethrow_in_chunk(c);
  }
  const int64_t N = ch.num_tokens;
  auto bad = [&](const std::string& what) { chunk_failure(c, cat("inconsistent index: ", what)); };
  if (static_cast<int64_t>(sent_a.size()) != S || sent_b.size() != sent_a.size() || nwords.size() != sent_a.size() ||
      trunc.size() != sent_a.size())
    bad(cat("/sequences has ", sent_a.size(), " sequences, plan.json ", S));
  if (static_cast<int64_t>(ids.size()) != N || wids.size() != ids.size() || segs.size() != ids.size())
    bad(cat("/tokens has ", ids.size(), " wordpieces, plan.json ", N));
  if (!valid_offsets(ch.tok_off, S, N)) bad("/sequences/offsets");
  if (!valid_offsets(ch.word_off, S, ch.num_words)) bad("/sequences/word_offsets");
  const int64_t H_sel = static_cast<int64_t>(attention_heads().size());
  if (key_.selection.attention) {
    if (ch.att_off.size() != static_cast<size_t>(S + 1) || ch.att_off[0] != 0) bad("/attention/offsets");
    // att_off[s] is checked before it is added to (0, then sums of H_sel * T * T with T <= N): no overflow.
    for (int64_t s = 0; s < S; ++s) {
      const int64_t T = ch.tok_off[s + 1] - ch.tok_off[s];
      if (ch.att_off[s + 1] != ch.att_off[s] + H_sel * T * T) bad("/attention/offsets");
    }
  }
  // Batch order -> corpus order: sequences of a chunk are consecutive in the plan, which is in
  // corpus order, so sorting by sentence_a restores it.
  ch.stored.resize(S);
  std::iota(ch.stored.begin(), ch.stored.end(), int64_t{0});
  std::sort(ch.stored.begin(), ch.stored.end(), [&](int64_t x, int64_t y) { return sent_a[x] < sent_a[y]; });
  const int64_t n_sent = static_cast<int64_t>(corpus_.sentences.size());
  std::vector<int64_t> visible;
  visible.reserve(S);
  ch.first_sequence = num_sequences();
  for (int64_t k = 0; k < S; ++k) {
    const int64_t p = ch.stored[k];
    if (sent_a[p] <= last_sentence_a_ || sent_a[p] >= n_sent) bad(cat("sentence_a ", sent_a[p], " out of order or range"));
    last_sentence_a_ = sent_a[p];
    if (sent_b[p] != -1 && (sent_b[p] <= sent_a[p] || sent_b[p] >= n_sent)) bad(cat("sentence_b ", sent_b[p]));
    if (ch.word_off[p + 1] - ch.word_off[p] != nwords[p]) bad("/sequences/word_offsets vs num_words");
    if (read_max_length_ > 0 && ch.tok_off[p + 1] - ch.tok_off[p] > read_max_length_) {
      // Hidden by the read limit: as if extraction had skipped it.
      ++hidden_sequences_;
      skipped_sentences_.push_back(sent_a[p]);
      if (sent_b[p] != -1) skipped_sentences_.push_back(sent_b[p]);
      continue;
    }
    visible.push_back(p);
    for (int64_t t = ch.tok_off[p]; t < ch.tok_off[p + 1]; ++t) {
      if (wids[t] < -1 || wids[t] >= nwords[p]) bad(cat("word id ", wids[t], " of a sequence with ", nwords[p], " words"));
      input_ids_.push_back(ids[t]);
      word_ids_.push_back(wids[t]);
      segment_ids_.push_back(segs[t]);
    }
    seq_chunk_.push_back(static_cast<int32_t>(c));
    seq_sentence_a_.push_back(sent_a[p]);
    seq_sentence_b_.push_back(sent_b[p]);
    num_words_.push_back(nwords[p]);
    truncated_.push_back(trunc[p] != 0);
    token_offsets_.push_back(token_offsets_.back() + ch.tok_off[p + 1] - ch.tok_off[p]);
    word_offsets_.push_back(word_offsets_.back() + nwords[p]);
  }
  ch.stored = std::move(visible);
  ch.num_sequences = static_cast<int64_t>(ch.stored.size());
}

// ---------------------------------------------------------------------------------------------
// files and errors

const H5File& CacheReader::file(int64_t c) const {
  for (auto it = open_files_.begin(); it != open_files_.end(); ++it) {
    if (it->first != c) continue;
    if (it != open_files_.begin()) open_files_.splice(open_files_.begin(), open_files_, it);
    return open_files_.front().second;
  }
  H5File f;
  try {
    f = H5File::open_read(chunks_[c].file);
  } catch (const InputError& e) {
    chunk_failure(c, e.what());
  }
  open_files_.emplace_front(c, std::move(f));
  while (open_files_.size() > kOpenChunkFiles) open_files_.pop_back();
  return open_files_.front().second;
}

std::string CacheReader::verify_hint() const {
  const std::string root = fs::path(entry_dir_).parent_path().string();
  return cat("run `bertology cache verify --set cache.dir=", root.empty() ? "." : root,
             "` (corrupt chunks are recomputed by the next extract)");
}

void CacheReader::chunk_failure(int64_t c, const std::string& what) const {
  const std::string& f = chunks_[c].file;
  std::string msg = what.rfind(f, 0) == 0 ? what : cat(f, ": ", what);
  for (char& ch : msg)
    if (ch == '\n') ch = ' ';  // one line
  throw InputError(cat(msg, "; ", verify_hint()));
}

void CacheReader::rethrow_in_chunk(int64_t c) const {
  try {
    throw;
  } catch (const InputError& e) {
    if (std::string(e.what()).find(verify_hint()) != std::string::npos) throw;  // already names the chunk
    chunk_failure(c, e.what());
  } catch (const InternalError& e) {
    chunk_failure(c, e.what());
  }
}

void CacheReader::require_sequence(int64_t i) const {
  BTL_REQUIRE(i >= 0 && i < num_sequences(), entry_dir_, ": sequence ", i, " out of range [0, ", num_sequences(), ")");
}

void CacheReader::require_hidden_layer(int layer, const char* what) const {
  BTL_REQUIRE(layer >= 0 && layer <= num_layers_, entry_dir_, ": ", what, " layer ", layer,
              " does not exist (the model has hidden layers 0..", num_layers_, ", 0 = embeddings)");
  BTL_REQUIRE(contains(layers(), layer), entry_dir_, ": ", what, " layer ", layer, " is not stored (stored layers: ",
              join(layers()), "); extract with extract.layers including it");
}

void CacheReader::require_attention_layer(int layer) const {
  BTL_REQUIRE(has_attention(), entry_dir_, ": attention layer ", layer,
              " asked for, but this entry stores no attention (extract.attention: false)");
  BTL_REQUIRE(contains(attention_layers(), layer), entry_dir_, ": attention layer ", layer,
              " is not stored (stored attention layers, 0-based: ", join(attention_layers()),
              "); extract with extract.attention_layers including it");
}

const std::vector<int64_t>& CacheReader::attention_layers() const {
  return has_attention() ? key_.selection.attention_layers : kNone;
}

const std::vector<int64_t>& CacheReader::attention_heads() const {
  return has_attention() ? key_.selection.attention_heads : kNone;
}

int CacheReader::head_index(int head) const {
  BTL_REQUIRE(has_attention(), entry_dir_, ": attention head ", head,
              " asked for, but this entry stores no attention (extract.attention: false)");
  const auto& h = attention_heads();
  const auto it = std::lower_bound(h.begin(), h.end(), head);
  BTL_REQUIRE(it != h.end() && *it == head, entry_dir_, ": attention head ", head,
              " is not stored (stored heads, 0-based: ", join(h), "); extract with extract.attention_heads including it");
  return static_cast<int>(it - h.begin());
}

// ---------------------------------------------------------------------------------------------
// sequences

int64_t CacheReader::token_offset(int64_t i) const {
  BTL_REQUIRE(i >= 0 && i <= num_sequences(), entry_dir_, ": sequence ", i, " out of range [0, ", num_sequences(), "]");
  return token_offsets_[i];
}

int64_t CacheReader::word_offset(int64_t i) const {
  BTL_REQUIRE(i >= 0 && i <= num_sequences(), entry_dir_, ": sequence ", i, " out of range [0, ", num_sequences(), "]");
  return word_offsets_[i];
}

int64_t CacheReader::find_sequence(int64_t sentence) const {
  auto it = std::upper_bound(seq_sentence_a_.begin(), seq_sentence_a_.end(), sentence);
  if (it == seq_sentence_a_.begin()) return -1;
  const int64_t i = (it - seq_sentence_a_.begin()) - 1;
  return seq_sentence_a_[i] == sentence || seq_sentence_b_[i] == sentence ? i : -1;
}

CacheReader::Sequence CacheReader::sequence(int64_t i) const {
  require_sequence(i);
  Sequence s;
  s.sentence_a = seq_sentence_a_[i];
  s.sentence_b = seq_sentence_b_[i];
  const auto b = token_offsets_[i], e = token_offsets_[i + 1];
  s.input_ids.assign(input_ids_.begin() + b, input_ids_.begin() + e);
  s.word_ids.assign(word_ids_.begin() + b, word_ids_.begin() + e);
  s.segment_ids.assign(segment_ids_.begin() + b, segment_ids_.begin() + e);
  s.num_words = num_words_[i];
  s.truncated = truncated_[i] != 0;
  return s;
}

// ---------------------------------------------------------------------------------------------
// tensors

template <typename Value, typename Read>
bool CacheReader::read_permuted_as(int64_t c, const std::string& dataset, const std::vector<int64_t>& off, Value* out,
                                   Read read) const {
  const Chunk& ch = chunks_[c];
  const int64_t d = hidden_size_;
  std::vector<Value> buf;
  try {
    const H5File& f = file(c);
    const auto dims = f.dims(dataset);
    if (dims.size() != 2 || static_cast<int64_t>(dims[0]) != off.back() || static_cast<int64_t>(dims[1]) != d)
      chunk_failure(c, cat(dataset, " has the wrong shape (expected [", off.back(), ", ", d, "])"));
    buf.resize(static_cast<size_t>(off.back() * d));
    if (!read(f, static_cast<hsize_t>(off.back()), buf.data())) return false;
  } catch (const std::runtime_error&) {
    rethrow_in_chunk(c);
  }
  for (int64_t k = 0; k < ch.num_sequences; ++k) {
    const int64_t p = ch.stored[k], rows = off[p + 1] - off[p];
    std::memcpy(out, buf.data() + off[p] * d, sizeof(Value) * rows * d);
    out += rows * d;
  }
  return true;
}

void CacheReader::read_permuted(int64_t c, const std::string& dataset, const std::vector<int64_t>& off,
                                float* out) const {
  read_permuted_as(c, dataset, off, out, [&dataset](const H5File& f, hsize_t rows, float* buf) {
    f.read_rows_f32_into(dataset, 0, rows, buf);
    return true;
  });
}

bool CacheReader::read_permuted_half_bits(int64_t c, const std::string& dataset, const std::vector<int64_t>& off,
                                          uint16_t* out) const {
  return read_permuted_as(c, dataset, off, out, [&dataset](const H5File& f, hsize_t rows, uint16_t* buf) {
    return f.read_rows_half_bits_into(dataset, 0, rows, buf);
  });
}

FloatMatrix CacheReader::load_layer(HiddenLayer hidden_layer) const {
  const int layer = hidden_layer.index;
  require_hidden_layer(layer, "hidden");
  FloatMatrix m;
  m.rows = num_tokens();
  m.cols = hidden_size_;
  m.data.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t c = 0; c < num_chunks(); ++c)
    if (chunks_[c].num_sequences > 0)
      read_permuted(c, hidden_dataset(layer), chunks_[c].tok_off, m.row(token_offsets_[chunks_[c].first_sequence]));
  return m;
}

namespace {

/// Element offsets k·d of rows placed one after another.
std::vector<int64_t> consecutive_rows(size_t n, int64_t d) {
  std::vector<int64_t> at(n);
  for (size_t k = 0; k < n; ++k) at[k] = static_cast<int64_t>(k) * d;
  return at;
}

}  // namespace

void CacheReader::read_word_rows(HiddenLayer hidden_layer, const std::vector<int64_t>& rows, float* out) const {
  read_word_rows(hidden_layer, rows, out, consecutive_rows(rows.size(), hidden_size_));
}

void CacheReader::read_word_rows(HiddenLayer hidden_layer, const std::vector<int64_t>& rows, float* out,
                                 const std::vector<int64_t>& at) const {
  const int layer = hidden_layer.index;
  BTL_REQUIRE(word_pooling() != "none", entry_dir_, ": word-level hidden states of layer ", layer,
              " asked for, but this entry stores none (extract.word_pooling: none)");
  require_hidden_layer(layer, "word-level hidden");
  read_rows(hidden_words_dataset(layer), true, rows, out, at);
}

void CacheReader::read_token_rows(HiddenLayer hidden_layer, const std::vector<int64_t>& rows, float* out) const {
  read_token_rows(hidden_layer, rows, out, consecutive_rows(rows.size(), hidden_size_));
}

void CacheReader::read_token_rows(HiddenLayer hidden_layer, const std::vector<int64_t>& rows, float* out,
                                  const std::vector<int64_t>& at) const {
  require_hidden_layer(hidden_layer.index, "hidden");
  read_rows(hidden_dataset(hidden_layer.index), false, rows, out, at);
}

std::string CacheReader::default_row_scratch_dir() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? std::string(tmp) : std::string("/tmp");
}

namespace {

std::string& row_scratch_dir_setting() {
  static std::string dir = CacheReader::default_row_scratch_dir();
  return dir;
}

}  // namespace

void CacheReader::set_row_scratch_dir(std::string dir) { row_scratch_dir_setting() = std::move(dir); }
const std::string& CacheReader::row_scratch_dir() { return row_scratch_dir_setting(); }

int64_t CacheReader::row_scratch_bytes() const {
  int64_t bytes = 0;
  for (const auto& [name, state] : row_scratch_)
    if (state.copy) bytes += state.copy->bytes();
  return bytes;
}

const RowScratch* CacheReader::row_scratch(const std::string& dataset, bool words, int64_t wanted, int64_t to_decode) const {
  RowScratchState& state = row_scratch_[dataset];
  if (state.copy || state.refused) return state.copy.get();
  const auto& offsets = words ? word_offsets_ : token_offsets_;
  const int64_t total = offsets.back();
  // Due when this read is a sparse sample of most of the dataset (a window of a shuffled order), or
  // when dense reads (evaluation windows, epoch after epoch) would decode it more than
  // kScratchAfterPasses times. A held split reads each row once: never due.
  const bool sparse = to_decode >= kScratchSparseRatio * wanted && 2 * to_decode >= total;
  const bool reread = state.decoded_rows + to_decode > kScratchAfterPasses * total;
  if (row_scratch_dir().empty() || total == 0 || !(sparse || reread)) return nullptr;
  // Due: copy every chunk's rows in corpus order, one chunk at a time (the memory read_rows uses).
  auto copy = new_row_scratch(state, dataset, total, hidden_size_);
  if (!copy) return nullptr;
  // A float16 entry's rows are copied as their stored bits; a float32 one's as floats.
  std::vector<float> chunk_rows;
  std::vector<uint16_t> chunk_bits;
  for (int64_t c = 0; c < num_chunks(); ++c) {
    const Chunk& ch = chunks_[c];
    if (ch.num_sequences == 0) continue;
    const int64_t rows = offsets[ch.first_sequence + ch.num_sequences] - offsets[ch.first_sequence];
    const auto& off = words ? ch.word_off : ch.tok_off;
    if (key_.dtype == "float16") {
      chunk_bits.resize(static_cast<size_t>(rows * hidden_size_));
      if (read_permuted_half_bits(c, dataset, off, chunk_bits.data())) {
        copy->append_half_bits(chunk_bits.data(), rows);
        continue;
      }
    }
    chunk_rows.resize(static_cast<size_t>(rows * hidden_size_));
    read_permuted(c, dataset, off, chunk_rows.data());
    copy->append(chunk_rows.data(), rows);
  }
  return keep_row_scratch(state, dataset, std::move(copy));
}

std::unique_ptr<RowScratch> CacheReader::new_row_scratch(RowScratchState& state, const std::string& dataset,
                                                         int64_t rows, int64_t row_elements) const {
  std::string why;
  auto copy = RowScratch::create(row_scratch_dir(), rows, row_elements, key_.dtype == "float16", &why);
  if (!copy) {
    state.refused = true;
    std::cerr << "bertology: note: " << entry_dir_ << ": no row scratch for " << dataset << " (" << why
              << "); its reads go on decoding whole chunks\n";
  }
  return copy;
}

const RowScratch* CacheReader::keep_row_scratch(RowScratchState& state, const std::string& dataset,
                                                std::unique_ptr<RowScratch> copy) const {
  BTL_CHECK(copy->complete(), "CacheReader: row scratch of ", dataset, " incomplete");
  if (row_scratch_bytes() == 0)  // the first copy of this reader: say where the disk space goes
    std::cerr << "bertology: note: " << entry_dir_ << ": re-read rows and maps are copied to unlinked files in "
              << row_scratch_dir() << " (runtime.scratch_dir; first: " << dataset << ", " << (copy->bytes() >> 20)
              << " MiB)\n";
  state.copy = std::move(copy);
  return state.copy.get();
}

void CacheReader::read_rows(const std::string& dataset, bool words, const std::vector<int64_t>& rows_given, float* out,
                            const std::vector<int64_t>& at_given) const {
  const auto& offsets = words ? word_offsets_ : token_offsets_;
  BTL_CHECK(at_given.size() == rows_given.size(), "CacheReader: ", rows_given.size(), " rows of ", dataset, " but ",
            at_given.size(), " places");
  // The rows in ascending order, each with its place (a sorted copy only when they are not sorted).
  std::vector<int64_t> sorted_rows, sorted_at;
  const bool in_order = std::is_sorted(rows_given.begin(), rows_given.end());
  if (!in_order) {
    std::vector<size_t> by_row(rows_given.size());
    std::iota(by_row.begin(), by_row.end(), size_t{0});
    std::stable_sort(by_row.begin(), by_row.end(), [&](size_t a, size_t b) { return rows_given[a] < rows_given[b]; });
    sorted_rows.reserve(by_row.size());
    sorted_at.reserve(by_row.size());
    for (size_t k : by_row) sorted_rows.push_back(rows_given[k]), sorted_at.push_back(at_given[k]);
  }
  const std::vector<int64_t>& rows = in_order ? rows_given : sorted_rows;
  const std::vector<int64_t>& at = in_order ? at_given : sorted_at;
  BTL_CHECK(rows.empty() || (rows.front() >= 0 && rows.back() < offsets.back()), "CacheReader: rows to read must be rows of ",
            dataset);
  // Rows that reading `rows` decodes: every chunk that holds one of them, whole.
  int64_t to_decode = 0;
  for (int64_t c = 0, k = 0; c < num_chunks() && k < static_cast<int64_t>(rows.size()); ++c) {
    const Chunk& ch = chunks_[c];
    const int64_t end = offsets[ch.first_sequence + ch.num_sequences];
    if (rows[k] >= end) continue;
    to_decode += end - offsets[ch.first_sequence];
    k = std::lower_bound(rows.begin() + k, rows.end(), end) - rows.begin();
  }
  if (const RowScratch* copy = row_scratch(dataset, words, static_cast<int64_t>(rows.size()), to_decode))
    return copy->read(rows, at, out);
  int64_t& decoded_rows = row_scratch_[dataset].decoded_rows;
  const int64_t d = hidden_size_;
  std::vector<float> chunk_rows;
  size_t k = 0;
  for (int64_t c = 0; c < num_chunks() && k < rows.size(); ++c) {
    const Chunk& ch = chunks_[c];
    const int64_t begin = offsets[ch.first_sequence], end = offsets[ch.first_sequence + ch.num_sequences];
    if (rows[k] >= end) continue;
    chunk_rows.resize(static_cast<size_t>((end - begin) * d));
    read_permuted(c, dataset, words ? ch.word_off : ch.tok_off, chunk_rows.data());
    decoded_rows += end - begin;
    for (; k < rows.size() && rows[k] < end; ++k)
      std::memcpy(out + at[k], chunk_rows.data() + (rows[k] - begin) * d, sizeof(float) * d);
  }
}

FloatMatrix CacheReader::load_layer_words(HiddenLayer hidden_layer) const {
  const int layer = hidden_layer.index;
  BTL_REQUIRE(word_pooling() != "none", entry_dir_, ": word-level hidden states of layer ", layer,
              " asked for, but this entry stores none (extract.word_pooling: none)");
  require_hidden_layer(layer, "word-level hidden");
  FloatMatrix m;
  m.rows = num_words();
  m.cols = hidden_size_;
  m.data.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t c = 0; c < num_chunks(); ++c)
    if (chunks_[c].num_sequences > 0)
      read_permuted(c, hidden_words_dataset(layer), chunks_[c].word_off, m.row(word_offsets_[chunks_[c].first_sequence]));
  return m;
}

FloatMatrix CacheReader::sequence_hidden(int64_t i, HiddenLayer hidden_layer) const {
  const int layer = hidden_layer.index;
  require_sequence(i);
  require_hidden_layer(layer, "hidden");
  const int64_t c = seq_chunk_[i];
  const Chunk& ch = chunks_[c];
  const int64_t p = ch.stored[i - ch.first_sequence];
  FloatMatrix m;
  m.rows = ch.tok_off[p + 1] - ch.tok_off[p];
  m.cols = hidden_size_;
  m.data.resize(static_cast<size_t>(m.rows * m.cols));
  try {
    const H5File& f = file(c);
    const auto dims = f.dims(hidden_dataset(layer));
    if (dims.size() != 2 || static_cast<int64_t>(dims[1]) != m.cols)
      chunk_failure(c, cat(hidden_dataset(layer), " has the wrong shape (expected [", ch.num_tokens, ", ", m.cols, "])"));
    f.read_rows_f32_into(hidden_dataset(layer), ch.tok_off[p], m.rows, m.data.data(), kChunkCacheBytes);
  } catch (const std::runtime_error&) {
    rethrow_in_chunk(c);
  }
  return m;
}

int64_t CacheReader::largest_chunk_attention_bytes() const {
  int64_t largest = 0;
  for (const Chunk& ch : chunks_) largest = std::max<int64_t>(largest, ch.att_off.empty() ? 0 : ch.att_off.back());
  return largest * static_cast<int64_t>(sizeof(uint16_t) * attention_layers().size());
}

std::vector<float> CacheReader::attention(int64_t i, AttentionLayer attention_layer) const {
  const int layer = attention_layer.index;
  require_sequence(i);
  require_attention_layer(layer);
  const int64_t c = seq_chunk_[i];
  const Chunk& ch = chunks_[c];
  const int64_t p = ch.stored[i - ch.first_sequence];
  std::vector<float> a(static_cast<size_t>(ch.att_off[p + 1] - ch.att_off[p]));
  RowScratchState& scratch = row_scratch_[attention_dataset(layer)];  // one lookup per read
  if (const RowScratch* copy = attention_scratch(layer, scratch)) {
    copy->read_range(attention_offsets_[i], static_cast<int64_t>(a.size()), a.data());
    return a;
  }
  int64_t& decoded = scratch.decoded_rows;
  // float16 entries: whole layers are kept as raw binary16 (half the memory of float32) and a
  // sequence's slice is widened on the way out.
  const size_t layer_bytes = static_cast<size_t>(ch.att_off.back()) * sizeof(uint16_t);
  // Only when every stored layer of a chunk fits at once: a pass reads all layers of a sequence in
  // turn, and a cache smaller than that would evict exactly the layer needed next.
  const bool whole_layer = key_.dtype == "float16" && layer_bytes * attention_layers().size() <= attention_cache_limit_;
  if (whole_layer) {
    const auto key = std::make_pair(c, layer);
    for (auto it = attention_layers_cache_.begin(); it != attention_layers_cache_.end(); ++it)
      if (it->first == key) {
        attention_layers_cache_.splice(attention_layers_cache_.begin(), attention_layers_cache_, it);
        H5File::half_bits_to_float(it->second.data() + ch.att_off[p], a.size(), a.data());
        return a;
      }
  }
  try {
    const H5File& f = file(c);
    require_attention_shape(c, f, attention_dataset(layer));
    if (whole_layer) {
      // Reuse the storage of the last layer dropped from the cache (no new pages to fault in).
      std::vector<uint16_t> bits = std::move(spare_attention_layer_);
      bits.resize(static_cast<size_t>(ch.att_off.back()));
      if (f.read_rows_half_bits_into(attention_dataset(layer), 0, bits.size(), bits.data(), kChunkCacheBytes)) {
        decoded += ch.att_off.back();
        H5File::half_bits_to_float(bits.data() + ch.att_off[p], a.size(), a.data());
        attention_cache_bytes_ += layer_bytes;
        attention_layers_cache_.emplace_front(std::make_pair(c, layer), std::move(bits));
        while (attention_cache_bytes_ > attention_cache_limit_ && attention_layers_cache_.size() > 1) {
          attention_cache_bytes_ -= attention_layers_cache_.back().second.size() * sizeof(uint16_t);
          spare_attention_layer_ = std::move(attention_layers_cache_.back().second);
          attention_layers_cache_.pop_back();
        }
        return a;
      }
    }
    f.read_rows_f32_into(attention_dataset(layer), ch.att_off[p], a.size(), a.data(), kChunkCacheBytes);
    decoded += static_cast<int64_t>(a.size());
  } catch (const std::runtime_error&) {
    rethrow_in_chunk(c);
  }
  return a;
}

void CacheReader::require_attention_shape(int64_t c, const H5File& f, const std::string& dataset) const {
  const auto dims = f.dims(dataset);
  if (dims.size() != 1 || static_cast<int64_t>(dims[0]) != chunks_[c].att_off.back())
    chunk_failure(c, cat(dataset, " has the wrong shape (expected [", chunks_[c].att_off.back(), "])"));
}

const RowScratch* CacheReader::attention_scratch(int layer, RowScratchState& state) const {
  if (state.copy || state.refused || row_scratch_dir().empty()) return state.copy.get();
  const std::string dataset = attention_dataset(layer);
  if (attention_offsets_.empty()) {
    attention_offsets_.reserve(static_cast<size_t>(num_sequences() + 1));
    attention_offsets_.push_back(0);
    for (int64_t i = 0; i < num_sequences(); ++i) {
      const Chunk& ch = chunks_[seq_chunk_[i]];
      const int64_t p = ch.stored[i - ch.first_sequence];
      attention_offsets_.push_back(attention_offsets_.back() + ch.att_off[p + 1] - ch.att_off[p]);
    }
  }
  const int64_t total = attention_offsets_.back();
  if (total == 0 || state.decoded_rows <= kScratchAfterPasses * total) return nullptr;
  // Due: every chunk's maps of this layer in corpus order, one chunk at a time, as stored.
  const bool half = key_.dtype == "float16";
  auto copy = new_row_scratch(state, dataset, total, 1);
  if (!copy) return nullptr;
  std::vector<uint16_t> bits;
  std::vector<float> values;
  for (int64_t c = 0; c < num_chunks(); ++c) {
    const Chunk& ch = chunks_[c];
    if (ch.num_sequences == 0) continue;
    bool as_bits = false;
    try {
      const H5File& f = file(c);
      require_attention_shape(c, f, dataset);
      const auto n = static_cast<size_t>(ch.att_off.back());
      if (half) {
        bits.resize(n);
        as_bits = f.read_rows_half_bits_into(dataset, 0, n, bits.data(), kChunkCacheBytes);
      }
      if (!as_bits) {
        values.resize(n);
        f.read_rows_f32_into(dataset, 0, n, values.data(), kChunkCacheBytes);
      }
    } catch (const std::runtime_error&) {
      rethrow_in_chunk(c);
    }
    for (int64_t k = 0; k < ch.num_sequences; ++k) {
      const int64_t p = ch.stored[k], first = ch.att_off[p], n = ch.att_off[p + 1] - first;
      if (as_bits)
        copy->append_half_bits(bits.data() + first, n);
      else
        copy->append(values.data() + first, n);
    }
  }
  return keep_row_scratch(state, dataset, std::move(copy));
}

std::vector<float> CacheReader::word_attention(int64_t i, AttentionLayer layer, WordFrom from,
                                               std::vector<int32_t>* unit_word_ids) const {
  std::vector<float> a = attention(i, layer);  // checks i and layer
  const int64_t b = token_offsets_[i], T = token_offsets_[i + 1] - b;
  return to_word_level(std::move(a), static_cast<int64_t>(attention_heads().size()), T, word_ids_.data() + b, num_words_[i], from,
                       unit_word_ids);
}

std::vector<float> CacheReader::to_word_level(std::vector<float> a, int64_t H, int64_t T, const int32_t* word_ids,
                                              int32_t num_words, WordFrom from, std::vector<int32_t>* unit_word_ids) {
  // Units in sequence order: each special token alone, each word at its first piece.
  std::vector<int64_t> unit_of(T);
  std::vector<int32_t> unit_word;
  std::vector<int64_t> word_unit(num_words, -1), unit_first, unit_pieces;
  for (int64_t t = 0; t < T; ++t) {
    const int32_t w = word_ids[t];
    int64_t u = w >= 0 ? word_unit[w] : -1;
    if (u < 0) {
      u = static_cast<int64_t>(unit_word.size());
      unit_word.push_back(w);
      unit_first.push_back(t);
      unit_pieces.push_back(0);
      if (w >= 0) word_unit[w] = u;
    }
    unit_of[t] = u;
    ++unit_pieces[u];
  }
  const int64_t U = static_cast<int64_t>(unit_word.size());
  if (unit_word_ids) *unit_word_ids = unit_word;
  // No word split into pieces: units are the tokens, sums and means of one value are the value.
  if (U == T) return a;
  std::vector<float> out(static_cast<size_t>(H * U * U), 0.0f);
  std::vector<double> acc(static_cast<size_t>(U * U));
  for (int64_t h = 0; h < H; ++h) {
    const float* ah = a.data() + h * T * T;
    float* oh = out.data() + h * U * U;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t q = 0; q < T; ++q) {
      const int64_t uq = unit_of[q];
      if (from == WordFrom::First && unit_first[uq] != q) continue;
      // TO a unit: sum over its pieces' columns; FROM: sum over its pieces' rows (divided below).
      // In double, so the order of the additions does not show in the float result.
      double* row = acc.data() + uq * U;
      const float* src = ah + q * T;
      for (int64_t k = 0; k < T; ++k) row[unit_of[k]] += src[k];
    }
    for (int64_t u = 0; u < U; ++u) {
      const double n = from == WordFrom::Mean ? static_cast<double>(unit_pieces[u]) : 1.0;  // FROM: mean or first
      for (int64_t v = 0; v < U; ++v) oh[u * U + v] = static_cast<float>(acc[u * U + v] / n);
    }
  }
  return out;
}

}  // namespace bertology
