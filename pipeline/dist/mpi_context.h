// MPI for the pipeline: one object per process, alive for a command's duration.
//
// MPI is initialised only when the process was launched by mpirun/srun (Open MPI or PMIx
// environment present); a plain `bertology extract` runs as a single rank without MPI, so users
// and tests need no launcher for small jobs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bertology {

class MpiContext {
 public:
  /// Initialises MPI when launched by a launcher (MPI_THREAD_FUNNELED: only the main thread calls MPI).
  MpiContext();
  ~MpiContext();  ///< MPI_Finalize when it initialised MPI
  MpiContext(const MpiContext&) = delete;
  MpiContext& operator=(const MpiContext&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool active() const { return active_; }

  void barrier() const;
  /// Element-wise max over ranks, in place.
  void allreduce_max(std::vector<int64_t>& values) const;
  int64_t allreduce_max(int64_t value) const;
  int64_t allreduce_sum(int64_t value) const;
  /// Element-wise sums over ranks, in place (partial sums of analysis stages; double keeps the
  /// result independent of the rank count up to round-off).
  void allreduce_sum(std::vector<double>& values) const;
  void allreduce_sum(std::vector<int64_t>& values) const;
  void allreduce_sum(std::vector<float>& values) const;
  /// Element-wise float sums over ranks of `count` values at `data` (host memory), in place; sent
  /// in pieces of at most 2^28 values so that counts never overflow MPI's int.
  void allreduce_sum(float* data, size_t count) const;
  /// Rank 0's `bytes` bytes at `data` on every rank (e.g. an ncclUniqueId).
  void broadcast_bytes(void* data, size_t bytes) const;
  /// Rank 0's values on every rank (same size on every rank).
  void broadcast(std::vector<float>& values) const;
  /// Rank 0's string on every rank.
  std::string broadcast(const std::string& value) const;
  /// Ends every rank at once (after an error on one rank, so that the others do not wait forever).
  [[noreturn]] void abort(int code) const;

 private:
  bool active_ = false;
  int rank_ = 0, size_ = 1;
};

/// True when the environment says a launcher started this process (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK).
bool launched_by_mpi();

}  // namespace bertology
