#include "engine/block_jacobi_preconditioner.h"

#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

TEST(BlockJacobiPreconditioner, InvertsTheDiagonalBlocksOfJtJ) {
  for (const bool independent : {false, true}) {
    auto f = MakeReducedSystem(independent);
    ReducedProblem* reduced = f->pipeline.reduced;
    const Reference ref = BuildReference(&f->pipeline);
    BlockJacobiPreconditioner jacobi(*reduced);
    std::string error;
    ASSERT_TRUE(
        jacobi.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error))
        << error;
    ExpectBlockInverse(&jacobi, ref.ScaledJtJ(), reduced->jacobian(),
                       reduced->num_nonlinear_columns());
  }
}

}  // namespace
}  // namespace ceres_varpro::internal
