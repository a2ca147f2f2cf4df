// ceres_varpro ba: bundle adjustment of a BAL file with VarPro (points
// eliminated by inner Gauss-Newton), the Ceres-native VarPro mode, or stock
// Ceres, from the same start.

#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "ceres/ceres.h"
#include "ceres_varpro/ba/bal_problem_builder.h"
#include "ceres_varpro/ceres_varpro.h"
#include "ceres_varpro/io/bal_io.h"
#include "ceres_varpro/io/svg_plot.h"
#include "command.h"
#include "common_flags.h"
#include "gflags/gflags.h"
#include "json_writer.h"
#include "solver_run.h"

DEFINE_int32(num_iterations, -1,
             "bundle_adjuster's name for --max_num_iterations (takes "
             "precedence when >= 0).");
DEFINE_bool(robustify, false,
            "Huber loss (scale 1 pixel) on every observation.");
DEFINE_bool(inner_iterations, false, "Stock Ceres only: use inner iterations.");
DEFINE_string(initial_ply, "", "Write the initial cameras and points as PLY.");
DEFINE_string(final_ply, "", "Write the solution's cameras and points as PLY.");

DECLARE_string(input);
DECLARE_string(solver);
DECLARE_string(output);
DECLARE_string(plot);

namespace ceres_varpro::tools {
namespace {

int Fail(const std::string& message) {
  std::cerr << "ceres_varpro ba: " << message << "\n";
  return 2;
}

// --solver, the shared solver flags and bundle_adjuster's --num_iterations.
bool ParseBaOptions(ceres::Solver::Options* ceres_options,
                    Solver::Options* varpro_options, std::string* error) {
  if (FLAGS_solver != "varpro" && FLAGS_solver != "varpro_ceres" &&
      FLAGS_solver != "ceres" && FLAGS_solver != "both") {
    *error = "--solver must be varpro, varpro_ceres, ceres or both";
    return false;
  }
  if (!ApplySolverFlags("sparse_schur", ceres_options, varpro_options, error)) {
    return false;
  }
  if (FLAGS_num_iterations >= 0) {
    ceres_options->max_num_iterations = FLAGS_num_iterations;
    varpro_options->max_num_iterations = FLAGS_num_iterations;
  }
  return true;
}

// Every configuration --solver asks for, each from the file's start; *bal
// ends holding the first run's solution (the one the outputs write).
std::vector<SolverRun> SolveFromTheFileStart(
    const ceres::Solver::Options& ceres_options,
    const Solver::Options& varpro_options, const std::vector<double*>& points,
    const std::vector<double*>& cameras, BalProblem* bal,
    ceres::Problem* problem) {
  const std::vector<double> start_cameras = bal->cameras,
                            start_points = bal->points;
  std::vector<double> first_cameras, first_points;
  std::vector<SolverRun> runs;
  // Every solver starts from the file's point; the outputs are the first's.
  auto run_from_start =
      [&](SolverRun run, const std::function<void(Solver::Summary*)>& solve) {
        bal->cameras = start_cameras;
        bal->points = start_points;
        TimedRun(&run, solve);
        runs.push_back(std::move(run));
        if (runs.size() == 1) {
          first_cameras = bal->cameras;
          first_points = bal->points;
        }
      };
  if (FLAGS_solver == "varpro" || FLAGS_solver == "both") {
    SolverRun run;
    run.solver = "varpro";
    run.is_varpro = true;
    run.configuration = "nonlinear elimination";
    run_from_start(
        run, [&](Solver::Summary* s) { Solve(varpro_options, problem, s); });
    SolverRun& done = runs.back();
    done.configuration = std::string(ReducedLinearSolverTypeToString(
                             done.summary.varpro.linear_solver_used)) +
                         "/" +
                         ReducedPreconditionerTypeToString(
                             done.summary.varpro.preconditioner_used);
  }
  if (FLAGS_solver == "varpro_ceres") {
    SolverRun run;
    run.solver = "varpro_ceres";
    run.is_varpro = true;
    run.configuration =
        ceres::LinearSolverTypeToString(ceres_options.linear_solver_type);
    run_from_start(run, [&](Solver::Summary* s) {
      SolveWithCeres(varpro_options, problem, s);
    });
  }
  if (FLAGS_solver == "ceres" || FLAGS_solver == "both") {
    ceres::Solver::Options o = ceres_options;
    SetBalOrdering(points, cameras, &o);
    if (FLAGS_inner_iterations) o.use_inner_iterations = true;
    SolverRun run;
    run.solver = "ceres";
    run.configuration =
        CeresConfiguration(o) + (FLAGS_inner_iterations ? "+inner" : "");
    run_from_start(run, [&](Solver::Summary* s) {
      ceres::Solve(o, problem, static_cast<ceres::Solver::Summary*>(s));
    });
  }
  bal->cameras = first_cameras;
  bal->points = first_points;
  return runs;
}

int RunBa() {
  std::string error;
  if (FLAGS_input.empty()) return Fail("--input=FILE is required (see --help)");
  if (!ValidateCommonFlags(&error)) return Fail(error);
  ceres::Solver::Options ceres_options;
  Solver::Options varpro_options;
  if (!ParseBaOptions(&ceres_options, &varpro_options, &error)) {
    return Fail(error);
  }

  BalProblem bal;
  if (!ReadBalFile(FLAGS_input, &bal, &error)) return Fail(error);
  if (!FLAGS_initial_ply.empty() &&
      !WritePlyFile(FLAGS_initial_ply, bal, &error)) {
    return Fail(error);
  }
  BalBuildOptions build;
  build.robustify = FLAGS_robustify;
  ceres::Problem problem;
  std::vector<double*> points, cameras;
  BuildBalProblem(&bal, build, &problem, &points, &cameras);

  varpro_options.linear_parameter_blocks = points;
  varpro_options.allow_nonlinear_elimination = true;

  std::cout << "Problem: " << FLAGS_input << ": " << bal.num_cameras
            << " cameras, " << bal.num_points << " points, "
            << bal.observations.size() << " observations"
            << (FLAGS_robustify ? ", Huber loss" : "") << "\n";

  const std::vector<SolverRun> runs = SolveFromTheFileStart(
      ceres_options, varpro_options, points, cameras, &bal, &problem);

  const std::vector<RunnerOutput> outputs = {
      {FLAGS_final_ply,
       [&](const std::string& path, std::string* e) {
         return WritePlyFile(path, bal, e);
       }},
      {FLAGS_output,
       [&](const std::string& path, std::string* e) {
         return WriteBalFile(path, bal, e);
       }},
      {FLAGS_plot, [&](const std::string& path, std::string* e) {
         return WriteBalPlot(path, bal, e);
       }}};
  return FinishRuns("ba", runs, outputs, [&](JsonWriter* json) {
    json->String("input", FLAGS_input)
        .Int("cameras", bal.num_cameras)
        .Int("points", bal.num_points)
        .Int("observations", static_cast<long long>(bal.observations.size()))
        .Bool("robustify", FLAGS_robustify);
  });
}

const CommandRegistrar kRegistrar({
    "ba",
    "bundle adjustment of a BAL file (VarPro, Ceres-native VarPro, stock "
    "Ceres)",
    "--input=FILE [--solver=varpro|varpro_ceres|ceres|both] [flags]",
    "ba_command.cc",
    &RunBa,
});

}  // namespace
}  // namespace ceres_varpro::tools
