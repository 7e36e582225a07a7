// The multiple-choice model and its trainer against Hugging Face (scripts/make_mc_reference.py):
// option scores of a random BertForMultipleChoice, three steps of HF's AdamW + warm-up recipe,
// the classifier path (padding removed, last layer at [CLS] only) against the padded forward,
// checkpoints both loaders read back, resume after a stop, and learning on a toy task.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "pipeline/mcrc/mc_optimizer.h"
#include "pipeline/mcrc/mc_trainer.h"
#include "pipeline/model/safetensors.h"
#include "pipeline/util/error.h"
#include "pipeline/util/stop_signal.h"
#include "tests/model/reference.h"
#include "tests/support/unit.h"

namespace bertology {
namespace {

nlohmann::json mc_reference() {
  std::ifstream in(fixtures_dir() / "models" / "tiny_mc.reference.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<McFeatures> reference_questions(const nlohmann::json& ref) {
  std::vector<McFeatures> out;
  for (const auto& q : ref.at("questions")) {
    McFeatures f;
    f.input_ids = q.at("input_ids").get<std::vector<std::vector<int32_t>>>();
    f.token_type_ids = q.at("token_type_ids").get<std::vector<std::vector<int32_t>>>();
    f.answer = q.at("answer").get<int>();
    out.push_back(f);
  }
  return out;
}

void expect_close(const torch::Tensor& got, const nlohmann::json& expected, double tol, const std::string& what) {
  const auto rows = expected.get<std::vector<std::vector<float>>>();
  ASSERT_EQ(got.size(0), static_cast<int64_t>(rows.size())) << what;
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j)
      EXPECT_NEAR(got[i][j].item<float>(), rows[i][j], tol) << what << " [" << i << "][" << j << "]";
}

MultipleChoiceModel load_tiny(double dropout = -1.0) {
  LoadOptions options;
  options.dropout = dropout;
  return load_mc_model(fixture_model_dir("mc").string(), options).model;
}

TEST(McModel, OptionScoresMatchHuggingFace) {
  const auto ref = mc_reference();
  const auto loaded = load_mc_model(fixture_model_dir("mc").string());
  EXPECT_TRUE(loaded.classifier_from_checkpoint);
  EXPECT_TRUE(loaded.report.unexpected.empty());
  auto model = loaded.model;
  model->eval();
  const auto features = reference_questions(ref);
  torch::NoGradGuard no_grad;
  const McBatch batch = make_mc_batch(features, {0, 1, 2}, 0);
  EXPECT_EQ(batch.real_tokens, (9 + 12 + 7 + 15 + 5 + 11 + 6 + 6 + 14) + 9 * 3);  // bodies + [CLS] [SEP] [SEP]
  const auto logits = model->forward(batch);
  expect_close(logits, ref.at("eval_logits"), 1e-5, "eval logits");
  const double loss = torch::nn::functional::cross_entropy(logits, batch.labels).item<double>();
  EXPECT_NEAR(loss, ref.at("eval_loss").get<double>(), 1e-5);
}

TEST(McModel, ClassifierPathEqualsThePaddedForward) {
  const auto ref = mc_reference();
  auto model = load_tiny();
  model->eval();
  torch::NoGradGuard no_grad;
  const McBatch batch = make_mc_batch(reference_questions(ref), {0, 1, 2}, 0);
  const auto fast = model->bert->cls_hidden(batch.input_ids, batch.attention_mask, batch.token_type_ids);
  const auto full = model->bert->forward(batch.input_ids, batch.attention_mask, batch.token_type_ids).hidden_states.back().select(1, 0);
  EXPECT_LT((fast - full).abs().max().item<float>(), 1e-5);
  // Left padding is refused (the packed layout assumes real tokens first).
  EXPECT_THROW(model->bert->cls_hidden(batch.input_ids, batch.attention_mask.flip({1}), batch.token_type_ids), InputError);
}

McTrainOptions reference_recipe(const nlohmann::json& t) {
  McTrainOptions o;
  o.lr = t.at("lr").get<double>();
  o.weight_decay = t.at("weight_decay").get<double>();
  o.adam_eps = t.at("eps").get<double>();
  o.warmup = t.at("warmup").get<double>();
  o.epochs = t.at("steps").get<int>();  // one full batch per epoch
  o.batch_size = 3;
  o.max_grad_norm = t.at("max_grad_norm").get<double>();
  return o;
}

McTrainPaths scratch_paths(const std::string& name) {
  const auto dir = scratch_dir(name);
  return {(dir / "state").string(), (dir / "best").string(), fixture_model_dir("mc").string(), "test-run"};
}

TEST(McTrainer, ThreeStepsOfTheHuggingFaceRecipeGiveTheSameModel) {
  const auto ref = mc_reference();
  const auto& t = ref.at("train");
  const auto features = reference_questions(ref);
  const MpiContext mpi;
  for (int64_t micro : {3, 1}) {  // one forward per step, and three accumulated
    auto model = load_tiny(0.0);
    McTrainOptions o = reference_recipe(t);
    o.micro_batch = micro;
    const auto result = train_mc_model(model, features, {}, 0, o, scratch_paths(cat("hf_recipe_", micro)), mpi);
    EXPECT_EQ(result.steps, 3);
    EXPECT_EQ(result.best_epoch, 3);  // without dev data the last epoch is kept
    const auto losses = t.at("losses").get<std::vector<double>>();
    for (size_t e = 0; e < losses.size(); ++e) EXPECT_NEAR(result.epochs[e].train_loss, losses[e], 1e-5) << e;
    torch::NoGradGuard no_grad;
    // Compared up to a shift per question: classifier.bias (which shifts every score alike) has
    // a zero gradient up to round-off, and Adam turns round-off into +-lr steps.
    auto logits = model->forward(make_mc_batch(features, {0, 1, 2}, 0));
    const auto rows = t.at("logits_after").get<std::vector<std::vector<float>>>();
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto got = logits[static_cast<int64_t>(i)] - logits[static_cast<int64_t>(i)].mean();
      const double mean = (rows[i][0] + rows[i][1] + rows[i][2]) / 3.0;
      for (size_t j = 0; j < 3; ++j)
        EXPECT_NEAR(got[static_cast<int64_t>(j)].item<float>(), rows[i][j] - mean, 2e-5) << "logits after, micro " << micro << " [" << i << "][" << j << "]";
    }
    std::map<std::string, torch::Tensor> params;
    for (auto& [name, p] : model->hf_named_parameters()) params[name] = p;
    for (const auto& [name, values] : t.at("weights_after").items()) {
      const auto got = params.at(name).reshape({-1});
      const auto want = values.get<std::vector<float>>();
      for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[static_cast<int64_t>(i)].item<float>(), want[i], 2e-6 + 1e-5 * std::abs(want[i])) << name << " " << i;
    }
    const auto row = t.at("word_embedding_row_7_after").get<std::vector<float>>();
    for (size_t i = 0; i < row.size(); ++i)
      EXPECT_NEAR(params.at("bert.embeddings.word_embeddings.weight")[7][static_cast<int64_t>(i)].item<float>(), row[i], 2e-6);
  }
}

TEST(McTrainer, ScheduleAndDecayFollowHuggingFace) {
  EXPECT_EQ(warmup_steps_for(0.1, 54), 6);  // ceil(5.4)
  EXPECT_DOUBLE_EQ(linear_warmup_lr(1.0, 0, 6, 54), 0.0);
  EXPECT_DOUBLE_EQ(linear_warmup_lr(1.0, 3, 6, 54), 0.5);
  EXPECT_DOUBLE_EQ(linear_warmup_lr(1.0, 6, 6, 54), 1.0);
  EXPECT_DOUBLE_EQ(linear_warmup_lr(1.0, 30, 6, 54), 0.5);
  EXPECT_DOUBLE_EQ(linear_warmup_lr(1.0, 54, 6, 54), 0.0);
  EXPECT_TRUE(AdamW::decays("bert.encoder.layer.0.attention.self.query.weight"));
  EXPECT_FALSE(AdamW::decays("bert.encoder.layer.0.attention.self.query.bias"));
  EXPECT_FALSE(AdamW::decays("bert.embeddings.LayerNorm.weight"));
  EXPECT_TRUE(AdamW::decays("classifier.weight"));
}

std::map<std::string, torch::Tensor> weights_of(MultipleChoiceModel& model) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, p] : model->hf_named_parameters()) out[name] = p.detach().clone();
  return out;
}

TEST(McTrainer, StoppedRunResumesToTheSameModelAsAnUninterruptedOne) {
  const auto ref = mc_reference();
  auto features = reference_questions(ref);
  for (int copy = 0; copy < 3; ++copy)  // 12 questions: 3 steps of 4 per epoch
    for (int q = 0; q < 3; ++q) features.push_back(features[static_cast<size_t>(q)]);
  McTrainOptions o;
  o.epochs = 2;
  o.batch_size = 4;
  o.micro_batch = 2;
  o.lr = 1e-3;
  o.checkpoint_every = 2;
  const MpiContext mpi;
  // Dropout on (0.1): the resumed run must redraw the same masks.
  auto whole = load_tiny();
  const auto whole_result = train_mc_model(whole, features, features, 0, o, scratch_paths("uninterrupted"), mpi);
  const auto paths = scratch_paths("interrupted");
  auto first = load_tiny();
  McTrainOptions stop = o;
  stop.stop_after_steps = 4;  // in epoch 2; the state is written when the run stops
  EXPECT_THROW(train_mc_model(first, features, features, 0, stop, paths, mpi), StopRequested);
  auto second = load_tiny();  // a fresh process: fresh weights, everything else from the state
  const auto resumed = train_mc_model(second, features, features, 0, o, paths, mpi);
  EXPECT_EQ(resumed.resumed_from_step, 4);
  EXPECT_EQ(resumed.steps, whole_result.steps);
  ASSERT_EQ(resumed.epochs.size(), whole_result.epochs.size());
  for (size_t e = 0; e < resumed.epochs.size(); ++e) {
    EXPECT_EQ(resumed.epochs[e].train_loss, whole_result.epochs[e].train_loss);
    EXPECT_EQ(resumed.epochs[e].dev_accuracy, whole_result.epochs[e].dev_accuracy);
  }
  const auto a = weights_of(whole), b = weights_of(second);
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
  // A finished run keeps only state.json beside best/, and a later call reuses it: no training,
  // the best model loaded.
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(paths.state_dir) / "state.json"));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(paths.state_dir) / "optimizer.safetensors"));
  auto reused = load_tiny();
  const auto again = train_mc_model(reused, features, features, 0, o, paths, mpi);
  EXPECT_EQ(again.resumed_from_step, again.total_steps);
  EXPECT_EQ(again.tokens_this_session, 0);
  const auto c = weights_of(reused);
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, c.at(name))) << name;
  // A state written for other inputs is refused.
  McTrainPaths other = paths;
  other.run_key = "another-run";
  auto third = load_tiny();
  EXPECT_THROW(train_mc_model(third, features, features, 0, o, other, mpi), InputError);
}

TEST(McModel, Bfloat16ModelPutsTheClassifierInBfloat16) {
  // Before: the classifier stayed float32 beside a bf16 encoder ("mat1 and mat2 must have the same dtype").
  // The reference is HF on torch 2.11: LibTorch 1.x's bf16 CPU kernels round differently.
  const bool same_kernels = TORCH_VERSION_MAJOR >= 2;
  const auto ref = mc_reference();
  LoadOptions options;
  options.dtype = "bfloat16";
  auto model = load_mc_model(fixture_model_dir("mc").string(), options).model;
  EXPECT_EQ(model->classifier->weight.scalar_type(), torch::kBFloat16);
  model->eval();
  torch::NoGradGuard no_grad;
  const McBatch batch = make_mc_batch(reference_questions(ref), {0, 1, 2}, 0);
  const auto logits = model->forward(batch).to(torch::kFloat);
  // HF BertForMultipleChoice cast to bf16 (scripts/make_bf16_reference.py) on the same questions:
  // scores O(0.1), bf16 steps of 2^-10 there; the two agree to a couple of steps.
  std::ifstream in(fixtures_dir() / "models" / "tiny_mc.bf16.reference.json");
  const auto hf_bf16 = nlohmann::json::parse(in);
  if (!same_kernels) GTEST_SKIP() << "bf16 scores are compared with HF on LibTorch >= 2 only (this is " << TORCH_VERSION << ")";
  expect_close(logits, hf_bf16.at("eval_logits"), 0.004, "bf16 eval logits");
  const double loss = torch::nn::functional::cross_entropy(logits, batch.labels).item<double>();
  EXPECT_NEAR(loss, hf_bf16.at("eval_loss").get<double>(), 0.004);
}

TEST(McTrainer, MixedPrecisionKeepsFloat32MasterWeights) {
  const auto ref = mc_reference();
  const auto& t = ref.at("train");
  const auto features = reference_questions(ref);
  const MpiContext mpi;
  auto model = load_tiny(0.0);
  McTrainOptions o = reference_recipe(t);
  o.compute_dtype = "bfloat16";
  const auto result = train_mc_model(model, features, {}, 0, o, scratch_paths("bf16_autocast"), mpi);
  EXPECT_EQ(result.steps, 3);
  // The first step's loss is HF's float32 loss of the same model, to bf16 precision. (Later steps
  // drift: Adam turns the bf16 noise of near-zero gradients into full +-lr steps.)
  EXPECT_NEAR(result.epochs[0].train_loss, t.at("losses").get<std::vector<double>>()[0], 0.01);
  for (auto& [name, p] : model->hf_named_parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat) << name;  // master weights stay float32
    if (p.grad().defined()) EXPECT_EQ(p.grad().scalar_type(), torch::kFloat) << name;
  }
  // Updates far below bf16's resolution are kept: one Adam step of lr = 1e-6 moves every classifier
  // weight by ~1e-6 (Adam's first step is lr * sign(g)), where bf16 weights (N(0, 0.02): a step of
  // ~1e-4) would not move at all.
  auto tiny_step = load_tiny(0.0);
  const auto before = tiny_step->classifier->weight.detach().clone();
  McTrainOptions one = o;
  one.epochs = 1;
  one.lr = 1e-6;
  one.warmup = 0;
  one.weight_decay = 0;
  train_mc_model(tiny_step, features, {}, 0, one, scratch_paths("bf16_tiny_step"), mpi);
  const auto moved = (tiny_step->classifier->weight.detach() - before).abs();
  // (Weights with near-zero gradients move less: Adam's eps. With bf16 weights none would move.)
  EXPECT_GT(moved.gt(0.25e-6).to(torch::kFloat).mean().item<float>(), 0.5f);
  EXPECT_LT(moved.max().item<float>(), 1.5e-6);
  // A model loaded in bf16 has no float32 master weights to keep: refused.
  LoadOptions half;
  half.dtype = "bfloat16";
  auto bf16_model = load_mc_model(fixture_model_dir("mc").string(), half).model;
  EXPECT_EQ(test::input_error([&] { train_mc_model(bf16_model, features, {}, 0, o, scratch_paths("bf16_weights"), mpi); }),
            "mixed-precision training needs the model loaded in float32 (master weights); it is BFloat16");
  // float16 would need loss scaling: refused with the reason.
  McTrainOptions fp16 = o;
  fp16.compute_dtype = "float16";
  auto fp32_model = load_tiny(0.0);
  EXPECT_EQ(test::input_error([&] { train_mc_model(fp32_model, features, {}, 0, fp16, scratch_paths("fp16"), mpi); }),
            "model.dtype float16 is not supported for fine-tuning (no loss scaling: gradients would underflow); "
            "use bfloat16 or float32");
}

TEST(McTrainer, LearnsAToyTask) {
  // The right option is the one holding token 10; the passage is noise.
  std::mt19937_64 rng(7);
  std::vector<McFeatures> data;
  for (int q = 0; q < 48; ++q) {
    McFeatures f;
    f.answer = static_cast<int>(rng() % 3);
    std::vector<int32_t> passage;
    for (int i = 0; i < 8; ++i) passage.push_back(static_cast<int32_t>(11 + rng() % 60));
    for (int k = 0; k < 3; ++k) {
      std::vector<int32_t> ids = {2};
      ids.insert(ids.end(), passage.begin(), passage.end());
      ids.push_back(3);
      const size_t first_b = ids.size();
      for (int i = 0; i < 3; ++i) ids.push_back(static_cast<int32_t>(11 + rng() % 60));
      if (k == f.answer) ids[first_b + rng() % 3] = 10;
      ids.push_back(3);
      std::vector<int32_t> types(first_b, 0);
      types.resize(ids.size(), 1);
      f.input_ids.push_back(ids);
      f.token_type_ids.push_back(types);
    }
    data.push_back(f);
  }
  const std::vector<McFeatures> train(data.begin(), data.begin() + 36), dev(data.begin() + 36, data.end());
  McTrainOptions o;
  o.epochs = 12;
  o.batch_size = 6;
  o.micro_batch = 6;
  o.lr = 3e-3;
  const MpiContext mpi;
  auto model = load_tiny();
  const auto result = train_mc_model(model, train, dev, 0, o, scratch_paths("toy"), mpi);
  EXPECT_LT(result.epochs.back().train_loss, 0.5 * result.epochs.front().train_loss);
  EXPECT_GE(result.best_dev_accuracy, 75.0);
  // The model left in memory is the best epoch's, which is what best_dir holds.
  int64_t correct = 0;
  const auto predictions = mc_predictions(score_mc(model, dev, 0, 4, mpi));
  for (size_t q = 0; q < dev.size(); ++q) correct += predictions[q] == dev[q].answer;
  EXPECT_DOUBLE_EQ(100.0 * static_cast<double>(correct) / static_cast<double>(dev.size()), result.best_dev_accuracy);
}

TEST(McModel, SavedCheckpointLoadsInBothLoaders) {
  auto model = load_tiny();
  const auto dir = scratch_dir("saved_mc");
  save_mc_model(model, fixture_model_dir("mc").string(), (dir / "out").string());
  const auto encoder = load_bert((dir / "out").string());
  EXPECT_EQ(encoder.report.unexpected, (std::vector<std::string>{"classifier.bias", "classifier.weight"}));
  const auto again = load_mc_model((dir / "out").string());
  EXPECT_TRUE(again.classifier_from_checkpoint);
  const auto a = weights_of(model);
  auto reloaded = again.model;
  const auto b = weights_of(reloaded);
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
  // A pretrained encoder without a head gets a fresh classifier (and pooler when missing).
  torch::manual_seed(3);
  const auto fresh = load_mc_model(fixture_model_dir("mlm_gelu").string());
  EXPECT_FALSE(fresh.classifier_from_checkpoint);
  EXPECT_EQ(fresh.report.initialised.size(), 4u);  // pooler.dense.{weight,bias}, classifier.{weight,bias}
}

}  // namespace
}  // namespace bertology
