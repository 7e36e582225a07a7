// The stage kit's pieces that need no MPI job: registration rules, the stage-name check, the
// per-seed tables (hand-computed means and standard deviations), percent() over zero items, the
// memory budget's check and its windows.
// The kit end to end (rank shares, records, declared tables) is exercised by stage_tests.
#include <gtest/gtest.h>

#include <cmath>

#include "pipeline/stage/memory_budget.h"
#include "pipeline/stage/run_stages.h"
#include "pipeline/stage/seed_tables.h"
#include "pipeline/stage/stage_registry.h"
#include "pipeline/util/error.h"
#include "pipeline/util/percent.h"

namespace bertology {
namespace {

void kit_test_stage(StageContext&) {}

TEST(StageKit, RegistrationRejectsDuplicatesAndIncompleteStages) {
  register_stage({"kit_test_stage", "a stage of the unit tests", kit_test_stage});
  ASSERT_NE(find_stage("kit_test_stage"), nullptr);
  EXPECT_EQ(find_stage("kit_test_stage")->summary, "a stage of the unit tests");
  try {
    register_stage({"kit_test_stage", "the same name again", kit_test_stage});
    FAIL() << "a second stage of the same name was accepted";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("'kit_test_stage' is registered twice"), std::string::npos) << e.what();
  }
  EXPECT_THROW(register_stage({"", "no name", kit_test_stage}), InternalError);
  EXPECT_THROW(register_stage({"no_entry_point", "no function", nullptr}), InternalError);
}

TEST(StageKit, UnknownStageNamesAreOneLineInputErrors) {
  try {
    check_stage_names({"kit_test_stage_missing"});
    FAIL() << "an unknown stage was accepted";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("stages: unknown stage 'kit_test_stage_missing' (registered: ", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

TEST(StageKit, SeedTablesPrintRunsMeansAndSampleSd) {
  SeedTables t({"task", "split"});
  // Accuracies 80, 90, 100 %: mean 90, sd (n - 1) = 10.
  t.add({"upos", "test"}, 3, {{8, 10}, {9, 10}, {10, 10}});
  t.add({"upos", "gen"}, 0, {{1, 4}});  // one run: sd 0
  EXPECT_EQ(t.runs().str(),
            "task,split,layer,run,correct,count,accuracy\n"
            "upos,test,3,0,8,10,80.0000\n"
            "upos,test,3,1,9,10,90.0000\n"
            "upos,test,3,2,10,10,100.0000\n"
            "upos,gen,0,0,1,4,25.0000\n");
  EXPECT_EQ(t.summary().str(),
            "task,split,layer,mean,sd,runs\n"
            "upos,test,3,90.0000,10.0000,3\n"
            "upos,gen,0,25.0000,0.0000,1\n");
}

TEST(StageKit, PercentOfZeroItemsIsNan) {
  EXPECT_DOUBLE_EQ(percent(1, 4), 25.0);
  EXPECT_TRUE(std::isnan(percent(0, 0)));
  SeedTables t({"task"});
  t.add({"arc"}, 1, {{0, 0}});
  EXPECT_EQ(t.runs().str(), "task,layer,run,correct,count,accuracy\narc,1,0,0,0,nan\n");
}

TEST(MemoryBudget, ReservationsBeyondTheBudgetFailWithTheWholeListAndTheKey) {
  const int64_t MiB = int64_t{1} << 20;
  MemoryBudget fits(MemoryBudget::kProcessBaseBytes + 100 * MiB, "kit_stage");
  fits.reserve(60 * MiB, "a table");
  EXPECT_EQ(fits.left(), 40 * MiB);
  MemoryBudget over(MemoryBudget::kProcessBaseBytes + 100 * MiB, "kit_stage");
  over.reserve(60 * MiB, "a table");
  over.reserve(50 * MiB, "a step");
  try {
    (void)over.left();
    FAIL() << "110 MiB were reserved of 100";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "runtime.memory_gb: kit_stage needs at least 366.0 MiB besides the features it holds (the process "
              "(libraries, config, entries) 256.0 MiB + a table 60.0 MiB + a step 50.0 MiB) but the budget is "
              "356.0 MiB; raise runtime.memory_gb");
  }
}

TEST(MemoryBudget, WindowsAreConsecutiveFitTheirBytesAndGiveABigItemItsOwn) {
  // Items 0..5 of bytes 10, 20, 30, 40, 50, 60 in the order 5 2 0 4 1 3, held 60 bytes at a time:
  // [60] [30 10] [50] [20 40]; an item above the budget (hold 25: 60, 30, 50, 40) stands alone.
  const std::vector<int64_t> order = {5, 2, 0, 4, 1, 3};
  const auto bytes = [](int64_t i) { return 10 * (i + 1); };
  using Windows = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(split_into_windows(order, bytes, 60), (Windows{{0, 1}, {1, 3}, {3, 4}, {4, 6}}));
  EXPECT_EQ(split_into_windows(order, bytes, 25), (Windows{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}}));
  EXPECT_EQ(split_into_windows(order, bytes, 1000), (Windows{{0, 6}}));
  EXPECT_TRUE(split_into_windows({}, bytes, 60).empty());
}

}  // namespace
}  // namespace bertology
