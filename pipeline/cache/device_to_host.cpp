#include "pipeline/cache/device_to_host.h"

#include <torch/torch.h>

#ifdef BERTOLOGY_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace bertology {

#ifdef BERTOLOGY_WITH_CUDA
struct DeviceToHost::Cuda {
  explicit Cuda(c10::DeviceIndex index) : device(index), copies(c10::cuda::getStreamFromPool(false, index)) {}
  c10::DeviceIndex device;
  c10::cuda::CUDAStream copies;  // side stream for device-to-host copies
};
#else
struct DeviceToHost::Cuda {};
#endif

DeviceToHost::DeviceToHost(const torch::Device& device) {
#ifdef BERTOLOGY_WITH_CUDA
  if (device.is_cuda()) cuda_ = std::make_unique<Cuda>(device.index() < 0 ? c10::cuda::current_device() : device.index());
#else
  (void)device;
#endif
}

DeviceToHost::~DeviceToHost() = default;

torch::Tensor DeviceToHost::start(const torch::Tensor& t) {
#ifdef BERTOLOGY_WITH_CUDA
  if (cuda_ && t.is_cuda()) {
    const c10::cuda::CUDAGuard on_device(cuda_->device);
    auto compute = c10::cuda::getCurrentCUDAStream(cuda_->device);
    auto src = t.contiguous();
    // The side stream starts when the compute stream has produced `src` ...
    at::cuda::CUDAEvent produced;
    produced.record(compute);
    produced.block(cuda_->copies);
    auto host = torch::empty(src.sizes(), src.options().device(torch::kCPU).pinned_memory(true));
    {
      const c10::cuda::CUDAStreamGuard on_copies(cuda_->copies);
      host.copy_(src, /*non_blocking=*/true);
    }
    // ... and the caching allocator must not hand `src`'s memory to the next batch before the copy.
    src.record_stream(cuda_->copies);
    return host;
  }
#endif
  return t.device().is_cpu() ? t.contiguous() : t.to(torch::kCPU).contiguous();
}

std::function<void()> DeviceToHost::fence() {
#ifdef BERTOLOGY_WITH_CUDA
  if (cuda_) {
    // Blocking sync: the writer thread sleeps while it waits instead of spinning on a core.
    auto done = std::make_shared<at::cuda::CUDAEvent>(cudaEventDisableTiming | cudaEventBlockingSync);
    done->record(cuda_->copies);
    return [done] { done->synchronize(); };
  }
#endif
  return [] {};
}

}  // namespace bertology
