// The multiple-choice model of Si et al. (2019) = Hugging Face `BertForMultipleChoice`: every
// option's `[CLS] passage [SEP] question+option [SEP]` goes through the encoder, the pooled [CLS]
// state through dropout and a linear score, and the scores of one question's options through a
// softmax (cross-entropy against the answer while training).
//
// Checkpoints are HF folders: config.json ("architectures": ["BertForMultipleChoice"]), vocab.txt,
// tokenizer_config.json and model.safetensors with "bert.*" encoder keys and "classifier.weight"
// [1, d] / "classifier.bias" [1], so load_bert() and transformers both read them back.
// Shapes: N = questions, C = options per question, T = padded length, d = hidden size.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <utility>
#include <vector>

#include "pipeline/mcrc/mc_features.h"
#include "pipeline/model/bert_model.h"
#include "pipeline/model/checkpoint.h"

namespace bertology {

/// Questions padded into one batch (every option a row, padded to the longest row).
struct McBatch {
  torch::Tensor input_ids;       ///< [N*C, T] int64, question-major (row n*C + k = option k of question n)
  torch::Tensor token_type_ids;  ///< [N*C, T] int64
  torch::Tensor attention_mask;  ///< [N*C, T] int64, 1 = real token (right padding)
  torch::Tensor labels;          ///< [N] int64 answer index
  int64_t questions = 0;         ///< N
  int64_t options = 0;           ///< C (every question of a batch must have the same count)
  int64_t real_tokens = 0;       ///< non-padding tokens in the batch
};

/// Pads the questions `which` (indices into `features`) into one batch on `device`. InputError
/// when their option counts differ.
McBatch make_mc_batch(const std::vector<McFeatures>& features, const std::vector<int64_t>& which, int32_t pad_id,
                      const torch::Device& device = torch::kCPU);

class MultipleChoiceModelImpl : public torch::nn::Module {
 public:
  /// Wraps an encoder (which must have a pooler); the classifier is drawn from LibTorch's
  /// current generator as HF initialises it (normal(0, initializer_range), bias 0).
  MultipleChoiceModelImpl(BertModel encoder, double classifier_dropout);

  /// Option scores [N, C] (before the softmax).
  torch::Tensor forward(const McBatch& batch);

  /// Every parameter under its HF BertForMultipleChoice name ("bert.embeddings...", "classifier.weight").
  std::vector<std::pair<std::string, torch::Tensor>> hf_named_parameters();

  BertModel bert{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(MultipleChoiceModel);

/// A loaded multiple-choice model.
struct LoadedMcModel {
  BertConfig config;
  MultipleChoiceModel model{nullptr};
  LoadReport report;
  bool classifier_from_checkpoint = false;  ///< false: classifier (and maybe pooler) freshly initialised
};

/// Loads a checkpoint folder: a pretrained encoder (the pooler and classifier are initialised
/// when absent) or a fine-tuned multiple-choice model. options.dropout overrides the encoder's
/// dropout and is also the classifier's (< 0: config.json's hidden_dropout_prob). Initialisation
/// draws from LibTorch's generator: seed it first for reproducible runs.
LoadedMcModel load_mc_model(const std::string& dir, const LoadOptions& options = {});

/// The model's weights as float32 records under their HF names.
StateDict mc_state_dict(MultipleChoiceModel& model);

/// Writes a loadable checkpoint folder `out_dir`: config.json (from `source_dir`, architectures
/// set to BertForMultipleChoice), its vocab.txt / tokenizer_config.json / special_tokens_map.json,
/// and model.safetensors (written to a temporary name, renamed when complete).
void save_mc_model(MultipleChoiceModel& model, const std::string& source_dir, const std::string& out_dir);

}  // namespace bertology
