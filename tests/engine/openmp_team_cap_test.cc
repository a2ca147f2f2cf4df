#include "engine/openmp_team_cap.h"

#include <dlfcn.h>

#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

// The OpenMP runtime is in the process because CHOLMOD needs it; looked up
// as the cap itself does.
TEST(OpenMpTeamCap, BoundsTheCallingThreadsTeamsAndRestoresThem) {
  auto get_max_threads =
      reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  auto get_dynamic =
      reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_dynamic"));
  if (get_max_threads == nullptr || get_dynamic == nullptr) {
    GTEST_SKIP() << "no OpenMP runtime in the process";
  }
  const int max_threads = get_max_threads();
  const int dynamic = get_dynamic();
  {
    const OpenMpTeamCap cap(1);
    EXPECT_EQ(get_max_threads(), 1);
    EXPECT_NE(get_dynamic(), 0);
    {
      const OpenMpTeamCap inner(3);
      EXPECT_EQ(get_max_threads(), 3);
    }
    EXPECT_EQ(get_max_threads(), 1);
  }
  EXPECT_EQ(get_max_threads(), max_threads);
  EXPECT_EQ(get_dynamic(), dynamic);
}

}  // namespace
}  // namespace ceres_varpro::internal
