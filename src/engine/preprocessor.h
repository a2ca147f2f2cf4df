#ifndef CERES_VARPRO_ENGINE_PREPROCESSOR_H_
#define CERES_VARPRO_ENGINE_PREPROCESSOR_H_

#include <memory>
#include <string>
#include <vector>

#include "ceres/problem.h"
#include "ceres_varpro/solver.h"
#include "engine/eliminator.h"
#include "engine/levenberg_marquardt_minimizer.h"
#include "engine/program.h"
#include "engine/reduced_linear_solver.h"
#include "engine/reduced_problem.h"
#include "engine/residual_evaluator.h"
#include "engine/structure_analyzer.h"

namespace ceres_varpro::internal {

// Everything a solve needs, set up from the user's problem and options.
// Stages point at each other (the evaluator at the program, ...): it is
// neither copied nor moved.
struct PreprocessedProblem {
  PreprocessedProblem() = default;
  PreprocessedProblem(const PreprocessedProblem&) = delete;
  PreprocessedProblem& operator=(const PreprocessedProblem&) = delete;

  Program program;
  StructureAnalysis analysis;
  bool analyzed = false;  // program and analysis are valid.
  // Cost of the residual blocks that touch no variable block, and the cost
  // F(θ₀, l₀) at the user's point (fixed cost included); -1 until evaluated,
  // as in Ceres's summary.
  double fixed_cost = -1.0;
  double initial_cost = -1.0;
  // The user's starting point, to restore when a solve fails before a step.
  std::vector<double> initial_theta, initial_linear;
  std::unique_ptr<ResidualEvaluator> evaluator;
  // Null when no parameter block can move.
  std::unique_ptr<Eliminator> eliminator;
  // Engine target only: the reduced problem, and (when θ is not empty) the
  // linear solver and the minimiser's options.
  std::unique_ptr<ReducedProblem> reduced;
  std::unique_ptr<ReducedLinearSolver> linear_solver;
  LevenbergMarquardtMinimizer::Options minimizer_options;
};

enum class PreprocessorTarget {
  // ceres_varpro::Solve: θ in tangent coordinates, the engine's own loop.
  kEngine,
  // CeresNativeProblem: θ in ambient coordinates (what a CostFunction
  // returns, for a reduced ceres::Problem), independent linear blocks only.
  kCeresNative,
};

// Problem -> Program -> analysis -> evaluator -> eliminator, then for the
// engine the reduced problem and its linear solver: the set-up
// ceres_varpro::Solve, the Ceres-native mode and the tests share (Ceres's
// TrustRegionPreprocessor -> PreprocessedProblem is the model). The options
// are assumed valid. Fills the analysis part of *statistics, which the
// eliminator keeps updating; the initial cost is evaluated at the user's
// point before the linear blocks are re-solved. Returns false with the
// reason (a user error); pp then holds what was set up.
bool Preprocess(const Solver::Options& options, PreprocessorTarget target,
                ceres::Problem* problem, VarProStatistics* statistics,
                PreprocessedProblem* pp, std::string* error);

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_PREPROCESSOR_H_
