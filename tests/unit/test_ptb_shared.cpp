// Agreement of the PTB conversion with real annotated data, which the repository does not ship:
//  - Natural Stories (Futrell et al. 2021): 485 Penn trees and the Stanford tool's basic SD for
//    them (punctuation omitted): unlabeled and labeled attachment agreement, excluding punctuation;
//  - the NLTK 10% WSJ sample: `.mrg` trees and `.dp` files with Penn2Malt-style heads: head
//    agreement of the malt style.
//
// The data lives outside the source tree, and tests must not reach for it on their own: set
// BERTOLOGY_SHARED_DATA to the folder holding `natural_stories_parses/` and
// `ptb_wsj_sample_nltk/` (e.g. /work/shared/data). Unset or missing, each test passes and says it
// was skipped. With BERTOLOGY_PTB_REPORT=FILE the Natural Stories test also writes every
// disagreement there (sentence, word, gold and converted relation) for working on the rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/corpus/ptb.h"
#include "pipeline/corpus/ptb_to_dep.h"
#include "tests/support/files.h"

namespace bertology {
namespace {

namespace fs = std::filesystem;

/// The shared-data folder, or "" (after printing why) when the test should not run.
std::string shared_dir(const std::string& sub) {
  const char* env = std::getenv("BERTOLOGY_SHARED_DATA");
  if (env == nullptr || *env == '\0') {
    std::cout << "[ skipped ] set BERTOLOGY_SHARED_DATA to the shared data folder to run this test\n";
    return "";
  }
  const std::string dir = std::string(env) + "/" + sub;
  if (!fs::is_directory(dir)) {
    std::cout << "[ skipped ] " << dir << " does not exist (BERTOLOGY_SHARED_DATA=" << env << ")\n";
    return "";
  }
  return dir;
}

using test::slurp;

struct GoldRel {
  std::string rel;
  int head = 0;
  int dep = 0;
  std::string word;
};

/// "nsubj(come-14, you-12)" -> {nsubj, 14, 12, you}.
bool parse_gold_line(const std::string& line, GoldRel* out) {
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  const size_t comma = line.find(", ", open);
  if (open == std::string::npos || close == std::string::npos || comma == std::string::npos) return false;
  const std::string gov = line.substr(open + 1, comma - open - 1);
  const std::string dep = line.substr(comma + 2, close - comma - 2);
  const size_t gdash = gov.rfind('-'), ddash = dep.rfind('-');
  if (gdash == std::string::npos || ddash == std::string::npos) return false;
  out->rel = line.substr(0, open);
  out->head = std::atoi(gov.c_str() + gdash + 1);
  out->dep = std::atoi(dep.c_str() + ddash + 1);
  out->word = dep.substr(0, ddash);
  return true;
}

std::vector<std::vector<GoldRel>> read_gold_blocks(const std::string& path) {
  std::vector<std::vector<GoldRel>> blocks(1);
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) {
      if (!blocks.back().empty()) blocks.emplace_back();
      continue;
    }
    GoldRel r;
    if (parse_gold_line(line, &r)) blocks.back().push_back(r);
  }
  if (blocks.back().empty()) blocks.pop_back();
  return blocks;
}

/// Relations that CoreNLP renamed: the SD manual's partmod / infmod are vmod there.
std::string normalize(const std::string& rel) {
  return rel == "partmod" || rel == "infmod" ? "vmod" : rel;
}

TEST(PtbShared, NaturalStoriesStanfordDependencies) {
  const std::string dir = shared_dir("natural_stories_parses");
  if (dir.empty()) return;
  const std::string penn = dir + "/all-parses.txt.penn";
  const auto trees = parse_ptb(slurp(penn), penn);
  const auto gold = read_gold_blocks(dir + "/all-parses.txt.stanford");
  ASSERT_EQ(trees.size(), 485u);
  ASSERT_EQ(gold.size(), 484u);

  DepOptions options;
  options.vmod = true;
  // Sentences 270 and 271 (1-based) are one gold block (PROVENANCE.md): convert them
  // separately and join, the second sentence's words numbered on.
  std::vector<std::vector<DepToken>> sentences;
  for (size_t i = 0; i < trees.size(); ++i) {
    auto deps = ptb_to_dependencies(trees[i].root, options, trees[i].origin);
    if (i == 270) {
      auto& prev = sentences.back();
      const int offset = static_cast<int>(prev.size());
      for (auto& d : deps) {
        if (d.head > 0) d.head += offset;
        prev.push_back(d);
      }
      continue;
    }
    sentences.push_back(std::move(deps));
  }
  ASSERT_EQ(sentences.size(), gold.size());

  const char* report_path = std::getenv("BERTOLOGY_PTB_REPORT");
  std::ofstream report;
  if (report_path) report.open(report_path);
  int64_t total = 0, heads = 0, labeled = 0, word_mismatch = 0;
  std::map<std::string, int64_t> gold_count, label_right, head_right;
  std::map<std::pair<std::string, std::string>, int64_t> confusion;
  for (size_t s = 0; s < gold.size(); ++s) {
    const auto& mine = sentences[s];
    for (const GoldRel& g : gold[s]) {
      ++total;
      ++gold_count[g.rel];
      if (g.dep < 1 || g.dep > static_cast<int>(mine.size())) {
        ++word_mismatch;
        continue;
      }
      const DepToken& m = mine[static_cast<size_t>(g.dep - 1)];
      if (m.word != g.word) ++word_mismatch;
      const bool head_ok = m.head == g.head;
      const bool label_ok = normalize(m.deprel) == g.rel;
      heads += head_ok;
      labeled += head_ok && label_ok;
      head_right[g.rel] += head_ok;
      label_right[g.rel] += head_ok && label_ok;
      if (!label_ok) ++confusion[{g.rel, normalize(m.deprel)}];
      if (report && (!head_ok || !label_ok)) {
        report << "sentence " << s + 1 << " word " << g.dep << " '" << g.word << "': gold " << g.rel << "("
               << g.head << ") mine " << m.deprel << "(" << m.head << ")\n";
      }
    }
  }
  const double uas = 100.0 * heads / total, las = 100.0 * labeled / total;
  std::cout << std::fixed << std::setprecision(2) << "Natural Stories vs gold SD (" << total
            << " non-punctuation words): UAS " << uas << "%  LAS " << las << "%  word mismatches "
            << word_mismatch << "\n  per relation (gold count: head right %, head+label right %):\n";
  for (const auto& [rel, n] : gold_count) {
    std::cout << "    " << std::setw(10) << rel << " " << std::setw(5) << n << ": " << std::setw(6)
              << 100.0 * head_right[rel] / n << " " << std::setw(6) << 100.0 * label_right[rel] / n << "\n";
  }
  std::vector<std::pair<int64_t, std::pair<std::string, std::string>>> top;
  for (const auto& [k, n] : confusion) top.push_back({n, k});
  std::sort(top.rbegin(), top.rend());
  std::cout << "  most frequent label confusions (gold -> converted):\n";
  for (size_t i = 0; i < top.size() && i < 25; ++i) {
    std::cout << "    " << top[i].second.first << " -> " << top[i].second.second << ": " << top[i].first << "\n";
  }
  EXPECT_EQ(word_mismatch, 0);
  EXPECT_GE(uas, 97.0);
  EXPECT_GE(las, 93.0);
}

TEST(PtbShared, NltkWsjSampleMaltHeads) {
  const std::string dir = shared_dir("ptb_wsj_sample_nltk");
  if (dir.empty()) return;
  std::vector<std::string> mrg;
  for (const auto& e : fs::directory_iterator(dir + "/combined"))
    if (e.path().extension() == ".mrg") mrg.push_back(e.path().string());
  std::sort(mrg.begin(), mrg.end());
  ASSERT_EQ(mrg.size(), 199u);

  DepOptions options;
  options.style = DepStyle::Malt;
  int64_t total = 0, right = 0, total_np = 0, right_np = 0, sentences = 0, length_mismatch = 0;
  const char* report_path = std::getenv("BERTOLOGY_PTB_REPORT");
  std::ofstream report;
  if (report_path) report.open(std::string(report_path) + ".malt");
  for (const std::string& path : mrg) {
    const auto trees = parse_ptb(slurp(path), path);
    const std::string dp = dir + "/dependency_treebank/" + fs::path(path).stem().string() + ".dp";
    std::istringstream in(slurp(dp));
    std::vector<std::vector<std::vector<std::string>>> blocks(1);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) {
        if (!blocks.back().empty()) blocks.emplace_back();
        continue;
      }
      std::vector<std::string> cols;
      std::istringstream ls(line);
      for (std::string c; std::getline(ls, c, '\t');) cols.push_back(c);
      blocks.back().push_back(cols);
    }
    if (blocks.back().empty()) blocks.pop_back();
    ASSERT_EQ(blocks.size(), trees.size()) << dp;
    for (size_t i = 0; i < trees.size(); ++i) {
      const auto deps = ptb_to_dependencies(trees[i].root, options, trees[i].origin);
      ++sentences;
      if (deps.size() != blocks[i].size()) {
        ++length_mismatch;
        continue;
      }
      for (size_t w = 0; w < deps.size(); ++w) {
        const int gold_head = std::atoi(blocks[i][w].at(2).c_str());
        const bool ok = deps[w].head == gold_head;
        ++total;
        right += ok;
        if (!is_punctuation_tag(deps[w].tag)) {
          ++total_np;
          right_np += ok;
        }
        if (report && !ok) {
          report << trees[i].origin << " word " << w + 1 << " '" << deps[w].word << "': gold " << gold_head
                 << " mine " << deps[w].head << " (" << deps[w].deprel << ")\n";
        }
      }
    }
  }
  const double agreement = 100.0 * right / total;
  std::cout << std::fixed << std::setprecision(2) << "NLTK WSJ sample vs .dp heads (" << sentences
            << " sentences, " << total << " words): " << agreement << "% (without punctuation "
            << 100.0 * right_np / total_np << "%), sentences of different length: " << length_mismatch << "\n";
  EXPECT_EQ(length_mismatch, 0);
  EXPECT_GE(agreement, 98.0);
}

}  // namespace
}  // namespace bertology
