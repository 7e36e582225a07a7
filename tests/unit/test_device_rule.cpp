// The device rule (pipeline/dist/device_rule.h) and model.threads: 0, on the CPU: which GPU a rank
// takes under mpirun (all GPUs visible) and under srun --gpus-per-task (one visible), hand-worked.
#include <sched.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "pipeline/config/config.h"
#include "pipeline/config/params.h"
#include "pipeline/dist/device_rule.h"
#include "pipeline/util/cpu_affinity.h"
#include "tests/support/unit.h"

namespace bertology {
namespace {

using test::input_error;

TEST(DeviceRule, CudaIsLocalRankModuloVisibleGpus) {
  // mpirun on a node with 4 GPUs, 8 ranks: ranks 0..7 -> GPUs 0,1,2,3,0,1,2,3.
  const char* expected[] = {"cuda:0", "cuda:1", "cuda:2", "cuda:3", "cuda:0", "cuda:1", "cuda:2", "cuda:3"};
  for (int r = 0; r < 8; ++r) EXPECT_EQ(resolve_device("cuda", r, 4), expected[r]) << r;
  // srun --gpus-per-task=1: each task sees its own GPU as device 0, whatever its local rank.
  for (int r = 0; r < 8; ++r) EXPECT_EQ(resolve_device("cuda", r, 1), "cuda:0") << r;
  EXPECT_EQ(resolve_device("cuda:2", 0, 4), "cuda:2");
  EXPECT_EQ(resolve_device("cuda:2", 3, 4), "cuda:2");  // an explicit index is kept
  EXPECT_EQ(resolve_device("cuda:02", 0, 4), "cuda:2");
  EXPECT_EQ(resolve_device("cpu", 5, 0), "cpu");
  EXPECT_EQ(resolve_device("cpu", 5, 4), "cpu");
}

TEST(DeviceRule, ClearErrors) {
  ::unsetenv("CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(input_error([] { resolve_device("cuda", 0, 0); }),
            "model.device 'cuda': no CUDA device is visible to this rank (CUDA_VISIBLE_DEVICES unset), or this "
            "build of bertology has no CUDA (scripts/setup.sh --cuda builds build-cuda/)");
  ::setenv("CUDA_VISIBLE_DEVICES", "", 1);
  EXPECT_EQ(input_error([] { resolve_device("cuda:0", 1, 0); }),
            "model.device 'cuda:0': no CUDA device is visible to this rank (CUDA_VISIBLE_DEVICES=''), or this "
            "build of bertology has no CUDA (scripts/setup.sh --cuda builds build-cuda/)");
  ::unsetenv("CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(input_error([] { resolve_device("cuda:4", 0, 4); }),
            "model.device 'cuda:4': this rank sees 4 CUDA devices (cuda:0..cuda:3)");
  EXPECT_EQ(input_error([] { resolve_device("cuda:1", 0, 1); }),
            "model.device 'cuda:1': this rank sees 1 CUDA device (cuda:0)");
  EXPECT_EQ(input_error([] { resolve_device("gpu", 0, 4); }), "model.device 'gpu': expected cpu, cuda or cuda:N");
  EXPECT_EQ(input_error([] { resolve_device("cuda:x", 0, 4); }), "model.device 'cuda:x': expected cpu, cuda or cuda:N");
}

TEST(DeviceRule, LocalRankFromTheLauncher) {
  const char* vars[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "LOCAL_RANK"};
  // Saved, so that this test also runs under mpirun (which sets the first).
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* v : vars) {
    if (const char* x = std::getenv(v)) saved.emplace_back(v, x);
    ::unsetenv(v);
  }
  EXPECT_EQ(local_rank_from_env(), 0);
  ::setenv("SLURM_LOCALID", "3", 1);
  EXPECT_EQ(local_rank_from_env(), 3);
  ::setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);  // mpirun's own variable wins over Slurm's
  EXPECT_EQ(local_rank_from_env(), 1);
  ::setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x", 1);  // unreadable: the next one
  EXPECT_EQ(local_rank_from_env(), 3);
  for (const char* v : vars) ::unsetenv(v);
  ::setenv("LOCAL_RANK", "2", 1);
  EXPECT_EQ(local_rank_from_env(), 2);
  ::unsetenv("LOCAL_RANK");
  for (const auto& [k, v] : saved) ::setenv(k.c_str(), v.c_str(), 1);
}

TEST(ThreadsAuto, ZeroMeansTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  // Physical cores of the mask: hyperthread siblings (same package and core id) count once.
  std::set<std::pair<std::string, std::string>> cores;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    const std::string topo = "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/";
    std::ifstream package(topo + "physical_package_id"), core(topo + "core_id");
    std::string p, k;
    package >> p;
    core >> k;
    cores.emplace(p, k);
  }
  const int mask = static_cast<int>(cores.size());
  ASSERT_GE(mask, 1);
  EXPECT_LE(mask, CPU_COUNT(&set));
  EXPECT_EQ(affinity_cpus(), mask);
  EXPECT_EQ(params_from_config(Config::load({}, {"model.threads=0"})).model.threads, mask);
  EXPECT_EQ(params_from_config(Config::load({}, {"model.threads=3"})).model.threads, 3);
  // Bound to one CPU (as mpirun --bind-to core does), auto gives one thread.
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) {
      CPU_SET(c, &one);
      break;
    }
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  EXPECT_EQ(params_from_config(Config::load({}, {"model.threads=0"})).model.threads, 1);
  ASSERT_EQ(sched_setaffinity(0, sizeof set, &set), 0);
}

}  // namespace
}  // namespace bertology
