// Which GPU a rank uses: one rule for every command and stage.
//
// "cuda" means GPU (local rank mod visible GPUs). The local rank is the rank's index on its node,
// as the launcher tells it. This works whether the launcher shows every GPU to every rank
// (mpirun: rank 3 of a node with 4 GPUs takes cuda:3) or narrows CUDA_VISIBLE_DEVICES to one GPU
// per task (srun --gpus-per-task=1: each rank sees one GPU, and 3 mod 1 = 0 picks it).
// "cuda:N" is taken as written (N must be visible). Torch-free, so the rule itself is tested on CPU.
#pragma once

#include <string>

namespace bertology {

/// This process's rank on its node, from the launcher's environment: OMPI_COMM_WORLD_LOCAL_RANK
/// (Open MPI's mpirun), SLURM_LOCALID (srun), MPI_LOCALRANKID (MPICH, Intel MPI), PMI_LOCAL_RANK,
/// LOCAL_RANK (torchrun-style launchers); 0 when none is set (a plain single process).
int local_rank_from_env();

/// The device string for a rank: "cpu" -> "cpu"; "cuda" -> "cuda:<local_rank % visible_gpus>";
/// "cuda:N" -> "cuda:N". Throws InputError when a CUDA device is asked for and `visible_gpus` is 0
/// (none visible, or a CPU-only build) or N >= visible_gpus, and for anything else.
std::string resolve_device(const std::string& device, int local_rank, int visible_gpus);

}  // namespace bertology
