#include "ceres_varpro/slam/slam_data_matrix.h"

#include <string>
#include <vector>

#include "Eigen/Dense"
#include "ceres/ceres.h"
#include "ceres_varpro/slam/lifted_slam_problem.h"
#include "gtest/gtest.h"
#include "test_util/certifiable_test_util.h"

namespace ceres_varpro {
namespace {

using testing::RandomLiftedPoint;
using testing::RangeAidedTestGraph;
using testing::TestRandom;

// f(X) = ½ tr(Q XᵀX) is the lifted problem's cost at the optimal positions,
// and those positions zero the cost's gradient.
TEST(SlamDataMatrix, CostIsTheLiftedCostAtOptimalPositions) {
  TestRandom random(5);
  for (int d : {2, 3}) {
    const SlamGraph graph = RangeAidedTestGraph(d, 20, 0.05, 10 + d);
    SlamDataMatrix data;
    std::string error;
    ASSERT_TRUE(data.Build(graph, &error)) << error;
    const int r = d + 2;
    LiftedSlamProblem lifted;
    ASSERT_TRUE(lifted.Build(graph, r, &error)) << error;
    const Eigen::MatrixXd x = RandomLiftedPoint(r, d, graph.num_poses(),
                                                data.num_bearings(), &random);
    lifted.SetX(x);
    lifted.SetPositions(data.OptimalPositions(x));
    ceres::Problem::EvaluateOptions eo;
    eo.parameter_blocks = lifted.linear_blocks();
    double cost = 0.0;
    std::vector<double> gradient;
    ASSERT_TRUE(
        lifted.problem()->Evaluate(eo, &cost, nullptr, &gradient, nullptr));
    const double f = data.Cost(x);
    EXPECT_GT(f, 1.0);
    EXPECT_NEAR(cost, f, 1e-10 * f);
    EXPECT_LT(
        Eigen::Map<const Eigen::VectorXd>(gradient.data(), gradient.size())
            .lpNorm<Eigen::Infinity>(),
        1e-8 * f);
  }
}

// Q·V equals the Schur complement formed densely from M.
TEST(SlamDataMatrix, QIsTheSchurComplementOfTheDataMatrix) {
  const SlamGraph graph = RangeAidedTestGraph(2, 12, 0.05, 4);
  SlamDataMatrix data;
  std::string error;
  ASSERT_TRUE(data.Build(graph, &error)) << error;
  const int n_x = data.num_columns();
  const Eigen::MatrixXd m = Eigen::MatrixXd(data.matrix());
  EXPECT_LT((m - m.transpose()).norm(), 1e-12 * m.norm());
  std::vector<int> free;
  for (int p = 0; p < data.num_positions(); ++p) {
    bool pinned = false;
    for (int q : data.pinned_positions()) pinned = pinned || q == p;
    if (!pinned) free.push_back(n_x + p);
  }
  Eigen::MatrixXd mxp(n_x, free.size()), mpp(free.size(), free.size());
  for (size_t a = 0; a < free.size(); ++a) {
    mxp.col(a) = m.block(0, free[a], n_x, 1);
    for (size_t b = 0; b < free.size(); ++b) mpp(a, b) = m(free[a], free[b]);
  }
  const Eigen::MatrixXd q =
      m.topLeftCorner(n_x, n_x) - mxp * mpp.ldlt().solve(mxp.transpose());
  const Eigen::MatrixXd q_applied =
      data.MultiplyQ(Eigen::MatrixXd::Identity(n_x, n_x));
  EXPECT_LT((q_applied - q).norm(), 1e-9 * q.norm());
  // Positive semi-definite, as a minimum over the positions must be.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(q);
  EXPECT_GT(eig.eigenvalues().minCoeff(), -1e-9 * q.norm());
}

TEST(SlamDataMatrix, PinsOnePositionPerComponent) {
  SlamGraph graph = RangeAidedTestGraph(2, 8, 0.05, 6);
  SlamDataMatrix data;
  std::string error;
  ASSERT_TRUE(data.Build(graph, &error)) << error;
  EXPECT_EQ(data.pinned_positions(), std::vector<int>{0});
  // A landmark nothing measures is a component of its own.
  graph.landmarks.push_back({"L9", Eigen::Vector2d(1.0, 2.0), true});
  ASSERT_TRUE(data.Build(graph, &error)) << error;
  EXPECT_EQ(data.pinned_positions(),
            (std::vector<int>{0, data.num_positions() - 1}));
  SlamGraph empty;
  empty.dimension = 2;
  EXPECT_FALSE(data.Build(empty, &error));
}

}  // namespace
}  // namespace ceres_varpro
