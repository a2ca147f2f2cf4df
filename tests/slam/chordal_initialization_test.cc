#include "ceres_varpro/slam/chordal_initialization.h"

#include <string>
#include <vector>

#include "ceres_varpro/slam/slam_problem.h"
#include "ceres_varpro/synthetic/pose_graph_generator.h"
#include "gtest/gtest.h"
#include "test_util/certifiable_test_util.h"

namespace ceres_varpro {
namespace {

SlamGraph Generated(int d, double rotation_noise) {
  PoseGraphGeneratorOptions go;
  go.dimension = d;
  go.num_poses = 60;
  go.poses_per_ring = 12;
  go.radius = 10.0;
  go.rotation_noise = rotation_noise;
  go.translation_noise = 0.0;
  SlamGraph graph;
  GeneratePoseGraph(go, &graph);
  // Weights that stay finite when the noise is zero.
  for (SlamGraph::PoseEdge& e : graph.pose_edges) {
    e.information.setIdentity();
  }
  return graph;
}

// With exact rotation measurements the relaxation is exact: the chordal
// rotations are the true ones relative to pose 0.
TEST(ChordalRotations, ExactOnNoiseFreeGraphs) {
  for (int d : {2, 3}) {
    SlamGraph graph = Generated(d, 0.0);
    // The generator's vertices chain noise-free odometry: the ground truth.
    std::vector<Eigen::MatrixXd> rotations;
    std::string error;
    ASSERT_TRUE(ChordalRotations(graph, &rotations, &error)) << error;
    ASSERT_EQ(rotations.size(), static_cast<size_t>(graph.num_poses()));
    const Eigen::MatrixXd r0 = graph.poses[0].rotation;
    for (int i = 0; i < graph.num_poses(); ++i) {
      EXPECT_LT(
          (rotations[i] - r0.transpose() * graph.poses[i].rotation).norm(),
          1e-9)
          << i;
      EXPECT_NEAR(rotations[i].determinant(), 1.0, 1e-12);
    }
  }
}

// With noise, the start is close to the truth and much better than
// chaining the noisy odometry (the vertices).
TEST(ChordalRotations, BeatsOdometryOnNoisyGraphs) {
  SlamGraph graph = Generated(3, 0.05);
  SlamGraph exact = Generated(3, 0.0);
  std::vector<Eigen::MatrixXd> rotations;
  std::string error;
  ASSERT_TRUE(ChordalRotations(graph, &rotations, &error)) << error;
  double chordal_error = 0.0, odometry_error = 0.0;
  const Eigen::MatrixXd r0 = exact.poses[0].rotation.transpose();
  const Eigen::MatrixXd g0 = graph.poses[0].rotation.transpose();
  for (int i = 0; i < graph.num_poses(); ++i) {
    const Eigen::MatrixXd truth = r0 * exact.poses[i].rotation;
    chordal_error += (rotations[i] - truth).norm();
    odometry_error += (g0 * graph.poses[i].rotation - truth).norm();
  }
  EXPECT_LT(chordal_error, 0.5 * odometry_error);
}

// SlamInitialization::kChordal: chordal rotations in pose 0's frame and the
// optimal translations for them; refused for graphs with ranges.
TEST(ChordalRotations, AsTheSlamProblemsStart) {
  SlamGraph graph = Generated(2, 0.0);
  SlamProblem problem;
  SlamProblemOptions options;
  options.initialization = SlamInitialization::kChordal;
  std::string error;
  ASSERT_TRUE(problem.Build(graph, options, &error)) << error;
  double cost = 0.0;
  problem.problem()->Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr,
                              nullptr, nullptr);
  EXPECT_LT(cost, 1e-12);  // Exact measurements: the truth itself.
  const SlamGraph ranges = testing::RangeAidedTestGraph(2, 8, 0.01, 2);
  EXPECT_FALSE(problem.Build(ranges, options, &error));
}

}  // namespace
}  // namespace ceres_varpro
