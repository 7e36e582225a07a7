// Mixed precision for training: the parameters, their gradients and AdamW's state stay float32
// (the "master weights"), while the forward's matrix products run in a half type through LibTorch's
// autocast. Scoped: the previous autocast state of the thread comes back on destruction.
//
//   { AutocastScope half(device, torch::kBFloat16); logits = model->forward(batch); }
//   loss(logits.float()).backward();   // backward follows the casts the forward recorded
//
// float32 makes it a no-op. On CPU autocast covers bfloat16 (and float16 from LibTorch 2.x); on CUDA
// both. LayerNorm, softmax and the loss stay float32 under autocast's op lists.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/types.h>
#include <torch/version.h>

#include <string>

namespace bertology {

/// model.dtype's spelling to a scalar type: float32, bfloat16, float16 (anything else: kUndefined).
inline torch::ScalarType compute_type_of(const std::string& dtype) {
  return dtype == "float32" ? torch::kFloat : dtype == "bfloat16" ? torch::kBFloat16
         : dtype == "float16" ? torch::kHalf : torch::ScalarType::Undefined;
}

class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, torch::ScalarType dtype)
      : active_(dtype != torch::kFloat), type_(device.type()) {
    if (!active_) return;
#if TORCH_VERSION_MAJOR >= 2
    was_enabled_ = at::autocast::is_autocast_enabled(type_);
    was_dtype_ = at::autocast::get_autocast_dtype(type_);
    at::autocast::set_autocast_dtype(type_, dtype);
    at::autocast::set_autocast_enabled(type_, true);
#else
    if (type_ == at::kCUDA) {
      was_enabled_ = at::autocast::is_enabled();
      was_dtype_ = at::autocast::get_autocast_gpu_dtype();
      at::autocast::set_autocast_gpu_dtype(dtype);
      at::autocast::set_enabled(true);
    } else {
      was_enabled_ = at::autocast::is_cpu_enabled();
      was_dtype_ = at::autocast::get_autocast_cpu_dtype();
      at::autocast::set_autocast_cpu_dtype(dtype);
      at::autocast::set_cpu_enabled(true);
    }
#endif
  }
  ~AutocastScope() {
    if (!active_) return;
#if TORCH_VERSION_MAJOR >= 2
    at::autocast::set_autocast_enabled(type_, was_enabled_);
    at::autocast::set_autocast_dtype(type_, was_dtype_);
#else
    if (type_ == at::kCUDA) {
      at::autocast::set_enabled(was_enabled_);
      at::autocast::set_autocast_gpu_dtype(was_dtype_);
    } else {
      at::autocast::set_cpu_enabled(was_enabled_);
      at::autocast::set_autocast_cpu_dtype(was_dtype_);
    }
#endif
    // Autocast caches the half copies of the weights for the scope; they go stale after the step.
    if (!was_enabled_) at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_;
  at::DeviceType type_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

}  // namespace bertology
