#ifndef CERES_VARPRO_TESTS_ENGINE_ENGINE_PIPELINE_H_
#define CERES_VARPRO_TESTS_ENGINE_ENGINE_PIPELINE_H_

#include <memory>
#include <string>
#include <vector>

#include "ceres_varpro/solver.h"
#include "engine/preprocessor.h"
#include "gtest/gtest.h"

namespace ceres_varpro::internal {

// The engine's stages set up by the Preprocessor, as Solve() does, so tests
// can look at each stage's output. The inner solves run to a tight tolerance
// so that references computed at l*(θ) are exact.
struct EnginePipeline {
  Solver::Options options;
  PreprocessedProblem pp;
  VarProStatistics stats;
  std::string error;
  // Shortcuts into pp.
  Program& program = pp.program;
  StructureAnalysis& analysis = pp.analysis;
  ReducedProblem* reduced = nullptr;
  Eliminator* eliminator = nullptr;

  // Inner solves to round-off unless a test needs the solver's defaults.
  bool Build(ceres::Problem* problem, const Solver::Options& o,
             bool exact_inner_solves = true) {
    options = o;
    if (exact_inner_solves) {
      options.max_inner_iterations = 100;
      options.inner_iteration_tolerance = 1e-14;
    }
    if (!Preprocess(options, PreprocessorTarget::kEngine, problem, &stats, &pp,
                    &error)) {
      return false;
    }
    reduced = pp.reduced.get();
    eliminator = pp.eliminator.get();
    return reduced != nullptr;
  }

  Eigen::VectorXd Theta() const {
    Eigen::VectorXd x(pp.program.num_theta_ambient());
    pp.program.GetTheta(x.data());
    return x;
  }
};

// Options naming the linear blocks, on two threads (the parallel paths).
inline Solver::Options TwoThreadOptions(const std::vector<double*>& linear) {
  Solver::Options o;
  o.linear_parameter_blocks = linear;
  o.num_threads = 2;
  return o;
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_TESTS_ENGINE_ENGINE_PIPELINE_H_
