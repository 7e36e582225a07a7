#include "pipeline/dist/mpi_context.h"

#include <algorithm>

#include <mpi.h>

#include <cstdlib>

#include "pipeline/util/error.h"

namespace bertology {

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_RANK");
}

MpiContext::MpiContext() {
  if (!launched_by_mpi()) return;
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiContext::~MpiContext() {
  if (!active_) return;
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
}

void MpiContext::barrier() const {
  if (active_) MPI_Barrier(MPI_COMM_WORLD);
}

void MpiContext::allreduce_max(std::vector<int64_t>& values) const {
  if (!active_ || values.empty()) return;
  MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
}

int64_t MpiContext::allreduce_max(int64_t value) const {
  if (active_) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  return value;
}

int64_t MpiContext::allreduce_sum(int64_t value) const {
  if (active_) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  return value;
}

void MpiContext::allreduce_sum(std::vector<double>& values) const {
  if (active_ && !values.empty())
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void MpiContext::allreduce_sum(std::vector<int64_t>& values) const {
  if (active_ && !values.empty())
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
}

void MpiContext::allreduce_sum(std::vector<float>& values) const {
  if (active_ && !values.empty())
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void MpiContext::allreduce_sum(float* data, size_t count) const {
  if (!active_) return;
  constexpr size_t kPiece = size_t{1} << 28;
  for (size_t begin = 0; begin < count; begin += kPiece) {
    const size_t n = std::min(kPiece, count - begin);
    MPI_Allreduce(MPI_IN_PLACE, data + begin, static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }
}

void MpiContext::broadcast_bytes(void* data, size_t bytes) const {
  if (active_ && bytes > 0) MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, 0, MPI_COMM_WORLD);
}

void MpiContext::broadcast(std::vector<float>& values) const {
  if (active_ && !values.empty())
    MPI_Bcast(values.data(), static_cast<int>(values.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
}

std::string MpiContext::broadcast(const std::string& value) const {
  if (!active_) return value;
  int64_t n = static_cast<int64_t>(value.size());
  MPI_Bcast(&n, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  std::string out = rank_ == 0 ? value : std::string(n, '\0');
  MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
  return out;
}

void MpiContext::abort(int code) const {
  if (active_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace bertology
