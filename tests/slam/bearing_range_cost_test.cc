#include "ceres_varpro/slam/bearing_range_cost.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "ceres/ceres.h"
#include "ceres_varpro/io/slam_graph.h"
#include "ceres_varpro/slam/relative_pose_cost.h"
#include "ceres_varpro/slam/rotation_manifold.h"
#include "ceres_varpro/slam/slam_problem.h"
#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using testing::EvaluateCost;
using testing::Flat;
using testing::MaxRelativeJacobianError;
using testing::RandomRotation;
using testing::RandomVector;
using testing::TestRandom;

TEST(BearingRangeCost, ResidualsWrapAndJacobians) {
  // Landmark at bearing 3.1 rad, range 5 from a rotated pose; measured
  // bearing -3.1 (across the ±π cut).
  const Eigen::Matrix2d r = RotationFromAngle(0.7);
  const Eigen::Vector2d t(1, -2);
  const Eigen::Vector2d l =
      t + r * (5.0 * Eigen::Vector2d(std::cos(3.1), std::sin(3.1)));
  const BearingRangeCost cost(-3.1, 4.5, 0.01, 0.1);
  Eigen::VectorXd res;
  ASSERT_TRUE(EvaluateCost(cost, {Flat(r), Flat(t), Flat(l)}, &res, nullptr));
  EXPECT_NEAR(res[0], (6.2 - 2 * M_PI) / 0.01, 1e-9);
  EXPECT_NEAR(res[1], 0.5 / 0.1, 1e-9);
  TestRandom random(3);
  for (int trial = 0; trial < 5; ++trial) {
    std::string report;
    EXPECT_LE(MaxRelativeJacobianError(
                  BearingRangeCost(random.Uniform(-3, 3), 4.0, 0.02, 0.2),
                  {Flat(RandomRotation<2>(&random)),
                   Flat(RandomVector<2>(5.0, &random)),
                   Flat(RandomVector<2>(5.0, &random))},
                  &report),
              1e-6)
        << report;
  }
  // q = 0: no bearing.
  EXPECT_FALSE(EvaluateCost(cost, {Flat(r), Flat(t), Flat(t)}, &res, nullptr));
}

// The relative-position model of a bearing-range measurement (first-order
// covariance propagation, RelativePositionFromBearingRange) against the
// exact bearing-range residual: on a small landmark-SLAM problem solved with
// the relative-position model, the exact cost at that solution, and the
// exact problem's own optimum, agree with it to first order in σ_β.
TEST(BearingRangeCost, RelativePositionModelAgreesToFirstOrder) {
  SlamGraph g;
  g.format = SlamGraph::Format::kToro;
  g.dimension = 2;
  std::mt19937 rng(5);
  std::normal_distribution<double> unit(0.0, 1.0);  // Test data only.
  const int np = 30;
  for (int i = 0; i < np; ++i) {
    SlamGraph::Pose p;
    p.name = std::to_string(i);
    p.id = i;
    const double a = 0.2 * i;
    p.translation = Eigen::Vector2d(8 * std::cos(a), 8 * std::sin(a));
    p.rotation = RotationFromAngle(a + M_PI / 2);
    p.has_value = true;
    g.poses.push_back(p);
  }
  for (int j = 0; j < 8; ++j) {
    const double a = 0.8 * j;
    g.landmarks.push_back({"L" + std::to_string(j),
                           Eigen::Vector2d(4 * std::cos(a), 4 * std::sin(a)),
                           false});
  }
  const double sigma_t = 0.05, sigma_r = 0.01;
  for (int i = 0; i + 1 < np; ++i) {
    SlamGraph::PoseEdge e;
    e.from = i;
    e.to = i + 1;
    e.rotation = g.poses[i].rotation.transpose() * g.poses[i + 1].rotation *
                 RotationFromAngle(sigma_r * unit(rng));
    e.translation = g.poses[i].rotation.transpose() *
                        (g.poses[i + 1].translation - g.poses[i].translation) +
                    sigma_t * Eigen::Vector2d(unit(rng), unit(rng));
    e.information =
        Eigen::Vector3d(1 / (sigma_t * sigma_t), 1 / (sigma_t * sigma_t),
                        1 / (sigma_r * sigma_r))
            .asDiagonal();
    g.pose_edges.push_back(e);
  }
  const double sigma_b = 0.02, sigma_rho = 0.05;
  for (int i = 0; i < np; ++i) {
    for (int j = 0; j < 8; ++j) {
      if ((i + j) % 3 != 0) continue;
      const Eigen::Vector2d q =
          g.poses[i].rotation.transpose() *
          (g.landmarks[j].position - g.poses[i].translation);
      SlamGraph::BearingRange br;
      br.bearing = std::atan2(q[1], q[0]) + sigma_b * unit(rng);
      br.range = q.norm() + sigma_rho * unit(rng);
      br.bearing_sigma = sigma_b;
      br.range_sigma = sigma_rho;
      SlamGraph::LandmarkEdge e;
      e.pose = i;
      e.landmark = j;
      std::string reason;
      ASSERT_TRUE(RelativePositionFromBearingRange(br, &e.translation,
                                                   &e.information, &reason));
      e.bearing_range = br;
      g.landmark_edges.push_back(e);
    }
  }
  // The relative-position model (full information in the pose frame).
  SlamProblem relative;
  SlamProblemOptions po;
  po.model = SlamModel::kFull;
  std::string error;
  ASSERT_TRUE(relative.Build(g, po, &error)) << error;
  ceres::Solver::Options options;
  options.function_tolerance = 1e-14;
  options.max_num_iterations = 200;
  ceres::Solver::Summary summary;
  ceres::Solve(options, relative.problem(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable());
  const double relative_final = summary.final_cost;
  SlamGraph solution = g;
  relative.WriteTo(&solution);

  // The same problem with exact bearing-range factors, from that solution.
  ceres::Problem exact;
  std::vector<Eigen::Matrix2d> rot(np);
  std::vector<Eigen::Vector2d> tra(np), lm(8);
  for (int i = 0; i < np; ++i) {
    rot[i] = solution.poses[i].rotation;
    tra[i] = solution.poses[i].translation;
    exact.AddParameterBlock(rot[i].data(), 4, new SO2Manifold);
  }
  for (int j = 0; j < 8; ++j) lm[j] = solution.landmarks[j].position;
  for (const auto& e : g.pose_edges) {
    exact.AddResidualBlock(
        RelativePoseCost<2>::Create(e.rotation, e.translation,
                                    Eigen::Matrix3d(e.information)),
        nullptr, rot[e.from].data(), tra[e.from].data(), rot[e.to].data(),
        tra[e.to].data());
  }
  double landmark_cost_relative = 0.0;
  for (const auto& e : g.landmark_edges) {
    const auto& br = *e.bearing_range;
    exact.AddResidualBlock(
        BearingRangeCost::Create(br.bearing, br.range, br.bearing_sigma,
                                 br.range_sigma),
        nullptr, rot[e.pose].data(), tra[e.pose].data(), lm[e.landmark].data());
    const Eigen::Vector2d q =
        rot[e.pose].transpose() * (lm[e.landmark] - tra[e.pose]) -
        e.translation;
    landmark_cost_relative += 0.5 * q.dot(e.information * q);
  }
  exact.SetParameterBlockConstant(rot[0].data());
  exact.SetParameterBlockConstant(tra[0].data());
  double exact_at_solution = 0.0;
  exact.Evaluate(ceres::Problem::EvaluateOptions(), &exact_at_solution, nullptr,
                 nullptr, nullptr);
  ceres::Solve(options, &exact, &summary);
  ASSERT_TRUE(summary.IsSolutionUsable());
  // Costs agree to a few per cent (the linearisation error is O(σ_β²)
  // relative per factor), and the exact optimum barely moves.
  EXPECT_GT(summary.final_cost, 10.0);
  EXPECT_NEAR(exact_at_solution, relative_final, 0.03 * relative_final);
  EXPECT_LE(summary.final_cost, exact_at_solution);
  EXPECT_NEAR(summary.final_cost, exact_at_solution, 0.03 * summary.final_cost);
  EXPECT_GT(landmark_cost_relative, 0.0);
  double max_move = 0.0;
  for (int j = 0; j < 8; ++j)
    max_move =
        std::max(max_move, (lm[j] - solution.landmarks[j].position).norm());
  EXPECT_LT(max_move, 0.05);  // Well inside the measurement noise.
}

}  // namespace
}  // namespace ceres_varpro
