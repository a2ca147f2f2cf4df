#ifndef CERES_VARPRO_ENGINE_LEVENBERG_MARQUARDT_MINIMIZER_H_
#define CERES_VARPRO_ENGINE_LEVENBERG_MARQUARDT_MINIMIZER_H_

#include <vector>

#include "Eigen/Core"
#include "ceres/iteration_callback.h"
#include "ceres/solver.h"
#include "engine/reduced_linear_solver.h"
#include "engine/reduced_problem.h"

namespace ceres_varpro::internal {

// Levenberg-Marquardt on the reduced problem, with Ceres's rules so results
// and reports compare one to one with ceres::Solve: Jacobi scaling fixed at
// iteration 0, LM diagonal from the squared column norms of the scaled J_θ
// clamped to [min_lm_diagonal, max_lm_diagonal] (kept across rejected steps),
// model cost change -(gᵀδ + ½δᵀSδ), acceptance when the relative decrease
// exceeds min_relative_decrease, radius ÷ max(1/3, 1 - (2ρ-1)³) on success
// and ÷ decrease_factor (doubling) on failure, and Ceres's termination tests.
// Only monotonic steps are taken, so the current point is always the best.
// One addition, Options::extrapolate_steps: a step whose decrease beat the
// model's may be lengthened along its direction (ExtrapolateStep).
// The loop follows Ceres's TrustRegionMinimizer: iteration zero, then per
// iteration compute the step, handle an invalid one, evaluate the candidate,
// the convergence tests, handle a successful or unsuccessful step.
class LevenbergMarquardtMinimizer {
 public:
  // The ceres::Solver::Options fields the loop honours (Ceres's defaults).
  struct Options {
    Options() : Options(ceres::Solver::Options()) {}
    explicit Options(const ceres::Solver::Options& options);

    int max_num_iterations;
    double max_solver_time_in_seconds;
    double function_tolerance;
    double gradient_tolerance;
    double parameter_tolerance;
    double initial_trust_region_radius;
    double max_trust_region_radius;
    double min_trust_region_radius;
    double min_relative_decrease;
    double min_lm_diagonal;
    double max_lm_diagonal;
    int max_num_consecutive_invalid_steps;
    bool jacobi_scaling;
    double eta;
    bool minimizer_progress_to_stdout;
    ceres::LoggingType logging_type;
    std::vector<ceres::IterationCallback*> callbacks;
    bool update_state_every_iteration;
    // Not a Ceres option: see Solver::Options::extrapolate_steps.
    bool extrapolate_steps = true;
  };

  // What the step extrapolation did.
  struct ExtrapolationStatistics {
    int num_tried = 0;
    int num_accepted = 0;
  };
  const ExtrapolationStatistics& extrapolation() const {
    return extrapolation_;
  }

  LevenbergMarquardtMinimizer(const Options& options, ReducedProblem* problem,
                              ReducedLinearSolver* linear_solver);

  // x: initial θ (ambient) on input, best θ on output. Fills the iteration
  // list, termination type and message, step counts and cost fields of the
  // summary (costs include the fixed cost; preprocessor_time_in_seconds is
  // read to report cumulative times as Ceres does). Returns true if at least
  // the initial evaluation succeeded.
  bool Minimize(double* x, ceres::Solver::Summary* summary);

 private:
  void Init(const double* x, ceres::Solver::Summary* summary);
  bool IterationZero();
  void ComputeTrustRegionStep();
  bool HandleInvalidStep();
  void EvaluateCandidate();
  bool ParameterToleranceReached();
  bool FunctionToleranceReached();
  bool HandleSuccessfulStep();
  void HandleUnsuccessfulStep();
  void ExtrapolateStep();
  // Records the iteration, runs the callbacks and the termination tests that
  // Ceres runs between iterations. False to stop.
  bool FinalizeIteration();
  bool UpdateGradientNorms();
  void UpdateDiagonal();
  void Fail(const std::string& message);
  void PrintProgress(const ceres::IterationSummary& iteration) const;

  const Options options_;
  ReducedProblem* problem_;
  ReducedLinearSolver* linear_solver_;
  ceres::Solver::Summary* summary_ = nullptr;
  double start_time_ = 0.0;
  double iteration_start_time_ = 0.0;

  // The current point (ambient), its cost and gradient.
  Eigen::VectorXd x_, gradient_;
  double x_cost_ = 0.0;
  double x_norm_ = 0.0;
  // Jacobi scaling, LM diagonal, its scaled square D², step δ = s ⊙ y
  // (tangent; the linear solver returns y there), the candidate Plus(x, δ)
  // and its cost.
  Eigen::VectorXd scale_, diagonal_, d2_, delta_, candidate_;
  double candidate_cost_ = 0.0;
  double model_cost_change_ = 0.0;
  std::string step_message_;
  // The lengthened step α·δ and Plus(x, α·δ); also the gradient norms'
  // workspace (-g and Plus(x, -g)).
  Eigen::VectorXd extended_step_, extended_;
  ExtrapolationStatistics extrapolation_;

  double radius_ = 0.0;
  double decrease_factor_ = 2.0;
  bool jacobian_changed_ = true;
  int consecutive_invalid_steps_ = 0;
  ceres::IterationSummary iteration_, previous_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_LEVENBERG_MARQUARDT_MINIMIZER_H_
