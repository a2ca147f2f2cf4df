// Solve(): problem -> analysis -> elimination -> reduced problem ->
// trust-region minimiser -> summary. Each stage is its own module; this file
// only wires them together and fills the summary.

#include "ceres_varpro/solver.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <vector>

#include "engine/eliminator.h"
#include "engine/levenberg_marquardt_minimizer.h"
#include "engine/preconditioner.h"
#include "engine/program.h"
#include "engine/reduced_linear_solver.h"
#include "engine/reduced_problem.h"
#include "engine/residual_evaluator.h"
#include "engine/structure_analyzer.h"
#include "engine/wall_time.h"
#include "glog/logging.h"

namespace ceres_varpro {

using internal::WallTimeInSeconds;

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
  s << "\nVariable projection (ceres_varpro "
    << "0.1.0"
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
  if (varpro.regime == EliminationRegime::INDEPENDENT_NONLINEAR ||
      varpro.num_inner_iterations > 0) {
    row("Inner Gauss-Newton passes",
        std::to_string(varpro.num_inner_iterations));
  }
  if (varpro.regime == EliminationRegime::INDEPENDENT_NONLINEAR) {
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

using internal::Eliminator;
using internal::Program;
using internal::ReducedLinearSolver;
using internal::ReducedProblem;
using internal::ResidualEvaluator;
using internal::SparseCholesky;
using internal::StructureAnalysis;

void Fail(const std::string& message, Solver::Summary* summary) {
  summary->termination_type = ceres::FAILURE;
  summary->message = message;
  LOG_IF(WARNING, true) << "ceres_varpro::Solve: " << message;
}

SparseCholesky::Mode CholeskyMode(const Solver::Options& options) {
  // CHOLMOD's own rule picks supernodal where the fill makes dense kernels
  // pay (large pose graphs), simplicial for small sparse factors (2D graphs).
  return options.use_supernodal_cholesky ? SparseCholesky::Mode::kAuto
                                         : SparseCholesky::Mode::kSimplicial;
}

std::unique_ptr<ReducedLinearSolver> CreateLinearSolver(
    const Solver::Options& options, const StructureAnalysis& analysis,
    const ReducedProblem& problem, VarProStatistics* stats) {
  ReducedLinearSolverType type = options.reduced_linear_solver_type;
  if (type == ReducedLinearSolverType::AUTO) {
    // Forming S densely costs one Gram solve per θ column when the linear
    // blocks are coupled; it only pays when they are independent (S then
    // assembles block by block) or absent.
    const bool cheap_dense = !analysis.coupled;
    if (cheap_dense &&
        problem.num_tangent() <= options.max_dense_reduced_parameters) {
      type = ReducedLinearSolverType::DENSE;
    } else if (analysis.regime == EliminationRegime::NO_LINEAR_BLOCKS) {
      type = ReducedLinearSolverType::SPARSE_JOINT;
    } else {
      type = ReducedLinearSolverType::ITERATIVE;
    }
  }
  stats->linear_solver_used = type;
  switch (type) {
    case ReducedLinearSolverType::DENSE:
      return std::make_unique<internal::DenseReducedSolver>(problem);
    case ReducedLinearSolverType::SPARSE_JOINT:
      // One solve per factorisation: CHOLMOD's own choice, as in Ceres.
      return std::make_unique<internal::SparseJointReducedSolver>(
          problem, SparseCholesky::Mode::kAuto);
    default:
      break;
  }
  ReducedPreconditionerType preconditioner =
      options.reduced_preconditioner_type;
  const bool independent =
      analysis.regime == EliminationRegime::INDEPENDENT_AFFINE ||
      analysis.regime == EliminationRegime::INDEPENDENT_NONLINEAR;
  if (preconditioner == ReducedPreconditionerType::AUTO) {
    if (analysis.coupled) {
      preconditioner = ReducedPreconditionerType::JOINT_CHOLESKY;
    } else if (independent) {
      preconditioner = ReducedPreconditionerType::SCHUR_JACOBI;
    } else {
      preconditioner = ReducedPreconditionerType::BLOCK_JACOBI;
    }
  }
  if (preconditioner == ReducedPreconditionerType::SCHUR_JACOBI &&
      !independent) {
    // Only independent blocks make the diagonal blocks of S cheap.
    preconditioner = ReducedPreconditionerType::BLOCK_JACOBI;
  }
  stats->preconditioner_used = preconditioner;
  std::unique_ptr<internal::Preconditioner> p;
  if (preconditioner == ReducedPreconditionerType::JOINT_CHOLESKY) {
    p = std::make_unique<internal::JointCholeskyPreconditioner>(
        problem, options.lagged_factorization_max_cg_iterations,
        /*always_refactor=*/false, CholeskyMode(options));
  } else if (preconditioner == ReducedPreconditionerType::SCHUR_JACOBI) {
    p = std::make_unique<internal::SchurJacobiPreconditioner>(problem);
  } else {
    p = std::make_unique<internal::BlockJacobiPreconditioner>(problem);
  }
  return std::make_unique<internal::IterativeReducedSolver>(
      std::move(p), options.min_linear_solver_iterations,
      options.max_linear_solver_iterations);
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

}  // namespace

void Solve(const Solver::Options& options, ceres::Problem* problem,
           Solver::Summary* summary) {
  const double start = WallTimeInSeconds();
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
  CHECK(problem != nullptr);

  std::string error;
  if (!options.IsValid(&error)) {
    Fail("Invalid options: " + error, summary);
    return;
  }
  summary->num_parameter_blocks = problem->NumParameterBlocks();
  summary->num_parameters = problem->NumParameters();
  summary->num_residual_blocks = problem->NumResidualBlocks();
  summary->num_residuals = problem->NumResiduals();
  int effective = 0;
  {
    std::vector<double*> blocks;
    problem->GetParameterBlocks(&blocks);
    for (double* b : blocks) effective += problem->ParameterBlockTangentSize(b);
  }
  summary->num_effective_parameters = effective;

  // Problem -> analysis.
  VarProStatistics& stats = summary->varpro;
  Program program;
  StructureAnalysis analysis;
  {
    const double t = WallTimeInSeconds();
    if (!Program::Build(*problem, options.linear_parameter_blocks, &program,
                        &error) ||
        !AnalyzeStructure(options, &program, &analysis, &error)) {
      Fail(error, summary);
      return;
    }
    stats.analysis_time_in_seconds = WallTimeInSeconds() - t;
  }
  stats.regime = analysis.regime;
  stats.num_linear_blocks = analysis.num_linear_blocks;
  stats.num_components = analysis.num_components;
  stats.num_gauge_pins = analysis.num_pins;
  stats.num_user_fixed_linear_blocks = analysis.num_user_fixed_linear_blocks;
  stats.gram_is_constant = analysis.gram_constant;
  stats.num_eliminated_parameters = program.num_linear_parameters();
  stats.num_eliminated_blocks =
      program.num_column_blocks() - program.num_nonlinear_columns();
  summary->num_parameter_blocks_reduced = program.num_nonlinear_columns();
  summary->num_parameters_reduced = program.num_theta_ambient();
  summary->num_effective_parameters_reduced = program.num_theta_tangent();
  summary->num_residual_blocks_reduced =
      static_cast<int>(program.active_residual_blocks().size());

  // The user's starting point, to restore if we fail before any step.
  std::vector<double> x(program.num_theta_ambient());
  std::vector<double> l0(program.num_linear_parameters());
  program.GetTheta(x.data());
  program.GetLinear(l0.data());
  const std::vector<double> x0 = x;

  double fixed_cost = 0.0;
  if (!program.EvaluateFixedCost(&fixed_cost, &error)) {
    Fail(error, summary);
    return;
  }
  summary->fixed_cost = fixed_cost;

  if (program.num_column_blocks() == 0) {
    // As Ceres: nothing can move, the cost is what it is.
    summary->initial_cost = summary->final_cost = fixed_cost;
    summary->termination_type = ceres::CONVERGENCE;
    summary->message = "No non-constant parameter blocks found.";
    summary->total_time_in_seconds = WallTimeInSeconds() - start;
    return;
  }

  ResidualEvaluator evaluator(&program, options.num_threads);
  summary->num_residuals_reduced = evaluator.num_residuals();
  {
    // Cost at the user's point, before the linear blocks are re-solved.
    std::vector<double> residuals(evaluator.num_residuals());
    double cost = 0.0;
    if (!evaluator.Evaluate(ResidualEvaluator::Columns::kNone, &cost,
                            residuals.data(), nullptr)) {
      Fail("Residual evaluation failed at the initial point: " +
               evaluator.error(),
           summary);
      return;
    }
    summary->initial_cost = cost + fixed_cost;
  }

  // Elimination.
  Eliminator::Options eliminator_options;
  eliminator_options.num_threads = options.num_threads;
  eliminator_options.max_inner_iterations = options.max_inner_iterations;
  eliminator_options.inner_iteration_tolerance =
      options.inner_iteration_tolerance;
  eliminator_options.cholesky_mode = CholeskyMode(options);
  Eliminator eliminator(&program, analysis, &evaluator, eliminator_options,
                        &stats);
  {
    const double t = WallTimeInSeconds();
    const bool ok = eliminator.Initialize(&error);
    stats.analysis_time_in_seconds += WallTimeInSeconds() - t;
    if (!ok) {
      program.SetLinear(l0.data());
      Fail(error, summary);
      return;
    }
  }

  // Reduced problem and trust-region loop.
  ReducedProblem reduced(&program, &eliminator, options.num_threads,
                         fixed_cost);
  if (program.num_theta_tangent() == 0) {
    // A linear least-squares problem: one elimination solves it exactly.
    double cost = 0.0;
    if (!reduced.EvaluateJacobian(x.data(), /*new_point=*/true, &cost,
                                  nullptr)) {
      program.SetLinear(l0.data());
      Fail("Elimination failed at the initial point: " + eliminator.error(),
           summary);
      return;
    }
    reduced.WriteCurrentToUser(x.data());
    ceres::IterationSummary it;
    it.cost = cost;
    it.step_is_valid = it.step_is_successful = true;
    summary->iterations.push_back(it);
    summary->final_cost = cost;
    summary->termination_type = ceres::CONVERGENCE;
    summary->message =
        "No nonlinear parameter blocks: the linear blocks were solved exactly "
        "by elimination.";
    summary->total_time_in_seconds = WallTimeInSeconds() - start;
    return;
  }
  std::unique_ptr<ReducedLinearSolver> linear_solver =
      CreateLinearSolver(options, analysis, reduced, &stats);
  summary->linear_solver_type_used = CeresEquivalent(stats.linear_solver_used);
  summary->preconditioner_type_used =
      CeresEquivalent(stats.preconditioner_used);
  summary->preprocessor_time_in_seconds = WallTimeInSeconds() - start;

  const double minimizer_start = WallTimeInSeconds();
  internal::LevenbergMarquardtMinimizer minimizer(options, &reduced,
                                                  linear_solver.get());
  const double initial_cost = summary->initial_cost;
  const bool started = minimizer.Minimize(x.data(), summary);
  summary->initial_cost = initial_cost;
  summary->minimizer_time_in_seconds = WallTimeInSeconds() - minimizer_start;

  const double post_start = WallTimeInSeconds();
  bool finite = true;
  for (double v : x) finite = finite && std::isfinite(v);
  if (started && finite) {
    // θ_best and l*(θ_best): never a rejected candidate.
    reduced.WriteCurrentToUser(x.data());
  } else {
    program.SetTheta(x0.data());
    program.SetLinear(l0.data());
    if (started)
      Fail("the solution is not finite; the initial point was restored",
           summary);
    summary->final_cost = summary->initial_cost;
  }
  stats.num_cg_iterations = 0;
  for (const auto& it : summary->iterations) {
    if (stats.linear_solver_used == ReducedLinearSolverType::ITERATIVE) {
      stats.num_cg_iterations += it.linear_solver_iterations;
    }
    stats.linear_solver_time_in_seconds += it.step_solver_time_in_seconds;
  }
  stats.num_preconditioner_factorizations = linear_solver->num_factorizations();
  stats.num_safeguard_rejections = eliminator.num_safeguard_rejections();
  summary->linear_solver_time_in_seconds = stats.linear_solver_time_in_seconds;
  summary->residual_evaluation_time_in_seconds =
      stats.residual_evaluation_time_in_seconds;
  summary->jacobian_evaluation_time_in_seconds =
      stats.jacobian_evaluation_time_in_seconds;
  summary->num_residual_evaluations = stats.num_evaluations;
  summary->num_jacobian_evaluations = stats.num_jacobian_evaluations;
  summary->postprocessor_time_in_seconds = WallTimeInSeconds() - post_start;
  summary->total_time_in_seconds = WallTimeInSeconds() - start;
}

void Solve(const Solver::Options& options, ceres::Problem* problem,
           ceres::Solver::Summary* summary) {
  Solver::Summary full;
  Solve(options, problem, &full);
  *summary = full;
}

}  // namespace ceres_varpro
