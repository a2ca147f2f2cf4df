#include "engine/levenberg_marquardt_minimizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

std::string Format(const char* format, double a, double b) {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer), format, a, b);
  return buffer;
}

}  // namespace

LevenbergMarquardtMinimizer::LevenbergMarquardtMinimizer(
    const Solver::Options& options, ReducedProblem* problem,
    ReducedLinearSolver* linear_solver)
    : options_(options), problem_(problem), linear_solver_(linear_solver) {}

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

// Records the iteration, runs the callbacks and the termination tests that
// Ceres runs between iterations. Returns false to stop.
bool LevenbergMarquardtMinimizer::FinalizeIteration(ceres::IterationSummary* it,
                                                    Solver::Summary* summary) {
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
                                           Solver::Summary* summary) {
  start_time_ = WallTimeInSeconds();
  iteration_start_time_ = start_time_;
  const int na = problem_->num_ambient();
  const int nt = problem_->num_tangent();
  x_ = Eigen::Map<Eigen::VectorXd>(x, na);
  Eigen::VectorXd gradient(nt), scale = Eigen::VectorXd::Ones(nt);
  Eigen::VectorXd column_norms(nt), diagonal(nt), d2(nt), y(nt), delta(nt);
  Eigen::VectorXd candidate(na), projected(na), negative_gradient(nt);
  summary->termination_type = ceres::NO_CONVERGENCE;
  summary->num_successful_steps = 0;
  summary->num_unsuccessful_steps = 0;

  double x_cost = 0.0;
  if (!problem_->EvaluateJacobian(x_.data(), /*new_point=*/true, &x_cost,
                                  gradient.data())) {
    summary->termination_type = ceres::FAILURE;
    summary->message =
        "Residual and Jacobian evaluation failed at the initial point: " +
        problem_->eliminator().error();
    return false;
  }
  summary->initial_cost = std::min(summary->initial_cost, x_cost);
  problem_->SquaredColumnNorm(column_norms.data());
  if (options_.jacobi_scaling) {
    for (int i = 0; i < nt; ++i)
      scale[i] = 1.0 / (1.0 + std::sqrt(column_norms[i]));
  }
  // Ceres measures the gradient as |x - Plus(x, -g)|, which respects
  // manifolds.
  // A failed Plus is a failure, as in Ceres (not a zero gradient).
  auto gradient_norms = [&](ceres::IterationSummary* it) {
    negative_gradient = -gradient;
    if (!problem_->Plus(x_.data(), negative_gradient.data(),
                        projected.data())) {
      summary->termination_type = ceres::FAILURE;
      summary->message = "projected_gradient_step = Plus(x, -gradient) failed.";
      return false;
    }
    it->gradient_max_norm = (x_ - projected).lpNorm<Eigen::Infinity>();
    it->gradient_norm = (x_ - projected).norm();
    return true;
  };

  ceres::IterationSummary it;
  it.iteration = 0;
  it.cost = x_cost;
  it.cost_change = 0.0;
  it.step_norm = 0.0;
  it.relative_decrease = 0.0;
  it.eta = options_.eta;
  it.linear_solver_iterations = 0;
  it.step_is_valid = true;
  it.step_is_successful = true;
  if (!gradient_norms(&it)) return false;

  double radius = options_.initial_trust_region_radius;
  double decrease_factor = 2.0;
  bool reuse_diagonal = false;
  bool jacobian_changed = true;
  int consecutive_invalid_steps = 0;
  double x_norm = x_.norm();
  it.trust_region_radius = radius;

  while (FinalizeIteration(&it, summary)) {
    iteration_start_time_ = WallTimeInSeconds();
    const ceres::IterationSummary previous = summary->iterations.back();
    it = ceres::IterationSummary();
    it.iteration = previous.iteration + 1;
    it.eta = options_.eta;

    // The step.
    const double step_start = WallTimeInSeconds();
    if (!reuse_diagonal) {
      for (int i = 0; i < nt; ++i) {
        diagonal[i] = std::min(std::max(scale[i] * scale[i] * column_norms[i],
                                        options_.min_lm_diagonal),
                               options_.max_lm_diagonal);
      }
    }
    d2 = diagonal / radius;
    const ReducedLinearSolver::Summary step = linear_solver_->Solve(
        problem_, scale.data(), d2.data(), gradient.data(), options_.eta,
        jacobian_changed, y.data());
    jacobian_changed = false;
    reuse_diagonal = true;
    it.linear_solver_iterations = step.num_iterations;
    summary->num_linear_solves += 1;
    double model_cost_change = 0.0;
    if (step.success) {
      delta = scale.cwiseProduct(y);
      model_cost_change = -(gradient.dot(delta) +
                            0.5 * problem_->SchurQuadraticForm(delta.data()));
      it.step_is_valid =
          model_cost_change > 0.0 && std::isfinite(model_cost_change);
    }
    it.step_solver_time_in_seconds = WallTimeInSeconds() - step_start;

    if (!it.step_is_valid) {
      if (++consecutive_invalid_steps >=
          options_.max_num_consecutive_invalid_steps) {
        summary->termination_type = ceres::FAILURE;
        summary->message =
            "Number of consecutive invalid steps more than "
            "Solver::Options::max_num_consecutive_invalid_steps: " +
            std::to_string(options_.max_num_consecutive_invalid_steps) +
            (step.message.empty() ? "" : " (" + step.message + ")");
        break;
      }
      radius /= decrease_factor;
      decrease_factor *= 2.0;
      it.cost = x_cost;
      it.cost_change = 0.0;
      it.gradient_max_norm = previous.gradient_max_norm;
      it.gradient_norm = previous.gradient_norm;
      it.step_norm = 0.0;
      it.relative_decrease = 0.0;
      it.trust_region_radius = radius;
      continue;
    }
    consecutive_invalid_steps = 0;

    // The candidate. A failed Plus or evaluation counts as infinite cost.
    double candidate_cost = std::numeric_limits<double>::max();
    if (problem_->Plus(x_.data(), delta.data(), candidate.data())) {
      double c = 0.0;
      if (problem_->Evaluate(candidate.data(), &c)) candidate_cost = c;
    }

    it.step_norm = (x_ - candidate).norm();
    if (it.step_norm <= options_.parameter_tolerance *
                            (x_norm + options_.parameter_tolerance)) {
      summary->termination_type = ceres::CONVERGENCE;
      summary->message =
          Format("Parameter tolerance reached. Relative step_norm: %e <= %e.",
                 it.step_norm / (x_norm + options_.parameter_tolerance),
                 options_.parameter_tolerance);
      break;
    }
    it.cost_change = x_cost - candidate_cost;
    // Relative to the cost of the residual blocks that can change, as Ceres
    // does (its minimiser never sees the fixed cost).
    const double variable_cost = x_cost - problem_->fixed_cost();
    if (std::abs(it.cost_change) <=
        options_.function_tolerance * variable_cost) {
      summary->termination_type = ceres::CONVERGENCE;
      summary->message =
          Format("Function tolerance reached. |cost_change|/cost: %e <= %e",
                 std::abs(it.cost_change) / variable_cost,
                 options_.function_tolerance);
      break;
    }
    it.relative_decrease = it.cost_change / model_cost_change;
    if (it.relative_decrease > options_.min_relative_decrease) {
      const Eigen::VectorXd x_previous = x_;
      x_ = candidate;
      if (!problem_->EvaluateJacobian(x_.data(), /*new_point=*/false, &x_cost,
                                      gradient.data())) {
        x_ = x_previous;
        summary->termination_type = ceres::FAILURE;
        summary->message = "Residual and Jacobian evaluation failed: " +
                           problem_->eliminator().error();
        break;
      }
      x_norm = x_.norm();
      problem_->SquaredColumnNorm(column_norms.data());
      // The new point stands (its cost and l* are valid), as in Ceres.
      if (!gradient_norms(&it)) break;
      it.cost = x_cost;
      it.step_is_successful = true;
      radius = std::min(
          options_.max_trust_region_radius,
          radius /
              std::max(1.0 / 3.0,
                       1.0 - std::pow(2.0 * it.relative_decrease - 1.0, 3)));
      decrease_factor = 2.0;
      reuse_diagonal = false;
      jacobian_changed = true;
    } else {
      radius /= decrease_factor;
      decrease_factor *= 2.0;
      it.step_is_successful = false;
      it.cost = candidate_cost;
      it.gradient_max_norm = previous.gradient_max_norm;
      it.gradient_norm = previous.gradient_norm;
    }
    it.trust_region_radius = radius;
  }

  Eigen::Map<Eigen::VectorXd>(x, na) = x_;
  summary->final_cost = x_cost;
  return true;
}

}  // namespace ceres_varpro::internal
