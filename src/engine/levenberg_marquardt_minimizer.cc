#include "engine/levenberg_marquardt_minimizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/eigen_types.h"
#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

// Ceres's trust-region constants: a rejected step divides the radius by
// decrease_factor, which starts at 2 and doubles on every rejection in a row.
constexpr double kInitialDecreaseFactor = 2.0;
constexpr double kDecreaseFactorGrowth = 2.0;
// A successful step divides the radius by max(1/3, 1 - (2ρ - 1)³).
constexpr double kMinRadiusDivisor = 1.0 / 3.0;
// Step extrapolation: tried when the parabola through the cost along the
// accepted step has its minimum at least this many steps out, and never
// further than kMaxExtrapolation steps.
constexpr double kMinExtrapolation = 2.0;
constexpr double kMaxExtrapolation = 10.0;
// ... and only after a step whose decrease beat the model's by this factor:
// below it the model is not pessimistic, a damped step is short on purpose
// (a narrow valley), and lengthening it slowed a range-aided problem down.
constexpr double kMinExtrapolationRatio = 1.25;

std::string Format(const char* format, double a, double b) {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer), format, a, b);
  return buffer;
}

}  // namespace

LevenbergMarquardtMinimizer::Options::Options(const ceres::Solver::Options& o)
    : max_num_iterations(o.max_num_iterations),
      max_solver_time_in_seconds(o.max_solver_time_in_seconds),
      function_tolerance(o.function_tolerance),
      gradient_tolerance(o.gradient_tolerance),
      parameter_tolerance(o.parameter_tolerance),
      initial_trust_region_radius(o.initial_trust_region_radius),
      max_trust_region_radius(o.max_trust_region_radius),
      min_trust_region_radius(o.min_trust_region_radius),
      min_relative_decrease(o.min_relative_decrease),
      min_lm_diagonal(o.min_lm_diagonal),
      max_lm_diagonal(o.max_lm_diagonal),
      max_num_consecutive_invalid_steps(o.max_num_consecutive_invalid_steps),
      jacobi_scaling(o.jacobi_scaling),
      eta(o.eta),
      minimizer_progress_to_stdout(o.minimizer_progress_to_stdout),
      logging_type(o.logging_type),
      callbacks(o.callbacks),
      update_state_every_iteration(o.update_state_every_iteration) {}

LevenbergMarquardtMinimizer::LevenbergMarquardtMinimizer(
    const Options& options, ReducedProblem* problem,
    ReducedLinearSolver* linear_solver)
    : options_(options), problem_(problem), linear_solver_(linear_solver) {
  CHECK(problem_ != nullptr);
  CHECK(linear_solver_ != nullptr);
}

void LevenbergMarquardtMinimizer::PrintProgress(
    const ceres::IterationSummary& it) const {
  char line[256];
  std::snprintf(line, sizeof(line),
                "% 4d % 8e   % 3.2e   % 3.2e  % 3.2e  % 3.2e % 3.2e     % 4d   "
                "% 3.2e   % 3.2e",
                it.iteration, it.cost, it.cost_change, it.gradient_max_norm,
                it.step_norm, it.relative_decrease, it.trust_region_radius,
                it.linear_solver_iterations, it.iteration_time_in_seconds,
                it.cumulative_time_in_seconds);
  const char* header =
      "iter      cost      cost_change  |gradient|   |step|    tr_ratio  "
      "tr_radius  ls_iter  iter_time  total_time";
  if (options_.minimizer_progress_to_stdout) {
    if (it.iteration == 0) std::printf("%s\n", header);
    std::printf("%s\n", line);
    std::fflush(stdout);
  } else if (options_.logging_type == ceres::PER_MINIMIZER_ITERATION) {
    if (it.iteration == 0) VLOG(1) << header;
    VLOG(1) << line;
  }
}

bool LevenbergMarquardtMinimizer::FinalizeIteration() {
  ceres::Solver::Summary* summary = summary_;
  ceres::IterationSummary* it = &iteration_;
  if (it->step_is_successful) {
    ++summary->num_successful_steps;
  } else {
    ++summary->num_unsuccessful_steps;
  }
  const double now = WallTimeInSeconds();
  it->iteration_time_in_seconds = now - iteration_start_time_;
  it->cumulative_time_in_seconds =
      now - start_time_ + summary->preprocessor_time_in_seconds;
  summary->iterations.push_back(*it);
  PrintProgress(*it);

  if (options_.update_state_every_iteration) {
    problem_->WriteCurrentToUser(x_.data());
  }
  for (ceres::IterationCallback* callback : options_.callbacks) {
    const ceres::CallbackReturnType status = (*callback)(*it);
    if (status == ceres::SOLVER_TERMINATE_SUCCESSFULLY) {
      summary->termination_type = ceres::USER_SUCCESS;
      summary->message =
          "User callback returned SOLVER_TERMINATE_SUCCESSFULLY.";
      return false;
    }
    if (status == ceres::SOLVER_ABORT) {
      summary->termination_type = ceres::USER_FAILURE;
      summary->message = "User callback returned SOLVER_ABORT.";
      return false;
    }
  }
  const double total_time =
      now - start_time_ + summary->preprocessor_time_in_seconds;
  if (total_time >= options_.max_solver_time_in_seconds) {
    summary->termination_type = ceres::NO_CONVERGENCE;
    summary->message =
        Format("Maximum solver time reached. Total solver time: %e >= %e.",
               total_time, options_.max_solver_time_in_seconds);
    return false;
  }
  if (it->iteration >= options_.max_num_iterations) {
    summary->termination_type = ceres::NO_CONVERGENCE;
    summary->message =
        "Maximum number of iterations reached. Number of iterations: " +
        std::to_string(it->iteration) + ".";
    return false;
  }
  if (it->step_is_successful &&
      it->gradient_max_norm <= options_.gradient_tolerance) {
    summary->termination_type = ceres::CONVERGENCE;
    summary->message =
        Format("Gradient tolerance reached. Gradient max norm: %e <= %e",
               it->gradient_max_norm, options_.gradient_tolerance);
    return false;
  }
  if (it->trust_region_radius <= options_.min_trust_region_radius) {
    summary->termination_type = ceres::CONVERGENCE;
    summary->message = Format(
        "Minimum trust region radius reached. Trust region radius: %e <= %e",
        it->trust_region_radius, options_.min_trust_region_radius);
    return false;
  }
  return true;
}

bool LevenbergMarquardtMinimizer::Minimize(double* x,
                                           ceres::Solver::Summary* summary) {
  Init(x, summary);
  if (!IterationZero()) return false;
  while (FinalizeIteration()) {
    iteration_start_time_ = WallTimeInSeconds();
    previous_ = summary_->iterations.back();
    iteration_ = ceres::IterationSummary();
    iteration_.iteration = previous_.iteration + 1;
    iteration_.eta = options_.eta;

    // After a rejected step the nonlinear regime's one Jacobian may hold the
    // rejected candidate's rows; the step is taken with the current point's.
    if (!jacobian_changed_ && !problem_->RestoreCurrentJacobian()) {
      Fail("Residual and Jacobian evaluation failed: " +
           problem_->eliminator().error());
      break;
    }
    ComputeTrustRegionStep();
    if (!iteration_.step_is_valid) {
      if (!HandleInvalidStep()) break;
      continue;
    }
    consecutive_invalid_steps_ = 0;

    EvaluateCandidate();
    if (ParameterToleranceReached() || FunctionToleranceReached()) break;
    iteration_.relative_decrease = iteration_.cost_change / model_cost_change_;
    if (iteration_.relative_decrease > options_.min_relative_decrease) {
      if (options_.extrapolate_steps) ExtrapolateStep();
      if (!HandleSuccessfulStep()) break;
    } else {
      HandleUnsuccessfulStep();
    }
    iteration_.trust_region_radius = radius_;
  }
  VectorRef(x, problem_->num_ambient()) = x_;
  summary_->final_cost = x_cost_;
  return true;
}

void LevenbergMarquardtMinimizer::Init(const double* x,
                                       ceres::Solver::Summary* summary) {
  summary_ = summary;
  start_time_ = WallTimeInSeconds();
  iteration_start_time_ = start_time_;
  const int na = problem_->num_ambient();
  const int nt = problem_->num_tangent();
  x_ = ConstVectorRef(x, na);
  gradient_.resize(nt);
  scale_ = Eigen::VectorXd::Ones(nt);
  diagonal_.resize(nt);
  d2_.resize(nt);
  delta_.resize(nt);
  candidate_.resize(na);
  extended_.resize(na);
  extended_step_.resize(nt);
  radius_ = options_.initial_trust_region_radius;
  decrease_factor_ = kInitialDecreaseFactor;
  jacobian_changed_ = true;
  consecutive_invalid_steps_ = 0;
  summary_->termination_type = ceres::NO_CONVERGENCE;
  summary_->num_successful_steps = 0;
  summary_->num_unsuccessful_steps = 0;
}

// Evaluates the initial point, fixes the Jacobi scaling there and records
// iteration 0.
bool LevenbergMarquardtMinimizer::IterationZero() {
  if (!problem_->EvaluateJacobian(x_.data(), /*new_point=*/true, &x_cost_,
                                  gradient_.data())) {
    Fail("Residual and Jacobian evaluation failed at the initial point: " +
         problem_->eliminator().error());
    return false;
  }
  summary_->initial_cost = std::min(summary_->initial_cost, x_cost_);
  problem_->SquaredColumnNorm(diagonal_.data());
  if (options_.jacobi_scaling) {
    for (int i = 0; i < scale_.size(); ++i) {
      scale_[i] = 1.0 / (1.0 + std::sqrt(diagonal_[i]));
    }
  }
  UpdateDiagonal();
  iteration_ = ceres::IterationSummary();
  iteration_.iteration = 0;
  iteration_.cost = x_cost_;
  iteration_.cost_change = 0.0;
  iteration_.step_norm = 0.0;
  iteration_.relative_decrease = 0.0;
  iteration_.eta = options_.eta;
  iteration_.linear_solver_iterations = 0;
  iteration_.step_is_valid = true;
  iteration_.step_is_successful = true;
  if (!UpdateGradientNorms()) return false;
  x_norm_ = x_.norm();
  iteration_.trust_region_radius = radius_;
  return true;
}

// Ceres measures the gradient as |x - Plus(x, -g)|, which respects
// manifolds. A failed Plus is a failure, as in Ceres (not a zero gradient).
// The extrapolation's buffers are free here and hold -g and Plus(x, -g).
bool LevenbergMarquardtMinimizer::UpdateGradientNorms() {
  extended_step_ = -gradient_;
  if (!problem_->Plus(x_.data(), extended_step_.data(), extended_.data())) {
    Fail("projected_gradient_step = Plus(x, -gradient) failed.");
    return false;
  }
  iteration_.gradient_max_norm = (x_ - extended_).lpNorm<Eigen::Infinity>();
  iteration_.gradient_norm = (x_ - extended_).norm();
  return true;
}

// diagonal_ holds the squared column norms of J at x; it becomes Ceres's LM
// diagonal, clamp(s² · norms), kept until the next accepted step.
void LevenbergMarquardtMinimizer::UpdateDiagonal() {
  for (int i = 0; i < diagonal_.size(); ++i) {
    diagonal_[i] = std::min(std::max(scale_[i] * scale_[i] * diagonal_[i],
                                     options_.min_lm_diagonal),
                            options_.max_lm_diagonal);
  }
}

// The LM step at the current radius, and whether the model predicts a
// decrease along it.
void LevenbergMarquardtMinimizer::ComputeTrustRegionStep() {
  const double step_start = WallTimeInSeconds();
  d2_ = diagonal_ / radius_;
  const ReducedLinearSolver::Summary step = linear_solver_->Solve(
      problem_, scale_.data(), d2_.data(), gradient_.data(), options_.eta,
      jacobian_changed_, delta_.data());
  jacobian_changed_ = false;
  iteration_.linear_solver_iterations = step.num_iterations;
  summary_->num_linear_solves += 1;
  step_message_ = step.message;
  model_cost_change_ = 0.0;
  if (step.success) {
    delta_ = scale_.cwiseProduct(delta_);  // The solver's y is scaled.
    // δᵀSδ from the linear solver when it has it (CG does): another product
    // with S costs a Gram solve.
    const double quadratic_form =
        step.quadratic_form >= 0.0
            ? step.quadratic_form
            : problem_->SchurQuadraticForm(delta_.data());
    model_cost_change_ = -(gradient_.dot(delta_) + 0.5 * quadratic_form);
    iteration_.step_is_valid =
        model_cost_change_ > 0.0 && std::isfinite(model_cost_change_);
  }
  iteration_.step_solver_time_in_seconds = WallTimeInSeconds() - step_start;
}

// Shrinks the radius and records a zero step; false after too many invalid
// steps in a row.
bool LevenbergMarquardtMinimizer::HandleInvalidStep() {
  if (++consecutive_invalid_steps_ >=
      options_.max_num_consecutive_invalid_steps) {
    Fail(
        "Number of consecutive invalid steps more than "
        "Solver::Options::max_num_consecutive_invalid_steps: " +
        std::to_string(options_.max_num_consecutive_invalid_steps) +
        (step_message_.empty() ? "" : " (" + step_message_ + ")"));
    return false;
  }
  radius_ /= decrease_factor_;
  decrease_factor_ *= kDecreaseFactorGrowth;
  iteration_.cost = x_cost_;
  iteration_.cost_change = 0.0;
  iteration_.gradient_max_norm = previous_.gradient_max_norm;
  iteration_.gradient_norm = previous_.gradient_norm;
  iteration_.step_norm = 0.0;
  iteration_.relative_decrease = 0.0;
  iteration_.trust_region_radius = radius_;
  return true;
}

// A failed Plus or evaluation counts as infinite cost.
void LevenbergMarquardtMinimizer::EvaluateCandidate() {
  candidate_cost_ = std::numeric_limits<double>::max();
  if (problem_->Plus(x_.data(), delta_.data(), candidate_.data())) {
    double cost = 0.0;
    if (problem_->Evaluate(candidate_.data(), &cost)) candidate_cost_ = cost;
  }
  iteration_.step_norm = (x_ - candidate_).norm();
  iteration_.cost_change = x_cost_ - candidate_cost_;
}

bool LevenbergMarquardtMinimizer::ParameterToleranceReached() {
  const double tolerance = options_.parameter_tolerance;
  if (iteration_.step_norm > tolerance * (x_norm_ + tolerance)) return false;
  summary_->termination_type = ceres::CONVERGENCE;
  summary_->message =
      Format("Parameter tolerance reached. Relative step_norm: %e <= %e.",
             iteration_.step_norm / (x_norm_ + tolerance), tolerance);
  return true;
}

// Relative to the cost of the residual blocks that can change, as Ceres does
// (its minimiser never sees the fixed cost).
bool LevenbergMarquardtMinimizer::FunctionToleranceReached() {
  const double variable_cost = x_cost_ - problem_->fixed_cost();
  const double change = std::abs(iteration_.cost_change);
  if (change > options_.function_tolerance * variable_cost) return false;
  summary_->termination_type = ceres::CONVERGENCE;
  summary_->message =
      Format("Function tolerance reached. |cost_change|/cost: %e <= %e",
             change / variable_cost, options_.function_tolerance);
  return true;
}

// Moves to the candidate, evaluates the Jacobian there and grows the radius.
// False (a failure) if that evaluation fails or the gradient's Plus does.
bool LevenbergMarquardtMinimizer::HandleSuccessfulStep() {
  x_.swap(candidate_);  // candidate_ keeps the previous point.
  if (!problem_->EvaluateJacobian(x_.data(), /*new_point=*/false, &x_cost_,
                                  gradient_.data())) {
    x_.swap(candidate_);
    Fail("Residual and Jacobian evaluation failed: " +
         problem_->eliminator().error());
    return false;
  }
  x_norm_ = x_.norm();
  problem_->SquaredColumnNorm(diagonal_.data());
  UpdateDiagonal();
  // The new point stands (its cost and l* are valid), as in Ceres.
  if (!UpdateGradientNorms()) return false;
  iteration_.cost = x_cost_;
  iteration_.step_is_successful = true;
  const double rho = iteration_.relative_decrease;
  radius_ = std::min(options_.max_trust_region_radius,
                     radius_ / std::max(kMinRadiusDivisor,
                                        1.0 - std::pow(2.0 * rho - 1.0, 3)));
  decrease_factor_ = kInitialDecreaseFactor;
  jacobian_changed_ = true;
  return true;
}

// Along an accepted step δ with ρ ≥ kMinExtrapolationRatio the cost is f(0),
// f'(0) = gᵀδ and f(1): when their parabola has its minimum at
// α ≥ kMinExtrapolation (ρ ≥ 1.5 for an undamped step), Gauss-Newton's
// model overstates the curvature along δ, as it does on large-residual pose
// graphs where ρ stays near 2 and convergence is linear. One more evaluation at
// Plus(x, α·δ) (no Jacobian, no linear solve) is kept if it is lower; otherwise
// the elimination goes back to the candidate. The radius follows the original
// step's ρ, as Ceres's would.
void LevenbergMarquardtMinimizer::ExtrapolateStep() {
  if (iteration_.relative_decrease < kMinExtrapolationRatio) return;
  const double slope = gradient_.dot(delta_);
  if (!(slope < 0.0)) return;
  const double curvature = 2.0 * (candidate_cost_ - x_cost_ - slope);
  const double alpha = curvature > -slope / kMaxExtrapolation
                           ? -slope / curvature
                           : kMaxExtrapolation;
  if (alpha < kMinExtrapolation) return;
  ++extrapolation_.num_tried;
  extended_step_ = alpha * delta_;
  double cost = std::numeric_limits<double>::max();
  if (problem_->Plus(x_.data(), extended_step_.data(), extended_.data()) &&
      problem_->Evaluate(extended_.data(), &cost) && cost < candidate_cost_) {
    ++extrapolation_.num_accepted;
    candidate_.swap(extended_);
    candidate_cost_ = cost;
    iteration_.step_norm = (x_ - candidate_).norm();
    iteration_.cost_change = x_cost_ - candidate_cost_;
    return;
  }
  // The Jacobian is taken where the last evaluation left the elimination.
  if (!problem_->Evaluate(candidate_.data(), &cost)) {
    candidate_cost_ = std::numeric_limits<double>::max();
  }
}

void LevenbergMarquardtMinimizer::HandleUnsuccessfulStep() {
  radius_ /= decrease_factor_;
  decrease_factor_ *= kDecreaseFactorGrowth;
  iteration_.step_is_successful = false;
  iteration_.cost = candidate_cost_;
  iteration_.gradient_max_norm = previous_.gradient_max_norm;
  iteration_.gradient_norm = previous_.gradient_norm;
}

void LevenbergMarquardtMinimizer::Fail(const std::string& message) {
  summary_->termination_type = ceres::FAILURE;
  summary_->message = message;
}

}  // namespace ceres_varpro::internal
