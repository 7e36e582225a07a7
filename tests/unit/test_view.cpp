// The attention viewer (pipeline/view/): 8-bit maps within half a step, base64 and deflate against
// their standards, the page's data decoding back to the maps, the word-level path equal to the
// stages' conversion (CacheReader::word_attention), gold arcs as hand-read from the CoNLL-U, head
// notes picked by hand-computed margins, and the command's one-line errors. Entries are extracted
// by the real binary with the default model on the first sentences of UD EWT dev.
// The page in a real browser: tests/browser/test_view_page.py.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "pipeline/cache/cache_reader.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"
#include "pipeline/view/attention_quantize.h"
#include "pipeline/view/view_page.h"
#include "pipeline/view/view_sources.h"
#include "tests/support/process.h"

namespace fs = std::filesystem;
using namespace bertology;
using bertology::test::run_bertology;
using bertology::test::scratch;
using bertology::test::slurp;

namespace {

const fs::path kModel = fs::path(BERTOLOGY_MODELS_DIR) / "all-MiniLM-L6-v2";
const fs::path kCorpus = fs::path(BERTOLOGY_FIXTURES_DIR) / "corpus" / "ewt_dev_first30.conllu";

TEST(ViewQuantize, RoundTripWithinHalfAStep) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 37;
    std::vector<float> a(n * n);
    for (auto& v : a) v = std::pow(u(rng), 4.0f);  // peaked, like attention
    std::vector<uint8_t> q(a.size());
    const float scale = quantize_map(a.data(), static_cast<int64_t>(a.size()), q.data());
    const float max_value = *std::max_element(a.begin(), a.end());
    EXPECT_FLOAT_EQ(scale, max_value / 255.0f);
    std::vector<float> back(a.size());
    dequantize_map(q.data(), static_cast<int64_t>(q.size()), scale, back.data());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_LE(std::fabs(back[i] - a[i]), scale / 2 * (1 + 1e-5f)) << i;
    EXPECT_EQ(*std::max_element(q.begin(), q.end()), 255);  // the largest weight keeps full resolution
  }
  std::vector<float> zeros(9, 0.0f);
  std::vector<uint8_t> q(9, 7);
  EXPECT_EQ(quantize_map(zeros.data(), 9, q.data()), 0.0f);
  EXPECT_EQ(q, std::vector<uint8_t>(9, 0));
  const float bad[2] = {0.5f, -0.1f};
  EXPECT_THROW(quantize_map(bad, 2, q.data()), InternalError);
}

std::string b64(const std::string& s) {
  return base64_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(ViewPage, Base64IsRfc4648) {  // the test vectors of RFC 4648 section 10
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  const uint8_t high[3] = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(base64_encode(high, 3), "+//+");
}

std::vector<uint8_t> base64_decode(const std::string& s) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : s) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<uint32_t>(alphabet.find(c));
    if ((count += 6) >= 8) out.push_back(static_cast<uint8_t>(bits >> (count -= 8)));
  }
  return out;
}

std::vector<uint8_t> inflate_all(const std::vector<uint8_t>& packed, size_t size) {
  std::vector<uint8_t> out(size);
  uLongf got = static_cast<uLongf>(size);
  EXPECT_EQ(uncompress(out.data(), &got, packed.data(), static_cast<uLong>(packed.size())), Z_OK);
  EXPECT_EQ(got, size);
  return out;
}

/// The DATA object of a rendered page.
nlohmann::json page_data(const std::string& html) {
  const std::string start = "const DATA = ";
  const size_t at = html.find(start);
  EXPECT_NE(at, std::string::npos);
  const size_t end = html.find(";\nconst COLORS", at);
  EXPECT_NE(end, std::string::npos);
  return nlohmann::json::parse(html.substr(at + start.size(), end - at - start.size()));
}

TEST(ViewPage, RenderedDataDecodesToTheMaps) {
  ViewPage page;
  page.model = "m</script><b>";  // must not end the script element
  page.title = "<!--<script>";   // nor switch it to the escaped mode
  page.layers = {1, 2};
  page.heads = {1, 2, 3};
  ViewSentence s;
  s.label = "#0";
  s.tokens = {"[CLS]", "a", "b", "[SEP]"};
  s.is_word = {0, 1, 1, 0};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<std::vector<float>> layers(2, std::vector<float>(3 * 16));
  for (auto& layer : layers) {
    for (auto& v : layer) v = u(rng);
    s.add_layer(layer, 3);
  }
  s.gold = {{1, 2, "det"}, {2, -1, "root"}};
  page.sentences.push_back(s);
  const std::string html = render_view_html(page);
  EXPECT_EQ(html.find("m</script><b>"), std::string::npos);
  EXPECT_EQ(html.find("<!--<script>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), html.rfind("<script"));  // one script element, the page's own
  const auto data = page_data(html);
  EXPECT_EQ(data["model"], "m</script><b>");
  EXPECT_EQ(data["title"], "<!--<script>");
  EXPECT_EQ(data["sentences"][0]["words"].dump(), "[0,1,1,0]");
  const auto& js = data["sentences"][0];
  EXPECT_EQ(js["tokens"].get<std::vector<std::string>>(), s.tokens);
  EXPECT_EQ(js["gold"].dump(), R"([[1,2,"det"],[2,-1,"root"]])");
  const auto maps = inflate_all(base64_decode(js["maps"].get<std::string>()), 2 * 3 * 16);
  const auto scales = js["scales"].get<std::vector<float>>();
  ASSERT_EQ(scales.size(), 6u);
  for (int l = 0; l < 2; ++l)
    for (int k = 0; k < 3 * 16; ++k) {
      const float scale = scales[static_cast<size_t>(l * 3 + k / 16)];
      ASSERT_NEAR(maps[static_cast<size_t>(l * 48 + k)] * scale, layers[l][k], scale / 2 * 1.0001f) << l << " " << k;
    }
  ViewSentence wrong = s;
  wrong.tokens.pop_back();
  page.sentences = {wrong};
  EXPECT_THROW(render_view_html(page), InternalError);
}

/// A scratch folder with a config over the fixture corpus and its extracted entry (attention on/off).
struct Extracted {
  fs::path dir, config;
};
Extracted extract(const std::string& name, bool attention, const std::string& extra = "") {
  Extracted e{scratch(name), {}};
  e.config = e.dir / "study.yaml";
  std::ofstream(e.config) << "study:\n  name: viewtest\n  output_dir: " << (e.dir / "results").string()
                          << "\nmodel:\n  path: " << kModel.string() << "\n  threads: 1\ncorpus:\n  path: "
                          << kCorpus.string() << "\n  format: conllu\nextract:\n  layers: [0]\n  attention: "
                          << (attention ? "true" : "false") << "\ncache:\n  dir: " << (e.dir / "cache").string() << "\n" << extra;
  const auto r = run_bertology({"extract", e.config.string()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  return e;
}
const Extracted& with_attention() {
  static const Extracted e = extract("view_entry", true);
  return e;
}
CacheEntry entry_in(const fs::path& cache) {
  for (const auto& d : fs::directory_iterator(cache))
    if (d.is_directory() && fs::exists(d.path() / "manifest.json")) return CacheEntry{d.path().string()};
  ADD_FAILURE() << "no complete entry under " << cache;
  return {};
}

TEST(ViewSources, WordLevelIsTheStagesConversionAndArcsAreTheTreebanks) {
  const CacheReader reader = CacheReader::open(entry_in(with_attention().dir / "cache"));
  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(kModel.string());
  ViewSelection sel;
  sel.sentences = {0, 1};
  sel.word_level = true;
  const ViewPage page = view_from_cache(reader, tokenizer, sel);
  ASSERT_EQ(page.layers, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(page.heads.size(), 12u);
  ASSERT_EQ(page.sentences.size(), 2u);
  // Sentence 0, "From the AP comes this story :", read off the CoNLL-U by hand.
  const auto& s0 = page.sentences[0];
  EXPECT_EQ(s0.tokens, (std::vector<std::string>{"[CLS]", "From", "the", "AP", "comes", "this", "story", ":", "[SEP]"}));
  std::vector<std::tuple<int, int, std::string>> arcs;
  for (const auto& a : s0.gold) arcs.emplace_back(a.dependent, a.head, a.relation);
  EXPECT_EQ(arcs, (std::vector<std::tuple<int, int, std::string>>{
                      {1, 3, "case"}, {2, 3, "det"}, {3, 4, "obl"}, {4, -1, "root"}, {5, 6, "det"}, {6, 4, "nsubj"}, {7, 4, "punct"}}));
  // Sentence 1, "President Bush ... jurists ... area .": "jurists" is two pieces (jurist ##s), read
  // off the CoNLL-U by hand at both levels.
  using Arcs = std::vector<std::tuple<int, int, std::string>>;
  auto arcs_of = [](const ViewSentence& s) {
    Arcs out;
    for (const auto& a : s.gold) out.emplace_back(a.dependent, a.head, a.relation);
    return out;
  };
  EXPECT_EQ(arcs_of(page.sentences[1]),
            (Arcs{{1, 2, "nmod:desc"}, {2, 5, "nsubj"}, {3, 4, "case"}, {4, 5, "obl"}, {5, -1, "root"}, {6, 7, "nummod"},
                  {7, 5, "obj"}, {8, 9, "mark"}, {9, 5, "advcl"}, {10, 11, "amod"}, {11, 9, "obj"}, {12, 14, "case"},
                  {13, 14, "amod"}, {14, 11, "nmod"}, {15, 18, "case"}, {16, 18, "det"}, {17, 18, "compound"},
                  {18, 14, "nmod"}, {19, 5, "punct"}}));
  EXPECT_EQ(page.sentences[1].tokens[11], "jurists");
  EXPECT_EQ(page.sentences[1].is_word, (std::vector<uint8_t>{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}));
  // Sentence 1 has words split into several pieces ("nominated", "jurists"): the word-level maps
  // are CacheReader::word_attention's (Clark's conversion, as the stages read it) within half a step.
  for (size_t k = 0; k < 2; ++k) {
    const auto& s = page.sentences[k];
    const int64_t n = static_cast<int64_t>(s.tokens.size());
    for (int l = 0; l < 6; ++l) {
      const auto want = reader.word_attention(reader.find_sequence(static_cast<int64_t>(k)), AttentionLayer{l});
      ASSERT_EQ(static_cast<int64_t>(want.size()), 12 * n * n);
      for (int h = 0; h < 12; ++h) {
        const float scale = s.scales[static_cast<size_t>(l * 12 + h)];
        for (int64_t i = 0; i < n * n; ++i)
          ASSERT_NEAR(s.maps[static_cast<size_t>((l * 12 + h) * n * n + i)] * scale, want[static_cast<size_t>(h * n * n + i)],
                      scale / 2 * 1.0001f);
      }
    }
  }
  EXPECT_LT(page.sentences[1].tokens.size(), reader.sequence(1).input_ids.size());  // pieces were merged
  // Wordpiece level: the vocabulary's pieces and the stored maps; arcs between first pieces.
  sel.word_level = false;
  const ViewPage pieces = view_from_cache(reader, tokenizer, sel);
  const auto seq = reader.sequence(1);
  ASSERT_EQ(pieces.sentences[1].tokens.size(), seq.input_ids.size());
  for (size_t t = 0; t < seq.input_ids.size(); ++t)
    EXPECT_EQ(pieces.sentences[1].tokens[t], tokenizer.id_to_token(seq.input_ids[t]));
  const auto stored = reader.attention(1, AttentionLayer{5});
  const int64_t T = static_cast<int64_t>(seq.input_ids.size());
  for (int64_t i = 0; i < 12 * T * T; ++i) {
    const float scale = pieces.sentences[1].scales[static_cast<size_t>(5 * 12 + i / (T * T))];
    ASSERT_NEAR(pieces.sentences[1].maps[static_cast<size_t>(5 * 12 * T * T + i)] * scale, stored[static_cast<size_t>(i)],
                scale / 2 * 1.0001f);
  }
  // [CLS] president bush on tuesday nominated two individuals to replace retiring jurist ##s on
  // federal courts in the washington area . [SEP]: arcs join first pieces, "jurists" at 11, then +1.
  EXPECT_EQ(arcs_of(pieces.sentences[1]),
            (Arcs{{1, 2, "nmod:desc"}, {2, 5, "nsubj"}, {3, 4, "case"}, {4, 5, "obl"}, {5, -1, "root"}, {6, 7, "nummod"},
                  {7, 5, "obj"}, {8, 9, "mark"}, {9, 5, "advcl"}, {10, 11, "amod"}, {11, 9, "obj"}, {13, 15, "case"},
                  {14, 15, "amod"}, {15, 11, "nmod"}, {16, 19, "case"}, {17, 19, "det"}, {18, 19, "compound"},
                  {19, 15, "nmod"}, {20, 5, "punct"}}));
  EXPECT_EQ(pieces.sentences[1].tokens[12], "##s");
  EXPECT_EQ(pieces.sentences[1].is_word[12], 0);
  EXPECT_EQ(pieces.sentences[1].is_word[11], 1);
}

TEST(ViewSources, SentencePairsAreShownOnceWithBothIndices) {
  const Extracted pairs = extract("view_pairs", true, "input:\n  pairs: true\n");
  const CacheReader reader = CacheReader::open(entry_in(pairs.dir / "cache"));
  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(kModel.string());
  ViewSelection sel;
  sel.max_sentences = 4;  // sentences 0..3 = the pairs 0+1 and 2+3
  sel.word_level = true;
  const ViewPage page = view_from_cache(reader, tokenizer, sel);
  ASSERT_EQ(page.sentences.size(), 2u);
  EXPECT_EQ(page.sentences[0].label.rfind("#0 + #1 ", 0), 0u) << page.sentences[0].label;
  EXPECT_EQ(page.sentences[1].label.rfind("#2 + #3 ", 0), 0u) << page.sentences[1].label;
  // B's words keep their own labels and arcs: "President" (B's word 0) heads to "Bush".
  const auto& t = page.sentences[0].tokens;
  const auto president = std::find(t.begin(), t.end(), "President") - t.begin();
  ASSERT_LT(president, static_cast<long>(t.size()));
  EXPECT_EQ(t[static_cast<size_t>(president) + 1], "Bush");
  bool found = false;
  for (const auto& a : page.sentences[0].gold)
    found = found || (a.dependent == president && a.head == president + 1 && a.relation == "nmod:desc");
  EXPECT_TRUE(found);
}

TEST(ViewSources, GrepAndOutOfRangeSelections) {
  const CacheReader reader = CacheReader::open(entry_in(with_attention().dir / "cache"));
  const BertTokenizer tokenizer = BertTokenizer::from_model_dir(kModel.string());
  ViewSelection sel;
  sel.grep = "President Bush";
  const ViewPage page = view_from_cache(reader, tokenizer, sel);
  ASSERT_EQ(page.sentences.size(), 1u);
  EXPECT_EQ(page.sentences[0].label.rfind("#1 ", 0), 0u) << page.sentences[0].label;
  sel.grep = "no such words here";
  EXPECT_THROW(view_from_cache(reader, tokenizer, sel), InputError);
  sel.grep.clear();
  sel.sentences = {30};
  try {
    view_from_cache(reader, tokenizer, sel);
    FAIL() << "sentence 30 of 30";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--sentences: sentence 30 is out of range"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("30 sentences"), std::string::npos) << e.what();
  }
}

TEST(ViewSources, HeadNotesPickTheLargestMarginOverTheRelationsBaseline) {
  const fs::path dir = scratch("view_notes");
  fs::create_directories(dir / "attention_patterns");
  fs::create_directories(dir / "dependency_heads");
  fs::create_directories(dir / "head_clusters");
  std::ofstream(dir / "attention_patterns" / "patterns.csv")
      << "layer,head,to_cls,to_sep,to_punct,entropy\n1,1,0.5,0.25,0.125,2.0\n1,2,0.1,0.2,0.3,1.0\n";
  // head 1-1: det 80 - 70 = +10, nsubj 50 - 30 = +20 (best), all ignored; head 1-2: det 75 - 70 = +5.
  std::ofstream(dir / "dependency_heads" / "heads.csv")
      << "relation,layer,head,direction,correct,count,accuracy\nall,1,1,dep_to_head,9,10,90\n"
         "det,1,1,dep_to_head,8,10,80\nnsubj,1,1,head_to_dep,5,10,50\ndet,1,2,dep_to_head,7,10,75\n";
  std::ofstream(dir / "dependency_heads" / "relations.csv")
      << "relation,count,sd_relation,best_layer,best_head,best_direction,best_accuracy,baseline_offset,baseline_accuracy\n"
         "all,10,all,1,1,dep_to_head,90,1,85\ndet,10,det,1,1,dep_to_head,80,1,70\nnsubj,10,nsubj,1,1,head_to_dep,50,-1,30\n";
  std::ofstream(dir / "head_clusters" / "embedding.csv") << "layer,head,x,y,behaviour\n1,1,0,0,prev\n1,2,1,1,other\n";
  const auto notes = head_notes_from_dir(dir.string());
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].best_relation, "nsubj");
  EXPECT_EQ(notes[0].best_direction, "head_to_dep");
  EXPECT_DOUBLE_EQ(notes[0].best_accuracy, 50);
  EXPECT_DOUBLE_EQ(notes[0].baseline_accuracy, 30);
  EXPECT_DOUBLE_EQ(notes[0].to_punct, 0.125);
  EXPECT_EQ(notes[0].behaviour, "prev");
  EXPECT_EQ(notes[1].best_relation, "det");
  EXPECT_DOUBLE_EQ(notes[1].entropy, 1.0);
  EXPECT_TRUE(head_notes_from_dir((dir / "nothing").string()).empty());
}

/// `bertology view` with `args`; expects exit 2, one stderr line containing `needle`, no page.
void expect_view_error(const std::vector<std::string>& args, const std::string& needle, const fs::path& page) {
  std::vector<std::string> full = {"view"};
  full.insert(full.end(), args.begin(), args.end());
  if (!page.empty()) full.insert(full.end(), {"--out", page.string()});
  const auto r = run_bertology(full);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  if (!page.empty()) EXPECT_FALSE(fs::exists(page));
}

TEST(ViewCommand, PagesFromAnEntryAndAnEncodeFileAndOneLineErrors) {
  const Extracted& e = with_attention();
  const fs::path page = e.dir / "view.html";
  auto r = run_bertology({"view", e.config.string(), "--sentences", "0,2", "--word-level", "--out", page.string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 sentences, 6 layers x 12 heads, word level"), std::string::npos) << r.out;
  EXPECT_EQ(page_data(slurp(page))["sentences"].size(), 2u);

  const fs::path encoded = e.dir / "two.h5";
  r = run_bertology({"encode", "--model", kModel.string(), "--text", "The cat sat.", "--text", "Dogs bark loudly.",
                     "--out", encoded.string(), "--threads", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path encoded_page = e.dir / "encoded.html";
  r = run_bertology({"view", "--encoded", encoded.string(), "--out", encoded_page.string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const auto data = page_data(slurp(encoded_page));
  EXPECT_EQ(data["sentences"][1]["tokens"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"[CLS]", "dogs", "bark", "loudly", ".", "[SEP]"}));

  r = run_bertology({"view", "--encoded", encoded.string(), "--word-level", "--out", encoded_page.string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(page_data(slurp(encoded_page))["sentences"][0]["tokens"].get<std::vector<std::string>>(),
            (std::vector<std::string>{"[CLS]", "the", "cat", "sat", ".", "[SEP]"}));

  const fs::path bad = e.dir / "bad.html";
  expect_view_error({e.config.string(), "--results", (e.dir / "nowhere").string()}, "--results: ", bad);
  expect_view_error({e.config.string(), "--sentences", "0,31"}, "--sentences: sentence 31 is out of range", bad);
  expect_view_error({e.config.string(), "--sentences", "0,x"}, "--sentences: \"x\" is not a sentence index", bad);
  expect_view_error({"--encoded", encoded.string(), "--sentences", "2"}, "--sentences: sentence 2 is out of range", bad);
  expect_view_error({"--encoded", e.config.string()}, "study.yaml: cannot open as HDF5", bad);
  const Extracted no_attention = extract("view_no_attention", false);
  expect_view_error({no_attention.config.string()}, "the cache entry stores no attention", bad);
  // A partial entry: the same config on a cache whose manifest is gone (a run that did not finish).
  const CacheEntry entry = entry_in(no_attention.dir / "cache");
  fs::remove(entry.manifest_file());
  fs::remove(entry.done_file(0));
  expect_view_error({no_attention.config.string()}, "the cache entry of this config is not complete", bad);
  expect_view_error({e.config.string()}, "--out: the page to write is required", fs::path());
}

}  // namespace
