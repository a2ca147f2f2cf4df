#include "ceres_varpro/slam/slam_certifier.h"

#include <string>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "ceres_varpro/ceres_varpro.h"
#include "ceres_varpro/slam/chordal_initialization.h"
#include "ceres_varpro/slam/lifted_slam_problem.h"
#include "ceres_varpro/slam/slam_data_matrix.h"
#include "ceres_varpro/synthetic/pose_graph_generator.h"
#include "gtest/gtest.h"
#include "test_util/certifiable_test_util.h"

namespace ceres_varpro {
namespace {

using testing::RandomLiftedPoint;
using testing::RangeAidedTestGraph;
using testing::TestRandom;

// S = Q - SymBlockDiag(XᵀXQ) formed densely from its definition.
Eigen::MatrixXd DenseS(const SlamDataMatrix& data, const Eigen::MatrixXd& x,
                       Eigen::MatrixXd* q_out = nullptr) {
  const int n_x = data.num_columns(), d = data.dimension();
  const Eigen::MatrixXd q = data.MultiplyQ(Eigen::MatrixXd::Identity(n_x, n_x));
  const Eigen::MatrixXd xtxq = x.transpose() * x * q;
  Eigen::MatrixXd lambda = Eigen::MatrixXd::Zero(n_x, n_x);
  for (int i = 0; i < data.num_poses(); ++i) {
    const Eigen::MatrixXd b = xtxq.block(d * i, d * i, d, d);
    lambda.block(d * i, d * i, d, d) = 0.5 * (b + b.transpose());
  }
  for (int c = d * data.num_poses(); c < n_x; ++c) lambda(c, c) = xtxq(c, c);
  if (q_out != nullptr) *q_out = q;
  return q - lambda;
}

// Away from a critical point S has negative eigenvalues: the certificate
// fails, and λ_min, its eigenvector, ‖Q‖ and the bounds agree with a dense
// eigendecomposition.
TEST(SlamCertifier, MatchesADenseEigendecomposition) {
  TestRandom random(21);
  for (int d : {2, 3}) {
    const SlamGraph graph = RangeAidedTestGraph(d, 10, 0.05, 30 + d);
    SlamDataMatrix data;
    std::string error;
    ASSERT_TRUE(data.Build(graph, &error)) << error;
    const Eigen::MatrixXd x = RandomLiftedPoint(d + 1, d, graph.num_poses(),
                                                data.num_bearings(), &random);
    Eigen::MatrixXd q;
    const Eigen::MatrixXd s = DenseS(data, x, &q);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(s);
    const double lambda_min = eig.eigenvalues()[0];
    const double q_norm = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(q)
                              .eigenvalues()
                              .maxCoeff();

    SlamCertifier certifier(&data);
    EXPECT_NEAR(certifier.QNorm(), q_norm, 1e-3 * q_norm);
    EXPECT_LT((Eigen::MatrixXd(certifier.Lambda(x)) - (q - s)).norm(),
              1e-10 * q_norm);
    Certificate c;
    ASSERT_TRUE(certifier.Certify(x, CertificateOptions(), &c, &error))
        << error;
    ASSERT_LT(lambda_min, -c.tolerance);  // A real saddle-side test.
    EXPECT_FALSE(c.certified);
    EXPECT_NEAR(c.lambda_min, lambda_min, 1e-8 * q_norm);
    EXPECT_LT(c.lambda_min_lower_bound, lambda_min);
    ASSERT_EQ(c.eigenvector.size(), data.num_columns());
    EXPECT_LT((s * c.eigenvector - lambda_min * c.eigenvector).norm(),
              1e-5 * q_norm);
    const double f = 0.5 * (x * q * x.transpose()).trace();
    EXPECT_NEAR(c.objective, f, 1e-10 * f);
    EXPECT_DOUBLE_EQ(c.lower_bound, c.objective + 0.5 * data.num_columns() *
                                                      c.lambda_min_lower_bound);
    // The bound on λ_min is a real one: S - λ_lb I is positive definite.
    EXPECT_GT(lambda_min - c.lambda_min_lower_bound, 0.0);
  }
}

// The lifted problem at rank r solved tightly from x0 (pose 0's block
// [I; 0], held there).
Eigen::MatrixXd LiftedOptimum(const SlamGraph& graph,
                              const Eigen::MatrixXd& x0) {
  LiftedSlamProblem lifted;
  std::string error;
  EXPECT_TRUE(lifted.Build(graph, static_cast<int>(x0.rows()), &error))
      << error;
  lifted.SetX(x0);
  Solver::Options o;
  o.linear_parameter_blocks = lifted.linear_blocks();
  // Converged by the gradient (or a step at round-off), not by a cost change
  // at round-off: that can stop at a gradient of 1e-7, and the bound test
  // below needs the optimum to 1e-7 of the objective.
  o.gradient_tolerance = 1e-12;
  o.function_tolerance = 1e-20;
  o.parameter_tolerance = 1e-15;
  o.max_num_iterations = 500;
  Solver::Summary summary;
  Solve(o, lifted.problem(), &summary);
  EXPECT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  return lifted.X();
}

// At the lifted optimum of problems whose relaxation is exact, S Xᵀ = 0,
// S ⪰ 0 and the certificate holds, with the dense λ_min.
TEST(SlamCertifier, CertifiesALiftedOptimum) {
  std::vector<std::pair<SlamGraph, Eigen::MatrixXd>> cases;
  {
    // Range-aided, 2D, from the ground truth in pose 0's frame.
    const SlamGraph graph = RangeAidedTestGraph(2, 12, 0.02, 61);
    SlamDataMatrix data;
    std::string error;
    EXPECT_TRUE(data.Build(graph, &error)) << error;
    Eigen::MatrixXd x0 = Eigen::MatrixXd::Zero(3, data.num_columns());
    const Eigen::MatrixXd frame = graph.poses[0].rotation.transpose();
    for (int i = 0; i < graph.num_poses(); ++i) {
      x0.block(0, 2 * i, 2, 2) = frame * graph.poses[i].rotation;
    }
    for (int k = 0; k < data.num_bearings(); ++k) {
      const auto& e = graph.range_edges[k];
      auto p = [&](const SlamGraph::Endpoint& x) -> Eigen::VectorXd {
        return x.is_landmark ? graph.landmarks[x.index].position
                             : graph.poses[x.index].translation;
      };
      x0.col(data.BearingColumn(k)).head(2) =
          frame * (p(e.a) - p(e.b)).normalized();
    }
    cases.emplace_back(graph, x0);
  }
  {
    // A 3D pose graph from its chordal start.
    PoseGraphGeneratorOptions go;
    go.num_poses = 40;
    go.poses_per_ring = 10;
    go.radius = 8.0;
    SlamGraph graph;
    GeneratePoseGraph(go, &graph);
    std::vector<Eigen::MatrixXd> rotations;
    std::string error;
    EXPECT_TRUE(ChordalRotations(graph, &rotations, &error)) << error;
    Eigen::MatrixXd x0 = Eigen::MatrixXd::Zero(4, 3 * graph.num_poses());
    for (int i = 0; i < graph.num_poses(); ++i) {
      x0.block(0, 3 * i, 3, 3) = rotations[i];
    }
    cases.emplace_back(graph, x0);
  }
  for (const auto& [graph, x0] : cases) {
    SlamDataMatrix data;
    std::string error;
    ASSERT_TRUE(data.Build(graph, &error)) << error;
    const Eigen::MatrixXd x = LiftedOptimum(graph, x0);
    const Eigen::MatrixXd s = DenseS(data, x);
    EXPECT_LT((s * x.transpose()).norm(), 1e-6 * s.norm());
    const double lambda_min =
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(s).eigenvalues()[0];
    SlamCertifier certifier(&data);
    Certificate c;
    ASSERT_TRUE(certifier.Certify(x, CertificateOptions(), &c, &error))
        << error;
    EXPECT_TRUE(c.certified);
    EXPECT_GT(lambda_min, -c.tolerance);
    EXPECT_NEAR(c.lambda_min, lambda_min, 1e-9 * c.q_norm);
    EXPECT_GT(lambda_min, c.lambda_min_lower_bound);
    EXPECT_LE(c.lower_bound, c.objective);
    // Certified means λ_min(S) > -η, so the bound f + n/2·min(λ, 0) loses
    // at most n/2·η.
    EXPECT_GE(c.lower_bound, c.objective - 0.5 * s.rows() * c.tolerance);
    // And it is tight: the local solve stops at round-off with a gradient
    // near 1e-7, and λ_min (≈ -3e-9 here) and the gap follow from it; how
    // close depends on the rounding of the solve (its orderings, its sums),
    // so the margin is 2e-7 rather than the 1.07e-7 seen.
    EXPECT_NEAR(c.lower_bound, c.objective, 2e-7 * c.objective);
  }
}

TEST(SlamCertifier, OptionsAreValidated) {
  std::string error;
  EXPECT_TRUE(CertificateOptions().IsValid(&error));
  CertificateOptions o;
  o.relative_tolerance = 0.0;
  EXPECT_FALSE(o.IsValid(&error));
  o = CertificateOptions();
  o.lanczos_vectors = 1;
  EXPECT_FALSE(o.IsValid(&error));
  o = CertificateOptions();
  o.num_bound_refinements = -1;
  EXPECT_FALSE(o.IsValid(&error));
}

}  // namespace
}  // namespace ceres_varpro
