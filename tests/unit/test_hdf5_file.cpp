// HDF5 layer: fp16 stored as IEEE binary16 bit patterns and read back exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "pipeline/io/hdf5_file.h"
#include "pipeline/util/error.h"

using namespace bertology;
namespace fs = std::filesystem;

TEST(Hdf5File, Float16BitPatternsReadBackExactly) {
  const fs::path p = fs::temp_directory_path() / ("bertology_h5_" + std::to_string(::getpid()) + ".h5");
  // binary16 patterns of 1, 2, -0.5, 65504 (max), 2^-24 (smallest subnormal), 1.9990234375.
  const uint16_t bits[6] = {0x3C00, 0x4000, 0xB800, 0x7BFF, 0x0001, 0x3FFF};
  const float expected[6] = {1.0f, 2.0f, -0.5f, 65504.0f, 5.9604644775390625e-08f, 1.9990234375f};
  {
    H5File f = H5File::create(p.string());
    f.write("/g/x", H5Kind::F16, {2, 3}, bits);
    f.set_attribute("/", "note", std::string("hello"));
    f.close();
  }
  H5File f = H5File::open_read(p.string());
  EXPECT_EQ(f.dims("/g/x"), (std::vector<hsize_t>{2, 3}));
  const auto values = f.read_f32("/g/x");
  ASSERT_EQ(values.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(values[i], expected[i]) << i;
  EXPECT_EQ(f.string_attribute("/", "note"), "hello");
  fs::remove(p);
}

TEST(Hdf5File, OpeningGarbageIsAnInputError) {
  const fs::path p = fs::temp_directory_path() / ("bertology_h5_bad_" + std::to_string(::getpid()) + ".h5");
  FILE* fp = std::fopen(p.c_str(), "w");
  std::fputs("not hdf5", fp);
  std::fclose(fp);
  EXPECT_THROW(H5File::open_read(p.string()), InputError);
  fs::remove(p);
}
