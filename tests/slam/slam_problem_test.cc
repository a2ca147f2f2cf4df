#include "ceres_varpro/slam/slam_problem.h"

#include <algorithm>
#include <fstream>
#include <random>

#include "ceres/ceres.h"
#include "ceres_varpro/ceres_varpro.h"
#include "ceres_varpro/io/g2o_io.h"
#include "ceres_varpro/io/pyfg_io.h"
#include "ceres_varpro/synthetic/pose_graph_generator.h"
#include "ceres_varpro/synthetic/snl_generator.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

std::string Shared(const std::string& relative) {
  return std::string(CERES_VARPRO_SHARED_DATASETS_DIR) + "/" + relative;
}
bool HaveShared() { return std::ifstream(Shared("README.md")).good(); }

// VarPro and stock Ceres from the same start: VarPro's final cost within
// 1e-6 of Ceres's, or lower (or both at round-off: a noise-free problem ends
// near 1e-20, where the digits are noise).
Solver::Summary CompareWithCeres(SlamProblem* problem,
                                 EliminationRegime expected_regime,
                                 double* ceres_cost = nullptr) {
  const std::vector<double> start = problem->State();
  ceres::Solver::Options co;
  co.linear_solver_type = ceres::SPARSE_NORMAL_CHOLESKY;
  co.function_tolerance = 1e-12;
  co.gradient_tolerance = 1e-12;
  co.parameter_tolerance = 1e-12;
  co.max_num_iterations = 300;
  co.num_threads = 2;
  ceres::Solver::Summary cs;
  ceres::Solve(co, problem->problem(), &cs);
  problem->SetState(start);
  Solver::Options o;
  static_cast<ceres::Solver::Options&>(o) = co;
  o.linear_parameter_blocks = problem->linear_blocks();
  Solver::Summary s;
  Solve(o, problem->problem(), &s);
  EXPECT_TRUE(cs.IsSolutionUsable()) << cs.FullReport();
  EXPECT_TRUE(s.IsSolutionUsable()) << s.FullReport();
  EXPECT_EQ(s.varpro.regime, expected_regime)
      << EliminationRegimeToString(s.varpro.regime);
  EXPECT_LE(s.final_cost,
            cs.final_cost * (1 + 1e-6) + 1e-14 * std::max(1.0, cs.initial_cost))
      << "VarPro " << s.final_cost << " Ceres " << cs.final_cost;
  if (ceres_cost != nullptr) *ceres_cost = cs.final_cost;
  return s;
}

TEST(SlamProblem, GeneratedPoseGraphsBothModelsBothDimensions) {
  for (int d : {2, 3}) {
    PoseGraphGeneratorOptions go;
    go.dimension = d;
    go.num_poses = 240;
    go.poses_per_ring = 24;
    go.radius = 30.0;
    SlamGraph graph;
    GeneratePoseGraph(go, &graph);
    for (SlamModel model : {SlamModel::kIsotropic, SlamModel::kFull}) {
      SlamProblem problem;
      std::string error;
      SlamProblemOptions po;
      po.model = model;
      ASSERT_TRUE(problem.Build(graph, po, &error)) << error;
      // The isotropic model's translation Gram is constant; the full model's
      // is too here (isotropic translation information), which the analysis
      // detects rather than assuming.
      const Solver::Summary s =
          CompareWithCeres(&problem, EliminationRegime::COUPLED_CONSTANT_GRAM);
      EXPECT_EQ(s.varpro.num_gram_factorizations, 1);
    }
  }
}

TEST(SlamProblem, AnisotropicFullModelHasAVaryingGram) {
  PoseGraphGeneratorOptions go;
  go.num_poses = 120;
  go.poses_per_ring = 12;
  go.radius = 20.0;
  SlamGraph graph;
  GeneratePoseGraph(go, &graph);
  for (auto& e : graph.pose_edges) e.information(0, 0) *= 4.0;  // Anisotropic.
  SlamProblem problem;
  std::string error;
  SlamProblemOptions po;
  po.model = SlamModel::kFull;
  ASSERT_TRUE(problem.Build(graph, po, &error)) << error;
  CompareWithCeres(&problem, EliminationRegime::COUPLED_VARYING_GRAM);
}

// A small 2D range-aided SLAM problem: one robot, beacons measured by range,
// and one landmark seen relative to the robot.
SlamGraph RangeAidedGraph(bool with_poses) {
  SlamGraph g;
  g.format = SlamGraph::Format::kPyfg;
  g.dimension = 2;
  g.vertices_are_initial_guess = false;
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.02);  // Test data only.
  const int n = with_poses ? 40 : 0;
  for (int i = 0; i < n; ++i) {
    SlamGraph::Pose p;
    p.name = "A" + std::to_string(i);
    p.id = i;
    const double a = 0.15 * i;
    p.translation = Eigen::Vector2d(6 * std::cos(a), 4 * std::sin(a));
    p.rotation = RotationFromAngle(a + 1.5);
    p.has_value = true;
    g.poses.push_back(p);
  }
  const std::vector<Eigen::Vector2d> beacons = {
      {0, 0}, {8, 1}, {-5, 3}, {2, -6}, {9, 7}};
  for (size_t j = 0; j < beacons.size(); ++j) {
    g.landmarks.push_back({"L" + std::to_string(j), beacons[j], true});
  }
  Eigen::Matrix3d info = Eigen::Vector3d(400, 400, 2500).asDiagonal();
  for (int i = 0; i + 1 < n; ++i) {
    SlamGraph::PoseEdge e;
    e.from = i;
    e.to = i + 1;
    e.rotation = g.poses[i].rotation.transpose() * g.poses[i + 1].rotation *
                 RotationFromAngle(noise(rng));
    e.translation = g.poses[i].rotation.transpose() *
                        (g.poses[i + 1].translation - g.poses[i].translation) +
                    Eigen::Vector2d(noise(rng), noise(rng));
    e.information = info;
    g.pose_edges.push_back(e);
  }
  auto position = [&](const SlamGraph::Endpoint& x) -> Eigen::VectorXd {
    return x.is_landmark ? g.landmarks[x.index].position
                         : g.poses[x.index].translation;
  };
  auto add_range = [&](SlamGraph::Endpoint a, SlamGraph::Endpoint b) {
    SlamGraph::RangeEdge r;
    r.a = a;
    r.b = b;
    r.range = (position(a) - position(b)).norm() + noise(rng);
    r.variance = 0.02 * 0.02;
    g.range_edges.push_back(r);
  };
  if (with_poses) {
    for (int i = 0; i < n; i += 2) {
      add_range({false, i}, {true, (i / 2) % 5});
      add_range({false, i}, {true, (i / 2 + 2) % 5});
    }
    SlamGraph::LandmarkEdge l;
    l.pose = 10;
    l.landmark = 1;
    l.translation = g.poses[10].rotation.transpose() *
                    (beacons[1] - g.poses[10].translation);
    l.information = 100 * Eigen::Matrix2d::Identity();
    g.landmark_edges.push_back(l);
  } else {
    // Sensor-network localisation: positions and ranges only.
    for (int a = 0; a < 5; ++a) {
      for (int b = a + 1; b < 5; ++b) add_range({true, a}, {true, b});
    }
  }
  return g;
}

TEST(SlamProblem, RangeAidedSlamFromOdometry) {
  const SlamGraph graph = RangeAidedGraph(true);
  SlamProblem problem;
  std::string error;
  ASSERT_TRUE(problem.Build(graph, SlamProblemOptions(), &error)) << error;
  EXPECT_NE(problem.initialization_used().find("odometry"), std::string::npos);
  const Solver::Summary s =
      CompareWithCeres(&problem, EliminationRegime::COUPLED_CONSTANT_GRAM);
  // Positions, landmarks, and bearings: near the noise level at the end.
  EXPECT_LT(s.final_cost, 200.0);
}

TEST(SlamProblem, SensorNetworkLocalisation) {
  SlamGraph graph = RangeAidedGraph(false);
  double cost_at_truth = 0.0;
  {
    SlamProblem truth;
    std::string error;
    SlamProblemOptions po;
    po.initialization = SlamInitialization::kFile;
    ASSERT_TRUE(truth.Build(graph, po, &error)) << error;
    truth.problem()->Evaluate(ceres::Problem::EvaluateOptions(), &cost_at_truth,
                              nullptr, nullptr, nullptr);
  }
  // Start the positions away from the truth.
  for (auto& l : graph.landmarks) l.position += Eigen::Vector2d(0.7, -0.4);
  SlamProblem problem;
  std::string error;
  SlamProblemOptions po;
  po.initialization = SlamInitialization::kFile;
  ASSERT_TRUE(problem.Build(graph, po, &error)) << error;
  const Solver::Summary s =
      CompareWithCeres(&problem, EliminationRegime::COUPLED_CONSTANT_GRAM);
  EXPECT_EQ(s.varpro.num_gauge_pins, 1);  // No pose anchors the positions.
  EXPECT_GT(cost_at_truth, 0.0);
  EXPECT_LE(s.final_cost, cost_at_truth);  // The optimum fits the noise.
}

TEST(SlamProblem, OdometryInitialisationChainsReversedEdges) {
  // Noise-free graph; edges 1->2 stored backwards as 2->1.
  PoseGraphGeneratorOptions go;
  go.num_poses = 30;
  go.poses_per_ring = 10;
  go.rotation_noise = 1e-12;
  go.translation_noise = 1e-12;
  SlamGraph graph;
  GeneratePoseGraph(go, &graph);
  const SlamGraph truth = graph;
  auto& e = graph.pose_edges[1];
  std::swap(e.from, e.to);
  e.rotation.transposeInPlace();
  e.translation = -(e.rotation * e.translation);
  for (auto& p : graph.poses) {
    if (p.id != 0) p.has_value = false;
  }
  SlamProblem problem;
  std::string error;
  ASSERT_TRUE(problem.Build(graph, SlamProblemOptions(), &error)) << error;
  SlamGraph out = truth;
  problem.WriteTo(&out);
  for (int i = 0; i < out.num_poses(); ++i) {
    EXPECT_LT((out.poses[i].translation - truth.poses[i].translation).norm(),
              1e-8)
        << i;
    EXPECT_LT((out.poses[i].rotation - truth.poses[i].rotation).norm(), 1e-8)
        << i;
  }
}

TEST(SlamProblem, SharedTinyProblemsOfEachFamily) {
  if (!HaveShared()) GTEST_SKIP() << "shared datasets not present";
  {
    SlamGraph graph;
    std::string error;
    ASSERT_TRUE(
        ReadG2oFile(Shared("pose_graph_3d/tinyGrid3D.g2o"), &graph, &error))
        << error;
    SlamProblem problem;
    ASSERT_TRUE(problem.Build(graph, SlamProblemOptions(), &error)) << error;
    CompareWithCeres(&problem, EliminationRegime::COUPLED_CONSTANT_GRAM);
  }
  {
    SlamGraph graph;
    std::string error;
    ASSERT_TRUE(ReadPyfgFile(Shared("ra_slam/small_ra_slam_problem.pyfg"),
                             &graph, &error))
        << error;
    SlamProblem problem;
    ASSERT_TRUE(problem.Build(graph, SlamProblemOptions(), &error)) << error;
    CompareWithCeres(&problem, EliminationRegime::COUPLED_CONSTANT_GRAM);
  }
}

// A generated pose graph with landmarks, each seen from a run of poses:
// landmark SLAM in 2D or 3D.
SlamGraph LandmarkGraph(int d, int num_poses) {
  PoseGraphGeneratorOptions go;
  go.dimension = d;
  go.num_poses = num_poses;
  go.poses_per_ring = 20;
  go.radius = 25.0;
  SlamGraph g;
  GeneratePoseGraph(go, &g);
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 0.05);  // Test data only.
  const int nl = num_poses / 4;
  for (int j = 0; j < nl; ++j) {
    const SlamGraph::Pose& p = g.poses[4 * j];
    Eigen::VectorXd offset = Eigen::VectorXd::Zero(d);
    offset[0] = 2.0;
    offset[1] = (j % 2 ? 1.5 : -1.5);
    g.landmarks.push_back({std::to_string(100000 + j),
                           p.translation + p.rotation * offset, false});
  }
  Eigen::MatrixXd info = 400.0 * Eigen::MatrixXd::Identity(d, d);
  info(0, 0) = 100.0;  // Anisotropic in the pose frame.
  for (int i = 0; i < num_poses; ++i) {
    for (int j = std::max(0, i / 4 - 2); j <= std::min(nl - 1, i / 4 + 1);
         ++j) {
      SlamGraph::LandmarkEdge e;
      e.pose = i;
      e.landmark = j;
      e.translation = g.poses[i].rotation.transpose() *
                      (g.landmarks[j].position - g.poses[i].translation);
      for (int k = 0; k < d; ++k) e.translation[k] += noise(rng);
      e.information = info;
      g.landmark_edges.push_back(e);
    }
  }
  return g;
}

TEST(SlamProblem, LandmarkSlamBothDimensionsBothModels) {
  for (int d : {2, 3}) {
    const SlamGraph graph = LandmarkGraph(d, 80);
    for (SlamModel model : {SlamModel::kIsotropic, SlamModel::kFull}) {
      SlamProblem problem;
      std::string error;
      SlamProblemOptions po;
      po.model = model;
      po.initialization = SlamInitialization::kOdometry;
      ASSERT_TRUE(problem.Build(graph, po, &error)) << error;
      const Solver::Summary s = CompareWithCeres(
          &problem, model == SlamModel::kIsotropic
                        ? EliminationRegime::COUPLED_CONSTANT_GRAM
                        : EliminationRegime::COUPLED_VARYING_GRAM);
      EXPECT_EQ(s.varpro.num_eliminated_blocks,
                graph.num_poses() - 1 + graph.num_landmarks());
    }
  }
}

TEST(SlamProblem, PriorsAnchorTheGaugeWithoutPins) {
  for (int d : {2, 3}) {
    SlamGraph graph = LandmarkGraph(d, 60);
    for (int with_priors = 0; with_priors < 2; ++with_priors) {
      if (with_priors) {
        SlamGraph::PosePrior p;
        p.pose = 5;
        p.rotation = graph.poses[5].rotation;
        p.translation = graph.poses[5].translation;
        p.information =
            100.0 * Eigen::MatrixXd::Identity(d == 2 ? 3 : 6, d == 2 ? 3 : 6);
        graph.pose_priors.push_back(p);
        SlamGraph::LandmarkPrior l;
        l.landmark = 3;
        l.position = graph.landmarks[3].position;
        l.information = 25.0 * Eigen::MatrixXd::Identity(d, d);
        graph.landmark_priors.push_back(l);
      }
      for (SlamModel model : {SlamModel::kIsotropic, SlamModel::kFull}) {
        SlamProblem problem;
        std::string error;
        SlamProblemOptions po;
        po.model = model;
        ASSERT_TRUE(problem.Build(graph, po, &error)) << error;
        // Without priors the first pose is the frame; with them nothing is
        // held and the engine pins nothing either.
        EXPECT_EQ(problem.num_anchored_components(), with_priors);
        EXPECT_EQ(problem.problem()->IsParameterBlockConstant(
                      problem.linear_blocks()[0]),
                  !with_priors);
        const Solver::Summary s = CompareWithCeres(
            &problem, model == SlamModel::kIsotropic
                          ? EliminationRegime::COUPLED_CONSTANT_GRAM
                          : EliminationRegime::COUPLED_VARYING_GRAM);
        EXPECT_EQ(s.varpro.num_gauge_pins, 0);
        EXPECT_EQ(s.varpro.num_user_fixed_linear_blocks, with_priors ? 0 : 1);
      }
    }
  }
}

TEST(SlamProblem, GeneratedSensorNetworkWithAnchors) {
  for (int d : {2, 3}) {
    SnlGeneratorOptions so;
    so.dimension = d;
    so.num_nodes = 150;
    so.num_anchors = 6;
    so.radio_range = d == 2 ? 2.0 : 1.8;
    SlamGraph graph;
    GenerateSensorNetwork(so, &graph);
    SlamProblem problem;
    std::string error;
    ASSERT_TRUE(problem.Build(graph, SlamProblemOptions(), &error)) << error;
    EXPECT_EQ(problem.num_anchored_components(), 1);
    double ceres_cost = 0.0;
    const Solver::Summary s = CompareWithCeres(
        &problem, EliminationRegime::COUPLED_CONSTANT_GRAM, &ceres_cost);
    EXPECT_EQ(s.varpro.num_gauge_pins, 0);  // The anchors' priors anchor it.
    // Near the noise level: about half a unit per range.
    EXPECT_LT(s.final_cost, 1.0 * graph.range_edges.size()) << d;
  }
}

// Two threads, and still the same bits on every run: the costs, Jᵀx and the
// other threaded sums are added in a fixed order, whichever thread computed
// which part (otherwise an accept/reject decision near a tolerance can flip
// from run to run). 1,000 nodes give enough range rows for Jᵀx to split.
TEST(SlamProblem, SensorNetworkSolvesRepeatBitForBitOnTwoThreads) {
  SnlGeneratorOptions so;
  so.num_nodes = 1000;
  so.num_anchors = 10;
  SlamGraph graph;
  GenerateSensorNetwork(so, &graph);
  ASSERT_GT(graph.range_edges.size(), 2u * 2048u);
  SlamProblem problem;
  std::string error;
  ASSERT_TRUE(problem.Build(graph, SlamProblemOptions(), &error)) << error;
  const std::vector<double> start = problem.State();
  Solver::Options o;
  o.num_threads = 2;
  o.linear_parameter_blocks = problem.linear_blocks();
  Solver::Summary first;
  Solve(o, problem.problem(), &first);
  ASSERT_TRUE(first.IsSolutionUsable()) << first.FullReport();
  const std::vector<double> solution = problem.State();
  for (int run = 0; run < 3; ++run) {
    problem.SetState(start);
    Solver::Summary again;
    Solve(o, problem.problem(), &again);
    EXPECT_EQ(again.final_cost, first.final_cost) << run;
    EXPECT_EQ(again.iterations.size(), first.iterations.size()) << run;
    EXPECT_EQ(again.varpro.num_cg_iterations, first.varpro.num_cg_iterations)
        << run;
    EXPECT_EQ(problem.State(), solution) << run;
  }
}

TEST(SlamProblem, SharedLandmarkFile) {
  if (!HaveShared()) GTEST_SKIP() << "shared datasets not present";
  SlamGraph graph;
  std::string error;
  ASSERT_TRUE(
      ReadG2oFile(Shared("landmark_slam_2d/example.graph"), &graph, &error))
      << error;
  SlamProblem problem;
  SlamProblemOptions po;
  po.model = SlamModel::kFull;
  ASSERT_TRUE(problem.Build(graph, po, &error)) << error;
  CompareWithCeres(&problem, EliminationRegime::COUPLED_VARYING_GRAM);
}

TEST(SlamProblem, WriteToKeepsRotationsOrthonormal) {
  PoseGraphGeneratorOptions go;
  go.num_poses = 20;
  go.poses_per_ring = 5;
  SlamGraph graph;
  GeneratePoseGraph(go, &graph);
  SlamProblem problem;
  std::string error;
  ASSERT_TRUE(problem.Build(graph, SlamProblemOptions(), &error)) << error;
  problem.WriteTo(&graph);
  for (const auto& p : graph.poses) {
    EXPECT_LT(
        (p.rotation.transpose() * p.rotation - Eigen::Matrix3d::Identity())
            .norm(),
        1e-12);
    EXPECT_NEAR(p.rotation.determinant(), 1.0, 1e-12);
  }
}

}  // namespace
}  // namespace ceres_varpro
