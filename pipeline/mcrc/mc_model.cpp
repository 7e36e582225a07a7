#include "pipeline/mcrc/mc_model.h"

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/model/pad_batch.h"
#include "pipeline/model/safetensors.h"
#include "pipeline/util/error.h"
#include "pipeline/util/files.h"

namespace bertology {
namespace fs = std::filesystem;

McBatch make_mc_batch(const std::vector<McFeatures>& features, const std::vector<int64_t>& which, int32_t pad_id,
                      const torch::Device& device) {
  BTL_REQUIRE(!which.empty(), "make_mc_batch: no questions");
  McBatch b;
  b.questions = static_cast<int64_t>(which.size());
  b.options = static_cast<int64_t>(features.at(static_cast<size_t>(which[0])).input_ids.size());
  std::vector<std::vector<int32_t>> ids, types;  // question-major: row n*C + k = option k of question n
  auto labels = torch::empty({b.questions}, torch::kLong);
  for (int64_t n = 0; n < b.questions; ++n) {
    const int64_t q = which[static_cast<size_t>(n)];
    const auto& f = features.at(static_cast<size_t>(q));
    BTL_REQUIRE(static_cast<int64_t>(f.input_ids.size()) == b.options, "mcrc: question ", q, " has ",
                f.input_ids.size(), " options but others in its batch have ", b.options,
                " (a dataset must have one option count)");
    labels[n] = f.answer;
    ids.insert(ids.end(), f.input_ids.begin(), f.input_ids.end());
    types.insert(types.end(), f.token_type_ids.begin(), f.token_type_ids.end());
  }
  const PaddedBatch padded = pad_batch(ids, pad_id, types);
  b.real_tokens = padded.real_tokens;
  b.input_ids = padded.input_ids.to(device);
  b.token_type_ids = padded.token_type_ids.to(device);
  b.attention_mask = padded.attention_mask.to(device);
  b.labels = labels.to(device);
  return b;
}

MultipleChoiceModelImpl::MultipleChoiceModelImpl(BertModel encoder, double classifier_dropout) {
  BTL_REQUIRE(encoder->has_pooler(), "the multiple-choice head needs the encoder's pooler");
  bert = register_module("bert", std::move(encoder));
  dropout = register_module("dropout", torch::nn::Dropout(classifier_dropout));
  const int64_t d = bert->config().hidden_size;
  classifier = register_module("classifier", torch::nn::Linear(d, 1));
  torch::NoGradGuard no_grad;
  classifier->weight.normal_(0.0, bert->config().initializer_range);
  classifier->bias.zero_();
}

torch::Tensor MultipleChoiceModelImpl::forward(const McBatch& batch) {
  // [N*C, d] pooled [CLS] = tanh(W h_cls + b); [N*C, 1] score = w . dropout(pooled) + b
  auto pooled = bert->pool_cls(bert->cls_hidden(batch.input_ids, batch.attention_mask, batch.token_type_ids));
  auto scores = classifier(dropout(pooled));
  // [N, C]: one row of option scores per question
  return scores.view({batch.questions, batch.options});
}

std::vector<std::pair<std::string, torch::Tensor>> MultipleChoiceModelImpl::hf_named_parameters() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [name, t] : bert->hf_named_parameters()) out.emplace_back("bert." + name, t);
  out.emplace_back("classifier.weight", classifier->weight);
  out.emplace_back("classifier.bias", classifier->bias);
  return out;
}

LoadedMcModel load_mc_model(const std::string& dir, const LoadOptions& options) {
  LoadOptions encoder_options = options;
  encoder_options.require_pooler = true;
  encoder_options.skip_mlm_head = true;
  StateDict head;  // the classifier, when the checkpoint has one
  LoadedBert encoder = load_bert(dir, encoder_options, &head);
  LoadedMcModel out;
  out.config = encoder.config;
  out.report = encoder.report;
  const double dropout = options.dropout >= 0 ? options.dropout : encoder.config.hidden_dropout_prob;
  out.model = MultipleChoiceModel(encoder.model, dropout);

  // The classifier, when the checkpoint has one (a fine-tuned model), replaces the fresh init.
  auto& unexpected = out.report.unexpected;
  const bool has_weight = head.count("classifier.weight") > 0, has_bias = head.count("classifier.bias") > 0;
  if (has_weight || has_bias) {
    const std::string& file = out.report.weights_file;
    BTL_REQUIRE(has_weight && has_bias, file, ": has only one of classifier.weight / classifier.bias");
    const auto weight = raw_to_tensor(head.at("classifier.weight")).to(torch::kFloat);
    const auto bias = raw_to_tensor(head.at("classifier.bias")).to(torch::kFloat);
    const int64_t d = out.config.hidden_size;
    BTL_REQUIRE(weight.sizes() == torch::IntArrayRef({1, d}) && bias.sizes() == torch::IntArrayRef({1}), file,
                ": classifier.weight/bias have shapes ", weight.sizes(), " / ", bias.sizes(), ", a multiple-choice ",
                "head needs [1, ", d, "] / [1] (is this a classifier of another task?)");
    torch::NoGradGuard no_grad;
    out.model->classifier->weight.copy_(weight);
    out.model->classifier->bias.copy_(bias);
    unexpected.erase(std::remove_if(unexpected.begin(), unexpected.end(),
                                    [](const std::string& k) { return k.rfind("classifier.", 0) == 0; }),
                     unexpected.end());
    out.classifier_from_checkpoint = true;
  } else {
    out.report.initialised.push_back("classifier.weight");
    out.report.initialised.push_back("classifier.bias");
  }
  // Where and in which dtype the encoder landed (load_bert resolved "cuda" to this rank's GPU).
  const auto& like = out.model->bert->embeddings->word_embeddings->weight;
  out.model->classifier->to(like.device(), like.scalar_type());
  return out;
}

StateDict mc_state_dict(MultipleChoiceModel& model) {
  StateDict dict;
  for (auto& [name, t] : model->hf_named_parameters()) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    RawTensor r;
    r.dtype = DType::F32;
    r.shape.assign(c.sizes().begin(), c.sizes().end());
    r.data.resize(static_cast<size_t>(c.numel()) * sizeof(float));
    std::memcpy(r.data.data(), c.data_ptr<float>(), r.data.size());
    dict.emplace(name, std::move(r));
  }
  return dict;
}

void save_mc_model(MultipleChoiceModel& model, const std::string& source_dir, const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  BTL_REQUIRE(!ec, out_dir, ": cannot create (", ec.message(), ")");
  const auto config_path = (fs::path(source_dir) / "config.json").string();
  nlohmann::json config = nlohmann::json::parse(read_file_bytes(config_path, "model config"));
  config["architectures"] = {"BertForMultipleChoice"};
  write_file_atomic((fs::path(out_dir) / "config.json").string(), config.dump(2) + "\n");
  for (const char* name : {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
    const fs::path src = fs::path(source_dir) / name;
    if (!fs::exists(src)) continue;
    write_file_atomic((fs::path(out_dir) / name).string(), read_file_bytes(src.string(), "tokenizer file"));
  }
  write_safetensors((fs::path(out_dir) / "model.safetensors").string(), mc_state_dict(model),
                    {{"format", "pt"}, {"written_by", "bertology"}});
}

}  // namespace bertology
