#include "engine/schur_jacobi_preconditioner.h"

#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

TEST(SchurJacobiPreconditioner, InvertsTheDiagonalBlocksOfS) {
  auto f = MakeReducedSystem(/*independent=*/true);
  ReducedProblem* reduced = f->pipeline.reduced;
  const Reference ref = BuildReference(&f->pipeline);
  SchurJacobiPreconditioner schur(*reduced);
  std::string error;
  ASSERT_TRUE(
      schur.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error))
      << error;
  ExpectBlockInverse(&schur, ref.ScaledSchur(), reduced->jacobian(),
                     reduced->num_nonlinear_columns());
  // Only the diagonal changes (jacobian_changed = false): S's blocks are
  // kept and rescaled.
  Reference damped = ref;
  damped.d2 *= 3.0;
  ASSERT_TRUE(schur.Update(reduced, damped.scale.data(), damped.d2.data(),
                           false, &error));
  ExpectBlockInverse(&schur, damped.ScaledSchur(), reduced->jacobian(),
                     reduced->num_nonlinear_columns());
}

}  // namespace
}  // namespace ceres_varpro::internal
