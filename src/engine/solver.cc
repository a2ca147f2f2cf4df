// Solve(): problem -> preprocessing (analysis, elimination, reduced problem)
// -> Levenberg-Marquardt -> summary. Each stage is its own module; this file
// only wires them together and fills the summary.

#include "ceres_varpro/solver.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <vector>

#include "ceres_varpro/version.h"
#include "engine/levenberg_marquardt_minimizer.h"
#include "engine/preprocessor.h"
#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro {

bool Solver::Options::IsValid(std::string* error) const {
  if (!ceres::Solver::Options::IsValid(error)) return false;
  if (minimizer_type != ceres::TRUST_REGION) {
    *error =
        "ceres_varpro::Solve runs a trust-region method; minimizer_type must "
        "be TRUST_REGION";
    return false;
  }
  if (trust_region_strategy_type != ceres::LEVENBERG_MARQUARDT) {
    *error =
        "ceres_varpro::Solve implements LEVENBERG_MARQUARDT only (DOGLEG is "
        "not supported)";
    return false;
  }
  if (use_nonmonotonic_steps) {
    *error = "use_nonmonotonic_steps is not supported by ceres_varpro::Solve";
    return false;
  }
  if (use_inner_iterations) {
    *error =
        "use_inner_iterations is not supported by ceres_varpro::Solve: the "
        "linear blocks are already re-solved exactly at every evaluation";
    return false;
  }
  if (check_gradients) {
    *error =
        "check_gradients is not supported by ceres_varpro::Solve; use "
        "ceres::Solve with check_gradients to test the cost functions";
    return false;
  }
  for (size_t i = 0; i < linear_parameter_blocks.size(); ++i) {
    if (linear_parameter_blocks[i] == nullptr) {
      *error = "linear_parameter_blocks[" + std::to_string(i) + "] is null";
      return false;
    }
  }
  if (max_inner_iterations < 1) {
    *error = "max_inner_iterations must be at least 1";
    return false;
  }
  if (!(inner_iteration_tolerance > 0.0)) {
    *error = "inner_iteration_tolerance must be positive";
    return false;
  }
  if (lagged_factorization_max_cg_iterations < 0 ||
      max_dense_reduced_parameters < 0) {
    *error =
        "lagged_factorization_max_cg_iterations and "
        "max_dense_reduced_parameters must not be negative";
    return false;
  }
  if (!(structure_check_tolerance > 0.0 && structure_check_tolerance < 1.0)) {
    *error = "structure_check_tolerance must be in (0, 1)";
    return false;
  }
  return true;
}

std::string VarProStatistics::BriefReport() const {
  std::ostringstream s;
  s << "VarPro: regime " << EliminationRegimeToString(regime) << ", "
    << num_eliminated_blocks << " eliminated blocks ("
    << num_eliminated_parameters << " parameters), " << num_components
    << " components, " << num_gauge_pins << " gauge pins, "
    << num_gram_factorizations << " Gram factorizations, " << num_cg_iterations
    << " CG iterations";
  if (num_inner_iterations > 0) {
    // The nonlinear regime's per-block Gauss-Newton passes: work that
    // ceres::Solve's iteration count has no equivalent of.
    s << ", " << num_inner_iterations << " inner Gauss-Newton passes";
  }
  return s.str();
}

std::string Solver::Summary::BriefReport() const {
  return ceres::Solver::Summary::BriefReport() + "\n" + varpro.BriefReport();
}

std::string Solver::Summary::FullReport() const {
  char line[160];
  std::ostringstream s;
  s << ceres::Solver::Summary::FullReport();
  s << "\nVariable projection (ceres_varpro " << CERES_VARPRO_VERSION_STRING
    << ")\n";
  auto row = [&](const char* name, const std::string& value) {
    std::snprintf(line, sizeof(line), "%-32s %s\n", name, value.c_str());
    s << line;
  };
  auto time_row = [&](const char* name, double t) {
    std::snprintf(line, sizeof(line), "%-32s %11.6f\n", name, t);
    s << line;
  };
  row("Elimination regime", EliminationRegimeToString(varpro.regime));
  row("Reduced linear solver",
      ReducedLinearSolverTypeToString(varpro.linear_solver_used));
  row("Preconditioner",
      ReducedPreconditionerTypeToString(varpro.preconditioner_used));
  row("Linear blocks (named)", std::to_string(varpro.num_linear_blocks));
  row("Eliminated blocks", std::to_string(varpro.num_eliminated_blocks));
  row("Eliminated parameters",
      std::to_string(varpro.num_eliminated_parameters));
  row("Connected components", std::to_string(varpro.num_components));
  row("Gauge pins", std::to_string(varpro.num_gauge_pins));
  row("User-fixed linear blocks",
      std::to_string(varpro.num_user_fixed_linear_blocks));
  row("Gram matrix", varpro.gram_is_constant ? "constant (factored once)"
                                             : "varies with theta");
  row("Gram factorizations", std::to_string(varpro.num_gram_factorizations));
  row("Preconditioner factorizations",
      std::to_string(varpro.num_preconditioner_factorizations));
  row("CG iterations", std::to_string(varpro.num_cg_iterations));
  row("Evaluations (l* solves)", std::to_string(varpro.num_evaluations));
  if (varpro.regime == EliminationRegime::COUPLED_CONSTANT_GRAM ||
      varpro.regime == EliminationRegime::COUPLED_VARYING_GRAM) {
    row("Current point restored",
        std::to_string(varpro.num_current_point_restorations));
  }
  row("Extrapolated steps",
      std::to_string(varpro.num_extrapolations_accepted) + " of " +
          std::to_string(varpro.num_extrapolations_tried) + " tried");
  if (varpro.regime == EliminationRegime::INDEPENDENT_NONLINEAR ||
      varpro.num_inner_iterations > 0) {
    row("Inner Gauss-Newton passes",
        std::to_string(varpro.num_inner_iterations));
    row("Blocks restored after rejections",
        std::to_string(varpro.num_restored_blocks));
  }
  if (varpro.regime == EliminationRegime::INDEPENDENT_NONLINEAR) {
    row("Block solves ended by chords",
        std::to_string(varpro.num_chord_converged_blocks));
    row("Degenerate blocks (last point)",
        std::to_string(varpro.num_degenerate_blocks));
    row("Safeguard rejections",
        std::to_string(varpro.num_safeguard_rejections));
    s << "  (non-affine blocks: inner Gauss-Newton elimination, the nonlinear\n"
         "   extension of VarPro, not exact variable projection)\n";
  }
  time_row("Analysis (s)", varpro.analysis_time_in_seconds);
  time_row("Factorization (s)", varpro.factorization_time_in_seconds);
  time_row("Cost function evaluation (s)", varpro.evaluation_time_in_seconds);
  time_row("Elimination (s)", varpro.elimination_time_in_seconds);
  time_row("Reduced linear solver (s)", varpro.linear_solver_time_in_seconds);
  return s.str();
}

namespace {

using internal::PreprocessedProblem;
using internal::WallTimeInSeconds;

void Fail(const std::string& message, Solver::Summary* summary) {
  summary->termination_type = ceres::FAILURE;
  summary->message = message;
  LOG(WARNING) << "ceres_varpro::Solve: " << message;
}

ceres::PreconditionerType CeresEquivalent(ReducedPreconditionerType type) {
  switch (type) {
    case ReducedPreconditionerType::JOINT_CHOLESKY:
      return ceres::SUBSET;
    case ReducedPreconditionerType::SCHUR_JACOBI:
      return ceres::SCHUR_JACOBI;
    case ReducedPreconditionerType::BLOCK_JACOBI:
      return ceres::JACOBI;
    default:
      return ceres::IDENTITY;
  }
}

ceres::LinearSolverType CeresEquivalent(ReducedLinearSolverType type) {
  switch (type) {
    case ReducedLinearSolverType::DENSE:
      return ceres::DENSE_SCHUR;
    case ReducedLinearSolverType::SPARSE_JOINT:
      return ceres::SPARSE_NORMAL_CHOLESKY;
    default:
      return ceres::ITERATIVE_SCHUR;
  }
}

// What the summary says before anything is solved.
void StartSummary(const Solver::Options& options, const ceres::Problem& problem,
                  Solver::Summary* summary) {
  *summary = Solver::Summary();
  summary->minimizer_type = ceres::TRUST_REGION;
  summary->trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  summary->linear_solver_type_given = options.linear_solver_type;
  summary->preconditioner_type_given = options.preconditioner_type;
  summary->num_threads_given = options.num_threads;
  summary->num_threads_used = options.num_threads;
  summary->sparse_linear_algebra_library_type = ceres::SUITE_SPARSE;
  summary->dense_linear_algebra_library_type = ceres::EIGEN;
  summary->initial_cost = -1.0;
  summary->final_cost = -1.0;
  summary->num_parameter_blocks = problem.NumParameterBlocks();
  summary->num_parameters = problem.NumParameters();
  summary->num_residual_blocks = problem.NumResidualBlocks();
  summary->num_residuals = problem.NumResiduals();
  std::vector<double*> blocks;
  problem.GetParameterBlocks(&blocks);
  int effective = 0;
  for (double* b : blocks) effective += problem.ParameterBlockTangentSize(b);
  summary->num_effective_parameters = effective;
}

// The reduced sizes and costs the preprocessor found.
void RecordPreprocessing(const PreprocessedProblem& pp,
                         Solver::Summary* summary) {
  const internal::Program& program = pp.program;
  summary->num_parameter_blocks_reduced = program.num_nonlinear_columns();
  summary->num_parameters_reduced = program.num_theta_ambient();
  summary->num_effective_parameters_reduced = program.num_theta_tangent();
  summary->num_residual_blocks_reduced =
      static_cast<int>(program.active_residual_blocks().size());
  summary->fixed_cost = pp.fixed_cost;
  summary->initial_cost = pp.initial_cost;
  if (pp.evaluator != nullptr) {
    summary->num_residuals_reduced = pp.evaluator->num_residuals();
  }
}

void SolveWithoutNonlinearBlocks(PreprocessedProblem* pp,
                                 Solver::Summary* summary) {
  // A linear least-squares problem: one elimination solves it exactly.
  std::vector<double>& x = pp->initial_theta;
  double cost = 0.0;
  if (!pp->reduced->EvaluateJacobian(x.data(), /*new_point=*/true, &cost,
                                     nullptr)) {
    pp->program.SetLinear(pp->initial_linear.data());
    Fail("Elimination failed at the initial point: " + pp->eliminator->error(),
         summary);
    return;
  }
  pp->reduced->WriteSolutionToUser(x.data());
  ceres::IterationSummary it;
  it.cost = cost;
  it.step_is_valid = it.step_is_successful = true;
  summary->iterations.push_back(it);
  summary->final_cost = cost;
  summary->termination_type = ceres::CONVERGENCE;
  summary->message =
      "No nonlinear parameter blocks: the linear blocks were solved exactly "
      "by elimination.";
}

// Runs the minimiser and leaves θ_best and l*(θ_best) in the user's memory,
// or the initial point when the minimiser did not start or diverged.
void Minimize(PreprocessedProblem* pp, Solver::Summary* summary) {
  summary->linear_solver_type_used =
      CeresEquivalent(summary->varpro.linear_solver_used);
  summary->preconditioner_type_used =
      CeresEquivalent(summary->varpro.preconditioner_used);
  std::vector<double> x = pp->initial_theta;
  const double minimizer_start = WallTimeInSeconds();
  internal::LevenbergMarquardtMinimizer minimizer(
      pp->minimizer_options, pp->reduced.get(), pp->linear_solver.get());
  const bool started = minimizer.Minimize(x.data(), summary);
  summary->varpro.num_extrapolations_tried =
      minimizer.extrapolation().num_tried;
  summary->varpro.num_extrapolations_accepted =
      minimizer.extrapolation().num_accepted;
  summary->initial_cost = pp->initial_cost;
  summary->minimizer_time_in_seconds = WallTimeInSeconds() - minimizer_start;

  const double post_start = WallTimeInSeconds();
  bool finite = true;
  for (double v : x) finite = finite && std::isfinite(v);
  if (started && finite) {
    // θ_best and l*(θ_best): never a rejected candidate.
    pp->reduced->WriteSolutionToUser(x.data());
  } else {
    pp->program.SetTheta(pp->initial_theta.data());
    pp->program.SetLinear(pp->initial_linear.data());
    if (started) {
      Fail("the solution is not finite; the initial point was restored",
           summary);
    }
    summary->final_cost = summary->initial_cost;
  }
  summary->postprocessor_time_in_seconds = WallTimeInSeconds() - post_start;
}

// The engine's counts and times, and Ceres's summary fields that mirror them.
void RecordStatistics(const PreprocessedProblem& pp, Solver::Summary* summary) {
  VarProStatistics& stats = summary->varpro;
  stats.num_cg_iterations = 0;
  for (const auto& it : summary->iterations) {
    if (stats.linear_solver_used == ReducedLinearSolverType::ITERATIVE) {
      stats.num_cg_iterations += it.linear_solver_iterations;
    }
    stats.linear_solver_time_in_seconds += it.step_solver_time_in_seconds;
  }
  stats.num_preconditioner_factorizations =
      pp.linear_solver->num_factorizations();
  stats.num_safeguard_rejections = pp.eliminator->num_safeguard_rejections();
  summary->linear_solver_time_in_seconds = stats.linear_solver_time_in_seconds;
  summary->residual_evaluation_time_in_seconds =
      stats.residual_evaluation_time_in_seconds;
  summary->jacobian_evaluation_time_in_seconds =
      stats.jacobian_evaluation_time_in_seconds;
  summary->num_residual_evaluations = stats.num_evaluations;
  summary->num_jacobian_evaluations = stats.num_jacobian_evaluations;
}

}  // namespace

// Problem -> preprocessing (analysis, elimination, reduced problem) ->
// Levenberg-Marquardt -> summary.
void Solve(const Solver::Options& options, ceres::Problem* problem,
           Solver::Summary* summary) {
  const double start = WallTimeInSeconds();
  CHECK(problem != nullptr);
  StartSummary(options, *problem, summary);
  std::string error;
  if (!options.IsValid(&error)) {
    Fail("Invalid options: " + error, summary);
    return;
  }
  PreprocessedProblem pp;
  const bool ready =
      internal::Preprocess(options, internal::PreprocessorTarget::kEngine,
                           problem, &summary->varpro, &pp, &error);
  if (pp.analyzed) RecordPreprocessing(pp, summary);
  if (!ready) {
    Fail(error, summary);
    return;
  }
  if (pp.eliminator == nullptr) {
    // As Ceres: nothing can move, the cost is what it is.
    summary->final_cost = pp.initial_cost;
    summary->termination_type = ceres::CONVERGENCE;
    summary->message = "No non-constant parameter blocks found.";
  } else if (pp.linear_solver == nullptr) {
    SolveWithoutNonlinearBlocks(&pp, summary);
  } else {
    summary->preprocessor_time_in_seconds = WallTimeInSeconds() - start;
    Minimize(&pp, summary);
    RecordStatistics(pp, summary);
  }
  summary->total_time_in_seconds = WallTimeInSeconds() - start;
}

void Solve(const Solver::Options& options, ceres::Problem* problem,
           ceres::Solver::Summary* summary) {
  Solver::Summary full;
  Solve(options, problem, &full);
  *summary = full;
}

}  // namespace ceres_varpro
