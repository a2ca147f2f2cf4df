#include "engine/dense_reduced_solver.h"

#include <memory>
#include <vector>

#include "ceres/autodiff_cost_function.h"
#include "ceres/problem.h"
#include "ceres/rotation.h"
#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

class DenseReducedSolverTest : public ::testing::TestWithParam<bool> {};

// Coupled blocks: S -= BᵀG⁻¹B; independent: Σ_k E_kᵀG_k⁻¹E_k. Both exact.
TEST_P(DenseReducedSolverTest, StepMatchesTheDenseReference) {
  auto f = MakeReducedSystem(/*independent=*/GetParam());
  ReducedProblem* reduced = f->pipeline.reduced;
  const Reference ref = BuildReference(&f->pipeline);
  const Eigen::VectorXd expected = ref.ExactStep();
  DenseReducedSolver dense(*reduced);
  Eigen::VectorXd y(reduced->num_tangent());
  const auto summary = dense.Solve(reduced, ref.scale.data(), ref.d2.data(),
                                   ref.g.data(), 0.1, true, y.data());
  ASSERT_TRUE(summary.success) << summary.message;
  EXPECT_EQ(summary.num_iterations, 1);
  EXPECT_LE((y - expected).norm(), 1e-9 * expected.norm());
  // The model's δᵀSδ comes with the step; it must be the product's.
  const Eigen::VectorXd delta = ref.scale.cwiseProduct(y);
  const double quadratic_form = reduced->SchurQuadraticForm(delta.data());
  EXPECT_NEAR(summary.quadratic_form, quadratic_form, 1e-9 * quadratic_form);
  // A new diagonal on the same S (jacobian_changed = false) is still exact:
  // the factorisation in place kept S.
  Reference damped = ref;
  damped.d2 *= 10.0;
  const auto damped_summary =
      dense.Solve(reduced, damped.scale.data(), damped.d2.data(),
                  damped.g.data(), 0.1, false, y.data());
  ASSERT_TRUE(damped_summary.success);
  const Eigen::VectorXd expected_damped = damped.ExactStep();
  EXPECT_LE((y - expected_damped).norm(), 1e-9 * expected_damped.norm());
  const Eigen::VectorXd damped_delta = damped.scale.cwiseProduct(y);
  const double damped_form = reduced->SchurQuadraticForm(damped_delta.data());
  EXPECT_NEAR(damped_summary.quadratic_form, damped_form, 1e-9 * damped_form);
}

INSTANTIATE_TEST_SUITE_P(CoupledAndIndependent, DenseReducedSolverTest,
                         ::testing::Bool());

// A pinhole reprojection error with cameras of kSize parameters (angle-axis,
// translation, then focal length and two distortion terms when kSize is 9)
// and 3D points: the shapes whose Schur products have their own kernels.
template <int kSize>
struct Reprojection {
  double u, v;
  template <typename T>
  bool operator()(const T* camera, const T* point, T* residuals) const {
    T p[3];
    ceres::AngleAxisRotatePoint(camera, point, p);
    for (int i = 0; i < 3; ++i) p[i] += camera[3 + i];
    const T x = p[0] / p[2], y = p[1] / p[2];
    T f(500.0), d(1.0);
    if constexpr (kSize == 9) {
      const T r2 = x * x + y * y;
      f = camera[6];
      d = 1.0 + r2 * (camera[7] + camera[8] * r2);
    }
    residuals[0] = f * d * x - u;
    residuals[1] = f * d * y - v;
    return true;
  }
};

template <int kSize>
struct Scene {
  std::vector<std::vector<double>> cameras, points;
  ceres::Problem problem;
};

// Points seen by 2..4 of 5 cameras, observations off by a few pixels, so
// the point blocks are eliminated by inner solves (not affine).
template <int kSize>
std::unique_ptr<Scene<kSize>> MakeScene() {
  auto scene = std::make_unique<Scene<kSize>>();
  const int num_cameras = 5, num_points = 40;
  for (int c = 0; c < num_cameras; ++c) {
    std::vector<double> cam(kSize, 0.0);
    cam[0] = 0.05 * c;
    cam[1] = -0.03 * c;
    cam[3] = 0.2 * c - 0.4;
    cam[5] = 5.0 + 0.1 * c;
    if (kSize == 9) {
      cam[6] = 500.0 + 10.0 * c;
      cam[7] = 1e-3;
      cam[8] = -1e-4;
    }
    scene->cameras.push_back(cam);
  }
  for (int i = 0; i < num_points; ++i) {
    scene->points.push_back(
        {0.05 * (i % 7) - 0.15, 0.04 * (i % 5) - 0.1, 0.1 * (i % 3)});
  }
  for (int i = 0; i < num_points; ++i) {
    const int seen = 2 + i % 3;
    for (int k = 0; k < seen; ++k) {
      const int c = (i + 2 * k) % num_cameras;
      Reprojection<kSize> r{0.0, 0.0};
      double res[2];
      const double* params[2] = {scene->cameras[c].data(),
                                 scene->points[i].data()};
      r(params[0], params[1], res);
      r.u = -res[0] + 2.0 * std::sin(1.0 + i + 3 * k);
      r.v = -res[1] + 2.0 * std::cos(2.0 + i - k);
      scene->problem.AddResidualBlock(
          new ceres::AutoDiffCostFunction<Reprojection<kSize>, 2, kSize, 3>(
              new Reprojection<kSize>(r)),
          nullptr, scene->cameras[c].data(), scene->points[i].data());
    }
  }
  return scene;
}

template <int kSize>
void ExpectBundleAdjustmentStepMatchesTheDenseReference() {
  auto scene = MakeScene<kSize>();
  std::vector<double*> points;
  for (auto& p : scene->points) points.push_back(p.data());
  Solver::Options o = TwoThreadOptions(points);
  o.allow_nonlinear_elimination = true;
  EnginePipeline pipeline;
  ASSERT_TRUE(pipeline.Build(&scene->problem, o)) << pipeline.error;
  ASSERT_EQ(pipeline.analysis.regime, EliminationRegime::INDEPENDENT_NONLINEAR);
  ReducedProblem* reduced = pipeline.reduced;
  const Reference ref = BuildReference(&pipeline);
  DenseReducedSolver dense(*reduced);
  Eigen::VectorXd y(reduced->num_tangent());
  ASSERT_TRUE(dense
                  .Solve(reduced, ref.scale.data(), ref.d2.data(), ref.g.data(),
                         0.1, true, y.data())
                  .success);
  const Eigen::VectorXd expected = ref.ExactStep();
  // S is ill-conditioned (focal lengths of 500 beside unit rotations): the
  // two eliminations agree to 4e-9 here, a wrong product misses by O(1).
  EXPECT_LE((y - expected).norm(), 1e-7 * expected.norm());
}

// Cameras of 9 and of 6 parameters, 3-parameter points, two-row residuals:
// the unrolled pair products and the fixed two-row kernels.
TEST(DenseReducedSolver, BundleAdjustmentShapesMatchTheDenseReference) {
  ExpectBundleAdjustmentStepMatchesTheDenseReference<9>();
  ExpectBundleAdjustmentStepMatchesTheDenseReference<6>();
}

}  // namespace
}  // namespace ceres_varpro::internal
