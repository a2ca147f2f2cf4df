#include "ceres_varpro/slam/certifiable.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "Eigen/Dense"
#include "ceres_varpro/ceres_varpro.h"
#include "ceres_varpro/io/g2o_io.h"
#include "ceres_varpro/io/pyfg_io.h"
#include "ceres_varpro/synthetic/pose_graph_generator.h"
#include "gtest/gtest.h"
#include "test_util/certifiable_test_util.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using testing::RandomRotation;
using testing::RangeAidedTestGraph;
using testing::Rotation2;
using testing::TestRandom;

SlamProblem BuildProblem(const SlamGraph& graph,
                         SlamInitialization init = SlamInitialization::kAuto) {
  SlamProblem problem;
  std::string error;
  SlamProblemOptions options;
  options.initialization = init;
  EXPECT_TRUE(problem.Build(graph, options, &error)) << error;
  return problem;
}

double PlainVarPro(SlamProblem* problem) {
  Solver::Options o;
  o.linear_parameter_blocks = problem->linear_blocks();
  o.function_tolerance = 1e-12;
  o.gradient_tolerance = 1e-12;
  o.max_num_iterations = 500;
  Solver::Summary s;
  Solve(o, problem->problem(), &s);
  EXPECT_TRUE(s.IsSolutionUsable()) << s.FullReport();
  return s.final_cost;
}

// A ring of 8 poses whose measurements say "no motion", started in the
// twisted configuration R_k = Rot(2πk/8): a rank-2 local minimum (cos 45° > 0)
// with cost 16(1 - cos 45°) but global minimum 0. Plain VarPro stays there;
// the staircase finds the negative curvature of S, escapes to a higher rank
// and reaches the global optimum.
TEST(SolveCertifiable, EscapesATwistedRingSaddle) {
  SlamGraph graph;
  graph.dimension = 2;
  const int n = 8;
  for (int k = 0; k < n; ++k) {
    SlamGraph::Pose p;
    p.name = std::to_string(k);
    p.id = k;
    p.rotation = Rotation2(2.0 * M_PI * k / n);
    p.translation = Eigen::Vector2d::Zero();
    p.has_value = true;
    graph.poses.push_back(p);
    SlamGraph::PoseEdge e;
    e.from = k;
    e.to = (k + 1) % n;
    e.rotation = Eigen::Matrix2d::Identity();
    e.translation = Eigen::Vector2d::Zero();
    e.information = Eigen::Matrix3d::Identity();
    graph.pose_edges.push_back(e);
  }
  const double twisted_cost = n * 2.0 * (1.0 - std::cos(2.0 * M_PI / n));

  SlamProblem plain = BuildProblem(graph);
  EXPECT_NEAR(PlainVarPro(&plain), twisted_cost, 1e-9);

  SlamProblem problem = BuildProblem(graph);
  CertifiableOptions options;
  options.initialization = CertifiableInitialization::kProblemState;
  options.initial_rank = 2;
  options.lift_perturbation = 0.0;
  CertifiableSummary summary;
  ASSERT_TRUE(SolveCertifiable(options, graph, &problem, &summary))
      << summary.message;
  ASSERT_GE(summary.stages.size(), 2u) << summary.Report();
  const CertifiableSummary::Stage& saddle = summary.stages[0];
  EXPECT_EQ(saddle.rank, 2);
  EXPECT_NEAR(saddle.final_cost, twisted_cost, 1e-9);
  EXPECT_FALSE(saddle.certificate.certified);
  EXPECT_LT(saddle.certificate.lambda_min, -0.01);
  EXPECT_GT(saddle.escape_step, 0.0);
  EXPECT_LT(saddle.cost_after_escape, saddle.final_cost);
  EXPECT_TRUE(summary.certified) << summary.Report();
  EXPECT_TRUE(summary.globally_optimal) << summary.Report();
  // Rank 3 suffices in theory; the exact symmetry of this ring can hold the
  // rank-3 solve at another saddle, which the next escape leaves.
  EXPECT_GE(summary.final_rank, 3);
  EXPECT_LE(summary.final_rank, 4);
  EXPECT_LT(summary.final_cost, 1e-10);
  // The returned rotations are all pose 0's (the identity).
  const std::vector<double> state = problem.State();
  for (int k = 0; k < n; ++k) {
    const Eigen::Map<const Eigen::Matrix2d> r(&state[4 * k]);
    EXPECT_LT((r - Eigen::Matrix2d::Identity()).norm(), 1e-5) << k;
  }
}

// Generated sphere-like graphs from their chordal start: certified global
// optima, at least as good as plain VarPro from the same start, pose 0 kept.
TEST(SolveCertifiable, CertifiesGeneratedPoseGraphs) {
  for (int d : {2, 3}) {
    PoseGraphGeneratorOptions go;
    go.dimension = d;
    go.num_poses = 80;
    go.poses_per_ring = 16;
    go.radius = 10.0;
    go.rotation_noise = 0.05;
    go.translation_noise = 0.1;
    go.seed = 7;
    SlamGraph graph;
    GeneratePoseGraph(go, &graph);
    SlamProblem plain = BuildProblem(graph, SlamInitialization::kChordal);
    const double plain_cost = PlainVarPro(&plain);

    SlamProblem problem = BuildProblem(graph);
    const std::vector<double> start = problem.State();
    CertifiableSummary summary;
    ASSERT_TRUE(
        SolveCertifiable(CertifiableOptions(), graph, &problem, &summary))
        << summary.message;
    EXPECT_TRUE(summary.globally_optimal) << summary.Report();
    EXPECT_EQ(summary.rank_of_solution, d) << summary.Report();
    EXPECT_LE(summary.final_cost, plain_cost * (1.0 + 1e-9));
    EXPECT_LE(summary.lower_bound, summary.final_cost);
    EXPECT_LT(summary.relative_gap, 1e-6);
    EXPECT_GT(summary.initial_cost, summary.final_cost);
    const std::vector<double> state = problem.State();
    for (int k = 0; k < d * d; ++k) EXPECT_EQ(state[k], start[k]);
    EXPECT_NE(summary.Verdict().find("certified globally optimal"),
              std::string::npos);
  }
}

// An exact range-aided graph (ranges, relative landmarks, odometry): cost
// zero, certified, and the solution is the ground truth (pose 0 fixed).
TEST(SolveCertifiable, RecoversTheGroundTruthOfAnExactRangeAidedGraph) {
  for (int d : {2, 3}) {
    const SlamGraph graph = RangeAidedTestGraph(d, 16, 0.0, 50 + d);
    SlamProblem problem = BuildProblem(graph);
    CertifiableSummary summary;
    ASSERT_TRUE(
        SolveCertifiable(CertifiableOptions(), graph, &problem, &summary))
        << summary.message;
    EXPECT_TRUE(summary.certified) << summary.Report();
    EXPECT_LT(summary.final_cost, 1e-8) << summary.Report();
    SlamGraph solved = graph;
    problem.WriteTo(&solved);
    for (int i = 0; i < graph.num_poses(); ++i) {
      EXPECT_LT((solved.poses[i].rotation - graph.poses[i].rotation).norm(),
                1e-5);
      EXPECT_LT(
          (solved.poses[i].translation - graph.poses[i].translation).norm(),
          1e-5);
    }
    for (int j = 0; j < graph.num_landmarks(); ++j) {
      EXPECT_LT(
          (solved.landmarks[j].position - graph.landmarks[j].position).norm(),
          1e-5);
    }
  }
}

// A noisy range-aided graph from its odometry start, small enough for the
// relaxation to be exact: a certified global optimum.
TEST(SolveCertifiable, CertifiesARangeAidedGraph) {
  const SlamGraph graph = RangeAidedTestGraph(2, 12, 0.02, 61);
  SlamProblem problem = BuildProblem(graph);
  CertifiableSummary summary;
  ASSERT_TRUE(SolveCertifiable(CertifiableOptions(), graph, &problem, &summary))
      << summary.message;
  EXPECT_TRUE(summary.globally_optimal) << summary.Report();
  EXPECT_EQ(summary.rank_of_solution, 2) << summary.Report();
  EXPECT_GT(summary.final_cost, 0.1);
  EXPECT_LE(summary.lower_bound, summary.final_cost);
}

// A longer trajectory with the same few beacons: the relaxation is solved
// and certified, but its minimiser has rank 3, so the rounded solution is
// only bounded — and the verdict says so rather than claiming optimality.
TEST(SolveCertifiable, ReportsARelaxationThatIsNotExact) {
  const SlamGraph graph = RangeAidedTestGraph(2, 30, 0.02, 61);
  SlamProblem problem = BuildProblem(graph);
  CertifiableSummary summary;
  ASSERT_TRUE(SolveCertifiable(CertifiableOptions(), graph, &problem, &summary))
      << summary.message;
  EXPECT_TRUE(summary.certified) << summary.Report();
  EXPECT_FALSE(summary.globally_optimal) << summary.Report();
  EXPECT_GT(summary.rank_of_solution, 2);
  EXPECT_LE(summary.lower_bound, summary.final_cost);
  EXPECT_GT(summary.relative_gap, 1e-4);
  EXPECT_NE(summary.Verdict().find("not exact"), std::string::npos);
}

// Without a certified global optimum the answer is never worse than the
// plain local solve from the same start (solve_from_start), and the
// returned solution is the one in the problem's memory.
TEST(SolveCertifiable, UncertifiedAnswerIsNeverWorseThanThePlainSolve) {
  const SlamGraph graph = RangeAidedTestGraph(2, 30, 0.02, 61);
  SlamProblem plain_problem = BuildProblem(graph);
  const double plain = PlainVarPro(&plain_problem);
  for (bool from_start : {false, true}) {
    SlamProblem problem = BuildProblem(graph);
    CertifiableOptions options;
    options.solve_from_start = from_start;
    CertifiableSummary summary;
    ASSERT_TRUE(SolveCertifiable(options, graph, &problem, &summary))
        << summary.message;
    ASSERT_FALSE(summary.globally_optimal) << summary.Report();
    EXPECT_EQ(summary.start_solve_run, from_start) << summary.Report();
    if (from_start) {
      EXPECT_LE(summary.final_cost, plain * (1.0 + 1e-9)) << summary.Report();
      EXPECT_LE(summary.final_cost, summary.start_solve_cost);
      EXPECT_GE(summary.final_cost, summary.lower_bound);
    }
    // The problem holds the returned solution.
    double cost = 0.0;
    ASSERT_TRUE(problem.problem()->Evaluate(ceres::Problem::EvaluateOptions(),
                                            &cost, nullptr, nullptr, nullptr));
    EXPECT_NEAR(cost, summary.final_cost, 1e-9 * summary.final_cost);
  }
}

// The rounding undoes any O(r) gauge of a rank-d point, reflections
// included (the determinant vote).
TEST(RoundToRankD, RecoversRotationsUpToAGlobalRotation) {
  TestRandom random(71);
  const int d = 3, n = 6, m = 2, r = 5;
  Eigen::MatrixXd truth(d, d * n + m);
  for (int i = 0; i < n; ++i) {
    truth.middleCols(d * i, d) = RandomRotation<3>(&random);
  }
  for (int k = 0; k < m; ++k) {
    truth.col(d * n + k) = random.Vector3(1.0).normalized();
  }
  for (bool reflect : {false, true}) {
    Eigen::MatrixXd g(r, r);
    for (int i = 0; i < g.size(); ++i) g(i) = random.Normal(1.0);
    Eigen::MatrixXd orthogonal =
        Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
    Eigen::MatrixXd lifted = Eigen::MatrixXd::Zero(r, truth.cols());
    lifted.topRows(d) = truth;
    if (reflect) lifted.row(0) *= -1.0;
    lifted = orthogonal * lifted;
    const Eigen::MatrixXd rounded = RoundToRankD(lifted, d, n);
    // rounded = G truth for one G ∈ SO(3).
    const Eigen::MatrixXd frame =
        rounded.leftCols(d) * truth.leftCols(d).transpose();
    EXPECT_NEAR(frame.determinant(), 1.0, 1e-10);
    EXPECT_LT((rounded - frame * truth).norm(), 1e-10) << reflect;
  }
}

std::string Shared(const std::string& relative) {
  return std::string(CERES_VARPRO_SHARED_DATASETS_DIR) + "/" + relative;
}

// The smallest public files, when the shared datasets are present: a 3D
// grid pose graph and CORA's small range-aided problem.
TEST(SolveCertifiable, SmallPublicProblems) {
  if (!std::ifstream(Shared("README.md")).good()) {
    GTEST_SKIP() << "no shared datasets at " << Shared("");
  }
  SlamGraph grid;
  std::string error;
  ASSERT_TRUE(
      ReadG2oFile(Shared("pose_graph_3d/tinyGrid3D.g2o"), &grid, &error))
      << error;
  SlamProblem problem = BuildProblem(grid);
  CertifiableSummary summary;
  ASSERT_TRUE(SolveCertifiable(CertifiableOptions(), grid, &problem, &summary))
      << summary.message;
  EXPECT_TRUE(summary.globally_optimal) << summary.Report();

  SlamGraph ranges;
  ASSERT_TRUE(ReadPyfgFile(Shared("ra_slam/small_ra_slam_problem.pyfg"),
                           &ranges, &error))
      << error;
  SlamProblem range_problem = BuildProblem(ranges);
  const double plain = PlainVarPro(&range_problem);
  range_problem = BuildProblem(ranges);
  ASSERT_TRUE(
      SolveCertifiable(CertifiableOptions(), ranges, &range_problem, &summary))
      << summary.message;
  EXPECT_TRUE(summary.certified) << summary.Report();
  EXPECT_LE(summary.lower_bound, summary.final_cost);
  // This problem fits exactly (cost ~1e-20 vs ~350 at the start): below
  // 1e-12 of the initial cost both are the same zero.
  EXPECT_LE(summary.final_cost,
            plain * (1.0 + 1e-9) + 1e-12 * summary.initial_cost)
      << summary.Report();
}

TEST(SolveCertifiable, RejectsInvalidInput) {
  std::string error;
  EXPECT_TRUE(CertifiableOptions().IsValid(&error));
  CertifiableOptions bad;
  bad.max_rank = 1;
  EXPECT_FALSE(bad.IsValid(&error));
  bad = CertifiableOptions();
  bad.certificate.relative_tolerance = -1.0;
  EXPECT_FALSE(bad.IsValid(&error));

  const SlamGraph graph = RangeAidedTestGraph(2, 6, 0.01, 3);
  SlamProblem full;
  SlamProblemOptions po;
  po.model = SlamModel::kFull;
  ASSERT_TRUE(full.Build(graph, po, &error)) << error;
  const std::vector<double> before = full.State();
  CertifiableSummary summary;
  EXPECT_FALSE(SolveCertifiable(CertifiableOptions(), graph, &full, &summary));
  EXPECT_FALSE(summary.success);
  EXPECT_NE(summary.message.find("kIsotropic"), std::string::npos);
  EXPECT_EQ(full.State(), before);
  SlamProblem problem = BuildProblem(graph);
  CertifiableOptions chordal;
  chordal.initialization = CertifiableInitialization::kChordal;
  EXPECT_FALSE(SolveCertifiable(chordal, graph, &problem, &summary));
  EXPECT_NE(summary.message.find("ranges"), std::string::npos);
}

}  // namespace
}  // namespace ceres_varpro
