// How many CPUs this process may run on.
#pragma once

namespace bertology {

/// Physical cores in this process's affinity mask, >= 1: what `mpirun --bind-to core|socket`,
/// `srun --cpus-per-task`, `taskset` or a cgroup cpuset left it (all online CPUs when unbound).
/// Hyperthreads of one core count once (GEMM threads gain nothing from a core's second thread);
/// where Linux does not say which CPUs share a core, every CPU counts.
int affinity_cpus();

}  // namespace bertology
