#include "pipeline/mcrc/mc_optimizer.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "pipeline/util/error.h"

namespace bertology {

double linear_warmup_lr(double peak_lr, int64_t step, int64_t warmup_steps, int64_t total_steps) {
  if (step < warmup_steps) return peak_lr * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  return peak_lr * std::max(0.0, static_cast<double>(total_steps - step) /
                                     static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps)));
}

int64_t warmup_steps_for(double ratio, int64_t total_steps) {
  return static_cast<int64_t>(std::ceil(ratio * static_cast<double>(total_steps)));
}

bool AdamW::decays(const std::string& name) {
  const bool is_bias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  return !is_bias && name.find("LayerNorm.") == std::string::npos;
}

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> named, AdamWOptions options)
    : named_(std::move(named)), options_(options) {
  for (const auto& [name, p] : named_) {
    exp_avg_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
    exp_avg_sq_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
    decay_.push_back(decays(name));
  }
}

void AdamW::zero_grad() {
  for (auto& [name, p] : named_) {
    auto& g = p.mutable_grad();
    if (g.defined()) g.zero_();
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bias_correction1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double bias_correction2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  for (size_t i = 0; i < named_.size(); ++i) {
    auto& p = named_[i].second;
    torch::Tensor g = p.grad().defined() ? p.grad() : torch::zeros_like(p);
    // p <- p (1 - lr wd)                      (decoupled decay, before the moment update)
    if (decay_[i] && options_.weight_decay != 0) p.mul_(1.0 - lr * options_.weight_decay);
    // m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
    exp_avg_[i].mul_(b1).add_(g, 1.0 - b1);
    exp_avg_sq_[i].mul_(b2).addcmul_(g, g, 1.0 - b2);
    // p <- p - lr/bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
    auto denom = (exp_avg_sq_[i].sqrt() / bias_correction2_sqrt).add_(options_.eps);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
}

namespace {
RawTensor to_raw(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  RawTensor r;
  r.shape.assign(c.sizes().begin(), c.sizes().end());
  r.data.resize(static_cast<size_t>(c.numel()) * sizeof(float));
  std::memcpy(r.data.data(), c.data_ptr<float>(), r.data.size());
  return r;
}
}  // namespace

StateDict AdamW::state() const {
  StateDict out;
  for (size_t i = 0; i < named_.size(); ++i) {
    out.emplace("exp_avg." + named_[i].first, to_raw(exp_avg_[i]));
    out.emplace("exp_avg_sq." + named_[i].first, to_raw(exp_avg_sq_[i]));
  }
  return out;
}

void AdamW::load_state(const StateDict& state, int64_t steps, const std::string& source) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < named_.size(); ++i) {
    for (auto* pair : {&exp_avg_, &exp_avg_sq_}) {
      const std::string key = (pair == &exp_avg_ ? "exp_avg." : "exp_avg_sq.") + named_[i].first;
      auto it = state.find(key);
      BTL_REQUIRE(it != state.end(), source, ": optimiser state has no '", key, "'");
      const RawTensor& r = it->second;
      BTL_REQUIRE(r.dtype == DType::F32 && r.shape == std::vector<int64_t>((*pair)[i].sizes().begin(), (*pair)[i].sizes().end()),
                  source, ": optimiser state '", key, "' has another shape or dtype than the model");
      auto src = torch::from_blob(const_cast<uint8_t*>(r.data.data()), r.shape, torch::kFloat);
      (*pair)[i].copy_(src);
    }
  }
  steps_ = steps;
}

double clip_gradients(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm(2).to(torch::kFloat));
  if (norms.empty()) return 0.0;
  const double total = torch::stack(norms).norm(2).item<double>();
  if (max_norm > 0) {
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1.0)
      for (const auto& p : params)
        if (p.grad().defined()) const_cast<torch::Tensor&>(p).mutable_grad().mul_(coef);
  }
  return total;
}

}  // namespace bertology
