// Data-parallel gradient sums: every rank computes the gradients of its slice of a global batch
// (the loss already divided by the global batch size), and this sums them over ranks in place.
// Backends: none (one rank), MPI_Allreduce on host memory (CPU tensors; CUDA tensors are staged
// through the host when NCCL is not built in or two ranks share a GPU), NCCL on the device (CUDA
// builds with NCCL, one GPU per rank).
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

#include "pipeline/dist/mpi_context.h"

namespace bertology {

class GradientAllreduce {
 public:
  /// `device` is where the parameters live; NCCL is set up (collectively) on CUDA when built in.
  GradientAllreduce(const MpiContext& mpi, const torch::Device& device);
  ~GradientAllreduce();
  GradientAllreduce(const GradientAllreduce&) = delete;
  GradientAllreduce& operator=(const GradientAllreduce&) = delete;

  /// Sums the .grad() of `params` over ranks, in place. A parameter without a gradient counts as
  /// zeros (and gets a zero gradient), so every rank sends the same layout.
  void sum(const std::vector<torch::Tensor>& params);

  /// "none", "mpi", "mpi (host-staged)" or "nccl".
  const char* backend() const;

 private:
  /// True when two ranks would use one GPU (same host, same device index).
  bool ranks_share_a_gpu() const;

  const MpiContext& mpi_;
  torch::Device device_;
  struct Nccl;
  std::unique_ptr<Nccl> nccl_;
};

}  // namespace bertology
