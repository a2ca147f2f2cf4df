#include "ceres_varpro/slam/lifted_slam_problem.h"

#include <string>
#include <vector>

#include "ceres/ceres.h"
#include "ceres_varpro/slam/slam_problem.h"
#include "ceres_varpro/synthetic/pose_graph_generator.h"
#include "gtest/gtest.h"
#include "test_util/certifiable_test_util.h"

namespace ceres_varpro {
namespace {

using testing::RangeAidedTestGraph;

double TotalCost(ceres::Problem* problem) {
  double cost = 0.0;
  EXPECT_TRUE(problem->Evaluate(ceres::Problem::EvaluateOptions(), &cost,
                                nullptr, nullptr, nullptr));
  return cost;
}

// The rank-d problem's values as the lifted problem's X and positions.
void CopyState(const SlamGraph& graph, const SlamProblem& from,
               LiftedSlamProblem* to) {
  const int d = graph.dimension, n = graph.num_poses();
  const int nl = graph.num_landmarks();
  const int m = static_cast<int>(graph.range_edges.size());
  const std::vector<double> s = from.State();
  Eigen::MatrixXd x(d, d * n + m);
  x.leftCols(d * n) = Eigen::Map<const Eigen::MatrixXd>(s.data(), d, d * n);
  x.rightCols(m) = Eigen::Map<const Eigen::MatrixXd>(
      s.data() + n * d * d + (n + nl) * d, d, m);
  to->SetX(x);
  to->SetPositions(
      Eigen::Map<const Eigen::MatrixXd>(s.data() + n * d * d, d, n + nl));
}

// At r = d the lifted problem is today's isotropic model, term for term:
// pose graphs, relative landmarks and ranges, in 2D and 3D.
TEST(LiftedSlamProblem, CostAtRankDEqualsTheRankDModel) {
  std::vector<SlamGraph> graphs;
  for (int d : {2, 3}) {
    graphs.push_back(RangeAidedTestGraph(d, 24, 0.05, 3 + d));
    PoseGraphGeneratorOptions go;
    go.dimension = d;
    go.num_poses = 60;
    go.poses_per_ring = 12;
    go.radius = 10.0;
    SlamGraph g;
    GeneratePoseGraph(go, &g);
    graphs.push_back(g);
  }
  for (const SlamGraph& graph : graphs) {
    SlamProblem reference;
    std::string error;
    SlamProblemOptions options;
    options.initialization = SlamInitialization::kOdometry;
    ASSERT_TRUE(reference.Build(graph, options, &error)) << error;
    LiftedSlamProblem lifted;
    ASSERT_TRUE(lifted.Build(graph, graph.dimension, &error)) << error;
    CopyState(graph, reference, &lifted);
    const double expected = TotalCost(reference.problem());
    EXPECT_GT(expected, 1.0);  // A real test: the odometry start is off.
    EXPECT_NEAR(TotalCost(lifted.problem()), expected, 1e-10 * expected);
    EXPECT_EQ(lifted.linear_blocks().size(), reference.linear_blocks().size());
  }
}

TEST(LiftedSlamProblem, BlocksAndManifoldSizes) {
  const SlamGraph graph = RangeAidedTestGraph(3, 10, 0.05, 1);
  LiftedSlamProblem lifted;
  std::string error;
  ASSERT_TRUE(lifted.Build(graph, 5, &error)) << error;
  ceres::Problem* p = lifted.problem();
  const Eigen::MatrixXd x = lifted.X();
  EXPECT_EQ(x.rows(), 5);
  EXPECT_EQ(x.cols(), 3 * 10 + static_cast<int>(graph.range_edges.size()));
  // Rotations: St(3, 5), tangent 15 - 6; bearings: S^4.
  std::vector<double*> blocks;
  p->GetParameterBlocks(&blocks);
  int rotations = 0, bearings = 0;
  for (double* b : blocks) {
    if (p->ParameterBlockSize(b) == 15) {
      EXPECT_EQ(p->ParameterBlockTangentSize(b), 9);
      ++rotations;
    } else if (p->HasManifold(b)) {
      EXPECT_EQ(p->ParameterBlockTangentSize(b), 4);
      ++bearings;
    }
  }
  EXPECT_EQ(rotations, 10);
  EXPECT_EQ(bearings, static_cast<int>(graph.range_edges.size()));
  EXPECT_EQ(lifted.linear_blocks().size(), 13u);  // 10 poses, 3 landmarks.
  EXPECT_FALSE(lifted.Build(graph, 2, &error));   // rank < d.
}

}  // namespace
}  // namespace ceres_varpro
