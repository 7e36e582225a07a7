// util/: internal checks (BTL_CHECK), whole-file reads and atomic writes (files.h), text splitting
// (text.h), the process's peak memory (peak_memory.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/util/error.h"
#include "pipeline/util/files.h"
#include "pipeline/util/float16.h"
#include "pipeline/util/json_number.h"
#include "pipeline/io/hdf5_file.h"
#include "pipeline/util/peak_memory.h"
#include "pipeline/util/text.h"

using namespace bertology;
namespace fs = std::filesystem;

namespace {

using Views = std::vector<std::string_view>;

/// A fresh empty directory for one test.
fs::path scratch(const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("bertology_util_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// The names of the files in `dir`, sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

// ---- BTL_CHECK ---------------------------------------------------------------------------------

TEST(BtlCheck, MessageNamesFileLineAndCondition) {
  const int n = 3;
  const int line = __LINE__ + 2;
  try {
    BTL_CHECK(n < 0, "n=", n);
    FAIL() << "no throw";
  } catch (const InternalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("test_util.cpp:" + std::to_string(line) + ": "), std::string::npos) << what;
    EXPECT_NE(what.find("internal check failed: n < 0: n=3"), std::string::npos) << what;
  }
}

TEST(BtlCheck, WorksWithoutMessageAndPassesQuietly) {
  const int line = __LINE__ + 2;
  try {
    BTL_CHECK(1 + 1 == 3);
    FAIL() << "no throw";
  } catch (const InternalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("test_util.cpp:" + std::to_string(line) + ": internal check failed: 1 + 1 == 3"),
              std::string::npos)
        << what;
    const std::string tail = "failed: 1 + 1 == 3";  // nothing after the condition without a message
    EXPECT_EQ(what.substr(what.size() - std::min(what.size(), tail.size())), tail) << what;
  }
  EXPECT_NO_THROW(BTL_CHECK(true));
  EXPECT_NO_THROW(BTL_CHECK(2 > 1, "never built"));
}

// ---- files.h -----------------------------------------------------------------------------------

TEST(Files, ReadTextFileDropsOneLeadingBom) {
  const fs::path dir = scratch("bom");
  write_bytes(dir / "bom.txt", "\xEF\xBB\xBFhello\r\n");
  EXPECT_EQ(read_text_file((dir / "bom.txt").string(), "a test file"), "hello\r\n");
  EXPECT_EQ(read_file_bytes((dir / "bom.txt").string(), "a test file"), "\xEF\xBB\xBFhello\r\n");
  write_bytes(dir / "plain.txt", "no mark");
  EXPECT_EQ(read_text_file((dir / "plain.txt").string(), "a test file"), "no mark");
  write_bytes(dir / "short.txt", "\xEF\xBB");
  EXPECT_EQ(read_text_file((dir / "short.txt").string(), "a test file"), "\xEF\xBB");
  fs::remove_all(dir);
}

TEST(Files, ReadErrorsNameTheFile) {
  const fs::path dir = scratch("read_errors");
  const std::string missing = (dir / "nope.txt").string();
  try {
    read_file_bytes(missing, "a test file");
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": no such file");
  }
  try {
    read_text_file(missing, "a test file", true);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": no such file (a test file)");
  }
  try {
    read_file_bytes(dir.string(), "a test file");
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir.string() + ": is a directory, expected a test file");
  }
  fs::remove_all(dir);
}

TEST(Files, UniqueTempNamesDiffer) {
  const std::string a = unique_temp_name("/x/out.h5"), b = unique_temp_name("/x/out.h5");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("/x/out.h5.tmp.", 0), 0u) << a;
  EXPECT_TRUE(is_temp_name(fs::path(a).filename().string())) << a;
  EXPECT_FALSE(is_temp_name("out.h5"));
}

TEST(Files, WriteFileAtomicReplacesAndLeavesNoTemporary) {
  const fs::path dir = scratch("atomic");
  const std::string path = (dir / "f.json").string();
  write_file_atomic(path, "first");
  write_file_atomic(path, std::string("sec\0nd", 6));
  EXPECT_EQ(read_file_bytes(path, "a test file"), std::string("sec\0nd", 6));
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"f.json"}));
  EXPECT_THROW(write_file_atomic((dir / "no_dir" / "f").string(), "x"), InternalError);
  fs::remove_all(dir);
}

TEST(Files, TempOutputRemovesItsFileUnlessCommitted) {
  const fs::path dir = scratch("temp_output");
  const std::string final_path = (dir / "out.bin").string();
  std::string temp;
  {
    TempOutput out(final_path);
    temp = out.path();
    EXPECT_NE(temp, final_path);
    EXPECT_EQ(out.final_path(), final_path);
    write_bytes(temp, "partial");
    EXPECT_TRUE(fs::exists(temp));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(final_path));
  { TempOutput never_written(final_path); }  // nothing created: destruction is quiet
  EXPECT_TRUE(names_in(dir).empty());
  fs::remove_all(dir);
}

TEST(Files, TempOutputCommitRenamesOntoTheFinalName) {
  const fs::path dir = scratch("temp_commit");
  const std::string final_path = (dir / "out.bin").string();
  write_bytes(final_path, "old");
  {
    TempOutput out(final_path);
    write_bytes(out.path(), "new");
    EXPECT_EQ(read_file_bytes(final_path, "a test file"), "old");  // untouched until commit
    out.commit();
  }
  EXPECT_EQ(read_file_bytes(final_path, "a test file"), "new");
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"out.bin"}));

  TempOutput unwritten((dir / "other.bin").string());
  EXPECT_THROW(unwritten.commit(), InternalError);  // no temporary was ever written
  fs::remove_all(dir);
}

// ---- text.h ------------------------------------------------------------------------------------

TEST(Text, SplitLinesDropsCarriageReturnsAndNoExtraLastLine) {
  EXPECT_EQ(split_lines("a\r\nb\n"), (Views{"a", "b"}));
  EXPECT_EQ(split_lines("a\nb"), (Views{"a", "b"}));
  EXPECT_EQ(split_lines(""), Views{});
  EXPECT_EQ(split_lines("\n"), (Views{""}));
  EXPECT_EQ(split_lines("a\n\nb\r"), (Views{"a", "", "b"}));
}

TEST(Text, LineSplitterCountsLines) {
  LineSplitter lines("x\r\n\ny");
  std::string_view line;
  ASSERT_TRUE(lines.next(&line));
  EXPECT_EQ(line, "x");
  ASSERT_TRUE(lines.next(&line));
  EXPECT_EQ(line, "");
  ASSERT_TRUE(lines.next(&line));
  EXPECT_EQ(line, "y");
  EXPECT_EQ(lines.line_number(), 3);
  EXPECT_FALSE(lines.next(&line));
}

TEST(Text, SplitWhitespaceSkipsRuns) {
  EXPECT_EQ(split_whitespace("  a \t b  c "), (Views{"a", "b", "c"}));
  EXPECT_EQ(split_whitespace(""), Views{});
  EXPECT_EQ(split_whitespace(" \t "), Views{});
  EXPECT_EQ(split_whitespace("a\tb c", " "), (Views{"a\tb", "c"}));           // only spaces separate
  EXPECT_EQ(split_whitespace("a\r\vb\fc\n", kAsciiWhitespace), (Views{"a", "b", "c"}));
  EXPECT_EQ(split_whitespace("a\rb"), (Views{"a\rb"}));                        // "\r" is content by default
}

TEST(Text, SplitKeepsEmptyFields) {
  EXPECT_EQ(split("a,,b", ','), (Views{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (Views{""}));
  EXPECT_EQ(split("a,", ','), (Views{"a", ""}));
}

TEST(Text, TrimAndBlank) {
  EXPECT_EQ(trim(" \t a b \t"), "a b");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim("a\r"), "a\r");  // only spaces and tabs
  EXPECT_TRUE(is_blank(""));
  EXPECT_TRUE(is_blank(" \t"));
  EXPECT_FALSE(is_blank(" x"));
  EXPECT_EQ(strip_utf8_bom("\xEF\xBB\xBFx"), "x");
  EXPECT_EQ(strip_utf8_bom("x"), "x");
}

TEST(PeakMemory, ResetStartsANewPeakThatSeesATouchedBuffer) {
  const int64_t MiB = int64_t{1} << 20;
  ASSERT_GT(current_rss_bytes(), 0);
  {
    std::vector<char> big(static_cast<size_t>(128 * MiB));
    for (size_t i = 0; i < big.size(); i += 4096) big[i] = 1;  // resident only once touched
    EXPECT_GE(peak_rss_bytes(), current_rss_bytes());
    EXPECT_GE(current_rss_bytes(), 128 * MiB);
  }
  // The buffer is gone (an mmap'd block above the mmap threshold is returned at once).
  ASSERT_TRUE(reset_peak_rss()) << "the kernel refused /proc/self/clear_refs";
  const int64_t after = peak_rss_bytes();
  EXPECT_LT(after, current_rss_bytes() + 16 * MiB);
  std::vector<char> more(static_cast<size_t>(64 * MiB));
  for (size_t i = 0; i < more.size(); i += 4096) more[i] = 1;
  EXPECT_GE(peak_rss_bytes(), after + 60 * MiB);
}

namespace bertology {

// ---- exact_float16_bits ----------------------------------------------------------------------------

namespace json_number_test {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const bertology::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace json_number_test

// nlohmann's get<int>() is a static_cast: 199e9 is undefined behaviour (fuzz_model_files, UBSan),
// 4294968064 wraps to 768. json_number takes only what the type holds.
TEST(JsonNumber, IntegersInRangeAreReadExactly) {
  using bertology::json_number;
  using nlohmann::json;
  EXPECT_EQ(json_number<int>(json::parse("768"), "f", "k"), 768);
  EXPECT_EQ(json_number<int>(json::parse("-2147483648"), "f", "k"), std::numeric_limits<int>::min());
  EXPECT_EQ(json_number<int64_t>(json::parse("9223372036854775807"), "f", "k"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(json_number<uint64_t>(json::parse("18446744073709551615"), "f", "k"), std::numeric_limits<uint64_t>::max());
  EXPECT_DOUBLE_EQ(json_number<double>(json::parse("1e-12"), "f", "k"), 1e-12);
  EXPECT_DOUBLE_EQ(json_number<double>(json::parse("3"), "f", "k"), 3.0);
  EXPECT_EQ(bertology::json_numbers<int64_t>(json::parse("[0, 5, -1]"), "f", "k"), (std::vector<int64_t>{0, 5, -1}));
}

TEST(JsonNumber, AnythingTheTypeCannotHoldIsAnErrorNamingFileAndKey) {
  using bertology::json_number;
  using json_number_test::error_of;
  using nlohmann::json;
  EXPECT_EQ(error_of([] { json_number<int>(json::parse("199e9"), "m/config.json", "hidden_size"); }),
            "m/config.json: key 'hidden_size' must be an integer in [-2147483648, 2147483647], got 199000000000.0");
  EXPECT_EQ(error_of([] { json_number<int>(json::parse("4294968064"), "c.json", "hidden_size"); }),
            "c.json: key 'hidden_size' must be an integer in [-2147483648, 2147483647], got 4294968064");
  EXPECT_EQ(error_of([] { json_number<int>(json::parse("768.0"), "c.json", "k"); }),
            "c.json: key 'k' must be an integer in [-2147483648, 2147483647], got 768.0");
  EXPECT_EQ(error_of([] { json_number<int>(json::parse("\"768\""), "c.json", "k"); }),
            "c.json: key 'k' must be an integer in [-2147483648, 2147483647], got a JSON string");
  EXPECT_EQ(error_of([] { json_number<uint64_t>(json::parse("-1"), "c.json", "bytes"); }),
            "c.json: key 'bytes' must be an integer in [0, 18446744073709551615], got -1");
  EXPECT_EQ(error_of([] { json_number<int64_t>(json::parse("9223372036854775808"), "c.json", "n"); }),
            "c.json: key 'n' must be an integer in [-9223372036854775808, 9223372036854775807], got 9223372036854775808");
  EXPECT_EQ(error_of([] { json_number<float>(json::parse("1e300"), "c.json", "eps"); }),
            "c.json: key 'eps' must be a finite number, got 1e+300");
  EXPECT_EQ(error_of([] { json_number<double>(json::parse("true"), "c.json", "eps"); }),
            "c.json: key 'eps' must be a finite number, got a JSON boolean");
  EXPECT_EQ(error_of([] { bertology::json_numbers<int64_t>(json::parse("[1, 2.5]"), "p.json", "layers"); }),
            "p.json: key 'layers[1]' must be an integer in [-9223372036854775808, 9223372036854775807], got 2.5");
}

TEST(Float16, ExactValuesGiveTheirBitsByHand) {
  const std::vector<std::pair<float, uint16_t>> cases = {
      {1.0f, 0x3C00}, {-2.0f, 0xC000}, {65504.0f, 0x7BFF}, {0.0f, 0x0000}, {-0.0f, 0x8000},
      {0.5f, 0x3800}, {6.103515625e-05f /* 2^-14, smallest normal */, 0x0400},
      {5.9604644775390625e-08f /* 2^-24, smallest subnormal */, 0x0001},
      {1.7881393432617188e-07f /* 3 × 2^-24 */, 0x0003}, {1.0009765625f /* 1 + 2^-10 */, 0x3C01},
      {std::numeric_limits<float>::infinity(), 0x7C00}};
  for (const auto& [value, expected] : cases) {
    uint16_t bits = 0xFFFF;
    EXPECT_TRUE(exact_float16_bits(value, bits)) << value;
    EXPECT_EQ(bits, expected) << value;
  }
}

TEST(Float16, ValuesFloat16CannotHoldAreRefused) {
  uint16_t bits;
  for (float v : {0.1f, 1.00048828125f /* 1 + 2^-11 */, 65536.0f, 2.9802322387695312e-08f /* 2^-25 */, 1e-40f,
                  8.940696716308594e-08f /* 1.5 × 2^-24 */})
    EXPECT_FALSE(exact_float16_bits(v, bits)) << v;
}

TEST(Float16, BulkWideningEqualsTheScalarConversionBitForBit) {
  // Every binary16 pattern, in groups of eight as the F16C path takes them (groups holding a NaN go
  // through the table: vcvtph2ps would quiet a signalling NaN), and shifted by one so that the
  // groups differ and the last seven take the tail loop.
  std::vector<uint16_t> all(65536);
  for (uint32_t h = 0; h <= 0xFFFF; ++h) all[h] = static_cast<uint16_t>(h);
  for (size_t shift : {size_t{0}, size_t{1}}) {
    std::vector<float> got(all.size() - shift);
    widen_float16(all.data() + shift, got.size(), got.data());
    for (size_t i = 0; i < got.size(); ++i) {
      const float want = widen_float16_bits(all[i + shift]);
      ASSERT_EQ(0, std::memcmp(&got[i], &want, sizeof want)) << std::hex << all[i + shift] << " shift " << shift;
    }
  }
  // A signalling NaN keeps its payload (bit 22 stays clear), as the scalar conversion keeps it.
  const uint16_t signalling[8] = {0x7c01, 0, 0, 0, 0, 0, 0, 0};
  float wide[8];
  widen_float16(signalling, 8, wide);
  uint32_t bits;
  std::memcpy(&bits, &wide[0], sizeof bits);
  EXPECT_EQ(bits, 0x7f802000u);
}

TEST(Float16, EveryFloat16ValueRoundTrips) {  // through the cache reader's own widening table
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) continue;  // NaN payloads need not survive
    const auto in = static_cast<uint16_t>(h);
    float f;
    H5File::half_bits_to_float(&in, 1, &f);
    uint16_t out = 0;
    ASSERT_TRUE(exact_float16_bits(f, out)) << std::hex << h;
    ASSERT_EQ(out, in) << std::hex << h;
  }
}

}  // namespace bertology
