#include "pipeline/compare/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>

#include "compare_plot_script.h"  // generated from scripts/plot_compare.py
#include "pipeline/analysis/clark2019_paper.h"
#include "pipeline/analysis/clark_tables.h"
#include "pipeline/analysis/figures.h"
#include "pipeline/mcrc/si_tables.h"
#include "pipeline/probe/probing_tables.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/json_number.h"

namespace bertology {
namespace fs = std::filesystem;

namespace {

struct ModelResults {
  std::string name, dir;
  int num_layers = 0;  ///< L from model.json; 0 = unknown (depth from the table's own layers)
};
struct StudyResults {
  std::string name;
  std::vector<ModelResults> models;
};

bool is_model_dir(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && fs::exists(e.path() / "stage.json")) return true;
  return false;
}

std::vector<fs::path> sorted_subdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

ModelResults model_results(const fs::path& dir) {
  ModelResults m{dir.filename().string(), dir.string(), 0};
  const fs::path info = dir / "model.json";
  if (fs::exists(info)) {
    try {
      const auto record = nlohmann::json::parse(read_file_bytes(info.string(), "a model record (model.json)"));
      if (record.contains("num_layers")) m.num_layers = json_number<int>(record.at("num_layers"), info.string(), "num_layers");
    } catch (const nlohmann::json::exception& e) {
      throw InputError(cat(info.string(), ": malformed JSON (", e.what(), ")"));
    }
  }
  return m;
}

/// A study folder (model folders inside) or a campaign folder (study folders inside).
std::vector<StudyResults> discover(const std::vector<std::string>& dirs) {
  std::vector<StudyResults> studies;
  const auto study_of = [](const fs::path& dir) {
    StudyResults s{fs::path(dir).lexically_normal().filename().string(), {}};
    if (s.name.empty()) s.name = fs::path(dir).lexically_normal().parent_path().filename().string();
    for (const auto& sub : sorted_subdirs(dir))
      if (is_model_dir(sub)) s.models.push_back(model_results(sub));
    return s;
  };
  for (const std::string& d : dirs) {
    BTL_REQUIRE(fs::is_directory(d), d, ": no such folder (expected a study's or a campaign's output folder)");
    StudyResults direct = study_of(d);
    if (!direct.models.empty()) {
      studies.push_back(std::move(direct));
      continue;
    }
    size_t before = studies.size();
    for (const auto& sub : sorted_subdirs(d)) {
      StudyResults s = study_of(sub);
      if (!s.models.empty()) studies.push_back(std::move(s));
    }
    BTL_REQUIRE(studies.size() > before, d,
                ": no model results (expected <study>/<model>/<stage>/stage.json or <model>/<stage>/stage.json)");
  }
  return studies;
}

/// The table of one model, when its stage finished.
std::optional<CsvFile> read_if_present(const ModelResults& m, const StageTable& t) {
  const fs::path dir = fs::path(m.dir) / t.stage;
  if (!fs::exists(dir / "stage.json") || !fs::exists(dir / t.file)) return std::nullopt;
  CsvFile f = CsvFile::read((dir / t.file).string());
  for (const auto& c : t.columns) f.csv.column(c, f.origin);  // InputError naming the file
  return f;
}

using CellFn = std::function<std::string(const CsvFile&, size_t)>;
struct Column {
  std::string header;
  CellFn cell;
};
CellFn verbatim(const std::string& column) {
  return [column](const CsvFile& f, size_t r) { return f.at(r, column); };
}

/// A table keyed by some columns: one row per key, `columns` per model, then the paper's value.
struct KeyedTable {
  const StageTable* table;
  std::string title;
  std::vector<std::string> keys;
  std::vector<Column> columns;
  std::string paper_header;                                    ///< empty: no paper column
  std::function<std::string(const CsvFile&, size_t)> paper;    ///< "" where the paper has none
};

/// A per-layer table: one curve per series key and model, on relative depth.
struct CurveTable {
  const StageTable* table;
  std::string title, figure;
  std::vector<std::string> series;
  std::string layer_column, value_column;
};

std::string key_of(const CsvFile& f, size_t r, const std::vector<std::string>& keys) {
  std::string k;
  for (size_t i = 0; i < keys.size(); ++i) k += (i ? " / " : "") + f.at(r, keys[i]);
  return k;
}

std::string pipes(const std::vector<std::string>& cells) {
  std::string s = "|";
  for (const auto& c : cells) s += " " + c + " |";
  return s + "\n";
}

std::string rule(size_t n) {
  std::string s = "|";
  for (size_t i = 0; i < n; ++i) s += "---|";
  return s + "\n";
}

std::vector<KeyedTable> keyed_tables() {
  const auto relation_paper = [](const CsvFile& f, size_t r) -> std::string {
    for (const auto& row : clark2019::kTable1)
      if (f.at(r, "relation") == row.relation)
        return cat(fixed(row.accuracy, 1), " (", row.head, "; baseline ", fixed(row.baseline, 1), ")");
    return "";
  };
  const auto probe_paper = [](const CsvFile& f, size_t r) -> std::string {
    for (const auto& row : clark2019::kTable3)
      if (f.at(r, "probe") == row.probe && f.at(r, "model") == row.model) return fixed(row.uas, 0);
    return "";
  };
  const auto coref_paper = [](const CsvFile& f, size_t r) -> std::string {
    for (const auto& row : clark2019::kTable2)
      if (f.at(r, "system") == row.system) return fixed(row.all, 0);
    return "";
  };
  const auto head = [](const CsvFile& f, size_t r) {  // 1-based in the CSV, as in the paper; ᵀ = head -> dependent
    return cat(f.at(r, "best_layer"), "-", f.at(r, "best_head"), f.at(r, "best_direction") == "head_to_dep" ? "ᵀ" : "");
  };
  return {
      {&kDependencyRelations, "Dependency heads: best head per relation (accuracy %, head layer-head 1-based, ᵀ = head to dependent; best offset baseline %)",
       {"relation"}, {{"best", verbatim("best_accuracy")}, {"head", head}, {"baseline", verbatim("baseline_accuracy")}},
       "Clark et al. Table 1 (BERT-base, PTB SD)", relation_paper},
      {&kAttentionProbeResults, "Attention probes: UAS %", {"probe", "model"}, {{"UAS", verbatim("uas")}},
       "Clark et al. Table 3", probe_paper},
      {&kCorefBaselines, "Coreference: antecedent accuracy % (all mentions)", {"system"}, {{"all", verbatim("all")}},
       "Clark et al. Table 2", coref_paper},
      {&kScalarMixSummary, "Scalar mix: expected layer (Tenney) and accuracy of the mix", {"task"},
       {{"E[layer]", verbatim("expected_layer")}, {"mix acc", verbatim("accuracy_all_layers")}}, "", nullptr},
      {&kConfusionSummary, "Lin et al.: attention confusion score", {"condition"}, {{"mean", verbatim("mean_cs")}},
       "Lin et al.", [](const CsvFile& f, size_t r) { return f.at(r, "paper"); }},
      {&kEdgeTasks, "Edge probing: F1 of layer 0 and of the mix, expected layer", {"task"},
       {{"F1 layer 0", verbatim("f1_layer0")}, {"F1 mix", verbatim("f1_mix")}, {"E[layer]", verbatim("expected_layer")}}, "", nullptr},
      {&kAttackResults, "Si et al.: accuracy under attack (%, change %)", {"dataset", "attack"},
       {{"acc", verbatim("accuracy")}, {"change", verbatim("change_percent")}}, "", nullptr},
      {&kFinetuneRegimes, "Si et al.: fine-tuning accuracy %", {"dataset", "regime"},
       {{"dev", verbatim("dev_accuracy")}, {"test", verbatim("test_accuracy")}}, "", nullptr},
  };
}

std::vector<CurveTable> curve_tables() {
  return {
      {&kTokenProbeSummary, "Token probes: accuracy % per layer", "token_probes", {"task"}, "layer", "mean"},
      {&kStructuralSummary, "Structural probe: UUAS % per layer", "structural_uuas", {"probe"}, "layer", "uuas"},
      {&kStructuralSummary, "Structural probe: root accuracy % per layer", "structural_root", {"probe"}, "layer", "root_accuracy"},
      {&kLinSummary, "Lin et al.: probe accuracy % per layer", "lin_probes", {"task", "split"}, "layer", "mean"},
      {&kEdgeSummary, "Edge probing: F1 per layer", "edge_probing", {"task"}, "layer", "mean"},
  };
}

std::string depth_text(double depth) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", depth);
  return buf;
}

}  // namespace

std::string write_comparison(const CompareOptions& options, std::ostream& log) {
  BTL_REQUIRE(!options.dirs.empty(), "compare: no result folders given");
  BTL_REQUIRE(!options.out.empty() || options.dirs.size() == 1, "compare: --out is required with several folders");
  const std::vector<StudyResults> studies = discover(options.dirs);
  const fs::path out = options.out.empty() ? fs::path(options.dirs[0]) / "compare.md" : fs::path(options.out);
  const fs::path out_dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  fs::create_directories(out_dir);

  std::string md = cat("# ", options.title.empty() ? std::string("Comparison") : options.title, "\n\n");
  md += "Every number is copied from the per-model tables it names (`<study>/<model>/<stage>/<file>`); "
        "per-layer tables are on relative depth (layer / L: 0 = embeddings, 1 = last layer).\n\n";
  CsvTable curves({"study", "figure", "series", "model", "layer", "depth", "value"});
  std::set<std::string> figures;
  for (const StudyResults& study : studies) {
    md += cat("## ", study.name, "\n\nModels:");
    for (const auto& m : study.models)
      md += cat(" `", m.name, "`", m.num_layers > 0 ? cat(" (L = ", m.num_layers, ")") : std::string(" (L unknown)"), ";");
    md.back() = '.';
    md += "\n\n";

    for (const KeyedTable& spec : keyed_tables()) {
      std::vector<std::optional<CsvFile>> files;
      bool any = false;
      for (const auto& m : study.models) any |= (files.emplace_back(read_if_present(m, *spec.table))).has_value();
      if (!any) continue;
      // Rows: every key of any model, first seen first.
      std::vector<std::string> keys;
      std::map<std::string, std::vector<size_t>> row_of;  // key -> row per model (SIZE_MAX = absent)
      std::map<std::string, std::string> paper;
      for (size_t mi = 0; mi < files.size(); ++mi) {
        if (!files[mi]) continue;
        for (size_t r = 0; r < files[mi]->size(); ++r) {
          const std::string k = key_of(*files[mi], r, spec.keys);
          if (!row_of.count(k)) {
            keys.push_back(k);
            row_of[k].assign(files.size(), SIZE_MAX);
          }
          row_of[k][mi] = r;
          if (spec.paper && paper[k].empty()) paper[k] = spec.paper(*files[mi], r);
        }
      }
      std::vector<std::string> header;
      std::string key_header;
      for (size_t i = 0; i < spec.keys.size(); ++i) key_header += (i ? " / " : "") + spec.keys[i];
      header.push_back(key_header);
      for (const auto& m : study.models)
        for (const auto& c : spec.columns) header.push_back(cat(m.name, ": ", c.header));
      if (!spec.paper_header.empty()) header.push_back(spec.paper_header);
      md += cat("### ", spec.title, "\n\nFrom `", spec.table->stage, "/", spec.table->file, "`.\n\n", pipes(header), rule(header.size()));
      for (const auto& k : keys) {
        std::vector<std::string> cells = {k};
        for (size_t mi = 0; mi < files.size(); ++mi)
          for (const auto& c : spec.columns)
            cells.push_back(row_of[k][mi] == SIZE_MAX ? std::string() : c.cell(*files[mi], row_of[k][mi]));
        if (!spec.paper_header.empty()) cells.push_back(paper[k]);
        md += pipes(cells);
      }
      md += "\n";
    }

    for (const CurveTable& spec : curve_tables()) {
      // series -> model -> (depth text -> value text)
      std::vector<std::string> series_order;
      std::map<std::string, std::vector<std::map<std::string, std::string>>> values;
      std::set<double> depths;
      bool any = false;
      for (size_t mi = 0; mi < study.models.size(); ++mi) {
        const ModelResults& m = study.models[mi];
        const auto f = read_if_present(m, *spec.table);
        if (!f) continue;
        int L = m.num_layers;
        if (L <= 0)
          for (size_t r = 0; r < f->size(); ++r) L = std::max(L, std::atoi(f->at(r, spec.layer_column).c_str()));
        for (size_t r = 0; r < f->size(); ++r) {
          const std::string& v = f->at(r, spec.value_column);
          if (v.empty() || v == "nan") continue;
          const std::string layer = f->at(r, spec.layer_column);
          const int l = std::atoi(layer.c_str());
          if (layer.empty() || layer.find_first_not_of("0123456789") != std::string::npos) continue;  // "mix", "all"
          const double depth = L > 0 ? static_cast<double>(l) / L : 0.0;
          const std::string s = key_of(*f, r, spec.series);
          if (!values.count(s)) {
            series_order.push_back(s);
            values[s].resize(study.models.size());
          }
          values[s][mi][depth_text(depth)] = v;
          depths.insert(std::round(depth * 100) / 100);
          curves.add({study.name, spec.figure, s, m.name, layer, depth_text(depth), v});
          any = true;
        }
      }
      if (!any) continue;
      figures.insert(cat(study.name, "_", spec.figure));
      md += cat("### ", spec.title, "\n\nFrom `", spec.table->stage, "/", spec.table->file, "` (", spec.value_column,
                "), by relative depth. Figure: `figures/compare_", study.name, "_", spec.figure, ".png`.\n\n");
      for (const auto& s : series_order) {
        std::vector<std::string> header = {cat(s, ": depth")};
        for (const auto& m : study.models) header.push_back(m.name);
        md += pipes(header) + rule(header.size());
        for (double d : depths) {
          const std::string dt = depth_text(d);
          std::vector<std::string> cells = {dt};
          bool row_has = false;
          for (size_t mi = 0; mi < study.models.size(); ++mi) {
            const auto it = values[s][mi].find(dt);
            cells.push_back(it == values[s][mi].end() ? std::string() : it->second);
            row_has |= it != values[s][mi].end();
          }
          if (row_has) md += pipes(cells);
        }
        md += "\n";
      }
    }
  }
  const fs::path curves_file = out_dir / "compare_curves.csv";
  write_file_atomic(curves_file.string(), curves.str());
  if (options.figures && !figures.empty()) {
    const int status = run_figure_script(kComparePlotScript, out_dir.string(), (out_dir / "compare_figures.log").string());
    if (status != 0)
      log << "compare: figures not drawn (" << (status < 0 ? std::string("no Python with matplotlib") : cat("exit ", status))
          << "; see " << (out_dir / "compare_figures.log").string() << "); the tables are complete\n";
  }
  write_file_atomic(out.string(), md);
  return out.string();
}

}  // namespace bertology
