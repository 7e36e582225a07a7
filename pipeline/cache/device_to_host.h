// Moving a batch's outputs from the GPU to host memory for the HDF5 writer without stalling the GPU.
//
// On CUDA, every copy runs on a side stream into pinned host memory (non-blocking), after the
// compute stream has produced the tensor; the compute stream goes on with the next batch at once.
// The writer thread calls the fence returned by fence() before touching the host tensors: it
// blocks (the writer, not the GPU) until the side stream's copies are done. On the CPU the tensors
// already are host memory: start() returns them contiguous and the fence does nothing.
//
//   DeviceToHost d2h(device);
//   auto host = d2h.start(packed_on_device);      // [rows, d] in the stored dtype, host memory
//   auto ready = d2h.fence();
//   writer.push([=] { ready(); write(host); });
#pragma once

#include <torch/types.h>

#include <functional>
#include <memory>

namespace bertology {

class DeviceToHost {
 public:
  explicit DeviceToHost(const torch::Device& device);
  ~DeviceToHost();
  DeviceToHost(const DeviceToHost&) = delete;
  DeviceToHost& operator=(const DeviceToHost&) = delete;

  /// Starts copying `t` to host memory and returns the host tensor (same shape and dtype,
  /// contiguous; pinned on CUDA). Its contents are valid only after the next fence() ran.
  torch::Tensor start(const torch::Tensor& t);

  /// Marks the copies started so far; calling the returned function (from any thread) waits for them.
  std::function<void()> fence();

 private:
  struct Cuda;
  std::unique_ptr<Cuda> cuda_;  // null on the CPU
};

}  // namespace bertology
