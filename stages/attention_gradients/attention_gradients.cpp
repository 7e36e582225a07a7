#include "stages/attention_gradients/attention_gradients.h"

#include <torch/torch.h>

#include <random>

#include "pipeline/model/checkpoint.h"
#include "pipeline/tokenizer/bert_tokenizer.h"
#include "pipeline/util/error.h"

namespace bertology {

const char* gradient_target_name(int target) {
  static const char* const names[kNumGradientTargets] = {"to_sep", "to_punct", "to_other"};
  return names[target];
}

std::vector<int> choose_masked_positions(const std::vector<TokenKind>& kinds, double p, uint64_t seed,
                                         int64_t sequence_index) {
  // Mix the sequence index into the seed so that every sequence has its own stream.
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(sequence_index) + 1);
  std::vector<int> candidates, masked;
  for (size_t t = 0; t < kinds.size(); ++t)
    if (kinds[t] != TokenKind::Cls && kinds[t] != TokenKind::Sep) candidates.push_back(static_cast<int>(t));
  for (int t : candidates)
    if (static_cast<double>(rng() >> 11) / 9007199254740992.0 < p) masked.push_back(t);
  if (masked.empty() && !candidates.empty()) masked.push_back(candidates[rng() % candidates.size()]);
  return masked;
}

struct AttentionGradientModel::Impl {
  LoadedBert bert;
};

AttentionGradientModel::AttentionGradientModel(const std::string& model_dir, int threads) : impl_(new Impl) {
  set_torch_threads(threads);
  impl_->bert = load_bert(model_dir, LoadOptions{"cpu", "float32", false});
  BTL_REQUIRE(impl_->bert.model->has_mlm_head(), model_dir,
              ": attention_gradients needs the masked-LM head (cls.predictions.* weights: a BertForMaskedLM or "
              "BertForPreTraining checkpoint); this checkpoint has none. Set clark.gradient_model to one that has "
              "it, or remove attention_gradients from stages");
  impl_->bert.model->eval();
  mask_id_ = BertTokenizer::from_model_dir(model_dir).mask_id();
  BTL_REQUIRE(mask_id_ >= 0, model_dir, ": the vocabulary has no [MASK] token");
}

AttentionGradientModel::~AttentionGradientModel() = default;

int AttentionGradientModel::num_layers() const { return impl_->bert.config.num_hidden_layers; }

double AttentionGradientModel::add_sequence(const std::vector<int32_t>& input_ids, const std::vector<int32_t>& segment_ids,
                                            const std::vector<TokenKind>& kinds, const std::vector<int>& masked,
                                            std::vector<double>& sums, std::vector<double>& counts) const {
  const int64_t T = static_cast<int64_t>(input_ids.size());
  const int L = num_layers();
  std::vector<int64_t> ids(input_ids.begin(), input_ids.end()), segments(segment_ids.begin(), segment_ids.end());
  auto original = torch::tensor(ids, torch::kInt64);
  auto corrupted = original.clone();
  auto positions = torch::tensor(std::vector<int64_t>(masked.begin(), masked.end()), torch::kInt64);
  corrupted.index_fill_(0, positions, static_cast<int64_t>(mask_id_));

  ForwardOptions options;
  for (int l = 0; l < L; ++l) options.attention_layers.push_back(l);
  options.differentiable_attention = true;
  auto& model = impl_->bert.model;
  auto out = model->forward(corrupted.unsqueeze(0), torch::ones({1, T}, torch::kInt64),
                            torch::tensor(segments, torch::kInt64).unsqueeze(0), options);
  auto logits = model->mlm_logits(out.hidden_states.back()).squeeze(0).index_select(0, positions);  // [M, vocab]
  auto loss = torch::nn::functional::cross_entropy(logits, original.index_select(0, positions));
  const auto grads = torch::autograd::grad({loss}, out.attentions);

  // Key-column selectors [T] per category; mean |g| over (h, i, j in category).
  std::vector<std::vector<int64_t>> columns(kNumGradientTargets);
  for (int64_t j = 0; j < T; ++j)
    columns[kinds[j] == TokenKind::Sep ? kGradToSep : kinds[j] == TokenKind::Punct ? kGradToPunct : kGradToOther].push_back(j);
  for (int l = 0; l < L; ++l) {
    auto g = grads[static_cast<size_t>(l)].abs().squeeze(0);  // [H, T, T]
    for (int c = 0; c < kNumGradientTargets; ++c) {
      if (columns[c].empty()) continue;
      auto selected = g.index_select(2, torch::tensor(columns[c], torch::kInt64));
      sums[static_cast<size_t>(l) * kNumGradientTargets + c] += selected.mean().item<double>();
      counts[static_cast<size_t>(l) * kNumGradientTargets + c] += 1;
    }
  }
  return loss.item<double>();
}

}  // namespace bertology
