// AnalyzeStructure stage by stage: validation, affinity, Gram constancy,
// components, gauge pins and the regime, on the test problems.

#include "engine/structure_analyzer.h"

#include <set>
#include <string>

#include "ceres/ceres.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

using testing::LandmarkOptions;
using testing::MakeLandmarkProblem;
using testing::MakePoseGraph;
using testing::MakeRangeNetwork;
using testing::PoseGraphOptions;
using testing::RangeNetworkOptions;

struct Analyzed {
  Program program;
  StructureAnalysis analysis;
  std::string error;
  bool ok = false;
};

std::unique_ptr<Analyzed> Analyze(
    const ceres::Problem& problem, const std::vector<double*>& linear,
    StructureAnalysisOptions options = StructureAnalysisOptions()) {
  auto a = std::make_unique<Analyzed>();
  options.num_threads = 2;
  a->ok = Program::Build(problem, linear, &a->program, &a->error) &&
          AnalyzeStructure(options, &a->program, &a->analysis, &a->error);
  return a;
}

TEST(StructureAnalyzer, LinearBlocksWithManifoldOrBoundsAreRejected) {
  PoseGraphOptions go;
  go.num_poses = 4;
  auto g = MakePoseGraph(go);
  g->problem->SetParameterUpperBound(g->t[1].data(), 0, 10.0);
  auto a = Analyze(*g->problem, g->translation_blocks());
  EXPECT_FALSE(a->ok);
  EXPECT_NE(a->error.find("linear_parameter_blocks[1]"), std::string::npos)
      << a->error;
  EXPECT_NE(a->error.find("has bounds"), std::string::npos) << a->error;

  auto h = MakePoseGraph(go);
  a = Analyze(*h->problem, {h->q[1].data()});
  EXPECT_FALSE(a->ok);
  EXPECT_NE(a->error.find("has a manifold"), std::string::npos) << a->error;
}

TEST(StructureAnalyzer, AffinityIsProbedAndTheCulpritNamed) {
  LandmarkOptions lo;
  lo.bearing_only = true;
  lo.num_landmarks = 6;
  auto l = MakeLandmarkProblem(lo);
  auto a = Analyze(*l->problem, l->landmark_blocks());
  EXPECT_FALSE(a->ok);
  EXPECT_NE(a->error.find("is not affine in linear parameter block"),
            std::string::npos)
      << a->error;

  StructureAnalysisOptions options;
  options.allow_nonlinear_elimination = true;
  a = Analyze(*l->problem, l->landmark_blocks(), options);
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_FALSE(a->analysis.affine);
  EXPECT_FALSE(a->analysis.coupled);
  EXPECT_FALSE(a->analysis.gram_constant);
  EXPECT_EQ(a->analysis.regime, EliminationRegime::INDEPENDENT_NONLINEAR);
}

// Isotropic translation residuals t_j - t_i - R_i t̃ have a constant A;
// anisotropic W R_iᵀ(t_j - t_i) - t̃ have A and G = AᵀA moving with R_i; a
// robust loss makes G depend on the residuals.
TEST(StructureAnalyzer, GramConstancyDecidesTheCoupledRegime) {
  PoseGraphOptions go;
  go.num_poses = 8;
  auto iso = MakePoseGraph(go);
  auto a = Analyze(*iso->problem, iso->translation_blocks());
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_TRUE(a->analysis.coupled);
  EXPECT_TRUE(a->analysis.jacobian_constant);
  EXPECT_TRUE(a->analysis.gram_constant);
  EXPECT_EQ(a->analysis.regime, EliminationRegime::COUPLED_CONSTANT_GRAM);

  go.anisotropic = true;
  auto aniso = MakePoseGraph(go);
  a = Analyze(*aniso->problem, aniso->translation_blocks());
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_FALSE(a->analysis.jacobian_constant);
  EXPECT_FALSE(a->analysis.gram_constant);
  EXPECT_EQ(a->analysis.regime, EliminationRegime::COUPLED_VARYING_GRAM);

  go.anisotropic = false;
  go.huber_on_translations = true;
  auto robust = MakePoseGraph(go);
  a = Analyze(*robust->problem, robust->translation_blocks());
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_TRUE(a->analysis.robust);
  EXPECT_EQ(a->analysis.regime, EliminationRegime::COUPLED_VARYING_GRAM);
}

// The edge of Ceres's pose_graph_3d example, W (R_iᵀ(t_j - t_i) - t̃), with
// the example's parameter blocks (q_i, t_i, q_j, t_j): 14 Jet parameters
// against 6 linear ones, so the probes take A by differences.
struct ExampleEdge {
  template <typename T>
  bool operator()(const T* qi, const T* ti, const T* qj, const T* tj,
                  T* residual) const {
    const Eigen::Quaternion<T> q(qi[0], qi[1], qi[2], qi[3]);
    const Eigen::Map<const Eigen::Matrix<T, 3, 1>> a(ti), b(tj);
    const Eigen::Matrix<T, 3, 1> e =
        q.normalized().conjugate() * (b - a) - measured.cast<T>();
    for (int k = 0; k < 3; ++k) residual[k] = T(weights[k]) * e[k];
    (void)qj;
    return true;
  }
  Eigen::Vector3d measured, weights;
};

TEST(StructureAnalyzer, ProbesByDifferencesDecideTheRegimeAndTheGauge) {
  PoseGraphOptions go;
  go.num_poses = 8;
  auto g = MakePoseGraph(go);
  for (const bool anisotropic : {false, true}) {
    ceres::Problem::Options po;
    po.manifold_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
    ceres::Problem problem(po);
    ceres::QuaternionManifold quaternion;
    for (auto& q : g->q) problem.AddParameterBlock(q.data(), 4, &quaternion);
    problem.SetParameterBlockConstant(g->q[0].data());
    for (const auto& [i, j] : g->edges) {
      auto* edge = new ExampleEdge;
      edge->measured = Eigen::Vector3d(0.5, -0.25, 1.0);
      edge->weights = anisotropic ? Eigen::Vector3d(1.0, 3.0, 0.5)
                                  : Eigen::Vector3d::Constant(2.0);
      problem.AddResidualBlock(
          new ceres::AutoDiffCostFunction<ExampleEdge, 3, 4, 3, 4, 3>(edge),
          nullptr, g->q[i].data(), g->t[i].data(), g->q[j].data(),
          g->t[j].data());
    }
    auto a = Analyze(problem, g->translation_blocks());
    ASSERT_TRUE(a->ok) << a->error;
    EXPECT_TRUE(a->analysis.affine);
    EXPECT_TRUE(a->analysis.coupled);
    EXPECT_FALSE(a->analysis.jacobian_constant);
    EXPECT_EQ(a->analysis.gram_constant, !anisotropic);
    EXPECT_EQ(a->analysis.regime,
              anisotropic ? EliminationRegime::COUPLED_VARYING_GRAM
                          : EliminationRegime::COUPLED_CONSTANT_GRAM);
    // Relative translations: shift invariant, one pin.
    EXPECT_EQ(a->analysis.num_pins, 1);
  }
}

TEST(StructureAnalyzer, ComponentsAndGaugePins) {
  PoseGraphOptions go;
  go.num_poses = 5;
  go.num_components = 3;
  auto g = MakePoseGraph(go);
  auto a = Analyze(*g->problem, g->translation_blocks());
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_EQ(a->analysis.num_components, 3);
  EXPECT_EQ(a->analysis.num_pins, 3);
  // One pin per component, each the component's first named block.
  std::set<int> pinned_components;
  for (size_t i = 0; i < a->program.parameter_blocks().size(); ++i) {
    const auto& pb = a->program.parameter_blocks()[i];
    if (!pb.pinned) continue;
    EXPECT_EQ(pb.linear_index % go.num_poses, 0) << pb.linear_index;
    pinned_components.insert(a->analysis.component[i]);
  }
  EXPECT_EQ(pinned_components.size(), 3u);
  EXPECT_EQ(a->program.num_linear_parameters(), 3 * 3 * (5 - 1));

  StructureAnalysisOptions none;
  none.gauge_policy = GaugePolicy::NONE;
  auto h = MakePoseGraph(go);
  a = Analyze(*h->problem, h->translation_blocks(), none);
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_EQ(a->analysis.num_pins, 0);
  EXPECT_EQ(a->program.num_linear_parameters(), 3 * 3 * 5);
}

// Landmarks seen through a rotation are not shift invariant: no pin.
TEST(StructureAnalyzer, IndependentBlocksAndLayout) {
  LandmarkOptions lo;
  lo.num_landmarks = 7;
  auto l = MakeLandmarkProblem(lo);
  StructureAnalysisOptions ambient;
  ambient.ambient_theta = true;
  auto a = Analyze(*l->problem, l->landmark_blocks(), ambient);
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_FALSE(a->analysis.coupled);
  EXPECT_EQ(a->analysis.regime, EliminationRegime::INDEPENDENT_AFFINE);
  EXPECT_EQ(a->analysis.num_components, lo.num_landmarks);
  EXPECT_EQ(a->analysis.num_pins, 0);
  EXPECT_EQ(a->program.num_linear_parameters(), 3 * lo.num_landmarks);
  // Ambient θ columns: quaternions keep their 4 coordinates.
  EXPECT_EQ(a->program.num_theta_tangent(), a->program.num_theta_ambient());

  auto b = Analyze(*l->problem, l->landmark_blocks());
  ASSERT_TRUE(b->ok) << b->error;
  EXPECT_LT(b->program.num_theta_tangent(), b->program.num_theta_ambient());
}

// Relative poses tie two rotations together; ranges touch one angle each.
TEST(StructureAnalyzer, ThetaCoupling) {
  PoseGraphOptions go;
  go.num_poses = 6;
  auto g = MakePoseGraph(go);
  auto a = Analyze(*g->problem, g->translation_blocks());
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_TRUE(a->analysis.coupled);
  EXPECT_TRUE(a->analysis.theta_coupled);

  auto n = MakeRangeNetwork(RangeNetworkOptions());
  a = Analyze(*n->problem, n->position_blocks());
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_TRUE(a->analysis.coupled);
  EXPECT_FALSE(a->analysis.theta_coupled);
  EXPECT_EQ(a->analysis.regime, EliminationRegime::COUPLED_CONSTANT_GRAM);
  EXPECT_EQ(a->analysis.num_pins, 0);
}

TEST(StructureAnalyzer, NoLinearBlocks) {
  PoseGraphOptions go;
  go.num_poses = 4;
  auto g = MakePoseGraph(go);
  auto a = Analyze(*g->problem, {});
  ASSERT_TRUE(a->ok) << a->error;
  EXPECT_EQ(a->analysis.regime, EliminationRegime::NO_LINEAR_BLOCKS);
  EXPECT_EQ(a->program.num_linear_parameters(), 0);
  EXPECT_EQ(a->program.num_nonlinear_columns(),
            static_cast<int>(g->problem->NumParameterBlocks()) - 1);
}

}  // namespace
}  // namespace ceres_varpro::internal
