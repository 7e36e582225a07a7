// A grid of independent jobs (task × layer × seed trainings) split over MPI ranks: job j runs on
// rank j mod size and fills its row of a results table; the rows are summed over ranks, so every
// rank ends with the whole table, whatever the rank count.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "pipeline/stage/stage_registry.h"

namespace bertology {

/// Runs run(j, row) for this rank's jobs j of [0, jobs); row has `width` zeros to fill. Returns the
/// [jobs, width] table of every rank's rows (a collective call).
inline std::vector<double> run_job_grid(const StageContext& ctx, int64_t jobs, int64_t width,
                                        const std::function<void(int64_t, double*)>& run) {
  std::vector<double> table(static_cast<size_t>(jobs * width), 0.0);
  for (int64_t j = 0; j < jobs; ++j)
    if (j % ctx.mpi.size() == ctx.mpi.rank()) run(j, table.data() + j * width);
  ctx.mpi.allreduce_sum(table);
  return table;
}

/// Mean and sample standard deviation (n − 1; 0 for one value).
struct MeanSd {
  double mean = 0, sd = 0;
};
inline MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd m;
  if (values.empty()) return m;
  for (double v : values) m.mean += v / static_cast<double>(values.size());
  if (values.size() > 1) {
    double ss = 0;
    for (double v : values) ss += (v - m.mean) * (v - m.mean);
    m.sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  }
  return m;
}

}  // namespace bertology
