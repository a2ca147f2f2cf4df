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
#include "ceres_varpro/slam/certifiable.h"
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
    "from the initial positions. chordal: relaxed rotation "
    "least squares projected to SO(d), then optimal translations (graphs "
    "without ranges).");
DEFINE_bool(
    certify, false,
    "Solve the isotropic model to certified global optimality instead of a "
    "plain VarPro solve: Riemannian staircase on the lifted problem, "
    "certificate, rounding, rank-d refinement; prints a verdict line. "
    "--max_num_iterations and --max_solver_time then bound each rank's "
    "local solve and the whole staircase. With --solver=both stock Ceres "
    "still starts from --init's start.");
DEFINE_string(
    certify_init, "auto",
    "Start of the --certify staircase: auto (chordal for graphs without "
    "ranges, else the problem's start), chordal, start (--init's start), "
    "random.");
DEFINE_int32(rank, 0, "--certify: first rank of the staircase (0: d + 1).");
DEFINE_int32(max_rank, 10, "--certify: highest rank of the staircase.");
DEFINE_double(certificate_tolerance, 1e-8,
              "--certify: certified when lambda_min(S) > -tolerance * "
              "||Q||_2.");
DEFINE_double(certify_gradient_tolerance, 1e-7,
              "--certify: each rank's local solve stops when the gradient max "
              "norm is below this * ||Q||_2.");
DEFINE_string(ceres_linear_solver, "",
              "Deprecated: the old name of --linear_solver.");
DEFINE_string(ceres_preconditioner, "",
              "Deprecated: the old name of --preconditioner.");

DECLARE_string(input);
DECLARE_string(solver);
DECLARE_string(output);
DECLARE_string(plot);
DEFINE_bool(plot_ranges, false, "--plot also draws the range measurements.");
DECLARE_string(varpro_linear_solver);
DECLARE_string(varpro_preconditioner);
DECLARE_string(linear_solver);
DECLARE_string(preconditioner);

namespace ceres_varpro::tools {
namespace {

int Fail(const std::string& message) {
  std::cerr << "ceres_varpro slam: " << message << "\n";
  return 2;
}

void WriteCertificateJson(const CertifiableSummary& c, JsonWriter* json) {
  json->BeginObject("certificate")
      .String("verdict", c.Verdict())
      .Bool("certified", c.certified)
      .Bool("globally_optimal", c.globally_optimal)
      .Bool("max_rank_reached", c.max_rank_reached)
      .Bool("time_limit_reached", c.time_limit_reached)
      .String("message", c.message)
      .String("initialization", c.initialization)
      .Int("initial_rank", c.initial_rank)
      .Int("final_rank", c.final_rank)
      .Int("rank_of_solution", c.rank_of_solution)
      .Number("lambda_min", c.lambda_min)
      .Number("lambda_min_lower_bound", c.lambda_min_lower_bound)
      .Number("tolerance", c.certificate_tolerance)
      .Number("q_norm", c.q_norm)
      .Number("relaxation_cost", c.relaxation_cost)
      .Number("lower_bound", c.lower_bound)
      .Number("initial_cost", c.initial_cost)
      .Number("rounded_cost", c.rounded_cost)
      .Number("final_cost", c.final_cost)
      .Number("absolute_gap", c.absolute_gap)
      .Number("relative_gap", c.relative_gap)
      .Bool("start_solve_run", c.start_solve_run)
      .Number("start_solve_cost", c.start_solve_cost)
      .Bool("start_solve_kept", c.start_solve_kept);
  json->BeginArray("singular_values");
  for (double v : c.singular_values) {
    json->BeginObject().Number("value", v).EndObject();
  }
  json->EndArray();
  json->BeginArray("stages");
  for (const CertifiableSummary::Stage& s : c.stages) {
    json->BeginObject()
        .Int("rank", s.rank)
        .Int("iterations", s.iterations)
        .Int("polish_solves", s.polish_solves)
        .Number("initial_cost", s.initial_cost)
        .Number("final_cost", s.final_cost)
        .String("termination", ceres::TerminationTypeToString(s.termination))
        .Number("gradient_max_norm", s.gradient_max_norm)
        .Bool("certified", s.certificate.certified)
        .Number("lambda_min", s.certificate.lambda_min)
        .Number("lambda_min_lower_bound", s.certificate.lambda_min_lower_bound)
        .Number("escape_step", s.escape_step)
        .Number("cost_after_escape", s.cost_after_escape)
        .Number("solve_seconds", s.solve_time_in_seconds)
        .Number("certificate_seconds", s.certificate.time_in_seconds)
        .EndObject();
  }
  json->EndArray();
  json->BeginObject("times")
      .Number("initialization_seconds", c.initialization_time_in_seconds)
      .Number("local_solve_seconds", c.local_solve_time_in_seconds)
      .Number("certificate_seconds", c.certificate_time_in_seconds)
      .Number("escape_seconds", c.escape_time_in_seconds)
      .Number("rounding_seconds", c.rounding_time_in_seconds)
      .Number("refinement_seconds", c.refinement_time_in_seconds)
      .Number("start_solve_seconds", c.start_solve_time_in_seconds)
      .Number("total_seconds", c.total_time_in_seconds)
      .EndObject();
  json->EndObject();
}

// --model and --init.
bool ParseProblemOptions(SlamProblemOptions* options, std::string* error) {
  if (FLAGS_model == "isotropic") {
    options->model = SlamModel::kIsotropic;
  } else if (FLAGS_model == "full") {
    options->model = SlamModel::kFull;
  } else {
    *error = "--model must be isotropic or full";
    return false;
  }
  if (FLAGS_init == "auto") {
    options->initialization = SlamInitialization::kAuto;
  } else if (FLAGS_init == "file") {
    options->initialization = SlamInitialization::kFile;
  } else if (FLAGS_init == "odometry") {
    options->initialization = SlamInitialization::kOdometry;
  } else if (FLAGS_init == "chordal") {
    options->initialization = SlamInitialization::kChordal;
  } else {
    *error = "--init must be auto, file, odometry or chordal";
    return false;
  }
  return true;
}

// The --certify flags (only read when --certify is given).
bool ParseCertifiableOptions(const SlamProblemOptions& problem_options,
                             CertifiableOptions* options, std::string* error) {
  if (FLAGS_solver == "ceres") {
    *error = "--certify needs --solver=varpro or --solver=both";
    return false;
  }
  if (problem_options.model != SlamModel::kIsotropic) {
    *error = "--certify solves the isotropic model (--model=isotropic)";
    return false;
  }
  if (FLAGS_certify_init == "auto") {
    options->initialization = CertifiableInitialization::kAuto;
  } else if (FLAGS_certify_init == "chordal") {
    options->initialization = CertifiableInitialization::kChordal;
  } else if (FLAGS_certify_init == "start") {
    options->initialization = CertifiableInitialization::kProblemState;
  } else if (FLAGS_certify_init == "random") {
    options->initialization = CertifiableInitialization::kRandom;
  } else {
    *error = "--certify_init must be auto, chordal, start or random";
    return false;
  }
  options->initial_rank = FLAGS_rank;
  options->max_rank = FLAGS_max_rank;
  options->certificate.relative_tolerance = FLAGS_certificate_tolerance;
  options->gradient_tolerance = FLAGS_certify_gradient_tolerance;
  return options->IsValid(error);
}

// Stock Ceres's and VarPro's options; slam's old flag names still work (the
// new ones win).
bool ParseSolverOptions(ceres::Solver::Options* ceres_options,
                        Solver::Options* varpro_options, std::string* error) {
  if (FLAGS_linear_solver.empty()) {
    FLAGS_linear_solver = FLAGS_ceres_linear_solver;
  }
  if (!FLAGS_ceres_preconditioner.empty() &&
      gflags::GetCommandLineFlagInfoOrDie("preconditioner").is_default) {
    FLAGS_preconditioner = FLAGS_ceres_preconditioner;
  }
  return ApplySolverFlags("sparse_normal_cholesky", ceres_options,
                          varpro_options, error);
}

void PrintProblem(const SlamGraph& graph, const SlamProblem& problem) {
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
}

// The certifiable solve as the runners report it: the refinement's summary
// from the staircase's rank-d start to the returned cost, every rank's
// iterations counted. False (after printing the verdict) if it failed.
bool RunCertifiable(const Solver::Options& varpro_options,
                    const SlamGraph& graph, CertifiableOptions options,
                    SlamProblem* problem, CertifiableSummary* certifiable,
                    SolverRun* run) {
  options.num_threads = varpro_options.num_threads;
  options.max_solver_time_in_seconds =
      varpro_options.max_solver_time_in_seconds;
  options.max_iterations_per_rank = varpro_options.max_num_iterations;
  options.progress_to_stdout = varpro_options.minimizer_progress_to_stdout;
  run->solver = "certifiable";
  run->is_varpro = true;
  run->configuration = "staircase+certificate+refinement";
  PrintRunHeader(*run);
  if (!SolveCertifiable(options, graph, problem, certifiable)) {
    std::cout << certifiable->Verdict() << "\n";
    return false;
  }
  run->summary = certifiable->refinement;
  run->summary.initial_cost = certifiable->initial_cost > 0.0
                                  ? certifiable->initial_cost
                                  : certifiable->rounded_cost;
  run->summary.final_cost = certifiable->final_cost;
  run->wall_time_seconds = certifiable->total_time_in_seconds;
  run->iterations = Iterations(certifiable->refinement);
  for (const CertifiableSummary::Stage& stage : certifiable->stages) {
    run->iterations += stage.iterations;
  }
  if (ReportKind() != "none") std::cout << certifiable->Report();
  std::cout << "Verdict: " << certifiable->Verdict() << "\n";
  return true;
}

SolverRun RunVarPro(const Solver::Options& options, SlamProblem* problem) {
  SolverRun run;
  run.solver = "varpro";
  run.is_varpro = true;
  run.configuration =
      FLAGS_varpro_linear_solver + "/" + FLAGS_varpro_preconditioner;
  TimedRun(&run,
           [&](Solver::Summary* s) { Solve(options, problem->problem(), s); });
  run.configuration =
      std::string(ReducedLinearSolverTypeToString(
          run.summary.varpro.linear_solver_used)) +
      "/" +
      ReducedPreconditionerTypeToString(run.summary.varpro.preconditioner_used);
  return run;
}

SolverRun RunCeres(const ceres::Solver::Options& options,
                   SlamProblem* problem) {
  SolverRun run;
  run.solver = "ceres";
  run.configuration = CeresConfiguration(options);
  TimedRun(&run, [&](Solver::Summary* s) {
    ceres::Solve(options, problem->problem(),
                 static_cast<ceres::Solver::Summary*>(s));
  });
  return run;
}

void WriteProblemJson(const SlamGraph& graph, const SlamProblem& problem,
                      JsonWriter* json) {
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
  CertifiableOptions certifiable_options;
  ceres::Solver::Options ceres_options;
  Solver::Options varpro_options;
  if (!ParseProblemOptions(&problem_options, &error) ||
      (FLAGS_certify && !ParseCertifiableOptions(
                            problem_options, &certifiable_options, &error)) ||
      !ParseSolverOptions(&ceres_options, &varpro_options, &error)) {
    return Fail(error);
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
  PrintProblem(graph, problem);

  const std::vector<double> start = problem.State();
  SlamGraph initial_graph = graph;  // For --plot.
  if (!FLAGS_plot.empty()) problem.WriteTo(&initial_graph);
  std::vector<SolverRun> runs;
  CertifiableSummary certifiable;
  if (FLAGS_certify) {
    SolverRun run;
    if (!RunCertifiable(varpro_options, graph, certifiable_options, &problem,
                        &certifiable, &run)) {
      return Fail(certifiable.message);
    }
    runs.push_back(std::move(run));
  } else if (FLAGS_solver != "ceres") {
    runs.push_back(RunVarPro(varpro_options, &problem));
  }
  const std::vector<double> varpro_result = problem.State();
  if (FLAGS_solver != "varpro") {
    problem.SetState(start);
    runs.push_back(RunCeres(ceres_options, &problem));
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
    WriteProblemJson(graph, problem, json);
    if (FLAGS_certify) WriteCertificateJson(certifiable, json);
  });
}

const CommandRegistrar kRegistrar({
    "slam",
    "solve a pose-graph / landmark / range-aided SLAM file (g2o, TORO, pyfg)",
    "--input=FILE [--solver=varpro|ceres|both] [--model=isotropic|full] "
    "[--certify] [flags]",
    "slam_command.cc",
    &RunSlam,
});

}  // namespace
}  // namespace ceres_varpro::tools
