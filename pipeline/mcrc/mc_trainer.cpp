#include "pipeline/mcrc/mc_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>

#include "pipeline/model/autocast.h"
#include "pipeline/dist/gradient_allreduce.h"
#include "pipeline/mcrc/attacks.h"
#include "pipeline/mcrc/mc_optimizer.h"
#include "pipeline/model/safetensors.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/heap_policy.h"
#include "pipeline/util/peak_memory.h"
#include "pipeline/util/stop_signal.h"
#include "pipeline/util/percent.h"
#include "pipeline/util/json_number.h"

namespace bertology {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kDropoutStream = 0x64726f706f7574ULL;  // "dropout": keeps dropout apart from data order

}  // namespace

std::vector<int64_t> mc_epoch_order(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::mt19937_64 engine(example_seed(seed, static_cast<uint64_t>(epoch)));
  fisher_yates(order, engine);
  return order;
}

namespace {

/// What state.json holds besides the tensors.
struct RunState {
  std::string run_key;
  int64_t steps = 0;
  std::vector<McEpochRecord> epochs;
  int best_epoch = 0;
  double best_dev = -1.0;
  double epoch_loss_sum = 0.0;     ///< cross-entropy summed over the current epoch's questions so far
  int64_t epoch_questions = 0;
};

nlohmann::json to_json(const RunState& s) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : s.epochs)
    epochs.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"dev_accuracy", e.dev_accuracy}, {"seconds", e.seconds}, {"tokens", e.tokens}});
  return {{"run_key", s.run_key}, {"steps", s.steps}, {"epochs", epochs}, {"best_epoch", s.best_epoch},
          {"best_dev_accuracy", s.best_dev}, {"epoch_loss_sum", s.epoch_loss_sum}, {"epoch_questions", s.epoch_questions}};
}

RunState state_from_json(const std::string& path) {
  try {
    const auto j = nlohmann::json::parse(read_file_bytes(path, "training state"));
    RunState s;
    s.run_key = j.at("run_key").get<std::string>();
    s.steps = json_number<int64_t>(j.at("steps"), path, "steps");
    for (const auto& e : j.at("epochs"))
      s.epochs.push_back({json_number<int>(e.at("epoch"), path, "epochs[].epoch"), e.at("train_loss").get<double>(),
                          e.at("dev_accuracy").get<double>(), e.at("seconds").get<double>(),
                          json_number<int64_t>(e.at("tokens"), path, "epochs[].tokens")});
    s.best_epoch = json_number<int>(j.at("best_epoch"), path, "best_epoch");
    s.best_dev = j.at("best_dev_accuracy").get<double>();
    s.epoch_loss_sum = j.at("epoch_loss_sum").get<double>();
    s.epoch_questions = json_number<int64_t>(j.at("epoch_questions"), path, "epoch_questions");
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(cat(path, ": not a training state written by bertology (", e.what(), "); remove its folder to start over"));
  }
}

/// The folder to resume from: the state folder, or the previous one when a save was cut between
/// its two renames; "" when there is none.
std::string resumable_state(const std::string& state_dir) {
  for (const std::string& dir : {state_dir, state_dir + ".old"})
    if (fs::exists(fs::path(dir) / "state.json")) return dir;
  return "";
}

void save_state(MultipleChoiceModel& model, const AdamW& optimizer, const RunState& state, const std::string& state_dir) {
  const std::string tmp = state_dir + ".tmp", old = state_dir + ".old";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  BTL_REQUIRE(!ec, tmp, ": cannot create (", ec.message(), ")");
  write_safetensors((fs::path(tmp) / "weights.safetensors").string(), mc_state_dict(model));
  write_safetensors((fs::path(tmp) / "optimizer.safetensors").string(), optimizer.state());
  write_file_atomic((fs::path(tmp) / "state.json").string(), to_json(state).dump(1) + "\n");
  // Replace the folder: state -> state.old, tmp -> state, drop state.old. A crash in between
  // leaves state.old complete (resumable_state looks there).
  fs::remove_all(old, ec);
  if (fs::exists(state_dir)) fs::rename(state_dir, old);
  fs::rename(tmp, state_dir);
  fs::remove_all(old, ec);
}

torch::Device model_device(MultipleChoiceModel& model) { return model->classifier->weight.device(); }

/// Test-only fault injection: BERTOLOGY_FAULT_KILL_AT_STEP=N makes rank 0 SIGKILL itself right
/// after step N (after any checkpoint of that step), the way a node failure would end it.
void maybe_fault_kill(int64_t step, const MpiContext& mpi) {
  static const char* env = std::getenv("BERTOLOGY_FAULT_KILL_AT_STEP");
  if (env && mpi.rank() == 0 && std::atoll(env) == step) std::raise(SIGKILL);
}

}  // namespace

void load_mc_weights(MultipleChoiceModel& model, const std::string& path) {
  const StateDict raw = read_safetensors(path);
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : model->hf_named_parameters()) {
    auto it = raw.find(name);
    BTL_REQUIRE(it != raw.end(), path, ": no tensor '", name, "'");
    auto src = raw_to_tensor(it->second);
    BTL_REQUIRE(src.sizes() == p.sizes(), path, ": tensor '", name, "' has shape ", src.sizes(), ", the model ", p.sizes());
    p.copy_(src);
  }
}

namespace {

/// Questions `which` of `questions` padded into one batch on `device`.
McBatch question_batch(const McQuestions& questions, const std::vector<int64_t>& which, int32_t pad_id,
                       const torch::Device& device) {
  const auto features = questions.features(which);
  std::vector<int64_t> all(features.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  return make_mc_batch(features, all, pad_id, device);
}

}  // namespace

std::vector<std::vector<float>> score_mc(MultipleChoiceModel& model, const McQuestions& questions, int32_t pad_id,
                                         int64_t batch, const MpiContext& mpi) {
  const int64_t n = questions.size();
  if (n == 0) return {};
  const int64_t options = static_cast<int64_t>(questions.features({0})[0].input_ids.size());
  BTL_REQUIRE(batch >= 1, "mcrc: eval batch must be >= 1");
  model->eval();
  torch::NoGradGuard no_grad;
  const auto device = model_device(model);
  const int64_t lo = n * mpi.rank() / mpi.size(), hi = n * (mpi.rank() + 1) / mpi.size();
  std::vector<float> flat(static_cast<size_t>(n * options), 0.0f);
  for (int64_t b = lo; b < hi; b += batch) {
    if (stop_requested()) throw StopRequested{};  // evaluation keeps nothing to resume: just stop
    std::vector<int64_t> which;
    for (int64_t q = b; q < std::min(hi, b + batch); ++q) which.push_back(q);
    const auto logits = model->forward(question_batch(questions, which, pad_id, device)).to(torch::kCPU, torch::kFloat).contiguous();
    std::copy(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel(), flat.begin() + b * options);
  }
  mpi.allreduce_sum(flat);  // each question is filled by exactly one rank
  std::vector<std::vector<float>> out(static_cast<size_t>(n));
  for (int64_t q = 0; q < n; ++q) out[static_cast<size_t>(q)].assign(flat.begin() + q * options, flat.begin() + (q + 1) * options);
  return out;
}

std::vector<std::vector<float>> score_mc(MultipleChoiceModel& model, const std::vector<McFeatures>& features,
                                         int32_t pad_id, int64_t batch, const MpiContext& mpi) {
  return score_mc(model, HeldMcQuestions(features), pad_id, batch, mpi);
}

std::vector<int> mc_predictions(const std::vector<std::vector<float>>& scores) {
  std::vector<int> out;
  out.reserve(scores.size());
  for (const auto& row : scores) out.push_back(static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin()));
  return out;
}

McTrainResult train_mc_model(MultipleChoiceModel& model, const std::vector<McFeatures>& train,
                             const std::vector<McFeatures>& dev, int32_t pad_id, const McTrainOptions& options,
                             const McTrainPaths& paths, const MpiContext& mpi, std::ostream* log) {
  return train_mc_model(model, HeldMcQuestions(train), HeldMcQuestions(dev), pad_id, options, paths, mpi, log);
}

McTrainResult train_mc_model(MultipleChoiceModel& model, const McQuestions& train, const McQuestions& dev,
                             int32_t pad_id, const McTrainOptions& o, const McTrainPaths& paths,
                             const MpiContext& mpi, std::ostream* log) {
  const int64_t n = train.size();
  BTL_REQUIRE(n > 0, "mcrc: the training set is empty");
  BTL_REQUIRE(o.epochs >= 1 && o.batch_size >= 1 && o.micro_batch >= 1, "mcrc: epochs, batch_size and micro_batch must be >= 1");
  const int64_t steps_per_epoch = (n + o.batch_size - 1) / o.batch_size;
  McTrainResult result;
  result.total_steps = steps_per_epoch * o.epochs;
  const int64_t warmup = warmup_steps_for(o.warmup, result.total_steps);

  auto named = model->hf_named_parameters();
  std::vector<torch::Tensor> params;
  for (auto& [name, p] : named) params.push_back(p);
  AdamWOptions adam;
  adam.eps = o.adam_eps;
  adam.weight_decay = o.weight_decay;
  AdamW optimizer(named, adam);
  GradientAllreduce reduce(mpi, model_device(model));
  result.allreduce_backend = reduce.backend();
  const auto device = model_device(model);
  const bool rank0 = mpi.rank() == 0;
  const torch::ScalarType compute_type = compute_type_of(o.compute_dtype);
  BTL_REQUIRE(compute_type != torch::ScalarType::Undefined, "model.dtype '", o.compute_dtype,
              "' is not float32, float16 or bfloat16");
  // float16 gradients underflow without loss scaling, which this trainer does not do; bf16 has
  // float32's exponent range and needs none.
  BTL_REQUIRE(compute_type != torch::kHalf, "model.dtype float16 is not supported for fine-tuning (no loss "
              "scaling: gradients would underflow); use bfloat16 or float32");
  BTL_REQUIRE(compute_type == torch::kFloat || model->classifier->weight.scalar_type() == torch::kFloat,
              "mixed-precision training needs the model loaded in float32 (master weights); it is ",
              model->classifier->weight.scalar_type());

  // Resume.
  RunState state;
  state.run_key = paths.run_key;
  const std::string resume_dir = resumable_state(paths.state_dir);
  if (!resume_dir.empty()) {
    const std::string json_path = (fs::path(resume_dir) / "state.json").string();
    RunState saved = state_from_json(json_path);
    BTL_REQUIRE(saved.run_key == paths.run_key, json_path, ": training state of another run (other data, model or "
                "options); remove ", paths.state_dir, " to start over");
    BTL_REQUIRE(saved.steps <= result.total_steps, json_path, ": ", saved.steps, " steps done but this run has only ",
                result.total_steps);
    if (saved.steps < result.total_steps) {  // a finished run keeps only state.json and best/
      load_mc_weights(model, (fs::path(resume_dir) / "weights.safetensors").string());
      optimizer.load_state(read_safetensors((fs::path(resume_dir) / "optimizer.safetensors").string()), saved.steps,
                           resume_dir);
    }
    state = saved;
    result.resumed_from_step = saved.steps;
    if (log && rank0)
      *log << "mcrc train: " << (saved.steps == result.total_steps ? "finished run found in " : "resuming ") << paths.state_dir
           << " at step " << saved.steps << " of " << result.total_steps << "\n";
  }

  const auto session_start = std::chrono::steady_clock::now();
  auto epoch_start = session_start;
  int64_t epoch_tokens = 0;
  std::vector<int64_t> order;
  int64_t order_epoch = -1;
  while (state.steps < result.total_steps) {
    const int64_t step = state.steps, epoch = step / steps_per_epoch;
    if (epoch != order_epoch) {
      order = mc_epoch_order(n, o.seed, epoch);
      order_epoch = epoch;
    }
    const int64_t begin = (step % steps_per_epoch) * o.batch_size, end = std::min(n, begin + o.batch_size);
    const int64_t global = end - begin;
    const int64_t lo = begin + global * mpi.rank() / mpi.size(), hi = begin + global * (mpi.rank() + 1) / mpi.size();

    model->train();
    optimizer.zero_grad();
    std::vector<double> sums = {0.0, 0.0};  // cross-entropy sum, real tokens
    int64_t micro = 0;
    for (int64_t m = lo; m < hi; m += o.micro_batch, ++micro) {
      // Dropout from (seed, step, rank, micro-batch): independent of where a run resumed.
      torch::manual_seed(example_seed(example_seed(o.seed ^ kDropoutStream, static_cast<uint64_t>(step)),
                                      static_cast<uint64_t>(mpi.rank()) * 1000003u + static_cast<uint64_t>(micro)));
      std::vector<int64_t> which(order.begin() + m, order.begin() + std::min(hi, m + o.micro_batch));
      const McBatch batch = question_batch(train, which, pad_id, device);
      torch::Tensor logits;
      {
        const AutocastScope half(device, compute_type);  // no-op for float32
        logits = model->forward(batch);
      }
      // sum of -log softmax(scores)[answer] over the micro-batch, over the global batch size
      const auto loss_sum = torch::nn::functional::cross_entropy(
          logits.to(torch::kFloat), batch.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
      (loss_sum / static_cast<double>(global)).backward();
      sums[0] += loss_sum.item<double>();
      sums[1] += static_cast<double>(batch.real_tokens);
    }
    reduce.sum(params);
    mpi.allreduce_sum(sums);
    clip_gradients(params, o.max_grad_norm);
    optimizer.step(linear_warmup_lr(o.lr, step, warmup, result.total_steps));
    if (o.resident_limit_bytes > 0 && current_rss_bytes() > o.resident_limit_bytes) release_freed_heap();
    state.steps = step + 1;
    state.epoch_loss_sum += sums[0];
    state.epoch_questions += global;
    result.tokens_this_session += static_cast<int64_t>(sums[1]);
    epoch_tokens += static_cast<int64_t>(sums[1]);

    if (log && rank0 && state.steps % 10 == 0)
      *log << "mcrc train: step " << state.steps << "/" << result.total_steps << ", epoch loss so far "
           << state.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, state.epoch_questions)) << "\n" << std::flush;
    const bool epoch_end = state.steps % steps_per_epoch == 0;
    if (epoch_end) {
      McEpochRecord record;
      record.epoch = static_cast<int>(epoch + 1);
      record.train_loss = state.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, state.epoch_questions));
      record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
      record.tokens = epoch_tokens;
      if (dev.size() > 0) {
        const AutocastScope half(device, compute_type);
        const auto predictions = mc_predictions(score_mc(model, dev, pad_id, o.eval_batch, mpi));
        int64_t correct = 0;
        for (int64_t q = 0; q < dev.size(); ++q) correct += predictions[static_cast<size_t>(q)] == dev.answer(q);
        record.dev_accuracy = percent(static_cast<double>(correct), static_cast<double>(dev.size()));
      }
      const bool better = dev.size() == 0 || record.dev_accuracy > state.best_dev;
      if (better) {
        state.best_dev = record.dev_accuracy;
        state.best_epoch = record.epoch;
        if (rank0) save_mc_model(model, paths.source_dir, paths.best_dir);
      }
      state.epochs.push_back(record);
      state.epoch_loss_sum = 0.0;
      state.epoch_questions = 0;
      if (log && rank0)
        *log << "mcrc train: epoch " << record.epoch << "/" << o.epochs << ": loss " << record.train_loss
             << (dev.size() == 0 ? std::string() : cat(", dev accuracy ", record.dev_accuracy, " %")) << (better ? " (best)" : "")
             << ", " << record.seconds << " s\n" << std::flush;
    }
    int64_t stop = stop_requested() || (o.stop_after_steps >= 0 && state.steps >= o.stop_after_steps) ? 1 : 0;
    stop = mpi.allreduce_max(stop);
    const bool periodic = o.checkpoint_every > 0 && state.steps % o.checkpoint_every == 0;
    if (epoch_end || periodic || stop) {
      if (rank0) save_state(model, optimizer, state, paths.state_dir);
      mpi.barrier();
    }
    if (epoch_end) {  // the next epoch's clock starts after evaluation and checkpoints
      epoch_start = std::chrono::steady_clock::now();
      epoch_tokens = 0;
    }
    maybe_fault_kill(state.steps, mpi);
    if (stop && state.steps < result.total_steps) {
      if (log && rank0) *log << "mcrc train: stopped after step " << state.steps << "; the next run resumes there\n" << std::flush;
      throw StopRequested{};
    }
  }
  // Finished: the weights and moments in state/ are no longer needed (best/ holds the model), and
  // are three model sizes of disk per run; state.json stays as the record that the run is done.
  if (rank0 && result.resumed_from_step < result.total_steps) {
    std::error_code ec;
    fs::remove(fs::path(paths.state_dir) / "weights.safetensors", ec);
    fs::remove(fs::path(paths.state_dir) / "optimizer.safetensors", ec);
  }
  result.seconds_this_session = std::chrono::duration<double>(std::chrono::steady_clock::now() - session_start).count();
  result.epochs = state.epochs;
  result.best_epoch = state.best_epoch;
  result.best_dev_accuracy = state.best_dev;
  result.steps = state.steps;
  mpi.barrier();
  load_mc_weights(model, (fs::path(paths.best_dir) / "model.safetensors").string());
  model->eval();
  return result;
}

}  // namespace bertology
