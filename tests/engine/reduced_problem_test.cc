// Correctness of the elimination and the reduced problem against
// independent references: central finite differences of the reduced cost,
// an explicitly formed dense Schur complement, and dense minimum-norm least
// squares.

#include "engine/reduced_problem.h"

#include "Eigen/Dense"
#include "engine_pipeline.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

using testing::LandmarkOptions;
using testing::MakeLandmarkProblem;
using testing::MakePoseGraph;
using testing::PoseGraphOptions;

// Reduced cost at Plus(x, delta).
double ReducedCostAt(EnginePipeline* p, const Eigen::VectorXd& x,
                     const Eigen::VectorXd& delta) {
  Eigen::VectorXd y(x.size());
  EXPECT_TRUE(p->reduced->Plus(x.data(), delta.data(), y.data()));
  double cost = 0.0;
  EXPECT_TRUE(p->reduced->Evaluate(y.data(), &cost));
  return cost;
}

// Ceres's own evaluation at the values in the user's memory, parameter blocks
// in the engine's column order: cost, residuals and the dense Jacobian (tangent
// space, as the engine's).
struct CeresEvaluation {
  double cost = 0.0;
  Eigen::VectorXd residuals;
  Eigen::MatrixXd jacobian;
};

bool EvaluateWithCeres(const EnginePipeline& p, ceres::Problem* problem,
                       CeresEvaluation* out) {
  ceres::Problem::EvaluateOptions eo;
  for (int c = 0; c < p.program.num_column_blocks(); ++c) {
    const int b = p.program.column_parameter_blocks()[c];
    eo.parameter_blocks.push_back(p.program.parameter_blocks()[b].values);
  }
  std::vector<double> residuals;
  ceres::CRSMatrix crs;
  if (!problem->Evaluate(eo, &out->cost, &residuals, nullptr, &crs)) {
    return false;
  }
  out->residuals =
      Eigen::Map<const Eigen::VectorXd>(residuals.data(), residuals.size());
  out->jacobian = Eigen::MatrixXd::Zero(crs.num_rows, crs.num_cols);
  for (int i = 0; i < crs.num_rows; ++i) {
    for (int k = crs.rows[i]; k < crs.rows[i + 1]; ++k)
      out->jacobian(i, crs.cols[k]) = crs.values[k];
  }
  return true;
}

// Checks ∇f = J_θᵀr against central differences of f in tangent space.
void ExpectGradientMatchesFiniteDifferences(EnginePipeline* p,
                                            double tolerance) {
  const Eigen::VectorXd x = p->Theta();
  const int n = p->reduced->num_tangent();
  Eigen::VectorXd gradient(n);
  double cost = 0.0;
  ASSERT_TRUE(
      p->reduced->EvaluateJacobian(x.data(), true, &cost, gradient.data()));
  Eigen::VectorXd numeric(n);
  const double h = 1e-5;
  for (int i = 0; i < n; ++i) {
    Eigen::VectorXd d = Eigen::VectorXd::Zero(n);
    d[i] = h;
    const double fp = ReducedCostAt(p, x, d);
    d[i] = -h;
    const double fm = ReducedCostAt(p, x, d);
    numeric[i] = (fp - fm) / (2 * h);
  }
  const double error = (gradient - numeric).norm() / numeric.norm();
  EXPECT_LE(error, tolerance)
      << "analytic " << gradient.head(std::min(n, 6)).transpose()
      << "\nnumeric  " << numeric.head(std::min(n, 6)).transpose();
}

TEST(ReducedProblem, GradientMatchesFiniteDifferencesCoupledConstantGram) {
  PoseGraphOptions go;
  go.num_poses = 12;
  go.rotation_noise = 0.1;
  go.translation_noise = 0.2;
  auto g = MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  EXPECT_EQ(p.analysis.regime, EliminationRegime::COUPLED_CONSTANT_GRAM);
  ExpectGradientMatchesFiniteDifferences(&p, 1e-6);
}

TEST(ReducedProblem, GradientMatchesFiniteDifferencesCoupledVaryingGram) {
  PoseGraphOptions go;
  go.num_poses = 10;
  go.anisotropic = true;
  go.rotation_noise = 0.1;
  go.translation_noise = 0.2;
  auto g = MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  EXPECT_EQ(p.analysis.regime, EliminationRegime::COUPLED_VARYING_GRAM);
  ExpectGradientMatchesFiniteDifferences(&p, 1e-6);
}

TEST(ReducedProblem, GradientMatchesFiniteDifferencesIndependent) {
  LandmarkOptions lo;
  lo.anisotropic = true;
  lo.num_landmarks = 10;
  auto l = MakeLandmarkProblem(lo);
  EnginePipeline p;
  ASSERT_TRUE(p.Build(l->problem.get(), TwoThreadOptions(l->landmark_blocks())))
      << p.error;
  EXPECT_EQ(p.analysis.regime, EliminationRegime::INDEPENDENT_AFFINE);
  ExpectGradientMatchesFiniteDifferences(&p, 1e-6);
}

TEST(ReducedProblem, GradientMatchesFiniteDifferencesRobustCoupled) {
  PoseGraphOptions go;
  go.num_poses = 10;
  go.huber_on_translations = true;
  go.translation_noise = 0.5;
  auto g = MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  EXPECT_EQ(p.analysis.regime, EliminationRegime::COUPLED_VARYING_GRAM);
  EXPECT_TRUE(p.analysis.robust);
  ExpectGradientMatchesFiniteDifferences(&p, 1e-6);
}

TEST(ReducedProblem, GradientMatchesFiniteDifferencesNonlinearIndependent) {
  LandmarkOptions lo;
  lo.bearing_only = true;
  lo.num_landmarks = 8;
  auto l = MakeLandmarkProblem(lo);
  EnginePipeline p;
  Solver::Options o = TwoThreadOptions(l->landmark_blocks());
  o.allow_nonlinear_elimination = true;
  ASSERT_TRUE(p.Build(l->problem.get(), o)) << p.error;
  EXPECT_EQ(p.analysis.regime, EliminationRegime::INDEPENDENT_NONLINEAR);
  ExpectGradientMatchesFiniteDifferences(&p, 1e-5);
}

// Bearing-only landmarks (the nonlinear regime) with the solver's default
// inner tolerance, evaluated with Jacobians at their initial point x0.
class NonlinearLandmarks : public ::testing::Test {
 protected:
  void SetUp() override {
    LandmarkOptions lo;
    lo.bearing_only = true;
    lo.num_landmarks = 8;
    l = MakeLandmarkProblem(lo);
    Solver::Options o = TwoThreadOptions(l->landmark_blocks());
    o.allow_nonlinear_elimination = true;
    ASSERT_TRUE(p.Build(l->problem.get(), o, /*exact_inner_solves=*/false))
        << p.error;
    ASSERT_EQ(p.analysis.regime, EliminationRegime::INDEPENDENT_NONLINEAR);
    x0 = p.Theta();
    n = p.reduced->num_tangent();
    gradient.resize(n);
    ASSERT_TRUE(
        p.reduced->EvaluateJacobian(x0.data(), true, &cost, gradient.data()));
  }

  std::unique_ptr<testing::LandmarkProblem> l;
  EnginePipeline p;
  Eigen::VectorXd x0, gradient;
  int n = 0;
  double cost = 0.0;
};

// A candidate near the current point: the landmarks' chord steps converge, so
// their Jacobian rows wait for acceptance. Accepted, the Jacobian must be
// Ceres's at that point, and the gradient J_θᵀ(r - A G⁻¹Aᵀr) from it.
TEST_F(NonlinearLandmarks, ChordConvergedBlocksGetTheirJacobianOnAcceptance) {
  testing::TestRandom random(5);
  Eigen::VectorXd delta(n);
  for (int i = 0; i < n; ++i) delta[i] = random.Normal(1e-5);
  Eigen::VectorXd x1(x0.size());
  ASSERT_TRUE(p.reduced->Plus(x0.data(), delta.data(), x1.data()));
  double candidate_cost = 0.0;
  ASSERT_TRUE(p.reduced->Evaluate(x1.data(), &candidate_cost));
  EXPECT_GT(p.stats.num_chord_converged_blocks, 0);
  Eigen::VectorXd candidate_l(p.program.num_linear_parameters());
  p.program.GetLinear(candidate_l.data());
  double accepted_cost = 0.0;
  ASSERT_TRUE(p.reduced->EvaluateJacobian(x1.data(), false, &accepted_cost,
                                          gradient.data()));
  // Acceptance evaluates the rows at the candidate's l, which must not move.
  // The cost is summed again, in row order rather than block by block, so it
  // may differ in the last bits (equal here, one bit apart on the CI
  // machine).
  Eigen::VectorXd accepted_l(candidate_l.size());
  p.program.GetLinear(accepted_l.data());
  EXPECT_EQ(accepted_l, candidate_l);
  EXPECT_NEAR(accepted_cost, candidate_cost, 1e-14 * candidate_cost);
  const Eigen::MatrixXd engine_j = p.reduced->jacobian().ToDense();
  p.reduced->WriteCurrentToUser(x1.data());

  CeresEvaluation ceres_eval;
  ASSERT_TRUE(EvaluateWithCeres(p, l->problem.get(), &ceres_eval));
  EXPECT_NEAR(ceres_eval.cost, accepted_cost, 1e-12 * accepted_cost);
  const Eigen::MatrixXd& j = ceres_eval.jacobian;
  ASSERT_EQ(j.rows(), engine_j.rows());
  ASSERT_EQ(j.cols(), engine_j.cols());
  EXPECT_LE((engine_j - j).cwiseAbs().maxCoeff(),
            1e-12 * j.cwiseAbs().maxCoeff());
  const Eigen::MatrixXd jt = j.leftCols(n);
  const Eigen::MatrixXd a = j.rightCols(j.cols() - n);
  const Eigen::VectorXd& r = ceres_eval.residuals;
  const Eigen::VectorXd projected =
      r - a * (a.transpose() * a).ldlt().solve(a.transpose() * r);
  const Eigen::VectorXd expected = jt.transpose() * projected;
  EXPECT_LE((gradient - expected).norm(), 1e-9 * expected.norm());
}

// Evaluates a candidate at Plus(x0, δ), δ ~ N(0, step²), which must write
// over the Jacobian p's reduced problem linearises around; then
// RestoreCurrentJacobian must give back the current point's Jacobian and
// Schur products bit for bit and leave the user's memory as the candidate
// left it. restorations() counts what the restoration evaluated: it must
// grow, and a second call must find nothing to do. Returns the candidate.
template <typename Counter>
Eigen::VectorXd ExpectRejectedCandidateRestored(EnginePipeline* p,
                                                const Eigen::VectorXd& x0,
                                                double step,
                                                const Counter& restorations) {
  const int n = p->reduced->num_tangent();
  const Eigen::MatrixXd current_j = p->reduced->jacobian().ToDense();
  testing::TestRandom random(11);
  Eigen::VectorXd v(n);
  for (int i = 0; i < n; ++i) v[i] = random.Normal(1.0);
  Eigen::VectorXd sv(n);
  p->reduced->SchurMultiply(v.data(), sv.data());
  const double vsv = p->reduced->SchurQuadraticForm(v.data());

  Eigen::VectorXd delta(n);
  for (int i = 0; i < n; ++i) delta[i] = random.Normal(step);
  Eigen::VectorXd x1(x0.size());
  EXPECT_TRUE(p->reduced->Plus(x0.data(), delta.data(), x1.data()));
  double candidate_cost = 0.0;
  EXPECT_TRUE(p->reduced->Evaluate(x1.data(), &candidate_cost));
  // The scenario this check is about: the candidate wrote over the Jacobian.
  EXPECT_GT(
      (p->reduced->jacobian().ToDense() - current_j).cwiseAbs().maxCoeff(),
      0.0);
  std::vector<double> user_linear(p->program.num_linear_parameters());
  p->program.GetLinear(user_linear.data());

  const int before = restorations();
  EXPECT_TRUE(p->reduced->RestoreCurrentJacobian());
  EXPECT_GT(restorations(), before);
  EXPECT_EQ(
      (p->reduced->jacobian().ToDense() - current_j).cwiseAbs().maxCoeff(),
      0.0);
  Eigen::VectorXd sv_again(n);
  p->reduced->SchurMultiply(v.data(), sv_again.data());
  EXPECT_EQ((sv_again - sv).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(p->reduced->SchurQuadraticForm(v.data()), vsv);
  EXPECT_EQ(p->Theta(), x1);
  std::vector<double> user_linear_after(user_linear.size());
  p->program.GetLinear(user_linear_after.data());
  EXPECT_EQ(user_linear_after, user_linear);
  // Nothing left to restore: a second call evaluates nothing.
  const int restored = restorations();
  EXPECT_TRUE(p->reduced->RestoreCurrentJacobian());
  EXPECT_EQ(restorations(), restored);
  return x1;
}

// The nonlinear regime keeps one Jacobian: a candidate far from the current
// point (chord steps fail, Gauss-Newton evaluates its landmarks' rows)
// overwrites rows of it, which are evaluated again when it is not accepted.
TEST_F(NonlinearLandmarks, RejectedCandidateGivesTheCurrentJacobianBack) {
  const int passes_before = p.stats.num_inner_iterations;
  ExpectRejectedCandidateRestored(&p, x0, 0.1,
                                  [&] { return p.stats.num_restored_blocks; });
  EXPECT_GT(p.stats.num_inner_iterations, passes_before);
}

// The exact coupled regime with an A that moves keeps one Jacobian and one
// Gram factor: a candidate overwrites A and, where G varies, the factor,
// which are evaluated (and factored) again at the current point when it is
// not accepted. Accepted, a candidate's Jacobian is Ceres's there.
void ExpectSharedWorkspaceRestored(PoseGraphOptions go,
                                   EliminationRegime regime,
                                   int factorizations_per_point) {
  go.num_poses = 12;
  go.rotation_noise = 0.1;
  go.translation_noise = 0.2;
  auto g = MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  ASSERT_EQ(p.analysis.regime, regime);
  ASSERT_FALSE(p.analysis.jacobian_constant);
  const Eigen::VectorXd x0 = p.Theta();
  const int n = p.reduced->num_tangent();
  Eigen::VectorXd gradient(n);
  double cost = 0.0;
  ASSERT_TRUE(
      p.reduced->EvaluateJacobian(x0.data(), true, &cost, gradient.data()));
  const int factorizations = p.stats.num_gram_factorizations;
  const Eigen::VectorXd x1 = ExpectRejectedCandidateRestored(
      &p, x0, 0.2, [&] { return p.stats.num_current_point_restorations; });
  EXPECT_EQ(p.stats.num_current_point_restorations, 1);
  // The candidate's factorisation and the restoration's, where G varies.
  EXPECT_EQ(p.stats.num_gram_factorizations,
            factorizations + 2 * factorizations_per_point);

  // The candidate again, accepted: its Jacobian is Ceres's at x1 (tangent
  // space, the engine's column order), with l* in the user's memory.
  double candidate_cost = 0.0;
  ASSERT_TRUE(p.reduced->Evaluate(x1.data(), &candidate_cost));
  double accepted_cost = 0.0;
  ASSERT_TRUE(p.reduced->EvaluateJacobian(x1.data(), false, &accepted_cost,
                                          gradient.data()));
  EXPECT_NEAR(accepted_cost, candidate_cost, 1e-12 * candidate_cost);
  CeresEvaluation ceres_eval;
  ASSERT_TRUE(EvaluateWithCeres(p, g->problem.get(), &ceres_eval));
  const Eigen::MatrixXd j = p.reduced->jacobian().ToDense();
  ASSERT_EQ(j.rows(), ceres_eval.jacobian.rows());
  ASSERT_EQ(j.cols(), ceres_eval.jacobian.cols());
  EXPECT_LE((j - ceres_eval.jacobian).cwiseAbs().maxCoeff(),
            1e-12 * (1.0 + ceres_eval.jacobian.cwiseAbs().maxCoeff()));
  // Restoring after an acceptance has nothing to do.
  ASSERT_TRUE(p.reduced->RestoreCurrentJacobian());
  EXPECT_EQ(p.stats.num_current_point_restorations, 1);
}

TEST(ReducedProblem, VaryingGramRejectedCandidateGivesTheCurrentPointBack) {
  PoseGraphOptions go;
  go.anisotropic = true;
  ExpectSharedWorkspaceRestored(go, EliminationRegime::COUPLED_VARYING_GRAM, 1);
}

// Isotropic information in pose i's frame: G = AᵀA is constant though A
// moves with the rotations. A is restored; the factor, never overwritten
// (and its assembly released), is not factored again.
TEST(ReducedProblem,
     ConstantGramVaryingARejectedCandidateGivesTheCurrentPointBack) {
  PoseGraphOptions go;
  go.body_frame = true;
  ExpectSharedWorkspaceRestored(go, EliminationRegime::COUPLED_CONSTANT_GRAM,
                                0);
}

// The engine's S v and vᵀS v at the current point against the dense
// S = J_θᵀJ_θ - J_θᵀA (AᵀA)⁻¹ AᵀJ_θ, for random v.
void ExpectSchurProductsMatch(EnginePipeline* p, const Eigen::MatrixXd& jt,
                              const Eigen::MatrixXd& a, double tolerance) {
  const int n = p->reduced->num_tangent();
  const Eigen::MatrixXd s =
      jt.transpose() * jt -
      jt.transpose() * a * (a.transpose() * a).ldlt().solve(a.transpose() * jt);
  testing::TestRandom random(3);
  for (int trial = 0; trial < 3; ++trial) {
    Eigen::VectorXd v(n);
    for (int i = 0; i < n; ++i) v[i] = random.Normal(1.0);
    Eigen::VectorXd sv(n);
    p->reduced->SchurMultiply(v.data(), sv.data());
    const Eigen::VectorXd expected = s * v;
    EXPECT_LE((sv - expected).norm(), tolerance * expected.norm());
    EXPECT_NEAR(p->reduced->SchurQuadraticForm(v.data()), v.dot(expected),
                tolerance * std::abs(v.dot(expected)));
  }
}

// Dense reference from the engine's own Jacobian.
void ExpectSchurMatchesDense(EnginePipeline* p) {
  const Eigen::VectorXd x = p->Theta();
  const int n = p->reduced->num_tangent();
  Eigen::VectorXd gradient(n);
  double cost;
  ASSERT_TRUE(
      p->reduced->EvaluateJacobian(x.data(), true, &cost, gradient.data()));
  const Eigen::MatrixXd j = p->reduced->jacobian().ToDense();
  ExpectSchurProductsMatch(p, j.leftCols(n), j.rightCols(j.cols() - n), 1e-10);
}

TEST(ReducedProblem, SchurProductMatchesDenseCoupled) {
  PoseGraphOptions go;
  go.num_poses = 15;
  go.anisotropic = true;
  auto g = MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  ExpectSchurMatchesDense(&p);
}

TEST(ReducedProblem, SchurProductMatchesDenseIndependent) {
  LandmarkOptions lo;
  lo.num_landmarks = 12;
  lo.anisotropic = true;
  auto l = MakeLandmarkProblem(lo);
  EnginePipeline p;
  ASSERT_TRUE(p.Build(l->problem.get(), TwoThreadOptions(l->landmark_blocks())))
      << p.error;
  ExpectSchurMatchesDense(&p);
}

// The same check with a reference that shares nothing with the engine's
// assembly: J = [J_θ A] as ceres::Problem::Evaluate returns it (tangent
// space, columns in the engine's order) at (θ, l*(θ)).
TEST(ReducedProblem, SchurProductMatchesCeresJacobianCoupledConstantGram) {
  PoseGraphOptions go;
  go.num_poses = 10;
  go.rotation_noise = 0.1;
  go.translation_noise = 0.2;
  auto g = MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  ASSERT_EQ(p.analysis.regime, EliminationRegime::COUPLED_CONSTANT_GRAM);
  const Eigen::VectorXd x = p.Theta();
  const int n = p.reduced->num_tangent();
  Eigen::VectorXd gradient(n);
  double cost = 0.0;
  ASSERT_TRUE(
      p.reduced->EvaluateJacobian(x.data(), true, &cost, gradient.data()));
  p.reduced->WriteCurrentToUser(x.data());

  CeresEvaluation ceres_eval;
  ASSERT_TRUE(EvaluateWithCeres(p, g->problem.get(), &ceres_eval));
  EXPECT_NEAR(ceres_eval.cost, cost, 1e-10 * cost);
  const Eigen::MatrixXd& j = ceres_eval.jacobian;
  ASSERT_EQ(j.cols(), n + p.reduced->num_linear());
  const Eigen::MatrixXd jt = j.leftCols(n);
  const Eigen::MatrixXd a = j.rightCols(j.cols() - n);
  ExpectSchurProductsMatch(&p, jt, a, 1e-9);
  // And the reduced gradient is J_θᵀr there (Aᵀr = 0 at l*).
  const Eigen::VectorXd& r = ceres_eval.residuals;
  EXPECT_LE((a.transpose() * r).norm(), 1e-8 * (jt.transpose() * r).norm());
  EXPECT_LE((gradient - jt.transpose() * r).norm(), 1e-8 * gradient.norm());
}

// With k components, k blocks are pinned and the reduced cost equals the
// minimum-norm least-squares value over ALL translations (no pin), computed
// densely: the gauge fix does not change the cost.
TEST(ReducedProblem, GaugePinsOnePerComponentAndKeepsTheCost) {
  PoseGraphOptions go;
  go.num_poses = 8;
  go.num_components = 3;
  go.rotation_noise = 0.1;
  go.translation_noise = 0.3;
  auto g = MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  EXPECT_EQ(p.analysis.num_components, 3);
  EXPECT_EQ(p.analysis.num_pins, 3);
  EXPECT_EQ(p.program.num_linear_parameters(), 3 * (3 * 8 - 3));

  // Dense reference: r(t) = A t - b over all 72 translation parameters at the
  // current rotations, from the CostFunctions themselves.
  const int nt = static_cast<int>(g->t.size());
  std::vector<Eigen::Vector3d> saved(nt);
  for (int i = 0; i < nt; ++i) saved[i] = Eigen::Vector3d(g->t[i].data());
  ceres::Problem::EvaluateOptions eo;
  eo.parameter_blocks = g->translation_blocks();
  // Rotations stay as they are (evaluate w.r.t. translations only).
  double cost0;
  std::vector<double> r0;
  ceres::CRSMatrix crs;
  ASSERT_TRUE(g->problem->Evaluate(eo, &cost0, &r0, nullptr, &crs));
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(crs.num_rows, crs.num_cols);
  for (int i = 0; i < crs.num_rows; ++i) {
    for (int k = crs.rows[i]; k < crs.rows[i + 1]; ++k)
      a(i, crs.cols[k]) = crs.values[k];
  }
  const Eigen::VectorXd r = Eigen::Map<Eigen::VectorXd>(r0.data(), r0.size());
  // min ½‖r + A Δt‖² by complete orthogonal decomposition (minimum norm).
  const Eigen::VectorXd dt = a.completeOrthogonalDecomposition().solve(-r);
  EXPECT_LT(a.completeOrthogonalDecomposition().rank(), a.cols())
      << "gauge freedom expected";
  const double reference = 0.5 * (r + a * dt).squaredNorm();

  const Eigen::VectorXd x = p.Theta();
  double cost = 0.0;
  ASSERT_TRUE(p.reduced->Evaluate(x.data(), &cost));
  EXPECT_NEAR(cost, reference, 1e-10 * reference);
  // The pinned blocks kept their value.
  int pinned = 0;
  for (const auto& pb : p.program.parameter_blocks()) {
    if (!pb.pinned) continue;
    ++pinned;
    for (int i = 0; i < nt; ++i) {
      if (g->t[i].data() == pb.values) {
        EXPECT_EQ(Eigen::Vector3d(g->t[i].data()), saved[i]);
      }
    }
  }
  EXPECT_EQ(pinned, 3);
}

TEST(ReducedProblem, UserFixedLinearBlockCountsAsPin) {
  PoseGraphOptions go;
  go.num_poses = 8;
  auto g = MakePoseGraph(go);
  g->problem->SetParameterBlockConstant(g->t[3].data());
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  EXPECT_EQ(p.analysis.num_pins, 0);
  EXPECT_EQ(p.analysis.num_user_fixed_linear_blocks, 1);
  EXPECT_EQ(p.program.num_linear_parameters(), 3 * 7);
}

}  // namespace
}  // namespace ceres_varpro::internal
