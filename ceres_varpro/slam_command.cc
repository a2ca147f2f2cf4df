// ceres_varpro slam: read a g2o / TORO / pyfg file, build the SLAM problem,
// solve it with VarPro, stock Ceres, or both from the same start.

#include <iostream>
#include <string>
#include <vector>

#include "ceres/ceres.h"
#include "ceres_varpro/ceres_varpro.h"
#include "ceres_varpro/io/g2o_io.h"
#include "ceres_varpro/io/pyfg_io.h"
#include "ceres_varpro/io/svg_plot.h"
#include "ceres_varpro/slam/slam_problem.h"
#include "command.h"
#include "common_flags.h"
#include "gflags/gflags.h"
#include "json_writer.h"
#include "solver_run.h"

DEFINE_string(
    model, "isotropic",
    "isotropic: SE-Sync model (rotation chordal term, isotropic translation "
    "weights; Gram matrix constant). full: full-information residuals "
    "(Gram matrix varies).");
DEFINE_string(
    init, "auto",
    "auto: the file's vertices when they are an initial guess (g2o/TORO "
    "with VERTEX lines), otherwise odometry. file: the vertices (for pyfg "
    "these are reference values). odometry: relative poses chained along a "
    "spanning forest preferring consecutive ids (from a pose prior where a "
    "tree has one); landmarks from a prior, else their first relative "
    "measurement, else the centroid of the poses ranging to them, else "
    "multilateration from range distances to the anchors; range bearings "
    "from the initial positions.");
DEFINE_string(
    ceres_linear_solver, "sparse_normal_cholesky",
    "Stock Ceres's linear solver (any ceres::LinearSolverType name).");
DEFINE_string(ceres_preconditioner, "jacobi",
              "Stock Ceres's preconditioner for iterative solvers.");

DECLARE_string(input);
DECLARE_string(solver);
DECLARE_string(output);
DECLARE_string(plot);
DEFINE_bool(plot_ranges, false, "--plot also draws the range measurements.");
DECLARE_string(varpro_linear_solver);
DECLARE_string(varpro_preconditioner);

namespace ceres_varpro::tools {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int Fail(const std::string& message) {
  std::cerr << "ceres_varpro slam: " << message << "\n";
  return 2;
}

int RunSlam() {
  std::string error;
  if (FLAGS_input.empty()) return Fail("--input=FILE is required (see --help)");
  if (!ValidateCommonFlags(&error)) return Fail(error);
  if (FLAGS_solver != "varpro" && FLAGS_solver != "ceres" &&
      FLAGS_solver != "both") {
    return Fail("--solver must be varpro, ceres or both");
  }
  SlamProblemOptions problem_options;
  if (FLAGS_model == "isotropic") {
    problem_options.model = SlamModel::kIsotropic;
  } else if (FLAGS_model == "full") {
    problem_options.model = SlamModel::kFull;
  } else {
    return Fail("--model must be isotropic or full");
  }
  if (FLAGS_init == "auto") {
    problem_options.initialization = SlamInitialization::kAuto;
  } else if (FLAGS_init == "file") {
    problem_options.initialization = SlamInitialization::kFile;
  } else if (FLAGS_init == "odometry") {
    problem_options.initialization = SlamInitialization::kOdometry;
  } else {
    return Fail("--init must be auto, file or odometry");
  }
  ceres::Solver::Options ceres_options;
  ApplyCommonFlags(&ceres_options);
  if (!ceres::StringToLinearSolverType(FLAGS_ceres_linear_solver,
                                       &ceres_options.linear_solver_type)) {
    return Fail("unknown --ceres_linear_solver " + FLAGS_ceres_linear_solver);
  }
  if (!ceres::StringToPreconditionerType(FLAGS_ceres_preconditioner,
                                         &ceres_options.preconditioner_type)) {
    return Fail("unknown --ceres_preconditioner " + FLAGS_ceres_preconditioner);
  }
  Solver::Options varpro_options;
  static_cast<ceres::Solver::Options&>(varpro_options) = ceres_options;
  if (!StringToReducedLinearSolverType(
          FLAGS_varpro_linear_solver,
          &varpro_options.reduced_linear_solver_type)) {
    return Fail("unknown --varpro_linear_solver " + FLAGS_varpro_linear_solver);
  }
  if (!StringToReducedPreconditionerType(
          FLAGS_varpro_preconditioner,
          &varpro_options.reduced_preconditioner_type)) {
    return Fail("unknown --varpro_preconditioner " +
                FLAGS_varpro_preconditioner);
  }

  SlamGraph graph;
  const bool pyfg = EndsWith(FLAGS_input, ".pyfg");
  if (!(pyfg ? ReadPyfgFile(FLAGS_input, &graph, &error)
             : ReadG2oFile(FLAGS_input, &graph, &error))) {
    return Fail(error);
  }
  SlamProblem problem;
  if (!problem.Build(graph, problem_options, &error)) return Fail(error);
  varpro_options.linear_parameter_blocks = problem.linear_blocks();

  std::cout << "Problem: " << FLAGS_input << " ("
            << SlamGraphFormatName(graph.format) << ", " << graph.dimension
            << "D): " << graph.num_poses() << " poses, "
            << graph.num_landmarks() << " landmarks, "
            << graph.pose_edges.size() << " relative poses, "
            << graph.landmark_edges.size() << " relative landmarks, "
            << graph.range_edges.size() << " ranges, "
            << graph.pose_priors.size() + graph.landmark_priors.size()
            << " priors\n"
            << "Model: " << problem.model_name()
            << "; initialisation: " << problem.initialization_used() << "\n";
  for (const std::string& note : graph.notes)
    std::cout << "Note: " << note << "\n";

  const std::vector<double> start = problem.State();
  SlamGraph initial_graph = graph;  // For --plot.
  if (!FLAGS_plot.empty()) problem.WriteTo(&initial_graph);
  std::vector<double> varpro_result;
  std::vector<SolverRun> runs;
  if (FLAGS_solver != "ceres") {
    SolverRun run;
    run.solver = "varpro";
    run.is_varpro = true;
    run.configuration =
        FLAGS_varpro_linear_solver + "/" + FLAGS_varpro_preconditioner;
    TimedRun(&run, [&](Solver::Summary* s) {
      Solve(varpro_options, problem.problem(), s);
    });
    run.configuration = std::string(ReducedLinearSolverTypeToString(
                            run.summary.varpro.linear_solver_used)) +
                        "/" +
                        ReducedPreconditionerTypeToString(
                            run.summary.varpro.preconditioner_used);
    varpro_result = problem.State();
    runs.push_back(std::move(run));
  }
  if (FLAGS_solver != "varpro") {
    problem.SetState(start);
    SolverRun run;
    run.solver = "ceres";
    run.configuration =
        ceres::LinearSolverTypeToString(ceres_options.linear_solver_type);
    TimedRun(&run, [&](Solver::Summary* s) {
      ceres::Solve(ceres_options, problem.problem(),
                   static_cast<ceres::Solver::Summary*>(s));
    });
    runs.push_back(std::move(run));
  }
  if (runs.size() > 1)
    problem.SetState(varpro_result);  // Outputs are VarPro's solution.

  const RunnerOutput output{FLAGS_output,
                            [&](const std::string& path, std::string* e) {
                              problem.WriteTo(&graph);
                              return pyfg ? WritePyfgFile(path, graph, e)
                                          : WriteG2oFile(path, graph, e);
                            }};
  const RunnerOutput plot{
      FLAGS_plot, [&](const std::string& path, std::string* e) {
        problem.WriteTo(&graph);
        SlamPlotOptions plot_options;
        plot_options.draw_ranges = FLAGS_plot_ranges;
        return WriteSlamPlot(path, initial_graph, graph, plot_options, e);
      }};
  return FinishRuns("slam", runs, {output, plot}, [&](JsonWriter* json) {
    json->String("input", FLAGS_input)
        .String("format", SlamGraphFormatName(graph.format))
        .Int("dimension", graph.dimension)
        .Int("poses", graph.num_poses())
        .Int("landmarks", graph.num_landmarks())
        .Int("pose_edges", static_cast<long long>(graph.pose_edges.size()))
        .Int("landmark_edges",
             static_cast<long long>(graph.landmark_edges.size()))
        .Int("range_edges", static_cast<long long>(graph.range_edges.size()))
        .Int("pose_priors", static_cast<long long>(graph.pose_priors.size()))
        .Int("landmark_priors",
             static_cast<long long>(graph.landmark_priors.size()))
        .String("model", problem.model_name())
        .String("initialization", problem.initialization_used());
  });
}

const CommandRegistrar kRegistrar({
    "slam",
    "solve a pose-graph / landmark / range-aided SLAM file (g2o, TORO, pyfg)",
    "--input=FILE [--solver=varpro|ceres|both] [--model=isotropic|full] "
    "[flags]",
    "slam_command.cc",
    &RunSlam,
});

}  // namespace
}  // namespace ceres_varpro::tools
