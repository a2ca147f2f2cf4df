#ifndef CERES_VARPRO_TOOLS_COMMON_FLAGS_H_
#define CERES_VARPRO_TOOLS_COMMON_FLAGS_H_

#include <string>

#include "ceres/solver.h"
#include "ceres_varpro/solver.h"

namespace ceres_varpro::tools {

// Copies --num_threads, --max_num_iterations, the tolerances, the time limit
// and --progress into options (identical for every solver compared).
void ApplyCommonFlags(ceres::Solver::Options* options);
bool ValidateCommonFlags(std::string* error);
// ApplyCommonFlags, then stock Ceres's --linear_solver (default_linear_solver
// when the flag is empty) and --preconditioner into ceres_options; the same
// options into varpro_options, plus --varpro_linear_solver and
// --varpro_preconditioner. False with a message naming the flag on an
// unknown name.
bool ApplySolverFlags(const std::string& default_linear_solver,
                      ceres::Solver::Options* ceres_options,
                      Solver::Options* varpro_options, std::string* error);
const std::string& JsonPath();
const std::string& ReportKind();

}  // namespace ceres_varpro::tools

#endif  // CERES_VARPRO_TOOLS_COMMON_FLAGS_H_
