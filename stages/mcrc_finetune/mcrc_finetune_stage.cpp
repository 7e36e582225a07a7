// Stage `mcrc_finetune`: Si et al. (2019) multiple-choice fine-tuning, on the original training
// set and on each un-answerable version of it (§4, Table 3: P/Q/PQ-Shuffle, P/Q/PQ-Remove), each
// model evaluated on the unmodified dev and test sets. docs/si2019.md.
//
// Every run is data-parallel over the job's ranks and resumable: its checkpoints live under
// <cache.dir>/mcrc/<run key>/ (mc_study.h), so a rerun, a requeued job or another study with the
// same model, data and recipe picks up the finished or half-finished run instead of training again.
// Outputs: regimes.csv (one row per regime), epochs.csv (loss and dev accuracy per epoch),
// test_predictions.csv (per regime and question) and runs.json (each regime's checkpoint folder,
// read by mcrc_attacks).
#include <torch/torch.h>

#include <filesystem>
#include <ostream>

#include "pipeline/model/autocast.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/mcrc/baselines.h"
#include "pipeline/mcrc/mc_memory.h"
#include "pipeline/mcrc/mc_questions.h"
#include "pipeline/mcrc/mc_study.h"
#include "pipeline/mcrc/mc_trainer.h"
#include "pipeline/mcrc/unanswerable.h"
#include "pipeline/model/checkpoint_files.h"
#include "pipeline/mcrc/mcrc_section.h"
#include "pipeline/mcrc/si_tables.h"
#include "pipeline/stage/memory_budget.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/util/error.h"
#include "pipeline/util/sha256.h"
#include "pipeline/util/percent.h"

namespace bertology {
namespace fs = std::filesystem;
namespace {

McTrainOptions train_options(const Params& p) {
  const McrcParams& mcrc = mcrc_section().of(p);
  McTrainOptions o = mcrc.training;
  o.seed = static_cast<uint64_t>(p.runtime.seed);
  o.compute_dtype = p.model.dtype;  // bfloat16/float16: mixed precision over float32 master weights
  return o;
}

double accuracy(const std::vector<int>& predictions, const McQuestions& questions) {
  int64_t correct = 0;
  for (int64_t q = 0; q < questions.size(); ++q) correct += predictions[static_cast<size_t>(q)] == questions.answer(q);
  return percent(static_cast<double>(correct), static_cast<double>(questions.size()));
}


void run_mcrc_finetune(StageContext& ctx) {
  const Params& p = ctx.params;
  const McrcParams& mcrc = mcrc_section().of(p);
  const McStudyData data = load_mc_study_data(mcrc);
  std::vector<std::string> regimes = {"original"};
  for (const auto& name : mcrc.unanswerable) regimes.push_back(unanswerable_name(parse_unanswerable(name)));

  const std::string model_sha = sha256_file(checkpoint_weights_file(p.model.path));
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& r : regimes) keys[r] = mc_run_key(p, r, model_sha, data);
  StageOutput out = ctx.begin_output({{"runs", keys}, {"test", mc_dataset_digest(data.test)}});
  if (out.up_to_date()) return;

  // Memory: the datasets' text (an un-answerable regime adds its own copy of the training set),
  // the model in training and a micro-batch (mc_memory.h); what is left holds encoded features,
  // dev and test first (scored every epoch), else they are encoded again per batch.
  McTrainOptions options = train_options(p);
  const int max_length = static_cast<int>(mcrc.max_length);
  const int64_t choices = static_cast<int64_t>(data.train.examples.at(0).options.size());
  MemoryBudget budget(p, ctx.name());
  const int64_t train_text = mc_text_bytes(data.train.examples);
  budget.reserve(train_text * (regimes.size() > 1 ? 2 : 1) + mc_text_bytes(data.dev.examples) +
                     mc_text_bytes(data.test.examples),
                 "the datasets' text");
  const int64_t batch_bytes =
      reserve_mc_model(budget, BertConfig::from_json_file((fs::path(p.model.path) / "config.json").string()),
                       p.model.device.rfind("cuda", 0) == 0, {options.micro_batch, options.eval_batch}, choices, max_length);
  int64_t hold = budget.left();
  // Between steps the process must leave room for the next step's activations.
  options.resident_limit_bytes = budget.total() - batch_bytes;

  set_torch_threads(p.model.threads);
  const auto tokenizer = BertTokenizer::from_model_dir(p.model.path);
  const EncodedMcQuestions dev(tokenizer, data.dev.examples, max_length, hold);
  hold -= dev.held_bytes();
  const EncodedMcQuestions test(tokenizer, data.test.examples, max_length, hold);
  hold -= test.held_bytes();
  const bool rank0 = ctx.mpi.rank() == 0;

  CsvTable regimes_csv(kFinetuneRegimes.columns);
  CsvTable epochs_csv(kFinetuneEpochs.columns);
  CsvTable predictions_csv({"regime", "id", "answer", "prediction", "correct", "scores"});
  nlohmann::json runs = nlohmann::json::object();
  for (const auto& regime : regimes) {
    std::vector<McExample> unanswerable;  // the training set of an un-answerable regime
    if (regime != "original")
      unanswerable = make_unanswerable_set(data.train.examples, parse_unanswerable(regime),
                                           static_cast<uint64_t>(p.runtime.seed));
    const EncodedMcQuestions train(tokenizer, regime == "original" ? data.train.examples : unanswerable, max_length, hold);
    const int64_t truncated = train.counts().truncated_inputs;

    // The classifier (and a missing pooler) is drawn from the seed, alike on every rank.
    torch::manual_seed(p.runtime.seed);
    LoadOptions load;
    load.device = p.model.device;  // load_bert applies the device rule (pipeline/dist/device_rule.h)
    load.dtype = "float32";  // master weights: model.dtype is the forward's compute type (autocast)
    load.dropout = mcrc.dropout;
    load.compute_digest = false;
    auto model = load_mc_model(p.model.path, load).model;
    const std::string key = keys.at(regime).get<std::string>();
    const std::string run_dir = mc_run_dir(p, key);
    const McTrainPaths paths{run_dir + "/state", run_dir + "/best", p.model.path, key};
    if (rank0) ctx.out << "mcrc_finetune: " << data.name << " " << regime << ": " << train.size() << " questions, "
                       << options.epochs << " epochs, run " << run_dir << "; features: train " << train.holding()
                       << ", dev " << dev.holding() << ", test " << test.holding() << "\n" << std::flush;
    const McTrainResult result = train_mc_model(model, train, dev, tokenizer.pad_id(), options, paths, ctx.mpi,
                                                rank0 ? &ctx.out : nullptr);
    const double dev_accuracy = result.best_dev_accuracy;  // of the model kept (the best epoch's)
    const auto scores = [&] {
      const AutocastScope half(model->classifier->weight.device(), compute_type_of(options.compute_dtype));
      return score_mc(model, test, tokenizer.pad_id(), options.eval_batch, ctx.mpi);
    }();
    const auto predictions = mc_predictions(scores);
    const double test_accuracy = accuracy(predictions, test);
    if (rank0) ctx.out << "mcrc_finetune: " << regime << ": dev " << fixed(dev_accuracy, 1) << " %, test "
                       << fixed(test_accuracy, 1) << " %\n" << std::flush;

    // Time and tokens of the training steps over every session of the run (from the epoch
    // records, so a reused or resumed run reports its whole training, not this session's part).
    double seconds = 0;
    int64_t tokens = 0;
    for (const auto& e : result.epochs) {
      seconds += e.seconds;
      tokens += e.tokens;
    }
    regimes_csv.add({data.name, regime, std::to_string(train.size()), std::to_string(truncated),
                     std::to_string(options.epochs), std::to_string(result.best_epoch), fixed(dev_accuracy, 2),
                     fixed(test_accuracy, 2), fixed(seconds, 1), seconds > 0 ? fixed(static_cast<double>(tokens) / seconds, 1) : "",
                     std::to_string(result.resumed_from_step)});
    for (const auto& e : result.epochs)
      epochs_csv.add({regime, std::to_string(e.epoch), fixed(e.train_loss, 5), fixed(e.dev_accuracy, 2), fixed(e.seconds, 1)});
    for (size_t q = 0; q < static_cast<size_t>(test.size()); ++q) {
      std::string row_scores;
      for (float s : scores[q]) row_scores += (row_scores.empty() ? "" : " ") + fixed(s, 4);
      const int answer = test.answer(static_cast<int64_t>(q));
      predictions_csv.add({regime, data.test.examples[q].id, std::to_string(answer), std::to_string(predictions[q]),
                           std::to_string(predictions[q] == answer ? 1 : 0), row_scores});
    }
    runs[regime] = {{"run_key", key}, {"best_dir", paths.best_dir}, {"test_accuracy", test_accuracy},
                    {"dev_accuracy", dev_accuracy}, {"allreduce", result.allreduce_backend}};
  }
  out.write_table(kFinetuneRegimes, regimes_csv);
  out.write_table(kFinetuneEpochs, epochs_csv);
  out.write("test_predictions.csv", predictions_csv.str());
  out.write(kFinetuneRuns.file, nlohmann::json{{"dataset", data.name}, {"runs", runs}}.dump(1) + "\n");
  out.finish({{"dataset", data.name}, {"ranks", ctx.mpi.size()}, {"threads", p.model.threads},
              {"random_baseline", random_baseline(data.test.examples)},
              {"longest_baseline", longest_baseline(data.test.examples)}});
  return;
}

const StageRegistration registration{
    {"mcrc_finetune", "Si et al. 2019: multiple-choice fine-tuning on the original and un-answerable training sets (Table 3)",
     run_mcrc_finetune, {&mcrc_section()}, /*needs_cache=*/false}};

}  // namespace
}  // namespace bertology
