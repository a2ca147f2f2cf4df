#include "engine/joint_cholesky_preconditioner.h"

#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

TEST(JointCholeskyPreconditioner, IsTheExactInverseWhereFactored) {
  auto f = MakeReducedSystem(/*independent=*/false);
  ReducedProblem* reduced = f->pipeline.reduced;
  const Reference ref = BuildReference(&f->pipeline);
  std::string error;
  JointCholeskyPreconditioner joint(*reduced, 10, false,
                                    SparseCholesky::Mode::kAuto);
  ASSERT_TRUE(
      joint.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error))
      << error;
  EXPECT_EQ(joint.num_factorizations(), 1);
  const Eigen::MatrixXd m = ref.ScaledSchur();
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(m.rows(), -1.0, 1.0);
  Eigen::VectorXd y(m.rows());
  joint.Apply(x.data(), y.data());
  const Eigen::VectorXd expected = m.ldlt().solve(x);
  EXPECT_LE((y - expected).norm(), 1e-9 * expected.norm());
  // Lagged: no refactorisation until CG needs too many iterations.
  ASSERT_TRUE(
      joint.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error));
  EXPECT_EQ(joint.num_factorizations(), 1);
  joint.NotifyIterations(11, 0.0);
  ASSERT_TRUE(
      joint.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error));
  EXPECT_EQ(joint.num_factorizations(), 2);
}

}  // namespace
}  // namespace ceres_varpro::internal
