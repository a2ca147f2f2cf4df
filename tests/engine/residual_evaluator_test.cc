#include "engine/residual_evaluator.h"

#include <cmath>
#include <limits>

#include "Eigen/Core"
#include "ceres/problem.h"
#include "ceres/sized_cost_function.h"
#include "engine_pipeline.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

using testing::MakePoseGraph;
using testing::PoseGraphOptions;

// Sentinel for the cells an evaluation must leave alone.
constexpr double kUntouched = 7.0;

struct Evaluation {
  double cost = 0.0;
  Eigen::VectorXd residuals;
  Eigen::MatrixXd jacobian;
};

Evaluation EvaluateColumns(EnginePipeline* p, ResidualEvaluator::Columns c) {
  ResidualEvaluator& evaluator = *p->pp.evaluator;
  auto jacobian = evaluator.CreateJacobian();
  std::fill(jacobian->values(), jacobian->values() + jacobian->num_nonzeros(),
            kUntouched);
  Evaluation e;
  e.residuals.resize(evaluator.num_residuals());
  EXPECT_TRUE(
      evaluator.Evaluate(c, &e.cost, e.residuals.data(), jacobian.get()))
      << evaluator.error();
  e.jacobian = jacobian->ToDense();
  return e;
}

// The anisotropic translation residual W (R_iᵀ(t_j - t_i) - t̃_ij) is affine
// in the translations with an A that depends on the rotation: differences
// must give the cost function's own A to rounding, also far from the origin
// (where a fixed step would lose digits) and through a robust loss, and
// leave the rotation columns alone.
class ResidualEvaluatorDifferences : public ::testing::TestWithParam<bool> {};

TEST_P(ResidualEvaluatorDifferences, MatchTheCostFunctionsLinearJacobians) {
  PoseGraphOptions o;
  o.num_poses = 30;
  o.anisotropic = true;
  o.huber_on_translations = GetParam();
  auto g = MakePoseGraph(o);
  // Far from the origin a unit step would lose about 8 digits of A.
  constexpr double kOffset = 3.0e7;
  for (auto& t : g->t) {
    t[0] += kOffset;
    t[1] -= 1.0e3;
  }
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  ASSERT_FALSE(p.analysis.jacobian_constant);

  const Evaluation jacobians =
      EvaluateColumns(&p, ResidualEvaluator::Columns::kLinear);
  const Evaluation differences =
      EvaluateColumns(&p, ResidualEvaluator::Columns::kLinearByDifferences);
  // The same residuals, up to how the compiler rounds plain doubles and Jets
  // (terms as large as |W R_iᵀ t|).
  const double a_max = jacobians.jacobian.cwiseAbs().maxCoeff();
  EXPECT_NEAR(differences.cost, jacobians.cost, 1e-10 * jacobians.cost);
  EXPECT_LE((differences.residuals - jacobians.residuals).cwiseAbs().maxCoeff(),
            1e-14 * a_max * kOffset);

  const int first_linear = p.pp.evaluator->CreateJacobian()->col_block_offset(
      p.program.num_nonlinear_columns());
  const Eigen::MatrixXd a =
      jacobians.jacobian.rightCols(jacobians.jacobian.cols() - first_linear);
  const Eigen::MatrixXd a_diff = differences.jacobian.rightCols(
      differences.jacobian.cols() - first_linear);
  ASSERT_GT(a.cwiseAbs().maxCoeff(), 1.0);
  EXPECT_LE((a - a_diff).cwiseAbs().maxCoeff(),
            1e-10 * a.cwiseAbs().maxCoeff());
  // Not a copy of the Jets: rounding shows in the last bits somewhere.
  EXPECT_NE(a, a_diff);
  // The rotation columns (only ever a cell's sentinel here) are untouched.
  const Eigen::MatrixXd theta = differences.jacobian.leftCols(first_linear);
  EXPECT_TRUE(((theta.array() == 0.0) || (theta.array() == kUntouched)).all());
  EXPECT_GT((theta.array() == kUntouched).count(), 0);
}

INSTANTIATE_TEST_SUITE_P(PlainAndHuber, ResidualEvaluatorDifferences,
                         ::testing::Bool());

// r = A(φ) x + b with the products formed before b cancels them: at
// |x| ≈ 1e8 each residual carries an absolute rounding of about 1e-8, which
// a unit step would turn into a relative error of 1e-8 in A.
class LargeTermsCost : public ceres::SizedCostFunction<2, 1, 2> {
 public:
  explicit LargeTermsCost(const Eigen::Vector2d& b) : b_(b) {}
  bool Evaluate(double const* const* p, double* r,
                double** jacobians) const override {
    const double c = 3.0 * std::cos(p[0][0]);
    const double s = std::sin(p[0][0]);
    const double* x = p[1];
    r[0] = (c * x[0] - 2.0 * x[1]) + b_[0];
    r[1] = (5.0 * x[0] + s * x[1]) + b_[1];
    if (jacobians != nullptr) {
      if (jacobians[0] != nullptr) {
        jacobians[0][0] = -3.0 * std::sin(p[0][0]) * x[0];
        jacobians[0][1] = std::cos(p[0][0]) * x[1];
      }
      if (jacobians[1] != nullptr) {
        jacobians[1][0] = c;
        jacobians[1][1] = -2.0;
        jacobians[1][2] = 5.0;
        jacobians[1][3] = s;
      }
    }
    return true;
  }

 private:
  Eigen::Vector2d b_;
};

TEST(ResidualEvaluator, DifferencesKeepTheirPrecisionForLargeValues) {
  double x[2] = {1.0e8, -2.0e8};
  double phi[3] = {0.3, 1.1, -0.7};
  ceres::Problem problem;
  for (double& p : phi) {
    const double c = 3.0 * std::cos(p), s = std::sin(p);
    const Eigen::Vector2d b(-(c * x[0] - 2.0 * x[1]) + 0.25,
                            -(5.0 * x[0] + s * x[1]) - 0.5);
    problem.AddResidualBlock(new LargeTermsCost(b), nullptr, &p, x);
  }
  EnginePipeline p;
  ASSERT_TRUE(p.Build(&problem, TwoThreadOptions({x}))) << p.error;
  const Evaluation jacobians =
      EvaluateColumns(&p, ResidualEvaluator::Columns::kLinear);
  const Evaluation differences =
      EvaluateColumns(&p, ResidualEvaluator::Columns::kLinearByDifferences);
  const int first_linear = p.pp.evaluator->CreateJacobian()->col_block_offset(
      p.program.num_nonlinear_columns());
  const Eigen::MatrixXd a = jacobians.jacobian.rightCols(2);
  const Eigen::MatrixXd a_diff = differences.jacobian.rightCols(2);
  ASSERT_EQ(first_linear + 2, jacobians.jacobian.cols());
  EXPECT_LE((a - a_diff).cwiseAbs().maxCoeff(), 1e-12 * 5.0);
}

// Affine in x, but defined only for x_i <= 100 (a cost function's own
// domain check).
class BoundedDomainCost : public ceres::SizedCostFunction<2, 1, 2> {
 public:
  bool Evaluate(double const* const* p, double* r,
                double** jacobians) const override {
    const double* x = p[1];
    if (x[0] > 100.0 || x[1] > 100.0) return false;
    r[0] = std::cos(p[0][0]) * x[0] + x[1] - 1.0;
    r[1] = x[0] - std::sin(p[0][0]) * x[1];
    if (jacobians != nullptr) {
      if (jacobians[0] != nullptr) {
        jacobians[0][0] = -std::sin(p[0][0]) * x[0];
        jacobians[0][1] = -std::cos(p[0][0]) * x[1];
      }
      if (jacobians[1] != nullptr) {
        jacobians[1][0] = std::cos(p[0][0]);
        jacobians[1][1] = 1.0;
        jacobians[1][2] = 1.0;
        jacobians[1][3] = -std::sin(p[0][0]);
      }
    }
    return true;
  }
};

// Where the moved points leave the cost function's domain (x = 60 moves to
// 120), the evaluation falls back on the cost function's own Jacobians
// instead of failing.
TEST(ResidualEvaluator, DifferencesFallBackWhereTheCostFunctionFails) {
  double x[2] = {1.0, 2.0};
  double phi[3] = {0.3, 1.1, -0.7};
  ceres::Problem problem;
  for (double& p : phi) {
    problem.AddResidualBlock(new BoundedDomainCost, nullptr, &p, x);
  }
  EnginePipeline p;
  ASSERT_TRUE(p.Build(&problem, TwoThreadOptions({x}))) << p.error;
  x[0] = 60.0;
  x[1] = 70.0;
  const Evaluation jacobians =
      EvaluateColumns(&p, ResidualEvaluator::Columns::kLinear);
  const Evaluation differences =
      EvaluateColumns(&p, ResidualEvaluator::Columns::kLinearByDifferences);
  EXPECT_EQ(differences.jacobian.rightCols(2), jacobians.jacobian.rightCols(2));
  EXPECT_EQ(differences.cost, jacobians.cost);
}

}  // namespace
}  // namespace ceres_varpro::internal
