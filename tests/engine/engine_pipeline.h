#ifndef CERES_VARPRO_TESTS_ENGINE_ENGINE_PIPELINE_H_
#define CERES_VARPRO_TESTS_ENGINE_ENGINE_PIPELINE_H_

#include <memory>
#include <string>

#include "ceres_varpro/solver.h"
#include "engine/eliminator.h"
#include "engine/program.h"
#include "engine/reduced_problem.h"
#include "engine/residual_evaluator.h"
#include "engine/structure_analyzer.h"
#include "gtest/gtest.h"

namespace ceres_varpro::internal {

// The engine's stages wired together the way Solve() does, so tests can look
// at each stage's output.
struct EnginePipeline {
  Solver::Options options;
  Program program;
  StructureAnalysis analysis;
  VarProStatistics stats;
  std::unique_ptr<ResidualEvaluator> evaluator;
  std::unique_ptr<Eliminator> eliminator;
  std::unique_ptr<ReducedProblem> reduced;
  std::string error;

  bool Build(ceres::Problem* problem, const Solver::Options& o) {
    options = o;
    if (!Program::Build(*problem, options.linear_parameter_blocks, &program,
                        &error)) {
      return false;
    }
    if (!AnalyzeStructure(options, &program, &analysis, &error)) return false;
    evaluator =
        std::make_unique<ResidualEvaluator>(&program, options.num_threads);
    Eliminator::Options eo;
    eo.num_threads = options.num_threads;
    eo.max_inner_iterations = 100;
    eo.inner_iteration_tolerance = 1e-14;
    eliminator = std::make_unique<Eliminator>(&program, analysis,
                                              evaluator.get(), eo, &stats);
    if (!eliminator->Initialize(&error)) return false;
    reduced = std::make_unique<ReducedProblem>(&program, eliminator.get(),
                                               options.num_threads, 0.0);
    return true;
  }

  Eigen::VectorXd Theta() const {
    Eigen::VectorXd x(program.num_theta_ambient());
    program.GetTheta(x.data());
    return x;
  }
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_TESTS_ENGINE_ENGINE_PIPELINE_H_
