// How ceres_varpro::Solve behaves around the edges: callbacks, state
// updates, limits, failing cost functions, degenerate problems.

#include <cmath>

#include "ceres/ceres.h"
#include "ceres_varpro/solver.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro {
namespace {

using testing::MakePoseGraph;
using testing::PoseGraphOptions;

double ProblemCost(ceres::Problem* problem) {
  double cost = 0.0;
  problem->Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr, nullptr,
                    nullptr);
  return cost;
}

Solver::Options DefaultOptions(const std::vector<double*>& linear) {
  Solver::Options o;
  o.linear_parameter_blocks = linear;
  o.max_num_iterations = 100;
  o.num_threads = 2;
  return o;
}

class RecordingCallback : public ceres::IterationCallback {
 public:
  RecordingCallback(ceres::Problem* problem, int stop_after)
      : problem_(problem), stop_after_(stop_after) {}
  ceres::CallbackReturnType operator()(
      const ceres::IterationSummary& s) override {
    iterations.push_back(s.iteration);
    if (s.step_is_successful) {
      // update_state_every_iteration: the user's memory holds this point.
      costs_seen.push_back({s.cost, ProblemCost(problem_)});
    }
    return s.iteration >= stop_after_ ? ceres::SOLVER_TERMINATE_SUCCESSFULLY
                                      : ceres::SOLVER_CONTINUE;
  }
  std::vector<int> iterations;
  std::vector<std::pair<double, double>> costs_seen;

 private:
  ceres::Problem* problem_;
  int stop_after_;
};

TEST(SolveBehaviour, CallbacksSeeEveryIterationAndTheUpdatedState) {
  PoseGraphOptions go;
  go.num_poses = 40;
  auto g = MakePoseGraph(go);
  RecordingCallback callback(g->problem.get(), 3);
  Solver::Options o = DefaultOptions(g->translation_blocks());
  o.callbacks.push_back(&callback);
  o.update_state_every_iteration = true;
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::USER_SUCCESS);
  EXPECT_EQ(callback.iterations, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_FALSE(callback.costs_seen.empty());
  for (const auto& [reported, in_memory] : callback.costs_seen) {
    EXPECT_NEAR(in_memory, reported, 1e-9 * reported);
  }
}

TEST(SolveBehaviour, AbortingCallbackIsAUserFailure) {
  PoseGraphOptions go;
  go.num_poses = 20;
  auto g = MakePoseGraph(go);
  struct Abort : ceres::IterationCallback {
    ceres::CallbackReturnType operator()(
        const ceres::IterationSummary&) override {
      return ceres::SOLVER_ABORT;
    }
  } abort;
  Solver::Options o = DefaultOptions(g->translation_blocks());
  o.callbacks.push_back(&abort);
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::USER_FAILURE);
  EXPECT_EQ(summary.iterations.size(), 1u);
}

TEST(SolveBehaviour, IterationAndTimeLimits) {
  PoseGraphOptions go;
  go.num_poses = 60;
  go.rotation_noise = 0.1;
  auto g = MakePoseGraph(go);
  Solver::Options o = DefaultOptions(g->translation_blocks());
  o.max_num_iterations = 2;
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::NO_CONVERGENCE);
  EXPECT_EQ(summary.iterations.back().iteration, 2);
  EXPECT_NE(summary.message.find("Maximum number of iterations"),
            std::string::npos);

  o.max_num_iterations = 100;
  o.max_solver_time_in_seconds = 1e-9;
  Solve(o, g->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::NO_CONVERGENCE);
  EXPECT_NE(summary.message.find("Maximum solver time"), std::string::npos);
}

// Translation residual that fails (returns false or NaN) when the rotation
// of its first pose moves too far from where it started: candidate steps
// there must be rejected and never written back.
struct Fragile : public ceres::CostFunction {
  Fragile(const double* q0, bool use_nan) : use_nan(use_nan) {
    std::copy(q0, q0 + 4, start);
    set_num_residuals(1);
    mutable_parameter_block_sizes()->push_back(4);
  }
  bool Evaluate(double const* const* p, double* r, double** j) const override {
    double d = 0.0;
    for (int k = 0; k < 4; ++k)
      d += (p[0][k] - start[k]) * (p[0][k] - start[k]);
    if (d > 1e-4) {
      if (!use_nan) return false;
      r[0] = std::numeric_limits<double>::quiet_NaN();
      if (j && j[0]) std::fill(j[0], j[0] + 4, 0.0);
      return true;
    }
    r[0] = 0.0;
    if (j && j[0]) std::fill(j[0], j[0] + 4, 0.0);
    return true;
  }
  double start[4];
  bool use_nan;
};

TEST(SolveBehaviour, FailingCandidatesAreRejectedAndNeverWrittenBack) {
  for (bool use_nan : {false, true}) {
    PoseGraphOptions go;
    go.num_poses = 30;
    go.rotation_noise = 0.2;
    auto g = MakePoseGraph(go);
    for (int i = 1; i < 30; i += 5) {
      g->problem->AddResidualBlock(new Fragile(g->q[i].data(), use_nan),
                                   nullptr, g->q[i].data());
    }
    Solver::Summary summary;
    Solve(DefaultOptions(g->translation_blocks()), g->problem.get(), &summary);
    EXPECT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
    EXPECT_GT(summary.num_unsuccessful_steps, 0)
        << "the test needs rejected steps";
    // The memory holds the returned point, which is finite and has the
    // reported cost (a rejected candidate would fail to evaluate).
    double cost = 0.0;
    ASSERT_TRUE(g->problem->Evaluate(ceres::Problem::EvaluateOptions(), &cost,
                                     nullptr, nullptr, nullptr));
    EXPECT_TRUE(std::isfinite(cost));
    EXPECT_NEAR(cost, summary.final_cost, 1e-9 * cost);
    EXPECT_LT(summary.final_cost, summary.initial_cost);
  }
}

TEST(SolveBehaviour, FailureAtTheInitialPointLeavesMemoryUnchanged) {
  PoseGraphOptions go;
  go.num_poses = 10;
  auto g = MakePoseGraph(go);
  double q_before[4];
  std::copy(g->q[3].begin(), g->q[3].end(), q_before);
  std::vector<double> t_before;
  for (auto& t : g->t) t_before.insert(t_before.end(), t.begin(), t.end());
  struct AlwaysFails : public ceres::SizedCostFunction<1, 3> {
    bool Evaluate(double const* const*, double*, double**) const override {
      return false;
    }
  };
  g->problem->AddResidualBlock(new AlwaysFails, nullptr, g->t[5].data());
  Solver::Summary summary;
  Solve(DefaultOptions(g->translation_blocks()), g->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  EXPECT_NE(summary.message.find("residual block #"), std::string::npos)
      << summary.message;
  EXPECT_TRUE(std::equal(q_before, q_before + 4, g->q[3].begin()));
  std::vector<double> t_after;
  for (auto& t : g->t) t_after.insert(t_after.end(), t.begin(), t.end());
  EXPECT_EQ(t_before, t_after);
}

struct Offset {
  explicit Offset(double v) : v(v) {}
  template <typename T>
  bool operator()(const T* x, T* r) const {
    r[0] = x[0] - T(v);
    r[1] = T(2.0) * (x[1] + T(v));
    return true;
  }
  double v;
};

TEST(SolveBehaviour, EmptyAndConstantProblems) {
  {
    ceres::Problem problem;
    Solver::Summary summary;
    Solve(Solver::Options(), &problem, &summary);
    EXPECT_EQ(summary.termination_type, ceres::CONVERGENCE) << summary.message;
    EXPECT_EQ(summary.final_cost, 0.0);
  }
  {
    ceres::Problem problem;
    double x[2] = {1.0, 2.0};
    problem.AddResidualBlock(
        new ceres::AutoDiffCostFunction<Offset, 2, 2>(new Offset(0.5)), nullptr,
        x);
    problem.SetParameterBlockConstant(x);
    Solver::Options o;
    o.linear_parameter_blocks = {x};
    Solver::Summary summary;
    Solve(o, &problem, &summary);
    EXPECT_EQ(summary.termination_type, ceres::CONVERGENCE);
    EXPECT_DOUBLE_EQ(summary.final_cost, 0.5 * (0.25 + 4 * 2.5 * 2.5));
    EXPECT_EQ(x[0], 1.0);
    EXPECT_EQ(x[1], 2.0);
  }
}

TEST(SolveBehaviour, PurelyLinearProblemIsSolvedByElimination) {
  ceres::Problem problem;
  double x[2] = {10.0, -7.0};
  double y[2] = {3.0, 3.0};
  problem.AddResidualBlock(
      new ceres::AutoDiffCostFunction<Offset, 2, 2>(new Offset(0.5)), nullptr,
      x);
  problem.AddResidualBlock(
      new ceres::AutoDiffCostFunction<Offset, 2, 2>(new Offset(1.5)), nullptr,
      x);
  problem.AddResidualBlock(
      new ceres::AutoDiffCostFunction<Offset, 2, 2>(new Offset(-1.0)), nullptr,
      y);
  Solver::Options o;
  o.linear_parameter_blocks = {x, y};
  Solver::Summary summary;
  Solve(o, &problem, &summary);
  EXPECT_EQ(summary.termination_type, ceres::CONVERGENCE) << summary.message;
  EXPECT_NEAR(x[0], 1.0, 1e-12);
  EXPECT_NEAR(x[1], -1.0, 1e-12);
  EXPECT_NEAR(y[0], -1.0, 1e-12);
  EXPECT_NEAR(y[1], 1.0, 1e-12);
  // Residuals (±0.5, ±1) at the optimum of x; y fits exactly.
  EXPECT_NEAR(summary.final_cost, 0.5 * (2 * 0.25 + 2 * 1.0), 1e-12);
}

TEST(SolveBehaviour, ProgressGoesToStdout) {
  PoseGraphOptions go;
  go.num_poses = 10;
  auto g = MakePoseGraph(go);
  Solver::Options o = DefaultOptions(g->translation_blocks());
  o.minimizer_progress_to_stdout = true;
  ::testing::internal::CaptureStdout();
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("iter      cost      cost_change  |gradient|"),
            std::string::npos);
  EXPECT_NE(out.find("\n   1 "), std::string::npos) << out;
}

}  // namespace
}  // namespace ceres_varpro

namespace ceres_varpro {
namespace {

// Euclidean in R^4 (a quaternion's storage), but Plus fails for long
// steps: the gradient step -g at the start is long, trust-region steps are
// not.
class ShortStepManifold : public ceres::Manifold {
 public:
  int AmbientSize() const override { return 4; }
  int TangentSize() const override { return 4; }
  bool Plus(const double* x, const double* delta,
            double* x_plus_delta) const override {
    double norm = 0.0;
    for (int i = 0; i < 4; ++i) norm += delta[i] * delta[i];
    if (std::sqrt(norm) > 1e3) return false;
    for (int i = 0; i < 4; ++i) x_plus_delta[i] = x[i] + delta[i];
    return true;
  }
  bool PlusJacobian(const double*, double* jacobian) const override {
    for (int i = 0; i < 16; ++i) jacobian[i] = (i % 5 == 0) ? 1.0 : 0.0;
    return true;
  }
  bool Minus(const double* y, const double* x,
             double* y_minus_x) const override {
    for (int i = 0; i < 4; ++i) y_minus_x[i] = y[i] - x[i];
    return true;
  }
  bool MinusJacobian(const double*, double* jacobian) const override {
    for (int i = 0; i < 16; ++i) jacobian[i] = (i % 5 == 0) ? 1.0 : 0.0;
    return true;
  }
};

// r = 1e6 (q - 1), and t - 2 for a free linear block: the gradient
// 1e12 (q - 1) cannot be lifted by the manifold above.
struct StiffCost {
  template <typename T>
  bool operator()(const T* q, const T* t, T* r) const {
    for (int i = 0; i < 4; ++i) r[i] = T(1e6) * (q[i] - T(1.0));
    r[4] = t[0] - T(2.0);
    return true;
  }
};

TEST(SolveBehaviour, FailedPlusOnTheGradientIsAFailureLikeCeres) {
  double q[4] = {0.5, 0.5, 0.5, 0.5};
  double t[1] = {0.0};
  ceres::Problem problem;
  problem.AddResidualBlock(
      new ceres::AutoDiffCostFunction<StiffCost, 5, 4, 1>(new StiffCost),
      nullptr, q, t);
  problem.SetManifold(q, new ShortStepManifold);
  Solver::Options o;
  o.linear_parameter_blocks = {t};
  Solver::Summary summary;
  Solve(o, &problem, &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  EXPECT_NE(summary.message.find("Plus(x, -gradient) failed"),
            std::string::npos)
      << summary.message;
  // Same verdict as stock Ceres on the same problem.
  ceres::Solver::Summary ceres_summary;
  ceres::Solver::Options co;
  ceres::Solve(co, &problem, &ceres_summary);
  EXPECT_EQ(ceres_summary.termination_type, ceres::FAILURE);
  // Failed before any step: the user's memory is untouched.
  EXPECT_EQ(q[0], 0.5);
  EXPECT_EQ(t[0], 0.0);
}

// r = x: on a constant block, a cost Ceres folds into fixed_cost.
struct ConstantCost {
  template <typename T>
  bool operator()(const T* x, T* r) const {
    r[0] = x[0];
    return true;
  }
};

TEST(SolveBehaviour, FunctionToleranceIgnoresTheFixedCostLikeCeres) {
  // A huge cost on constant blocks only: relative to it, every step's
  // decrease would pass a 1e-6 function tolerance at once.
  PoseGraphOptions go;
  go.num_poses = 60;
  go.rotation_noise = 0.1;
  auto g = MakePoseGraph(go);
  double anchor[1] = {1e7};
  g->problem->AddResidualBlock(
      new ceres::AutoDiffCostFunction<ConstantCost, 1, 1>(new ConstantCost),
      nullptr, anchor);
  g->problem->SetParameterBlockConstant(anchor);
  Solver::Options o = DefaultOptions(g->translation_blocks());
  o.function_tolerance = 1e-6;
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_GT(summary.fixed_cost, 1e13);
  const double variable_initial = summary.initial_cost - summary.fixed_cost;
  const double variable_final = summary.final_cost - summary.fixed_cost;
  // It kept going until the variable part converged.
  EXPECT_GE(summary.num_successful_steps, 3);
  EXPECT_LT(variable_final, 0.1 * variable_initial);
}

TEST(SolveBehaviour, SummaryCountsWhatHappened) {
  PoseGraphOptions go;
  go.num_poses = 40;
  auto g = MakePoseGraph(go);
  Solver::Options o = DefaultOptions(g->translation_blocks());
  o.min_linear_solver_iterations = 4;
  o.reduced_linear_solver_type = ReducedLinearSolverType::ITERATIVE;
  // Not an (almost) exact preconditioner, whose CG can end in one or two
  // iterations with a vanishing residual.
  o.reduced_preconditioner_type = ReducedPreconditionerType::BLOCK_JACOBI;
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  // One Jacobian per accepted point, the initial one included (Ceres
  // counts iteration 0 as a successful step); one residual evaluation
  // (elimination) per point tried.
  EXPECT_EQ(summary.num_jacobian_evaluations,
            summary.varpro.num_jacobian_evaluations);
  EXPECT_EQ(summary.num_jacobian_evaluations, summary.num_successful_steps);
  EXPECT_EQ(summary.num_residual_evaluations, summary.varpro.num_evaluations);
  EXPECT_GE(summary.num_residual_evaluations, summary.num_successful_steps);
  EXPECT_GT(summary.jacobian_evaluation_time_in_seconds, 0.0);
  EXPECT_GT(summary.residual_evaluation_time_in_seconds, 0.0);
  // min_linear_solver_iterations is honoured by CG.
  for (const auto& it : summary.iterations) {
    if (it.iteration > 0 && it.step_is_valid) {
      EXPECT_GE(it.linear_solver_iterations, 4) << "iteration " << it.iteration;
    }
  }
}

}  // namespace
}  // namespace ceres_varpro
