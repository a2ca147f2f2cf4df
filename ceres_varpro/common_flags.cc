// Flags shared by every command that solves something.
#include "common_flags.h"

#include "ceres/types.h"
#include "gflags/gflags.h"

DEFINE_int32(num_threads, 2,
             "Threads for evaluation and linear algebra (both solvers).");
DEFINE_int32(max_num_iterations, 200, "Maximum trust-region iterations.");
DEFINE_double(function_tolerance, 1e-6,
              "Ceres's function_tolerance, for both solvers.");
DEFINE_double(gradient_tolerance, 1e-10,
              "Ceres's gradient_tolerance, for both solvers.");
DEFINE_double(parameter_tolerance, 1e-8,
              "Ceres's parameter_tolerance, for both solvers.");
DEFINE_double(max_solver_time, 1e9, "Wall-time limit per solve, in seconds.");
DEFINE_bool(progress, true, "Print Ceres-style per-iteration progress lines.");
DEFINE_string(report, "brief",
              "Report printed after each solve: full, brief or none.");
DEFINE_string(json, "",
              "Write machine-readable results to this file (atomically).");
DEFINE_string(plot, "",
              "Write a picture of the solution as SVG (atomically). slam: the "
              "initial and optimised trajectories seen from above, loop "
              "closures faint, landmarks as points; ba: a top view of the "
              "cameras and points.");
DEFINE_string(
    input, "",
    "The problem file (slam: .g2o, TORO .graph/.txt, .pyfg; ba: BAL).");
DEFINE_string(
    solver, "both",
    "varpro (ceres_varpro::Solve), ceres (stock ceres::Solve), both (the two "
    "from the same start); ba also accepts varpro_ceres (Ceres-native VarPro: "
    "ceres::Solve on the reduced problem).");
DEFINE_string(
    output, "",
    "Output file, written atomically: slam/ba the solution in the input's "
    "format (the first solver's result when several run); generate the "
    "generated problem");
DEFINE_string(
    linear_solver, "",
    "Stock Ceres's linear solver (any ceres::LinearSolverType name; ba's "
    "varpro_ceres uses it too). Empty: slam sparse_normal_cholesky, ba "
    "sparse_schur.");
DEFINE_string(preconditioner, "jacobi",
              "Stock Ceres's preconditioner for iterative linear solvers "
              "(any ceres::PreconditionerType name, e.g. schur_jacobi).");
DEFINE_string(
    varpro_linear_solver, "auto",
    "VarPro's reduced linear solver: auto, iterative, dense, sparse_joint.");
DEFINE_string(varpro_preconditioner, "auto",
              "VarPro's preconditioner: auto, block_jacobi, schur_jacobi, "
              "joint_cholesky.");

namespace ceres_varpro::tools {

void ApplyCommonFlags(ceres::Solver::Options* options) {
  options->num_threads = FLAGS_num_threads;
  options->max_num_iterations = FLAGS_max_num_iterations;
  options->function_tolerance = FLAGS_function_tolerance;
  options->gradient_tolerance = FLAGS_gradient_tolerance;
  options->parameter_tolerance = FLAGS_parameter_tolerance;
  options->max_solver_time_in_seconds = FLAGS_max_solver_time;
  options->minimizer_progress_to_stdout = FLAGS_progress;
  options->logging_type = ceres::SILENT;
}

bool ValidateCommonFlags(std::string* error) {
  if (FLAGS_num_threads < 1) {
    *error = "--num_threads must be at least 1";
    return false;
  }
  if (FLAGS_max_num_iterations < 0) {
    *error = "--max_num_iterations must not be negative";
    return false;
  }
  if (FLAGS_report != "full" && FLAGS_report != "brief" &&
      FLAGS_report != "none") {
    *error = "--report must be full, brief or none";
    return false;
  }
  return true;
}

bool ApplySolverFlags(const std::string& default_linear_solver,
                      ceres::Solver::Options* ceres_options,
                      Solver::Options* varpro_options, std::string* error) {
  ApplyCommonFlags(ceres_options);
  const std::string& linear_solver =
      FLAGS_linear_solver.empty() ? default_linear_solver : FLAGS_linear_solver;
  if (!ceres::StringToLinearSolverType(linear_solver,
                                       &ceres_options->linear_solver_type)) {
    *error = "unknown --linear_solver " + linear_solver;
    return false;
  }
  if (!ceres::StringToPreconditionerType(FLAGS_preconditioner,
                                         &ceres_options->preconditioner_type)) {
    *error = "unknown --preconditioner " + FLAGS_preconditioner;
    return false;
  }
  static_cast<ceres::Solver::Options&>(*varpro_options) = *ceres_options;
  if (!StringToReducedLinearSolverType(
          FLAGS_varpro_linear_solver,
          &varpro_options->reduced_linear_solver_type)) {
    *error = "unknown --varpro_linear_solver " + FLAGS_varpro_linear_solver;
    return false;
  }
  if (!StringToReducedPreconditionerType(
          FLAGS_varpro_preconditioner,
          &varpro_options->reduced_preconditioner_type)) {
    *error = "unknown --varpro_preconditioner " + FLAGS_varpro_preconditioner;
    return false;
  }
  return true;
}

const std::string& JsonPath() { return FLAGS_json; }
const std::string& ReportKind() { return FLAGS_report; }

}  // namespace ceres_varpro::tools
