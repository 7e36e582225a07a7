// `bertology compare` (issue #17): models of different depths side by side. The per-model tables
// here are written by hand; every cell of compare.md must be the cell of the per-model CSV it
// names, on the relative depth layer / L; the paper column holds Clark et al.'s Table 1 numbers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/compare/compare.h"
#include "pipeline/util/error.h"
#include "tests/support/scratch.h"

namespace fs = std::filesystem;
using namespace bertology;

namespace {

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

/// A model folder with model.json (L layers) and finished stages `tables` (stage -> (file, csv)).
void model_folder(const fs::path& dir, int L, const std::vector<std::tuple<std::string, std::string, std::string>>& tables) {
  write(dir / "model.json", "{\"model\": \"/m\", \"num_layers\": " + std::to_string(L) + "}\n");
  for (const auto& [stage, file, csv] : tables) {
    write(dir / stage / "stage.json", "{}\n");
    write(dir / stage / file, csv);
  }
}

/// The cells of the markdown table row that starts with `| first |` after `section` in `md`.
std::vector<std::string> row(const std::string& md, const std::string& section, const std::string& first) {
  const size_t s = md.find(section);
  EXPECT_NE(s, std::string::npos) << section;
  if (s == std::string::npos) return {};
  const size_t r = md.find("\n| " + first + " |", s);
  EXPECT_NE(r, std::string::npos) << section << " / " << first << "\n" << md;
  if (r == std::string::npos) return {};
  const std::string line = md.substr(r + 1, md.find('\n', r + 1) - r - 1);
  std::vector<std::string> cells;
  std::stringstream in(line.substr(1));
  for (std::string cell; std::getline(in, cell, '|');) {
    const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
    cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
  }
  return cells;
}

const char* kRelations =
    "relation,count,sd_relation,best_layer,best_head,best_direction,best_accuracy,baseline_offset,baseline_accuracy\n"
    "all,100,all,2,1,dep_to_head,39.7503,1,29.2321\n"
    "det,20,det,1,4,head_to_dep,90.0000,1,50.0000\n";

}  // namespace

TEST(Compare, ModelsOfDifferentDepthsLineUpOnRelativeDepth) {
  const fs::path d = bertology::test::scratch("compare");
  // Two models: "small" (L = 2) with dependency heads and token probes; "deep" (L = 4) with token probes only.
  model_folder(d / "study" / "small", 2,
               {{"dependency_heads", "relations.csv", kRelations},
                {"token_probes", "summary.csv", "task,layer,mean,sd,runs\nupos,0,80.0000,0.1,1\nupos,1,85.5000,0.1,1\nupos,2,90.2500,0.1,1\n"}});
  model_folder(d / "study" / "deep", 4,
               {{"token_probes", "summary.csv",
                 "task,layer,mean,sd,runs\nupos,0,81.0000,0,1\nupos,1,86.0000,0,1\nupos,2,91.0000,0,1\nupos,3,92.0000,0,1\nupos,4,93.0000,0,1\n"}});
  CompareOptions options;
  options.dirs = {(d / "study").string()};
  options.figures = false;
  std::ostringstream log;
  const std::string out = write_comparison(options, log);
  EXPECT_EQ(out, (d / "study" / "compare.md").string());
  std::ifstream in(out);
  const std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(md.find("`deep` (L = 4); `small` (L = 2)."), std::string::npos) << md;

  // Keyed table: columns deep (best, head, baseline), small (best, head, baseline), paper.
  const auto all = row(md, "### Dependency heads", "all");
  ASSERT_EQ(all.size(), 8u) << md;
  EXPECT_EQ(all[1], "");  // deep has no dependency_heads
  EXPECT_EQ(all[4], "39.7503");
  EXPECT_EQ(all[5], "2-1");  // 1-based in the CSV and in the paper
  EXPECT_EQ(all[6], "29.2321");
  EXPECT_EQ(all[7], "34.5 (7-6; baseline 26.3)");  // Clark et al. Table 1, row "all"
  const auto det = row(md, "### Dependency heads", "det");
  ASSERT_EQ(det.size(), 8u);
  EXPECT_EQ(det[4], "90.0000");
  EXPECT_EQ(det[5], "1-4ᵀ");
  EXPECT_EQ(det[7], "94.3 (8-11; baseline 51.7)");

  // Curves on relative depth: small's layer 1 and deep's layer 2 share depth 0.50; 0.25 is deep's only.
  const auto half = row(md, "### Token probes", "0.50");
  ASSERT_EQ(half.size(), 3u) << md;
  EXPECT_EQ(half[1], "91.0000");
  EXPECT_EQ(half[2], "85.5000");
  const auto quarter = row(md, "### Token probes", "0.25");
  ASSERT_EQ(quarter.size(), 3u);
  EXPECT_EQ(quarter[1], "86.0000");
  EXPECT_EQ(quarter[2], "");
  const auto top = row(md, "### Token probes", "1.00");
  EXPECT_EQ(top, (std::vector<std::string>{"1.00", "93.0000", "90.2500"}));
  // The figure data: one row per model and layer.
  std::ifstream curves(d / "study" / "compare_curves.csv");
  const std::string c((std::istreambuf_iterator<char>(curves)), std::istreambuf_iterator<char>());
  EXPECT_NE(c.find("study,token_probes,upos,deep,2,0.50,91.0000"), std::string::npos) << c;
  EXPECT_NE(c.find("study,token_probes,upos,small,1,0.50,85.5000"), std::string::npos) << c;
}

TEST(Compare, CampaignFolderAndErrors) {
  const fs::path d = bertology::test::scratch("compare_campaign");
  model_folder(d / "campaign" / "clark" / "m", 6, {{"dependency_heads", "relations.csv", kRelations}});
  model_folder(d / "campaign" / "probing" / "m", 6,
               {{"token_probes", "summary.csv", "task,layer,mean,sd,runs\nupos,3,90.0000,0,1\n"}});
  CompareOptions options;
  options.dirs = {(d / "campaign").string()};
  options.figures = false;
  std::ostringstream log;
  std::ifstream in(write_comparison(options, log));
  const std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(md.find("## clark"), std::string::npos) << md;
  EXPECT_NE(md.find("## probing"), std::string::npos) << md;
  EXPECT_EQ(row(md, "## probing", "0.50"), (std::vector<std::string>{"0.50", "90.0000"}));

  fs::create_directories(d / "empty");
  options.dirs = {(d / "empty").string()};
  try {
    write_comparison(options, log);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find((d / "empty").string() + ": no model results"), std::string::npos) << e.what();
  }
  // A malformed table names its file.
  write(d / "campaign" / "probing" / "m" / "token_probes" / "summary.csv", "task,layer\nupos,3\n");
  options.dirs = {(d / "campaign").string()};
  try {
    write_comparison(options, log);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("token_probes/summary.csv"), std::string::npos) << e.what();
  }
}
