#include "engine/preprocessor.h"

#include <algorithm>

#include "engine/large_buffer.h"
#include "engine/wall_time.h"

namespace ceres_varpro::internal {
namespace {

StructureAnalysisOptions AnalysisOptions(const Solver::Options& options,
                                         PreprocessorTarget target) {
  StructureAnalysisOptions o;
  o.allow_nonlinear_elimination = options.allow_nonlinear_elimination;
  o.gauge_policy = options.gauge_policy;
  o.tolerance = options.structure_check_tolerance;
  o.seed = options.structure_check_seed;
  o.num_threads = std::max(1, options.num_threads);
  o.ambient_theta = target == PreprocessorTarget::kCeresNative;
  return o;
}

SparseCholesky::Mode CholeskyMode(const Solver::Options& options) {
  // CHOLMOD's own rule picks supernodal where the fill makes dense kernels
  // pay (large pose graphs), simplicial for small sparse factors (2D graphs).
  return options.use_supernodal_cholesky ? SparseCholesky::Mode::kAuto
                                         : SparseCholesky::Mode::kSimplicial;
}

Eliminator::Options EliminatorOptions(const Solver::Options& options) {
  Eliminator::Options o;
  o.num_threads = std::max(1, options.num_threads);
  o.max_inner_iterations = options.max_inner_iterations;
  o.inner_iteration_tolerance = options.inner_iteration_tolerance;
  o.cholesky_mode = CholeskyMode(options);
  return o;
}

ReducedLinearSolver::Options LinearSolverOptions(
    const Solver::Options& options) {
  ReducedLinearSolver::Options o;
  o.type = options.reduced_linear_solver_type;
  o.preconditioner_type = options.reduced_preconditioner_type;
  o.min_num_iterations = options.min_linear_solver_iterations;
  o.max_num_iterations = options.max_linear_solver_iterations;
  o.lagged_factorization_max_cg_iterations =
      options.lagged_factorization_max_cg_iterations;
  o.max_dense_reduced_parameters = options.max_dense_reduced_parameters;
  o.cholesky_mode = CholeskyMode(options);
  return o;
}

bool IsIndependent(EliminationRegime regime) {
  return regime == EliminationRegime::INDEPENDENT_AFFINE ||
         regime == EliminationRegime::INDEPENDENT_NONLINEAR;
}

void RecordAnalysis(const PreprocessedProblem& pp, VarProStatistics* stats) {
  const StructureAnalysis& analysis = pp.analysis;
  stats->regime = analysis.regime;
  stats->num_linear_blocks = analysis.num_linear_blocks;
  stats->num_components = analysis.num_components;
  stats->num_gauge_pins = analysis.num_pins;
  stats->num_user_fixed_linear_blocks = analysis.num_user_fixed_linear_blocks;
  stats->gram_is_constant = analysis.gram_constant;
  stats->num_eliminated_parameters = pp.program.num_linear_parameters();
  stats->num_eliminated_blocks =
      pp.program.num_column_blocks() - pp.program.num_nonlinear_columns();
}

// Program and analysis; the Ceres-native mode needs independent blocks.
bool Analyze(const Solver::Options& options, PreprocessorTarget target,
             ceres::Problem* problem, VarProStatistics* stats,
             PreprocessedProblem* pp, std::string* error) {
  const ScopedTimer timer(&stats->analysis_time_in_seconds);
  if (!Program::Build(*problem, options.linear_parameter_blocks, &pp->program,
                      error, std::max(1, options.num_threads)) ||
      !AnalyzeStructure(AnalysisOptions(options, target), &pp->program,
                        &pp->analysis, error)) {
    return false;
  }
  if (target == PreprocessorTarget::kCeresNative &&
      !IsIndependent(pp->analysis.regime)) {
    *error = std::string(
                 "the Ceres-native mode needs independent linear blocks "
                 "(no residual block touching two of them); this problem "
                 "is ") +
             EliminationRegimeToString(pp->analysis.regime) +
             ": use ceres_varpro::Solve instead";
    return false;
  }
  pp->analyzed = true;
  RecordAnalysis(*pp, stats);
  return true;
}

// The user's point: its θ and l, and the fixed cost.
bool ReadInitialPoint(PreprocessedProblem* pp, std::string* error) {
  Program& program = pp->program;
  pp->initial_theta.resize(program.num_theta_ambient());
  pp->initial_linear.resize(program.num_linear_parameters());
  program.GetTheta(pp->initial_theta.data());
  program.GetLinear(pp->initial_linear.data());
  double fixed_cost = 0.0;
  if (!program.EvaluateFixedCost(&fixed_cost, error)) return false;
  pp->fixed_cost = fixed_cost;
  pp->initial_cost = fixed_cost;
  return true;
}

// The cost at the user's point. The eliminator's initialisation evaluates
// it whenever there are linear blocks: a second evaluation of every residual
// would cost as much again (~6 ms on a BAL file with 84k observations).
bool RecordInitialCost(PreprocessedProblem* pp, std::string* error) {
  if (pp->eliminator != nullptr && pp->eliminator->has_initial_point_cost()) {
    pp->initial_cost = pp->fixed_cost + pp->eliminator->initial_point_cost();
    return true;
  }
  std::vector<double> residuals(pp->evaluator->num_residuals());
  double cost = 0.0;
  if (!pp->evaluator->Evaluate(ResidualEvaluator::Columns::kNone, &cost,
                               residuals.data(), nullptr)) {
    *error = "Residual evaluation failed at the initial point: " +
             pp->evaluator->error();
    return false;
  }
  pp->initial_cost = pp->fixed_cost + cost;
  return true;
}

bool InitializeEliminator(const Solver::Options& options,
                          VarProStatistics* stats, PreprocessedProblem* pp,
                          std::string* error) {
  pp->eliminator = std::make_unique<Eliminator>(
      &pp->program, pp->analysis, pp->evaluator.get(),
      EliminatorOptions(options), stats);
  const ScopedTimer timer(&stats->analysis_time_in_seconds);
  if (!pp->eliminator->Initialize(error)) {
    pp->program.SetLinear(pp->initial_linear.data());
    return false;
  }
  return true;
}

// The engine's reduced problem, and its linear solver when θ is not empty.
void SetUpReducedProblem(const Solver::Options& options,
                         VarProStatistics* stats, PreprocessedProblem* pp) {
  pp->reduced = std::make_unique<ReducedProblem>(
      &pp->program, pp->eliminator.get(), std::max(1, options.num_threads),
      pp->fixed_cost);
  if (pp->program.num_theta_tangent() == 0) return;
  pp->linear_solver = ReducedLinearSolver::Create(
      LinearSolverOptions(options), pp->analysis, *pp->reduced,
      &stats->linear_solver_used, &stats->preconditioner_used);
  pp->minimizer_options = LevenbergMarquardtMinimizer::Options(options);
  pp->minimizer_options.extrapolate_steps = options.extrapolate_steps;
}

}  // namespace

bool Preprocess(const Solver::Options& options, PreprocessorTarget target,
                ceres::Problem* problem, VarProStatistics* statistics,
                PreprocessedProblem* pp, std::string* error) {
  if (!Analyze(options, target, problem, statistics, pp, error)) return false;
  // Ceres's own loop on the reduced problem needs the eliminator as its
  // callback even when nothing is eliminated.
  if (pp->program.num_column_blocks() > 0 ||
      target == PreprocessorTarget::kCeresNative) {
    pp->evaluator = std::make_unique<ResidualEvaluator>(
        &pp->program, std::max(1, options.num_threads));
  }
  if (!ReadInitialPoint(pp, error)) return false;
  if (pp->evaluator == nullptr) return true;  // Nothing can move.
  if (!InitializeEliminator(options, statistics, pp, error)) {
    std::string ignored;  // Initialize's error is the one to report.
    RecordInitialCost(pp, &ignored);
    return false;
  }
  if (!RecordInitialCost(pp, error)) return false;
  if (target == PreprocessorTarget::kEngine) {
    SetUpReducedProblem(options, statistics, pp);
  }
  TrimLargeBufferPool();  // The tables are built.
  return true;
}

}  // namespace ceres_varpro::internal
