#ifndef CERES_VARPRO_TOOLS_SOLVER_RUN_H_
#define CERES_VARPRO_TOOLS_SOLVER_RUN_H_

#include <functional>
#include <string>
#include <vector>

#include "ceres/solver.h"
#include "ceres_varpro/solver.h"
#include "json_writer.h"

namespace ceres_varpro::tools {

// One solve of one problem by one solver configuration, as the runners
// report it.
struct SolverRun {
  std::string solver;  // "varpro", "varpro_ceres" or "ceres".
  std::string
      configuration;  // E.g. "SPARSE_SCHUR" or "ITERATIVE/JOINT_CHOLESKY".
  Solver::Summary summary;  // Ceres's fields, plus VarPro statistics.
  bool is_varpro = false;
  double wall_time_seconds = 0.0;
  // Iterations when the summary does not hold them all (the certifiable
  // solve: every rank's local solve plus the refinement); -1: the summary's.
  int iterations = -1;
};

// Stock Ceres's configuration as the runners label it: the linear solver,
// plus the preconditioner for the iterative ones ("ITERATIVE_SCHUR+
// SCHUR_JACOBI").
std::string CeresConfiguration(const ceres::Solver::Options& options);

// Prints the header line before a solve and the chosen report after it.
void PrintRunHeader(const SolverRun& run);
void PrintRunReport(const SolverRun& run);

// Per run: initial/final cost, iterations, wall time, termination, trace
// (cumulative time, cost) and, for VarPro, its statistics and time breakdown.
void WriteRunJson(const SolverRun& run, JsonWriter* json);

// The runs side by side, with the ratio of wall times against the first run
// and whether the final costs agree to 1e-6 relative.
std::string SideBySideTable(const std::vector<SolverRun>& runs);

// Comparison block for the JSON: best run, ratios, and the verdict on the
// final costs ("same minimum" within 1e-6, or "different local minima").
void WriteComparisonJson(const std::vector<SolverRun>& runs, JsonWriter* json);

// Number of iterations as Ceres counts them (iteration 0 excluded).
int Iterations(const ceres::Solver::Summary& summary);
// The run's iterations: run.iterations when set, else its summary's.
int Iterations(const SolverRun& run);

// Prints the header, runs solve(&run->summary) timing it, prints the report.
void TimedRun(SolverRun* run,
              const std::function<void(Solver::Summary*)>& solve);

// The runners' common ending: the side-by-side table when several solvers
// ran; each requested output written (by `write`, atomically) only if the
// first run's solution is usable; the --json file with the problem's
// description, every run and the comparison. Returns the exit status: 0
// when every run is usable and every file was written.
struct RunnerOutput {
  std::string path;
  std::function<bool(const std::string& path, std::string* error)> write;
};
int FinishRuns(const std::string& command, const std::vector<SolverRun>& runs,
               const std::vector<RunnerOutput>& outputs,
               const std::function<void(JsonWriter*)>& describe_problem);

}  // namespace ceres_varpro::tools

#endif  // CERES_VARPRO_TOOLS_SOLVER_RUN_H_
