#include "pipeline/dist/gradient_allreduce.h"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>

#include "pipeline/util/error.h"

#ifdef BERTOLOGY_WITH_NCCL
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>
#endif

namespace bertology {

#ifdef BERTOLOGY_WITH_NCCL
struct GradientAllreduce::Nccl {
  ncclComm_t comm = nullptr;
  ~Nccl() {
    if (comm) ncclCommDestroy(comm);
  }
};
#define BTL_NCCL_CHECK(call)                                                                   \
  do {                                                                                         \
    const ncclResult_t r = (call);                                                             \
    if (r != ncclSuccess) throw InternalError(cat("NCCL: ", #call, ": ", ncclGetErrorString(r))); \
  } while (0)
#else
struct GradientAllreduce::Nccl {};
#endif

GradientAllreduce::GradientAllreduce(const MpiContext& mpi, const torch::Device& device) : mpi_(mpi), device_(device) {
#ifdef BERTOLOGY_WITH_NCCL
  if (mpi_.size() > 1 && device_.is_cuda() && !ranks_share_a_gpu()) {
    // The communicator binds to the current device: make it this rank's (else every rank binds GPU 0).
    const c10::cuda::CUDAGuard on_device(device_.index() < 0 ? c10::cuda::current_device() : device_.index());
    // Rank 0 makes the communicator id; MPI carries it to the others.
    ncclUniqueId id;
    if (mpi_.rank() == 0) BTL_NCCL_CHECK(ncclGetUniqueId(&id));
    mpi_.broadcast_bytes(&id, sizeof(id));
    nccl_ = std::make_unique<Nccl>();
    BTL_NCCL_CHECK(ncclCommInitRank(&nccl_->comm, mpi_.size(), id, mpi_.rank()));
  }
#endif
}

GradientAllreduce::~GradientAllreduce() = default;

bool GradientAllreduce::ranks_share_a_gpu() const {
  // NCCL refuses two ranks on one GPU ("Duplicate GPU"), which the device rule allows when a node
  // runs more ranks than it has GPUs. Every rank puts hash(host, device) in its slot; the sum gives
  // every rank the whole list. Sharing ranks all-reduce through the host instead.
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const int64_t mine = static_cast<int64_t>(std::hash<std::string>{}(std::string(host) + "/" +
                                                                     std::to_string(device_.index())) &
                                            0x3fffffffffffffffULL) + 1;
  std::vector<int64_t> all(static_cast<size_t>(mpi_.size()), 0);
  all[static_cast<size_t>(mpi_.rank())] = mine;
  mpi_.allreduce_sum(all);
  std::sort(all.begin(), all.end());
  return std::adjacent_find(all.begin(), all.end()) != all.end();
}

const char* GradientAllreduce::backend() const {
  if (mpi_.size() <= 1) return "none";
  if (nccl_) return "nccl";
  return device_.is_cuda() ? "mpi (host-staged)" : "mpi";
}

void GradientAllreduce::sum(const std::vector<torch::Tensor>& params) {
  if (mpi_.size() <= 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& p : params) {
    auto& g = const_cast<torch::Tensor&>(p).mutable_grad();
    if (!g.defined()) g = torch::zeros_like(p);
    grads.push_back(g);
  }
  // One flat buffer: one collective per step instead of one per tensor.
  std::vector<torch::Tensor> flat_parts;
  flat_parts.reserve(grads.size());
  for (const auto& g : grads) flat_parts.push_back(g.reshape({-1}).to(torch::kFloat));
  auto flat = torch::cat(flat_parts);
#ifdef BERTOLOGY_WITH_NCCL
  if (nccl_) {
    const c10::cuda::CUDAGuard on_device(flat.device().index());
    auto stream = c10::cuda::getCurrentCUDAStream(flat.device().index());
    BTL_NCCL_CHECK(ncclAllReduce(flat.data_ptr<float>(), flat.data_ptr<float>(), static_cast<size_t>(flat.numel()),
                                 ncclFloat, ncclSum, nccl_->comm, stream.stream()));
  } else
#endif
  {
    auto host = flat.is_cuda() ? flat.cpu() : flat;
    mpi_.allreduce_sum(host.data_ptr<float>(), static_cast<size_t>(host.numel()));
    if (flat.is_cuda()) flat.copy_(host);
  }
  int64_t offset = 0;
  for (auto& g : grads) {
    const int64_t n = g.numel();
    g.copy_(flat.narrow(0, offset, n).view_as(g));
    offset += n;
  }
}

}  // namespace bertology
