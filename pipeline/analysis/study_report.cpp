#include "pipeline/analysis/study_report.h"

#include <filesystem>

#include "pipeline/util/files.h"

namespace fs = std::filesystem;

namespace bertology {

namespace {
std::string record_of(const std::string& model_dir, const std::string& stage) {
  return model_dir + "/" + stage + "/stage.json";
}
}  // namespace

std::string figure_links(const std::string& model_dir, const std::vector<std::string>& pngs) {
  std::string md;
  for (const auto& png : pngs)
    if (fs::exists(model_dir + "/figures/" + png)) md += "![" + png + "](figures/" + png + ")\n\n";
  return md;
}

void write_report_files(const std::string& model_dir, const std::string& markdown, nlohmann::json run,
                        const std::vector<std::string>& stages) {
  run["bertology_version"] = BERTOLOGY_VERSION;
  run["stages"] = nlohmann::json::object();
  for (const auto& stage : stages) {
    const std::string record = record_of(model_dir, stage);
    if (fs::exists(record)) run["stages"][stage] = nlohmann::json::parse(read_file_bytes(record, "a stage record"));
  }
  write_file_atomic(model_dir + "/report.md", markdown);
  write_file_atomic(model_dir + "/run.json", run.dump(2) + "\n");
}

}  // namespace bertology
