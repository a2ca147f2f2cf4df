// swap_in_bench: what a Ceres user sees after changing one call.
//
// Builds a problem the way Ceres's own examples build it (pose_graph_2d,
// pose_graph_3d, bundle_adjuster: AutoDiff cost functions, the user's
// manifolds, the first pose held constant) and solves it either with
// ceres::Solve or with ceres_varpro::Solve, where the only change is the
// call and the list of blocks to eliminate (positions, points). Prints one
// JSON object on stdout: costs, iterations, wall time of the solve call,
// termination and the per-iteration trace (for time-to-target).
//
//   swap_in_bench --input=sphere2500.g2o --solver=varpro
//   swap_in_bench --input=problem-49-7776-pre.txt --solver=ceres \
//       --linear_solver=dense_schur

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ceres/ceres.h"
#include "ceres_varpro/ba/bal_problem_builder.h"
#include "ceres_varpro/ceres_varpro.h"
#include "ceres_varpro/io/bal_io.h"
#include "ceres_varpro/io/g2o_io.h"
#include "ceres_varpro/slam/slam_problem.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "pose_graph_models.h"

DEFINE_string(input, "", "A g2o/TORO pose graph (2D or 3D) or a BAL file.");
DEFINE_string(solver, "varpro",
              "varpro (ceres_varpro::Solve), varpro_ceres (the Ceres-native "
              "mode: ceres::Solve on the reduced problem, for independent "
              "linear blocks such as BAL's points) or ceres.");
DEFINE_string(linear_solver, "",
              "Ceres's linear solver (default: sparse_normal_cholesky for "
              "pose graphs, sparse_schur for BAL, as Ceres's examples).");
DEFINE_string(preconditioner, "jacobi", "Ceres's preconditioner.");
DEFINE_string(varpro_preconditioner, "auto",
              "VarPro's reduced preconditioner (auto, block_jacobi, "
              "schur_jacobi, joint_cholesky): for measurements of the "
              "memory/time trade-off; the swap-in view keeps auto.");
DEFINE_string(varpro_linear_solver, "auto",
              "VarPro's reduced linear solver (auto, iterative, dense, "
              "sparse_joint): for measurements; the swap-in view keeps auto.");
DEFINE_int32(num_threads, 2, "Threads, for both solvers.");
DEFINE_bool(tight, false,
            "Tolerances 1e-10 (function, gradient, parameter) instead of "
            "Ceres's defaults.");
DEFINE_int32(max_num_iterations, -1,
             "Iteration limit (default: 200 for pose graphs as Ceres's "
             "examples, Ceres's 50 for BAL).");
DEFINE_double(max_solver_time, 1e9, "Wall-time limit of the solve, seconds.");
DEFINE_double(initial_trust_region_radius, 1e4,
              "Ceres's initial_trust_region_radius, for both solvers.");
DEFINE_bool(
    progress, false,
    "Per-iteration progress lines on stdout (the JSON line stays last).");
DEFINE_bool(full_report, false, "The solver's full report on stderr.");
DEFINE_bool(extrapolate_steps, true, "VarPro's Options::extrapolate_steps.");

namespace ceres_varpro::bench {
namespace {

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The problem and the memory its parameter blocks live in.
struct SwapInProblem {
  std::string family;  // pose_graph_2d, pose_graph_3d, bal.
  std::unique_ptr<ceres::Problem> problem;
  std::vector<double*> linear_blocks;     // Positions or points.
  std::vector<double*> nonlinear_blocks;  // Orientations or cameras.
  // Storage.
  std::vector<double> values;
  BalProblem bal;
  int num_poses = 0;
  int num_edges = 0;
  bool nonlinear_elimination = false;
};

// Pose graph 2D as Ceres's pose_graph_2d example: x, y, yaw blocks.
bool BuildPoseGraph2d(const SlamGraph& graph, SwapInProblem* out) {
  out->family = "pose_graph_2d";
  const int n = graph.num_poses();
  out->values.assign(3 * n, 0.0);
  for (int i = 0; i < n; ++i) {
    out->values[3 * i] = graph.poses[i].translation(0);
    out->values[3 * i + 1] = graph.poses[i].translation(1);
    out->values[3 * i + 2] = AngleFromRotation(graph.poses[i].rotation);
  }
  ceres::Problem::Options problem_options;
  out->problem = std::make_unique<ceres::Problem>(problem_options);
  ceres::Manifold* angle_manifold = AngleManifoldFunctor::Create();
  for (const SlamGraph::PoseEdge& e : graph.pose_edges) {
    const Eigen::Matrix3d information = e.information;
    const Eigen::Matrix3d sqrt_information = information.llt().matrixL();
    double* a = &out->values[3 * e.from];
    double* b = &out->values[3 * e.to];
    out->problem->AddResidualBlock(
        PoseGraph2dError::Create(e.translation(0), e.translation(1),
                                 AngleFromRotation(e.rotation),
                                 sqrt_information),
        nullptr, a, a + 1, a + 2, b, b + 1, b + 2);
    out->problem->SetManifold(a + 2, angle_manifold);
    out->problem->SetManifold(b + 2, angle_manifold);
  }
  // Ceres's example holds the first pose constant.
  for (int k = 0; k < 3; ++k) {
    if (out->problem->HasParameterBlock(&out->values[k])) {
      out->problem->SetParameterBlockConstant(&out->values[k]);
    }
  }
  for (int i = 0; i < n; ++i) {
    double* p = &out->values[3 * i];
    if (!out->problem->HasParameterBlock(p)) continue;
    out->linear_blocks.push_back(p);
    out->linear_blocks.push_back(p + 1);
    out->nonlinear_blocks.push_back(p + 2);
  }
  out->num_poses = n;
  out->num_edges = static_cast<int>(graph.pose_edges.size());
  return true;
}

// Pose graph 3D as Ceres's pose_graph_3d example: p (3) and an Eigen
// quaternion q (x, y, z, w) on EigenQuaternionManifold.
bool BuildPoseGraph3d(const SlamGraph& graph, SwapInProblem* out) {
  out->family = "pose_graph_3d";
  const int n = graph.num_poses();
  out->values.assign(7 * n, 0.0);
  for (int i = 0; i < n; ++i) {
    double* v = &out->values[7 * i];
    for (int k = 0; k < 3; ++k) v[k] = graph.poses[i].translation(k);
    const Eigen::Vector4d q = QuaternionFromRotation(graph.poses[i].rotation);
    for (int k = 0; k < 4; ++k) v[3 + k] = q(k);
  }
  out->problem = std::make_unique<ceres::Problem>();
  ceres::Manifold* quaternion_manifold = new ceres::EigenQuaternionManifold;
  for (const SlamGraph::PoseEdge& e : graph.pose_edges) {
    const Eigen::Matrix<double, 6, 6> information = e.information;
    const Eigen::Matrix<double, 6, 6> sqrt_information =
        information.llt().matrixL();
    const Eigen::Vector4d q = QuaternionFromRotation(e.rotation);
    const Eigen::Quaterniond q_ab(q(3), q(0), q(1), q(2));
    double* a = &out->values[7 * e.from];
    double* b = &out->values[7 * e.to];
    out->problem->AddResidualBlock(
        PoseGraph3dError::Create(e.translation, q_ab, sqrt_information),
        nullptr, a, a + 3, b, b + 3);
    out->problem->SetManifold(a + 3, quaternion_manifold);
    out->problem->SetManifold(b + 3, quaternion_manifold);
  }
  if (out->problem->HasParameterBlock(&out->values[0])) {
    out->problem->SetParameterBlockConstant(&out->values[0]);
    out->problem->SetParameterBlockConstant(&out->values[3]);
  }
  for (int i = 0; i < n; ++i) {
    double* p = &out->values[7 * i];
    if (!out->problem->HasParameterBlock(p)) continue;
    out->linear_blocks.push_back(p);
    out->nonlinear_blocks.push_back(p + 3);
  }
  out->num_poses = n;
  out->num_edges = static_cast<int>(graph.pose_edges.size());
  return true;
}

bool Build(const std::string& path, SwapInProblem* out, std::string* error) {
  if (EndsWith(path, ".g2o") || EndsWith(path, ".graph") ||
      (EndsWith(path, ".txt") && path.find("problem-") == std::string::npos &&
       path.find("-pre") == std::string::npos)) {
    SlamGraph graph;
    if (!ReadG2oFile(path, &graph, error)) return false;
    if (!graph.landmark_edges.empty() || !graph.range_edges.empty()) {
      *error = path + ": the swap-in models are pose graphs only";
      return false;
    }
    bool all_values = true;
    for (const auto& pose : graph.poses)
      all_values = all_values && pose.has_value;
    if (!all_values) {
      // Edges-only files (manhattan, kitti): the start is the odometry chain,
      // as the slam runner computes it.
      SlamProblem chained;
      SlamProblemOptions chain_options;
      chain_options.initialization = SlamInitialization::kOdometry;
      if (!chained.Build(graph, chain_options, error)) return false;
      chained.WriteTo(&graph);
    }
    return graph.dimension == 2 ? BuildPoseGraph2d(graph, out)
                                : BuildPoseGraph3d(graph, out);
  }
  out->family = "bal";
  if (!ReadBalFile(path, &out->bal, error)) return false;
  out->problem = std::make_unique<ceres::Problem>();
  // bundle_adjuster's model: AutoDiff.
  BalBuildOptions build;
  build.analytic_jacobians = false;
  BuildBalProblem(&out->bal, build, out->problem.get(), &out->linear_blocks,
                  &out->nonlinear_blocks);
  out->nonlinear_elimination = true;
  return true;
}

std::string Quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    q += c;
  }
  return q + "\"";
}

std::string Number(double v) {
  if (!std::isfinite(v)) return "null";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

int Run() {
  std::string error;
  if (FLAGS_input.empty()) {
    std::cerr << "swap_in_bench: --input=FILE is required\n";
    return 2;
  }
  if (FLAGS_solver != "varpro" && FLAGS_solver != "varpro_ceres" &&
      FLAGS_solver != "ceres") {
    std::cerr << "swap_in_bench: --solver must be varpro, varpro_ceres or "
                 "ceres\n";
    return 2;
  }
  SwapInProblem p;
  if (!Build(FLAGS_input, &p, &error)) {
    std::cerr << "swap_in_bench: " << error << "\n";
    return 2;
  }
  const bool bal = p.family == "bal";

  // The options a user of Ceres's examples has.
  ceres::Solver::Options options;
  options.num_threads = FLAGS_num_threads;
  options.max_num_iterations = FLAGS_max_num_iterations >= 0
                                   ? FLAGS_max_num_iterations
                                   : (bal ? 50 : 200);
  options.max_solver_time_in_seconds = FLAGS_max_solver_time;
  options.initial_trust_region_radius = FLAGS_initial_trust_region_radius;
  // Progress lines go to stdout before the JSON line, which is always last.
  options.minimizer_progress_to_stdout = FLAGS_progress;
  // Ceres prints no progress at all when SILENT.
  options.logging_type =
      FLAGS_progress ? ceres::PER_MINIMIZER_ITERATION : ceres::SILENT;
  if (FLAGS_tight) {
    options.function_tolerance = 1e-10;
    options.gradient_tolerance = 1e-10;
    options.parameter_tolerance = 1e-10;
  }
  const std::string linear_solver =
      !FLAGS_linear_solver.empty()
          ? FLAGS_linear_solver
          : (bal ? "sparse_schur" : "sparse_normal_cholesky");
  if (!ceres::StringToLinearSolverType(linear_solver,
                                       &options.linear_solver_type) ||
      !ceres::StringToPreconditionerType(FLAGS_preconditioner,
                                         &options.preconditioner_type)) {
    std::cerr << "swap_in_bench: unknown --linear_solver or --preconditioner\n";
    return 2;
  }
  if (bal) SetBalOrdering(p.linear_blocks, p.nonlinear_blocks, &options);

  ceres_varpro::Solver::Summary summary;
  double wall = 0.0;
  if (FLAGS_solver == "ceres") {
    const double start = Now();
    ceres::Solve(options, p.problem.get(),
                 static_cast<ceres::Solver::Summary*>(&summary));
    wall = Now() - start;
  } else {
    // The one-call change: the same options, the eliminated blocks named.
    ceres_varpro::Solver::Options varpro_options;
    static_cast<ceres::Solver::Options&>(varpro_options) = options;
    varpro_options.linear_solver_ordering.reset();
    varpro_options.linear_parameter_blocks = p.linear_blocks;
    varpro_options.allow_nonlinear_elimination = p.nonlinear_elimination;
    varpro_options.extrapolate_steps = FLAGS_extrapolate_steps;
    if (!ceres_varpro::StringToReducedPreconditionerType(
            FLAGS_varpro_preconditioner,
            &varpro_options.reduced_preconditioner_type)) {
      std::cerr << "swap_in_bench: unknown --varpro_preconditioner "
                << FLAGS_varpro_preconditioner << "\n";
      return 2;
    }
    if (!ceres_varpro::StringToReducedLinearSolverType(
            FLAGS_varpro_linear_solver,
            &varpro_options.reduced_linear_solver_type)) {
      std::cerr << "swap_in_bench: unknown --varpro_linear_solver "
                << FLAGS_varpro_linear_solver << "\n";
      return 2;
    }
    const double start = Now();
    if (FLAGS_solver == "varpro_ceres") {
      ceres_varpro::SolveWithCeres(varpro_options, p.problem.get(), &summary);
    } else {
      ceres_varpro::Solve(varpro_options, p.problem.get(), &summary);
    }
    wall = Now() - start;
  }
  if (FLAGS_full_report) std::cerr << summary.FullReport() << "\n";

  // JSON on stdout.
  int iterations = 0;
  for (const auto& it : summary.iterations) {
    iterations = std::max(iterations, it.iteration);
  }
  std::ostringstream json;
  json << "{\"family\": " << Quote(p.family)
       << ", \"input\": " << Quote(FLAGS_input)
       << ", \"solver\": " << Quote(FLAGS_solver) << ", \"configuration\": "
       << Quote(FLAGS_solver == "varpro"
                    ? std::string(ReducedLinearSolverTypeToString(
                          summary.varpro.linear_solver_used)) +
                          "/" +
                          ReducedPreconditionerTypeToString(
                              summary.varpro.preconditioner_used)
                    : linear_solver +
                          (options.linear_solver_type == ceres::ITERATIVE_SCHUR
                               ? "+" + FLAGS_preconditioner
                               : std::string()))
       << ", \"num_threads\": " << FLAGS_num_threads
       << ", \"tight\": " << (FLAGS_tight ? "true" : "false")
       << ", \"max_num_iterations\": " << options.max_num_iterations
       << ", \"initial_cost\": " << Number(summary.initial_cost)
       << ", \"final_cost\": " << Number(summary.final_cost)
       << ", \"iterations\": " << iterations
       << ", \"wall_time\": " << Number(wall) << ", \"termination\": "
       << Quote(ceres::TerminationTypeToString(summary.termination_type))
       << ", \"usable\": " << (summary.IsSolutionUsable() ? "true" : "false")
       << ", \"message\": " << Quote(summary.message);
  if (FLAGS_solver == "varpro") {
    const auto& v = summary.varpro;
    json << ", \"varpro\": {\"regime\": "
         << Quote(EliminationRegimeToString(v.regime))
         << ", \"gram_factorizations\": " << v.num_gram_factorizations
         << ", \"preconditioner_factorizations\": "
         << v.num_preconditioner_factorizations
         << ", \"cg_iterations\": " << v.num_cg_iterations
         << ", \"inner_iterations\": " << v.num_inner_iterations
         << ", \"evaluations\": " << v.num_evaluations
         << ", \"analysis\": " << Number(v.analysis_time_in_seconds)
         << ", \"factorization\": " << Number(v.factorization_time_in_seconds)
         << ", \"evaluation\": " << Number(v.evaluation_time_in_seconds)
         << ", \"elimination\": " << Number(v.elimination_time_in_seconds)
         << ", \"linear_solver\": " << Number(v.linear_solver_time_in_seconds)
         << "}";
  }
  // Trace of accepted iterations: (cumulative time, cost).
  json << ", \"trace\": [";
  bool first = true;
  for (const auto& it : summary.iterations) {
    if (!it.step_is_successful) continue;
    json << (first ? "" : ", ") << "[" << Number(it.cumulative_time_in_seconds)
         << ", " << Number(it.cost) << "]";
    first = false;
  }
  json << "]}";
  std::cout << json.str() << std::endl;
  return summary.IsSolutionUsable() ? 0 : 1;
}

}  // namespace
}  // namespace ceres_varpro::bench

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "swap_in_bench --input=FILE --solver=varpro|varpro_ceres|ceres [--tight] "
      "[--linear_solver=...]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  return ceres_varpro::bench::Run();
}
