#ifndef CERES_VARPRO_TOOLS_COMMON_FLAGS_H_
#define CERES_VARPRO_TOOLS_COMMON_FLAGS_H_

#include <string>

#include "ceres/solver.h"

namespace ceres_varpro::tools {

// Copies --num_threads, --max_num_iterations, the tolerances, the time limit
// and --progress into options (identical for every solver compared).
void ApplyCommonFlags(ceres::Solver::Options* options);
bool ValidateCommonFlags(std::string* error);
const std::string& JsonPath();
const std::string& ReportKind();

}  // namespace ceres_varpro::tools

#endif  // CERES_VARPRO_TOOLS_COMMON_FLAGS_H_
