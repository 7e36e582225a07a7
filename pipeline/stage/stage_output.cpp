#include "pipeline/stage/stage_output.h"

#include <filesystem>
#include <ostream>

#include "pipeline/stage/stage_context.h"
#include "pipeline/util/files.h"
#include "pipeline/util/error.h"

namespace fs = std::filesystem;

namespace bertology {

std::string model_output_dir(const Params& params) {
  std::string model = fs::path(params.model.path).lexically_normal().filename().string();
  if (model.empty()) model = fs::path(params.model.path).lexically_normal().parent_path().filename().string();
  if (model.empty()) model = "model";
  return (fs::path(params.study.output_dir) / model).string();
}

StageOutput::StageOutput(const StageContext& ctx, nlohmann::json inputs)
    : ctx_(ctx), dir_(ctx.output_dir()), inputs_(std::move(inputs)), start_(std::chrono::steady_clock::now()) {
  // Rank 0 decides, so that every rank skips or runs the stage together.
  std::string verdict = "run";
  if (ctx.mpi.rank() == 0) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw InputError(cat(dir_, ": cannot create the stage's output folder (", ec.message(), ")"));
    if (fs::exists(path("stage.json"))) {
      try {
        const auto previous = nlohmann::json::parse(read_file_bytes(path("stage.json"), "a stage record"));
        bool files_present = true;  // a table the user deleted means the stage runs again
        for (const auto& f : previous.value("files", nlohmann::json::array()))
          files_present = files_present && fs::exists(path(f.get<std::string>()));
        if (previous.value("inputs", nlohmann::json()) == inputs_ && files_present) verdict = "skip";
      } catch (const std::exception&) {
        // A damaged record only means the stage runs again.
      }
    }
    // A rerun with other inputs must not leave the old record beside half-rewritten files.
    if (verdict == "run") fs::remove(path("stage.json"), ec);
  }
  up_to_date_ = ctx.mpi.broadcast(verdict) == "skip";
  if (up_to_date_ && ctx.mpi.rank() == 0)
    ctx.out << ctx.name() << ": up to date (" << path("stage.json") << "), skipped\n" << std::flush;
}

void StageOutput::write(const std::string& name, const std::string& content) const {
  if (ctx_.mpi.rank() != 0) return;
  write_file_atomic(path(name), content);
  written_.push_back(name);
}

void StageOutput::write_table(const StageTable& spec, const CsvTable& table) const {
  BTL_CHECK(spec.stage == ctx_.name(), "stage ", ctx_.name(), " writes ", spec.stage, "'s table ", spec.file);
  BTL_CHECK(table.columns() == spec.columns, ctx_.name(), "/", spec.file, ": columns differ from the declaration");
  write(spec.file, table.str());
}

double StageOutput::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void StageOutput::finish(nlohmann::json extra) const {
  if (ctx_.mpi.rank() != 0) return;
  nlohmann::json record = {{"inputs", inputs_}, {"seconds", seconds()}, {"ranks", ctx_.mpi.size()}, {"files", written_}};
  for (auto& [k, v] : extra.items()) record[k] = v;
  write_file_atomic(path("stage.json"), record.dump(2) + "\n");
  ctx_.out << ctx_.name() << ": done in " << static_cast<int64_t>(seconds() * 10) / 10.0 << " s -> " << dir_ << "\n"
           << std::flush;
}

}  // namespace bertology
