// CacheReader: corpus order, equality with `bertology encode`, Clark et al.'s word-level attention,
// word pooling, and the one-line errors (selection, incomplete entry, changed corpus, corrupt chunk).
// Caches are made by the real binary on the tiny fixture model (2 layers, d = 32, 4 heads).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/cache/row_scratch.h"
#include "pipeline/io/hdf5_file.h"
#include "pipeline/util/error.h"
#include "pipeline/util/float16.h"
#include "tests/support/process.h"

namespace fs = std::filesystem;
using namespace bertology;
using bertology::test::run_bertology;
using bertology::test::scratch;
using bertology::test::slurp;

namespace {

const fs::path kTinyModel = fs::path(BERTOLOGY_FIXTURES_DIR) / "models" / "tiny_mlm_gelu";

// Words from the tiny vocabulary. "dogs" -> dog ##s, "cats" -> cat ##s, "xyz" -> x ##y ##z,
// "abc" -> a ##b ##c. With chunk_tokens 20 the six sentences make four chunks; chunk 2 holds
// sentences 2, 3, 4, stored in batch order 2, 4, 3 (sorted by length), so corpus order must be
// restored. The last sentence (40 words + 2 specials > max_position_embeddings 40) is skipped.
const std::vector<std::string> kSentences = {
    "the cat sat on the mat .",
    "the dog ran and the cats sat on a mat , xyz .",
    "hello world !",
    "dogs and cats are friends",
    "abc",
    "the cats and dogs are mostly friends !",
};
const std::string kTooLong = "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n";

std::string config_text(const fs::path& corpus, const fs::path& cache, const std::string& extract_extra,
                        const std::string& dtype) {
  return "model:\n  path: " + kTinyModel.string() + "\n  threads: 1\n" +
         "corpus:\n  path: " + corpus.string() + "\n  format: text\n" +
         "extract:\n  dtype: " + dtype + "\n  chunk_tokens: 20\n" + extract_extra +
         "cache:\n  dir: " + cache.string() + "\n";
}

/// The single entry directory under a cache root.
fs::path entry_of(const fs::path& cache) {
  std::vector<fs::path> entries;
  for (const auto& d : fs::directory_iterator(cache))
    if (d.is_directory()) entries.push_back(d.path());
  EXPECT_EQ(entries.size(), 1u) << cache;
  return entries.empty() ? fs::path() : entries[0];
}

/// Writes a config and runs `bertology extract` on it; returns the entry directory.
fs::path extract(const fs::path& dir, const fs::path& corpus, const std::string& extract_extra,
                 const std::string& dtype = "float32") {
  fs::create_directories(dir);
  std::ofstream(dir / "study.yaml") << config_text(corpus, dir / "cache", extract_extra, dtype);
  auto r = run_bertology({"extract", (dir / "study.yaml").string()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  return entry_of(dir / "cache");
}

struct Fixture {
  fs::path dir, corpus;
  fs::path full;      ///< all layers, all attention, word_pooling mean, float32
  fs::path selected;  ///< layers [0, 2], attention layer 1 heads [1, 3], no word pooling, float16
  fs::path plain;     ///< layers [0, 2], no attention, no word pooling
  fs::path encoded;   ///< `bertology encode` of the same six sentences, float32
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.dir = scratch("cache_reader");
    x.corpus = x.dir / "sentences.txt";
    {
      std::ofstream out(x.corpus);
      for (const auto& s : kSentences) out << s << "\n";
      out << kTooLong << "\n";
    }
    x.full = extract(x.dir / "full", x.corpus, "  attention: true\n  word_pooling: mean\n");
    x.selected = extract(x.dir / "selected", x.corpus,
                         "  layers: [0, 2]\n  attention: true\n  attention_layers: [1]\n  attention_heads: [1, 3]\n",
                         "float16");
    x.plain = extract(x.dir / "plain", x.corpus, "  layers: [0, 2]\n");
    const fs::path input = x.dir / "encode_input.txt";
    {
      std::ofstream out(input);
      for (const auto& s : kSentences) out << s << "\n";
    }
    x.encoded = x.dir / "encoded.h5";
    auto r = run_bertology({"encode", "--model", kTinyModel.string(), "--input", input.string(), "--dtype", "float32",
                            "--threads", "1", "--out", x.encoded.string()});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    return x;
  }();
  return f;
}

/// The InputError message of `f`, or "" (and a failure) when it throws none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
    return what;
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

float max_abs_diff(const float* a, const float* b, size_t n) {
  float worst = 0;
  for (size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

/// Copies an entry directory to <dir>/cache/<same name>; returns the copy.
fs::path copy_entry(const fs::path& entry, const fs::path& dir) {
  const fs::path to = dir / "cache" / entry.filename();
  fs::create_directories(to.parent_path());
  fs::copy(entry, to, fs::copy_options::recursive);
  return to;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST(CacheReader, SequencesInCorpusOrderWithSkippedSentence) {
  const auto& fx = fixture();
  const CacheReader r = CacheReader::open(CacheEntry{fx.full.string()});
  EXPECT_EQ(r.corpus().sentences.size(), kSentences.size() + 1);
  EXPECT_EQ(r.num_layers(), 2);
  EXPECT_EQ(r.hidden_size(), 32);
  EXPECT_EQ(r.num_heads(), 4);
  EXPECT_EQ(r.layers(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(r.attention_layers(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(r.attention_heads(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(r.word_pooling(), "mean");
  EXPECT_EQ(r.dtype(), "float32");
  EXPECT_EQ(r.num_chunks(), 4);
  ASSERT_EQ(r.num_sequences(), static_cast<int64_t>(kSentences.size()));
  EXPECT_EQ(r.skipped_sentences(), (std::vector<int64_t>{6}));
  EXPECT_EQ(r.find_sequence(6), -1);

  // The test is only meaningful if some chunk stores its sequences out of corpus order.
  bool reordered = false;
  for (int64_t c = 0; c < r.num_chunks(); ++c) {
    char name[32];
    std::snprintf(name, sizeof name, "chunk_%05lld.h5", static_cast<long long>(c));
    const auto a = H5File::open_read((fx.full / name).string()).read_i64("/sequences/sentence_a");
    reordered |= !std::is_sorted(a.begin(), a.end());
  }
  EXPECT_TRUE(reordered);

  const H5File enc = H5File::open_read(fx.encoded.string());
  int64_t rows = 0;
  for (int64_t i = 0; i < r.num_sequences(); ++i) {
    const auto s = r.sequence(i);
    EXPECT_EQ(s.sentence_a, i);
    EXPECT_EQ(s.sentence_b, -1);
    EXPECT_FALSE(s.truncated);
    EXPECT_EQ(r.find_sequence(i), i);
    EXPECT_EQ(r.token_offset(i), rows);
    rows += static_cast<int64_t>(s.input_ids.size());
    const auto ids = enc.read_i64("/sentences/" + std::to_string(i) + "/input_ids");
    const auto wids = enc.read_i64("/sentences/" + std::to_string(i) + "/word_ids");
    EXPECT_EQ(std::vector<int64_t>(s.input_ids.begin(), s.input_ids.end()), ids) << i;
    EXPECT_EQ(std::vector<int64_t>(s.word_ids.begin(), s.word_ids.end()), wids) << i;
    EXPECT_EQ(s.segment_ids, std::vector<int32_t>(s.input_ids.size(), 0));
    EXPECT_EQ(s.num_words, *std::max_element(s.word_ids.begin(), s.word_ids.end()) + 1);
  }
  EXPECT_EQ(r.num_tokens(), rows);
}

// A read limit (tokenizer.max_length below what the entry stores, input.overlong: skip) hides the
// longer sequences: the reader then looks like an extraction that skipped them, and every row it
// returns is the unlimited reader's row of the same sentence.
TEST(CacheReader, ReadLimitHidesLongerSequencesAsIfSkipped) {
  const auto& fx = fixture();
  const CacheReader all = CacheReader::open(CacheEntry{fx.full.string()});
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < all.num_sequences(); ++i) lengths.push_back(all.sequence_length(i));
  std::vector<int64_t> sorted = lengths;
  std::sort(sorted.begin(), sorted.end());
  const int64_t limit = sorted[sorted.size() / 2];  // hides some, keeps some
  CacheEntry limited{fx.full.string()};
  limited.read_max_length = limit;
  const CacheReader r = CacheReader::open(limited);
  EXPECT_EQ(r.read_max_length(), limit);

  std::vector<int64_t> kept, skipped = all.skipped_sentences();
  for (int64_t i = 0; i < all.num_sequences(); ++i)
    (lengths[i] <= limit ? kept : skipped).push_back(all.sequence(i).sentence_a);
  std::sort(skipped.begin(), skipped.end());
  ASSERT_GT(kept.size(), 0u);
  ASSERT_GT(skipped.size(), all.skipped_sentences().size());
  ASSERT_EQ(r.num_sequences(), static_cast<int64_t>(kept.size()));
  EXPECT_EQ(r.hidden_sequences(), all.num_sequences() - r.num_sequences());
  EXPECT_EQ(r.skipped_sentences(), skipped);
  for (int64_t s : skipped) EXPECT_EQ(r.find_sequence(s), -1) << s;

  const FloatMatrix h_all = all.load_layer(HiddenLayer{2}), h = r.load_layer(HiddenLayer{2});
  const FloatMatrix w_all = all.load_layer_words(HiddenLayer{1}), w = r.load_layer_words(HiddenLayer{1});
  ASSERT_EQ(h.rows, r.num_tokens());
  ASSERT_EQ(w.rows, r.num_words());
  std::vector<int64_t> token_rows;  // every other row of the limited reader, for read_token_rows
  for (int64_t i = 0; i < r.num_sequences(); ++i) {
    const auto s = r.sequence(i);
    const int64_t j = all.find_sequence(s.sentence_a);
    ASSERT_GE(j, 0);
    EXPECT_EQ(r.find_sequence(s.sentence_a), i);
    const auto t = all.sequence(j);
    EXPECT_EQ(s.input_ids, t.input_ids);
    EXPECT_EQ(s.word_ids, t.word_ids);
    EXPECT_EQ(s.num_words, t.num_words);
    EXPECT_LE(r.sequence_length(i), limit);
    const int64_t d = r.hidden_size(), T = r.sequence_length(i);
    EXPECT_EQ(max_abs_diff(h.row(r.token_offset(i)), h_all.row(all.token_offset(j)), T * d), 0.0f) << i;
    EXPECT_EQ(max_abs_diff(w.row(r.word_offset(i)), w_all.row(all.word_offset(j)), s.num_words * d), 0.0f) << i;
    const FloatMatrix sh = r.sequence_hidden(i, HiddenLayer{2});
    EXPECT_EQ(max_abs_diff(sh.data.data(), h_all.row(all.token_offset(j)), T * d), 0.0f) << i;
    EXPECT_EQ(r.attention(i, AttentionLayer{1}), all.attention(j, AttentionLayer{1})) << i;
    for (int64_t row = r.token_offset(i); row < r.token_offset(i + 1); row += 2) token_rows.push_back(row);
  }
  std::vector<float> picked(token_rows.size() * r.hidden_size());
  r.read_token_rows(HiddenLayer{2}, token_rows, picked.data());
  for (size_t k = 0; k < token_rows.size(); ++k)
    EXPECT_EQ(max_abs_diff(picked.data() + k * r.hidden_size(), h.row(token_rows[k]), r.hidden_size()), 0.0f) << k;

  // A limit below every stored sequence leaves nothing: a one-line error, not an empty reader.
  limited.read_max_length = sorted.front() - 1;
  EXPECT_CONTAINS(error_of([&] { CacheReader::open(limited); }), "every stored sequence is longer than tokenizer.max_length");
}

// Test 1: load_layer and attention equal what `bertology encode` computes for the same sentences.
TEST(CacheReader, LoadLayerAndAttentionEqualEncode) {
  const auto& fx = fixture();
  const CacheReader r = CacheReader::open(CacheEntry{fx.full.string()});
  const H5File enc = H5File::open_read(fx.encoded.string());
  const int64_t d = r.hidden_size();
  for (int layer : {1, 2}) {
    const FloatMatrix m = r.load_layer(HiddenLayer{layer});
    ASSERT_EQ(m.rows, r.num_tokens());
    ASSERT_EQ(m.cols, d);
    for (int64_t i = 0; i < r.num_sequences(); ++i) {
      const std::string g = "/sentences/" + std::to_string(r.sequence(i).sentence_a);
      const auto dims = enc.dims(g + "/hidden");  // [L + 1, T, d]
      const int64_t T = r.sequence_length(i);
      ASSERT_EQ(dims, (std::vector<hsize_t>{3, hsize_t(T), hsize_t(d)}));
      const auto h = enc.read_f32(g + "/hidden");
      for (int64_t t = 0; t < T; ++t)
        EXPECT_LE(max_abs_diff(m.row(r.token_offset(i) + t), h.data() + (layer * T + t) * d, d), 1e-5)
            << "layer " << layer << " sequence " << i << " token " << t;
      // One sequence's rows read on their own are the same bytes.
      const FloatMatrix one = r.sequence_hidden(i, HiddenLayer{layer});
      ASSERT_EQ(one.rows, T);
      EXPECT_EQ(0, std::memcmp(one.data.data(), m.row(r.token_offset(i)), sizeof(float) * T * d));
    }
  }
  for (int layer : {0, 1}) {
    for (int64_t i = 0; i < r.num_sequences(); ++i) {
      const int64_t T = r.sequence_length(i), H = 4;
      const auto a = r.attention(i, AttentionLayer{layer});
      ASSERT_EQ(static_cast<int64_t>(a.size()), H * T * T);
      const auto e = enc.read_f32("/sentences/" + std::to_string(i) + "/attention");  // [L, H, T, T]
      EXPECT_LE(max_abs_diff(a.data(), e.data() + layer * H * T * T, a.size()), 1e-5) << "layer " << layer << " seq " << i;
    }
  }
}

// The float16 selection entry: only the stored heads, and float16 widened exactly (within fp16 rounding of encode).
TEST(CacheReader, SelectedHeadsInFloat16MatchEncode) {
  const auto& fx = fixture();
  const CacheReader r = CacheReader::open(CacheEntry{fx.selected.string()});
  EXPECT_EQ(r.attention_heads(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(r.head_index(3), 1);
  const H5File enc = H5File::open_read(fx.encoded.string());
  const FloatMatrix m = r.load_layer(HiddenLayer{2});
  for (int64_t i = 0; i < r.num_sequences(); ++i) {
    const int64_t T = r.sequence_length(i), d = r.hidden_size();
    const auto a = r.attention(i, AttentionLayer{1});
    ASSERT_EQ(static_cast<int64_t>(a.size()), 2 * T * T);
    const auto e = enc.read_f32("/sentences/" + std::to_string(i) + "/attention");  // [2, 4, T, T]
    const auto h = enc.read_f32("/sentences/" + std::to_string(i) + "/hidden");     // [3, T, d]
    for (int k = 0; k < 2; ++k) {
      const int head = k == 0 ? 1 : 3;
      for (int64_t x = 0; x < T * T; ++x) {
        const float want = e[((1 * 4 + head) * T * T) + x];
        EXPECT_NEAR(a[k * T * T + x], want, 1e-3f * std::max(1.0f, std::fabs(want)));
      }
    }
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < d; ++j) {
        const float want = h[(2 * T + t) * d + j];
        EXPECT_NEAR(m.at(r.token_offset(i) + t, j), want, 1e-3f * std::max(1.0f, std::fabs(want)));
      }
  }
}

// Test 2: Clark et al.'s word-level attention, by hand from the wordpiece attention.
TEST(CacheReader, WordAttentionByHand) {
  const auto& fx = fixture();
  const CacheReader r = CacheReader::open(CacheEntry{fx.full.string()});
  struct Case {
    int64_t sequence;
    std::vector<int32_t> word_ids;           // as tokenized (checked, so that the groups are right)
    std::vector<std::vector<int>> units;     // pieces of each unit, in order
    std::vector<int32_t> unit_words;
  };
  const std::vector<Case> cases = {
      // [CLS] dog ##s and cat ##s are friends [SEP]
      {3, {-1, 0, 0, 1, 2, 2, 3, 4, -1}, {{0}, {1, 2}, {3}, {4, 5}, {6}, {7}, {8}}, {-1, 0, 1, 2, 3, 4, -1}},
      // [CLS] a ##b ##c [SEP]
      {4, {-1, 0, 0, 0, -1}, {{0}, {1, 2, 3}, {4}}, {-1, 0, -1}},
  };
  for (const auto& c : cases) {
    const auto s = r.sequence(c.sequence);
    ASSERT_EQ(s.word_ids, c.word_ids) << c.sequence;
    const int T = static_cast<int>(c.word_ids.size()), U = static_cast<int>(c.units.size()), H = 4;
    for (int layer : {0, 1}) {
      const auto a = r.attention(c.sequence, AttentionLayer{layer});
      for (WordFrom from : {WordFrom::Mean, WordFrom::First}) {
        std::vector<int32_t> unit_words;
        const auto w = r.word_attention(c.sequence, AttentionLayer{layer}, from, &unit_words);
        EXPECT_EQ(unit_words, c.unit_words);
        ASSERT_EQ(static_cast<int>(w.size()), H * U * U);
        for (int h = 0; h < H; ++h) {
          for (int u = 0; u < U; ++u) {
            double row_sum = 0;
            for (int v = 0; v < U; ++v) {
              // FROM u: mean over its pieces (or its first piece); TO v: sum over its pieces.
              const auto& sources = c.units[u];
              const int n_src = from == WordFrom::Mean ? static_cast<int>(sources.size()) : 1;
              double want = 0;
              for (int qi = 0; qi < n_src; ++qi)
                for (int k : c.units[v]) want += a[(h * T + sources[qi]) * T + k];
              want /= n_src;
              const float got = w[(h * U + u) * U + v];
              EXPECT_NEAR(got, want, 1e-6) << "seq " << c.sequence << " layer " << layer << " head " << h << " " << u
                                           << "->" << v;
              row_sum += got;
            }
            EXPECT_NEAR(row_sum, 1.0, 1e-5);
          }
        }
      }
      // Mean and First differ where a word has several pieces (and agree on single-piece units).
      const auto mean = r.word_attention(c.sequence, AttentionLayer{layer}, WordFrom::Mean);
      const auto first = r.word_attention(c.sequence, AttentionLayer{layer}, WordFrom::First);
      EXPECT_NE(mean, first);
      EXPECT_EQ(mean[0], first[0]);  // [CLS] row, head 0
    }
  }
}

// Test 3: word-pooled rows are the mean of their pieces' rows.
TEST(CacheReader, LoadLayerWordsIsMeanOfPieces) {
  const auto& fx = fixture();
  const CacheReader r = CacheReader::open(CacheEntry{fx.full.string()});
  for (int layer : {0, 2}) {
    const FloatMatrix tokens = r.load_layer(HiddenLayer{layer});
    const FloatMatrix words = r.load_layer_words(HiddenLayer{layer});
    ASSERT_EQ(words.rows, r.num_words());
    ASSERT_EQ(words.cols, r.hidden_size());
    for (int64_t i = 0; i < r.num_sequences(); ++i) {
      const auto s = r.sequence(i);
      ASSERT_EQ(r.word_offset(i + 1) - r.word_offset(i), s.num_words);
      for (int w = 0; w < s.num_words; ++w) {
        std::vector<double> mean(r.hidden_size(), 0.0);
        int pieces = 0;
        for (size_t t = 0; t < s.word_ids.size(); ++t) {
          if (s.word_ids[t] != w) continue;
          ++pieces;
          for (int j = 0; j < r.hidden_size(); ++j) mean[j] += tokens.at(r.token_offset(i) + t, j);
        }
        ASSERT_GT(pieces, 0);
        for (int j = 0; j < r.hidden_size(); ++j)
          EXPECT_NEAR(words.at(r.word_offset(i) + w, j), mean[j] / pieces, 1e-5)
              << "layer " << layer << " seq " << i << " word " << w;
      }
    }
  }
}

// input.pairs: [CLS] A [SEP] B [SEP]; B's words follow A's; units keep sequence order.
TEST(CacheReader, PairsKeepSentenceBSegmentsAndUnitOrder) {
  const auto& fx = fixture();
  const fs::path dir = scratch("cache_reader/pairs");
  std::ofstream(dir / "pairs.yaml") << "input:\n  pairs: true\n";
  fs::create_directories(dir / "run");
  std::ofstream(dir / "run" / "study.yaml")
      << config_text(fx.corpus, dir / "run" / "cache", "  attention: true\n  word_pooling: first\n", "float32");
  auto res = run_bertology({"extract", (dir / "run" / "study.yaml").string(), (dir / "pairs.yaml").string()});
  ASSERT_EQ(res.code, 0) << res.out << res.err;
  const CacheReader r = CacheReader::open(CacheEntry{entry_of(dir / "run" / "cache").string()});
  EXPECT_TRUE(r.key().pairs);
  ASSERT_EQ(r.num_sequences(), 3);
  EXPECT_EQ(r.skipped_sentences(), (std::vector<int64_t>{6}));
  for (int64_t i = 0; i < 3; ++i) {
    const auto s = r.sequence(i);
    EXPECT_EQ(s.sentence_a, 2 * i);
    EXPECT_EQ(s.sentence_b, 2 * i + 1);
    EXPECT_EQ(r.find_sequence(2 * i), i);
    EXPECT_EQ(r.find_sequence(2 * i + 1), i);
    // [CLS] A... [SEP] (segment 0), B... [SEP] (segment 1)
    const auto first_sep = std::find(s.word_ids.begin() + 1, s.word_ids.end(), -1) - s.word_ids.begin();
    for (size_t t = 0; t < s.segment_ids.size(); ++t)
      EXPECT_EQ(s.segment_ids[t], static_cast<int64_t>(t) <= first_sep ? 0 : 1) << i << " " << t;
    std::vector<int32_t> units;
    const auto w = r.word_attention(i, AttentionLayer{1}, WordFrom::Mean, &units);
    int32_t words_a = 0;  // A's words: those in segment 0
    for (size_t t = 0; t < s.word_ids.size(); ++t)
      if (s.segment_ids[t] == 0) words_a = std::max(words_a, s.word_ids[t] + 1);
    std::vector<int32_t> want = {-1};  // [CLS], A's words, [SEP], B's words, [SEP]
    for (int32_t k = 0; k < words_a; ++k) want.push_back(k);
    want.push_back(-1);
    for (int32_t k = words_a; k < s.num_words; ++k) want.push_back(k);
    want.push_back(-1);
    EXPECT_EQ(units, want) << i;
    EXPECT_EQ(w.size(), 4 * units.size() * units.size());
  }
  // word_pooling first: each word row is its first piece's row.
  const FloatMatrix tokens = r.load_layer(HiddenLayer{2}), words = r.load_layer_words(HiddenLayer{2});
  for (int64_t i = 0; i < r.num_sequences(); ++i) {
    const auto s = r.sequence(i);
    for (int32_t k = 0; k < s.num_words; ++k) {
      const int64_t t = std::find(s.word_ids.begin(), s.word_ids.end(), k) - s.word_ids.begin();
      EXPECT_EQ(0, std::memcmp(words.row(r.word_offset(i) + k), tokens.row(r.token_offset(i) + t), 4 * 32));
    }
  }
}

// Test 4: errors name what was asked, what is stored, and the file.
TEST(CacheReader, SelectionErrorsNameWhatIsStored) {
  const auto& fx = fixture();
  const CacheReader sel = CacheReader::open(CacheEntry{fx.selected.string()});
  std::string e = error_of([&] { sel.load_layer(HiddenLayer{1}); });
  EXPECT_CONTAINS(e, fx.selected.string());
  EXPECT_CONTAINS(e, "hidden layer 1 is not stored");
  EXPECT_CONTAINS(e, "stored layers: 0, 2");
  e = error_of([&] { sel.sequence_hidden(0, HiddenLayer{1}); });
  EXPECT_CONTAINS(e, "hidden layer 1 is not stored");
  e = error_of([&] { sel.load_layer(HiddenLayer{3}); });
  EXPECT_CONTAINS(e, "layer 3 does not exist");
  EXPECT_CONTAINS(e, "0..2");
  e = error_of([&] { sel.attention(0, AttentionLayer{0}); });
  EXPECT_CONTAINS(e, "attention layer 0 is not stored");
  EXPECT_CONTAINS(e, "stored attention layers, 0-based: 1");
  e = error_of([&] { sel.word_attention(0, AttentionLayer{0}); });
  EXPECT_CONTAINS(e, "attention layer 0 is not stored");
  e = error_of([&] { sel.head_index(2); });
  EXPECT_CONTAINS(e, "attention head 2 is not stored");
  EXPECT_CONTAINS(e, "1, 3");
  e = error_of([&] { sel.load_layer_words(HiddenLayer{0}); });
  EXPECT_CONTAINS(e, "word_pooling: none");
  e = error_of([&] { sel.sequence(99); });
  EXPECT_CONTAINS(e, "sequence 99 out of range");

  const CacheReader plain = CacheReader::open(CacheEntry{fx.plain.string()});
  e = error_of([&] { plain.attention(0, AttentionLayer{1}); });
  EXPECT_CONTAINS(e, fx.plain.string());
  EXPECT_CONTAINS(e, "stores no attention");
  EXPECT_CONTAINS(e, "attention layer 1");
  EXPECT_TRUE(plain.attention_layers().empty());
}

TEST(CacheReader, IncompleteEntryIsRefused) {
  const auto& fx = fixture();
  const fs::path copy = copy_entry(fx.full, scratch("cache_reader/incomplete"));
  fs::remove(copy / "manifest.json");
  const std::string e = error_of([&] { CacheReader::open(CacheEntry{copy.string()}); });
  EXPECT_CONTAINS(e, (copy / "manifest.json").string());
  EXPECT_CONTAINS(e, "incomplete");
  EXPECT_CONTAINS(e, "4 of 4 chunks finished");
  EXPECT_CONTAINS(error_of([&] { CacheReader::open(CacheEntry{(copy / "nope").string()}); }), "no such cache entry");
}

TEST(CacheReader, ChangedOrMissingCorpusIsRefused) {
  const auto& fx = fixture();
  const fs::path dir = scratch("cache_reader/changed");
  const fs::path corpus = dir / "corpus.txt";
  fs::copy_file(fx.corpus, corpus);
  const fs::path entry = extract(dir, corpus, "  layers: [0]\n");
  EXPECT_NO_THROW(CacheReader::open(CacheEntry{entry.string()}));
  std::ofstream(corpus, std::ios::app) << "the cat sat .\n";
  std::string e = error_of([&] { CacheReader::open(CacheEntry{entry.string()}); });
  EXPECT_CONTAINS(e, corpus.string());
  EXPECT_CONTAINS(e, "changed");
  EXPECT_CONTAINS(e, "sha256");
  fs::remove(corpus);
  e = error_of([&] { CacheReader::open(CacheEntry{entry.string()}); });
  EXPECT_CONTAINS(e, corpus.string());
  EXPECT_CONTAINS(e, "missing");
}

TEST(CacheReader, CorruptChunkFailsTheReadNamingTheFile) {
  const auto& fx = fixture();
  const fs::path root = scratch("cache_reader/corrupt");
  const fs::path copy = copy_entry(fx.full, root);
  const fs::path chunk = copy / "chunk_00002.h5";
  // Flip one byte in the middle of the stored rows of /hidden/layer_01 (found by their bytes).
  const std::vector<float> rows = H5File::open_read(chunk.string()).read_f32("/hidden/layer_01");
  std::string bytes = slurp(chunk);
  const std::string needle(reinterpret_cast<const char*>(rows.data()), 4 * 32);  // the first row
  const size_t at = bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.find(needle, at + 1), std::string::npos);
  bytes[at + 4 * 32 + 50] ^= 0x5A;  // inside the second row
  std::ofstream(chunk, std::ios::binary | std::ios::trunc) << bytes;

  const CacheReader r = CacheReader::open(CacheEntry{copy.string()});  // index datasets and file size are intact
  std::string e = error_of([&] { r.load_layer(HiddenLayer{1}); });
  EXPECT_CONTAINS(e, chunk.string());
  EXPECT_CONTAINS(e, "/hidden/layer_01");
  EXPECT_CONTAINS(e, "bertology cache verify --set cache.dir=" + (root / "cache").string());
  // The sequences of chunk 2 (corpus sentences 2..4) fail too; other datasets still read.
  e = error_of([&] { r.sequence_hidden(3, HiddenLayer{1}); });
  EXPECT_CONTAINS(e, chunk.string());
  EXPECT_NO_THROW(r.load_layer(HiddenLayer{2}));
  EXPECT_NO_THROW(r.attention(3, AttentionLayer{0}));
  // And `cache verify`, as suggested, finds it.
  auto v = run_bertology({"cache", "verify", "--set", "cache.dir=" + (root / "cache").string()});
  EXPECT_EQ(v.code, 3) << v.out << v.err;
  EXPECT_CONTAINS(v.out, "CORRUPT " + chunk.string());
}

TEST(CacheReader, TruncatedChunkIsRefusedAtOpen) {
  const auto& fx = fixture();
  const fs::path copy = copy_entry(fx.full, scratch("cache_reader/truncated"));
  const fs::path chunk = copy / "chunk_00001.h5";
  fs::resize_file(chunk, fs::file_size(chunk) / 2);
  const std::string e = error_of([&] { CacheReader::open(CacheEntry{copy.string()}); });
  EXPECT_CONTAINS(e, chunk.string());
  EXPECT_CONTAINS(e, "manifest.json");
  EXPECT_CONTAINS(e, "bertology cache verify");
}

namespace {
/// Sets manifest.json's recorded size of every chunk of `entry` to the file's (after an edit).
void resync_manifest(const fs::path& entry) {
  nlohmann::json m = nlohmann::json::parse(slurp(entry / "manifest.json"));
  for (auto& c : m["chunks"]) {
    char name[32];
    std::snprintf(name, sizeof name, "chunk_%05d.h5", c["index"].get<int>());
    c["bytes"] = fs::file_size(entry / name);
  }
  std::ofstream(entry / "manifest.json", std::ios::trunc) << m.dump();
}
}  // namespace

// Seen while writing fuzz_cache_reader: an index dataset whose extent claims 2^40 values (chunked
// storage, nothing written: a few hundred bytes of file) made open() allocate 8 TiB (std::bad_alloc).
// The size is now checked against plan.json before the read.
TEST(CacheReader, IndexDatasetWithAHugeExtentIsAnErrorNotAnAllocation) {
  const auto& fx = fixture();
  const fs::path copy = copy_entry(fx.full, scratch("cache_reader/huge_extent"));
  const fs::path chunk = copy / "chunk_00001.h5";
  {
    const hid_t f = H5Fopen(chunk.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    ASSERT_GE(H5Ldelete(f, "/sequences/sentence_a", H5P_DEFAULT), 0);
    const hsize_t extent = hsize_t{1} << 40, chunk_dims = 64;
    const hid_t space = H5Screate_simple(1, &extent, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk_dims);
    const hid_t ds = H5Dcreate2(f, "/sequences/sentence_a", H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(ds, 0);
    H5Dclose(ds), H5Pclose(dcpl), H5Sclose(space), H5Fclose(f);
  }
  resync_manifest(copy);
  const std::string e = error_of([&] { CacheReader::open(CacheEntry{copy.string()}); });
  EXPECT_CONTAINS(e, chunk.string());
  EXPECT_CONTAINS(e, "/sequences/sentence_a holds 1099511627776 values, expected");
  EXPECT_CONTAINS(e, "bertology cache verify");
}

// Seen while writing fuzz_cache_reader: plan.json's counts were reserved before any chunk confirmed
// them (num_tokens 2^50: std::bad_alloc), and the last chunk's num_sequences near 2^63 overflowed
// the running sum (undefined behaviour; UBSan reports it under -DBERTOLOGY_SANITIZE).
TEST(CacheReader, ImpossibleCountsInPlanJsonAreErrors) {
  const auto& fx = fixture();
  for (const auto& [field, value, message] :
       {std::tuple<std::string, int64_t, std::string>{"num_tokens", int64_t{1} << 50, "wordpieces, plan says 1125899906842624"},
        {"chunk_num_sequences", INT64_MAX, "impossible counts (num_sequences 9223372036854775807"}}) {
    const fs::path copy = copy_entry(fx.full, scratch("cache_reader/plan_" + field));
    nlohmann::json plan = nlohmann::json::parse(slurp(copy / "plan.json"));
    if (field == "num_tokens") plan["num_tokens"] = value;
    else plan["chunks"].back()["num_sequences"] = value;
    std::ofstream(copy / "plan.json", std::ios::trunc) << plan.dump();
    const std::string e = error_of([&] { CacheReader::open(CacheEntry{copy.string()}); });
    EXPECT_CONTAINS(e, message);
  }
  // Numbers an int cannot hold: get<int>() of a float beyond its range was undefined behaviour.
  const fs::path copy = copy_entry(fx.full, scratch("cache_reader/plan_float_layers"));
  nlohmann::json plan = nlohmann::json::parse(slurp(copy / "plan.json"));
  plan["model"]["num_layers"] = 1e300;
  std::ofstream(copy / "plan.json", std::ios::trunc) << plan.dump();
  EXPECT_CONTAINS(error_of([&] { CacheReader::open(CacheEntry{copy.string()}); }),
                  "plan.json: key 'model.num_layers' must be an integer in [-2147483648, 2147483647], got 1e+300");
}

// The fast fp16 path of H5File::read_rows_f32_into agrees with HDF5's own conversion on every
// binary16 pattern (NaNs: both NaN).
TEST(CacheReader, Float16FastReadMatchesHdf5Conversion) {
  const fs::path p = scratch("cache_reader/f16") / "all.h5";
  std::vector<uint16_t> bits(65536);
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<uint16_t>(i);
  {
    H5File f = H5File::create(p.string());
    H5DatasetOptions o;
    o.chunk = {4096, 2};
    o.checksum = true;
    f.write("/x", H5Kind::F16, {32768, 2}, bits.data(), o);
    f.close();
  }
  const H5File f = H5File::open_read(p.string());
  const auto slow = f.read_f32("/x");
  std::vector<float> fast(65536);
  f.read_rows_f32_into("/x", 0, 32768, fast.data());
  for (size_t i = 0; i < bits.size(); ++i) {
    if (std::isnan(slow[i])) {
      EXPECT_TRUE(std::isnan(fast[i])) << std::hex << i;
    } else {
      EXPECT_EQ(std::memcmp(&slow[i], &fast[i], 4), 0) << std::hex << i << ": " << slow[i] << " vs " << fast[i];
    }
  }
  // A row range, through a dataset kept open with a chunk cache.
  std::vector<float> part(2 * 100);
  f.read_rows_f32_into("/x", 5000, 100, part.data(), 1 << 20);
  f.read_rows_f32_into("/x", 5000, 100, part.data(), 1 << 20);
  EXPECT_EQ(0, std::memcmp(part.data(), fast.data() + 10000, part.size() * 4));
}

// Row scratch: a dataset that dense reads decode more than kScratchAfterPasses times over, or that a
// sparse read samples, is copied once to an unlinked file; every read, before and after, gives exactly
// the rows load_layer*() gives.
namespace {

/// Every `step`-th row of [0, n) from `phase`, ascending: a read that touches every chunk (dense for
/// step 2: it returns half the rows it decodes; sparse for step 8).
std::vector<int64_t> every_nth_row(int64_t n, int64_t phase, int64_t step = 2) {
  std::vector<int64_t> rows;
  for (int64_t r = phase; r < n; r += step) rows.push_back(r);
  return rows;
}

std::vector<int64_t> all_rows(int64_t n) {
  return every_nth_row(n, 0, 1);
}

size_t files_in(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

/// Reads `passes` times and checks each against `reference` ([rows, d]); `read` is read_*_rows.
void read_and_compare(const FloatMatrix& reference, int passes,
                      const std::function<void(const std::vector<int64_t>&, float*)>& read, int64_t step = 2) {
  for (int pass = 0; pass < passes; ++pass) {
    const auto rows = every_nth_row(reference.rows, pass % step, step);
    std::vector<float> got(rows.size() * static_cast<size_t>(reference.cols));
    read(rows, got.data());
    for (size_t k = 0; k < rows.size(); ++k)
      ASSERT_EQ(0, std::memcmp(got.data() + k * reference.cols, reference.row(rows[k]), sizeof(float) * reference.cols))
          << "pass " << pass << " row " << rows[k];
  }
}

struct RestoreScratchDir {
  ~RestoreScratchDir() { CacheReader::set_row_scratch_dir(CacheReader::default_row_scratch_dir()); }
};

}  // namespace

TEST(CacheReader, RereadDatasetsAreCopiedToAnUnlinkedScratchFileWithTheSameValues) {
  const auto& fx = fixture();
  RestoreScratchDir restore;
  const fs::path dir = scratch("cache_reader/row_scratch");
  fs::create_directories(dir);
  CacheReader::set_row_scratch_dir(dir.string());

  // float32 entry, word rows: no copy for the first kScratchAfterPasses reads, one after.
  const CacheReader r = CacheReader::open(CacheEntry{fx.full.string()});
  const FloatMatrix words = r.load_layer_words(HiddenLayer{1});
  read_and_compare(words, CacheReader::kScratchAfterPasses, [&](const auto& rows, float* out) {
    r.read_word_rows(HiddenLayer{1}, rows, out);
  });
  EXPECT_EQ(r.row_scratch_bytes(), 0);
  read_and_compare(words, 3, [&](const auto& rows, float* out) { r.read_word_rows(HiddenLayer{1}, rows, out); });
  EXPECT_EQ(r.row_scratch_bytes(), r.num_words() * r.hidden_size() * 4);
  EXPECT_EQ(files_in(dir), 0u) << "the scratch file must have no name";

  // A sparse read (every 8th row: it would decode 8 times what it returns) copies at once.
  const CacheReader sparse = CacheReader::open(CacheEntry{fx.full.string()});
  ASSERT_GE(sparse.num_chunks(), 4);
  read_and_compare(words, 1, [&](const auto& rows, float* out) { sparse.read_word_rows(HiddenLayer{1}, rows, out); }, 8);
  EXPECT_EQ(sparse.row_scratch_bytes(), sparse.num_words() * sparse.hidden_size() * 4);
  // A read of every row, once (a held split), never copies.
  const CacheReader once = CacheReader::open(CacheEntry{fx.full.string()});
  read_and_compare(words, 1, [&](const auto& rows, float* out) { once.read_word_rows(HiddenLayer{1}, rows, out); }, 1);
  EXPECT_EQ(once.row_scratch_bytes(), 0);

  // float16 entry, token rows: stored as binary16 (half the bytes), widened exactly.
  const CacheReader half = CacheReader::open(CacheEntry{fx.selected.string()});
  const FloatMatrix tokens = half.load_layer(HiddenLayer{2});
  read_and_compare(tokens, CacheReader::kScratchAfterPasses + 3, [&](const auto& rows, float* out) {
    half.read_token_rows(HiddenLayer{2}, rows, out);
  });
  EXPECT_EQ(half.row_scratch_bytes(), half.num_tokens() * half.hidden_size() * 2);

  // Off (""), or a folder that does not exist: no copy, the same values the slow way.
  for (const std::string& where : {std::string(), (dir / "missing").string()}) {
    CacheReader::set_row_scratch_dir(where);
    const CacheReader slow = CacheReader::open(CacheEntry{fx.full.string()});
    read_and_compare(words, CacheReader::kScratchAfterPasses + 3, [&](const auto& rows, float* out) {
      slow.read_word_rows(HiddenLayer{1}, rows, out);
    });
    EXPECT_EQ(slow.row_scratch_bytes(), 0) << where;
  }
}

TEST(CacheReader, RowsInAnyOrderWithRepeatsGoStraightToTheirPlaces) {
  // What a probe window asks: rows of a shuffled order (arcs repeat a head), each into its place in
  // a [rows, layers, d] window (here every row at r·2d + d, the second of two layer slots).
  const auto& fx = fixture();
  RestoreScratchDir restore;
  const fs::path dir = scratch("cache_reader/row_places");
  fs::create_directories(dir);
  for (const bool copy : {false, true}) {
    CacheReader::set_row_scratch_dir(copy ? dir.string() : std::string());
    for (const bool words : {true, false}) {
      const CacheReader r = CacheReader::open(CacheEntry{(words ? fx.full : fx.selected).string()});
      const HiddenLayer layer{words ? 1 : 2};
      const FloatMatrix reference = words ? r.load_layer_words(layer) : r.load_layer(layer);
      const int64_t d = reference.cols;
      std::vector<int64_t> rows;
      for (int64_t k = 0; k < reference.rows; k += 3) rows.push_back((k * 7919) % reference.rows);  // shuffled
      rows.push_back(rows.front());  // a repeat
      rows.push_back(rows[rows.size() / 2]);
      std::vector<int64_t> at;
      for (size_t k = 0; k < rows.size(); ++k) at.push_back(static_cast<int64_t>(k) * 2 * d + d);
      // With a scratch folder the reads after kScratchAfterPasses come from the copy.
      for (int pass = 0; pass <= CacheReader::kScratchAfterPasses; ++pass) {
        std::vector<float> got(rows.size() * 2 * static_cast<size_t>(d), -7.0f);
        if (words)
          r.read_word_rows(layer, rows, got.data(), at);
        else
          r.read_token_rows(layer, rows, got.data(), at);
        for (size_t k = 0; k < rows.size(); ++k) {
          ASSERT_EQ(0, std::memcmp(got.data() + at[k], reference.row(rows[k]), sizeof(float) * d))
              << "copy " << copy << " words " << words << " pass " << pass << " k " << k;
          ASSERT_EQ(got[k * 2 * d], -7.0f) << "the other slot is untouched";
        }
      }
      EXPECT_EQ(r.row_scratch_bytes() > 0, copy) << words;
    }
  }
  EXPECT_EQ(files_in(dir), 0u);
}

TEST(CacheReader, AttentionDecodedMoreThanTwiceOverIsCopiedAndReadsTheSameMaps) {
  // The attention probe's windows read every chunk's maps once a window: after kScratchAfterPasses
  // passes a layer is copied, and later reads (of any sequence, in any order) give the same bits.
  const auto& fx = fixture();
  RestoreScratchDir restore;
  const fs::path dir = scratch("cache_reader/attention_copy");
  fs::create_directories(dir);
  for (const bool copy : {true, false}) {
    CacheReader::set_row_scratch_dir(copy ? dir.string() : std::string());
    for (const fs::path& entry : {fx.full, fx.selected}) {  // float32 (slices), float16 (whole layers)
      const CacheReader r = CacheReader::open(CacheEntry{entry.string()});
      const AttentionLayer layer{static_cast<int>(r.attention_layers().back())};
      std::vector<std::vector<float>> first;
      for (int64_t i = 0; i < r.num_sequences(); ++i) first.push_back(r.attention(i, layer));
      for (int pass = 1; pass <= CacheReader::kScratchAfterPasses + 1; ++pass) {
        // Read number pass + 1: the copy is made during the third (it decodes a chunk more than twice over).
        if (pass <= CacheReader::kScratchAfterPasses) EXPECT_EQ(r.row_scratch_bytes(), 0) << "pass " << pass;
        for (int64_t i = r.num_sequences() - 1; i >= 0; --i) {  // backwards: chunk after chunk again
          const auto a = r.attention(i, layer);
          ASSERT_EQ(a.size(), first[i].size());
          ASSERT_EQ(0, std::memcmp(a.data(), first[i].data(), a.size() * sizeof(float)))
              << entry << " pass " << pass << " sequence " << i;
        }
      }
      int64_t values = 0;
      for (const auto& a : first) values += static_cast<int64_t>(a.size());
      EXPECT_EQ(r.row_scratch_bytes(), copy ? values * (r.dtype() == "float16" ? 2 : 4) : 0) << entry;
    }
  }
  EXPECT_EQ(files_in(dir), 0u);
}

TEST(RowScratch, ReadsBackExactlyWhatWasAppendedInAnyAscendingSelection) {
  const fs::path dir = scratch("row_scratch_unit");
  fs::create_directories(dir);
  // 3000 rows of 256 floats (3 MiB as float32): a run of every row spans several 1 MiB preads.
  const int64_t rows = 3000, d = 256;
  std::vector<float> values(rows * d);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(static_cast<int>(i % 4093) - 2046) / 64.0f;
  for (bool half : {false, true}) {
    std::string why;
    auto s = RowScratch::create(dir.string(), rows, d, half, &why);
    ASSERT_TRUE(s) << why;
    s->append(values.data(), 1000);
    EXPECT_FALSE(s->complete());
    s->append(values.data() + 1000 * d, rows - 1000);
    ASSERT_TRUE(s->complete());
    EXPECT_EQ(s->bytes(), rows * d * (half ? 2 : 4));
    std::vector<int64_t> ids;
    for (int64_t r = 0; r < rows; ++r)
      if (r % 7 != 3) ids.push_back(r);
    // runs of six rows (gaps of one: one pread spans them), every row (1 MiB preads), every 50th row
    // (gaps too wide to span: one pread per row)
    for (const auto& sel : {ids, all_rows(rows), every_nth_row(rows, 3, 50)}) {
      std::vector<float> got(sel.size() * d);
      s->read(sel, got.data());
      for (size_t k = 0; k < sel.size(); ++k)
        ASSERT_EQ(0, std::memcmp(got.data() + k * d, values.data() + sel[k] * d, sizeof(float) * d)) << half << " " << k;
    }
  }
  EXPECT_EQ(files_in(dir), 0u);
  {  // Binary16 bits appended as they are; repeated rows, each into its own place.
    std::vector<uint16_t> bits(rows * d);
    for (size_t i = 0; i < bits.size(); ++i) EXPECT_TRUE(exact_float16_bits(values[i], bits[i]));
    std::string why;
    auto s = RowScratch::create(dir.string(), rows, d, true, &why);
    ASSERT_TRUE(s) << why;
    s->append_half_bits(bits.data(), rows);
    const std::vector<int64_t> ids = {5, 5, 6, 2999, 2999};
    const std::vector<int64_t> at = {4 * d, 0, 2 * d, d, 3 * d};
    std::vector<float> got(ids.size() * d);
    s->read(ids, at, got.data());
    for (size_t k = 0; k < ids.size(); ++k)
      ASSERT_EQ(0, std::memcmp(got.data() + at[k], values.data() + ids[k] * d, sizeof(float) * d)) << k;
    auto wide = RowScratch::create(dir.string(), 1, 2, false, &why);
    EXPECT_THROW(wide->append_half_bits(bits.data(), 1), InternalError);
  }
  // A binary16 copy takes only float16 values: anything else is a broken promise, not rounded.
  std::string why;
  auto s = RowScratch::create(dir.string(), 1, 2, true, &why);
  const float not_half[2] = {0.1f, 1.0f};
  EXPECT_THROW(s->append(not_half, 1), InternalError);
  // Refused, with the reason, where it cannot be made.
  EXPECT_FALSE(RowScratch::create((dir / "missing").string(), 1, 2, true, &why));
  EXPECT_NE(why.find("missing"), std::string::npos) << why;
}
