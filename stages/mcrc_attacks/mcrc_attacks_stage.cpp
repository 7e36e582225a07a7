// Stage `mcrc_attacks`: Si et al. (2019) §3, Table 2 — the model fine-tuned on the original
// training set (by mcrc_finetune) on un-readable versions of the test set, and the §5.3 analyses:
// performance change against option-length change (over attacks) and against ShuffleDegree and
// answer length (over groups of questions; stages/mcrc_attacks/attack_analysis.h). docs/si2019.md.
// Outputs: attacks.csv (one row per attack), per_question.csv, correlations.csv, bins.csv.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <ostream>

#include "pipeline/model/autocast.h"
#include "pipeline/stage/csv_table.h"
#include "pipeline/stage/stage_output.h"
#include "pipeline/mcrc/attacks.h"
#include "pipeline/mcrc/baselines.h"
#include "pipeline/mcrc/mc_memory.h"
#include "pipeline/mcrc/mc_questions.h"
#include "pipeline/mcrc/mc_study.h"
#include "pipeline/mcrc/mc_trainer.h"
#include "pipeline/util/error.h"
#include "pipeline/mcrc/mcrc_section.h"
#include "pipeline/mcrc/si_tables.h"
#include "pipeline/stage/memory_budget.h"
#include "pipeline/stage/stage_context.h"
#include "pipeline/util/files.h"
#include "pipeline/util/percent.h"
#include "stages/mcrc_attacks/attack_analysis.h"

namespace fs = std::filesystem;

namespace bertology {
namespace {

constexpr int kBins = 5;

std::vector<int> correctness(const std::vector<int>& predictions, const McQuestions& questions) {
  std::vector<int> out(static_cast<size_t>(questions.size()));
  for (int64_t q = 0; q < questions.size(); ++q) out[static_cast<size_t>(q)] = predictions[static_cast<size_t>(q)] == questions.answer(q) ? 1 : 0;
  return out;
}

double passage_untruncated_percent(const McSetCounts& c) {
  return percent(static_cast<double>(c.inputs - c.passage_truncated_inputs), static_cast<double>(c.inputs));
}

double mean_percent(const std::vector<int>& correct) {
  double s = 0;
  for (int c : correct) s += c;
  return percent(s, static_cast<double>(correct.size()));
}

void run_mcrc_attacks(StageContext& ctx) {
  const Params& p = ctx.params;
  const McrcParams& mcrc = mcrc_section().of(p);
  const auto runs = ctx.read_json(kFinetuneRuns);
  BTL_REQUIRE(runs.contains("runs") && runs["runs"].contains("original"), ctx.model_dir(), "/mcrc_finetune/",
              kFinetuneRuns.file, ": no 'original' run");
  const auto& original = runs["runs"]["original"];
  const McStudyData data = load_mc_study_data(mcrc, McSets::TestOnly);  // the model is trained: no train, no dev
  std::vector<Attack> attacks;
  for (const auto& name : mcrc.attacks) attacks.push_back(parse_attack(name));
  AttackOptions attack_options;
  attack_options.seed = static_cast<uint64_t>(mcrc.attack_seed);
  attack_options.min_shuffle_degree = mcrc.min_shuffle_degree;

  StageOutput out = ctx.begin_output({{"model_run", original.at("run_key")}, {"test", mc_dataset_digest(data.test)},
                                      {"truncation", "longest_first sparing attack text"}});
  if (out.up_to_date()) return;

  // Memory: the test set's text and one attacked copy, the model and a scoring batch
  // (mc_memory.h); what is left holds encoded features, else they are encoded again per batch.
  const int max_length = static_cast<int>(mcrc.max_length);
  const std::string best_dir = original.at("best_dir").get<std::string>();
  MemoryBudget budget(p, ctx.name());
  budget.reserve(2 * mc_text_bytes(data.test.examples), "the test set's text and an attacked copy");
  reserve_mc_model(budget, BertConfig::from_json_file((fs::path(best_dir) / "config.json").string()),
                   p.model.device.rfind("cuda", 0) == 0, {0, mcrc.training.eval_batch},
                   static_cast<int64_t>(data.test.examples.at(0).options.size()), max_length);
  const int64_t hold = budget.left();

  set_torch_threads(p.model.threads);
  const auto tokenizer = BertTokenizer::from_model_dir(p.model.path);
  LoadOptions load;
  load.device = p.model.device;  // load_bert applies the device rule (pipeline/dist/device_rule.h)
  load.dtype = "float32";         // scored as mcrc_finetune scores its test set: fp32 weights, autocast
  load.compute_digest = false;
  auto loaded = load_mc_model(best_dir, load);
  BTL_REQUIRE(loaded.classifier_from_checkpoint, best_dir, ": not a fine-tuned multiple-choice checkpoint");
  auto model = loaded.model;
  const int32_t pad = tokenizer.pad_id();

  const int64_t questions = static_cast<int64_t>(data.test.examples.size());
  // The original set is scored first and not kept: the attacked sets take its place.
  std::vector<int> original_correct;
  McSetCounts original_counts;
  const AutocastScope half(model->classifier->weight.device(), compute_type_of(p.model.dtype));  // float32: no-op
  {
    const EncodedMcQuestions test(tokenizer, data.test.examples, max_length, hold);
    original_correct = correctness(mc_predictions(score_mc(model, test, pad, mcrc.training.eval_batch, ctx.mpi)), test);
    original_counts = test.counts();
    if (ctx.mpi.rank() == 0) ctx.out << "mcrc_attacks: " << data.name << ": " << questions << " test questions, features "
                                     << test.holding() << "\n" << std::flush;
  }
  const double original_accuracy = mean_percent(original_correct);

  std::vector<int> answer_words;
  for (const auto& ex : data.test.examples) answer_words.push_back(option_words(ex.options.at(static_cast<size_t>(ex.answer))));

  // inputs: one per option; added_text_inputs: inputs holding text the attack wrote;
  // added_text_cut_inputs: of those, inputs that lost some of it to truncation (0 unless the
  // attack's own text exceeds max_length); passage_untruncated_percent: inputs whose passage is whole.
  CsvTable attacks_csv(kAttackResults.columns);
  attacks_csv.add({data.name, "original", std::to_string(questions), fixed(original_accuracy, 2), "0", "", "0", "0",
                   std::to_string(original_counts.inputs), "0", "0", fixed(passage_untruncated_percent(original_counts), 2)});
  CsvTable per_question({"attack", "id", "original_correct", "attacked_correct", "shuffle_degree", "option_words_before",
                         "option_words_after", "answer_words"});
  CsvTable bins_csv({"analysis", "attack", "bin", "mean_value", "questions", "original_accuracy", "attacked_accuracy",
                     "change_percent"});
  std::vector<double> change_by_attack, length_change_by_attack;
  std::vector<double> degree_values;          // pooled over the shuffling attacks
  std::vector<int> degree_original, degree_attacked;
  std::vector<int> add_sent_shuffle_correct;  // AddSent2Opt-Shuffle, for the answer-length analysis
  for (Attack a : attacks) {
    std::vector<AttackInfo> infos;
    AttackSummary summary;
    const auto attacked = attack_set(data.test.examples, a, attack_options, &summary, &infos);
    const EncodedMcQuestions features(tokenizer, attacked, max_length, hold);
    const auto correct = correctness(mc_predictions(score_mc(model, features, pad, mcrc.training.eval_batch, ctx.mpi)), features);
    const double accuracy = mean_percent(correct);
    const double change = percent_change(original_accuracy, accuracy);
    const McSetCounts& truncation = features.counts();
    attacks_csv.add({data.name, attack_name(a), std::to_string(questions), fixed(accuracy, 2), fixed(change, 2),
                     attack_shuffles(a) ? fixed(summary.mean_shuffle_degree, 4) : "",
                     fixed(100.0 * summary.option_length_change, 2), std::to_string(summary.unmet),
                     std::to_string(truncation.inputs), std::to_string(truncation.added_text_inputs),
                     std::to_string(truncation.added_text_cut_inputs), fixed(passage_untruncated_percent(truncation), 2)});
    change_by_attack.push_back(change);
    length_change_by_attack.push_back(100.0 * summary.option_length_change);
    for (size_t q = 0; q < static_cast<size_t>(questions); ++q) {
      per_question.add({attack_name(a), data.test.examples[q].id, std::to_string(original_correct[q]), std::to_string(correct[q]),
                        attack_shuffles(a) ? fixed(infos[q].shuffle_degree, 4) : "",
                        std::to_string(infos[q].option_words_before), std::to_string(infos[q].option_words_after),
                        std::to_string(answer_words[q])});
      if (attack_shuffles(a) && infos[q].shuffled_sequences > 0) {
        degree_values.push_back(infos[q].shuffle_degree);
        degree_original.push_back(original_correct[q]);
        degree_attacked.push_back(correct[q]);
      }
    }
    if (a == Attack::AddSent2OptShuffle) add_sent_shuffle_correct = correct;
    if (ctx.mpi.rank() == 0)
      ctx.out << "mcrc_attacks: " << data.name << " " << attack_name(a) << ": " << fixed(accuracy, 1) << " % ("
              << fixed(change, 1) << " %)\n" << std::flush;
  }

  CsvTable correlations(kAttackCorrelations.columns);
  correlations.add({"change vs option length change (over attacks)", std::to_string(change_by_attack.size()),
                    fixed(pearson(length_change_by_attack, change_by_attack), 4),
                    "-0.4293 all attacks and datasets; -0.6403 MCScript; -0.3997 RACE-M"});
  const auto degree_bins = change_by_bins(degree_values, degree_original, degree_attacked, kBins);
  correlations.add({"change vs ShuffleDegree (question groups; shuffling attacks pooled)", std::to_string(degree_bins.size()),
                    fixed(bin_correlation(degree_bins), 4), "-0.8965 MCScript; -0.3442 RACE-M"});
  for (size_t b = 0; b < degree_bins.size(); ++b) {
    const auto& x = degree_bins[b];
    bins_csv.add({"shuffle_degree", "shuffling attacks", std::to_string(b), fixed(x.mean_value, 4), std::to_string(x.questions),
                  fixed(x.original_accuracy, 2), fixed(x.attacked_accuracy, 2), fixed(x.change_percent, 2)});
  }
  if (!add_sent_shuffle_correct.empty()) {
    std::vector<double> lengths(answer_words.begin(), answer_words.end());
    const auto length_bins = change_by_bins(lengths, original_correct, add_sent_shuffle_correct, kBins);
    correlations.add({"change vs answer length (question groups; AddSent2Opt-Shuffle)", std::to_string(length_bins.size()),
                      fixed(bin_correlation(length_bins), 4), "0.7693 MCScript; -0.4048 RACE-M"});
    for (size_t b = 0; b < length_bins.size(); ++b) {
      const auto& x = length_bins[b];
      bins_csv.add({"answer_length", "AddSent2Opt-Shuffle", std::to_string(b), fixed(x.mean_value, 4),
                    std::to_string(x.questions), fixed(x.original_accuracy, 2), fixed(x.attacked_accuracy, 2),
                    fixed(x.change_percent, 2)});
    }
  }
  out.write_table(kAttackResults, attacks_csv);
  out.write("per_question.csv", per_question.str());
  out.write_table(kAttackCorrelations, correlations);
  out.write("bins.csv", bins_csv.str());
  out.finish({{"dataset", data.name}, {"model", best_dir}, {"original_accuracy", original_accuracy},
              {"bins", kBins}});
  return;
}

const StageRegistration registration{
    {"mcrc_attacks", "Si et al. 2019: un-readable test-set attacks on the fine-tuned model (Table 2) and §5.3 correlations",
     run_mcrc_attacks, {&mcrc_section()}, /*needs_cache=*/false}};

}  // namespace
}  // namespace bertology
