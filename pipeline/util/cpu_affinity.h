// How many CPUs this process may run on.
#pragma once

namespace bertology {

/// CPUs in this process's affinity mask, >= 1: what `mpirun --bind-to core|socket`,
/// `srun --cpus-per-task`, `taskset` or a cgroup cpuset left it (all online CPUs when unbound).
int affinity_cpus();

}  // namespace bertology
