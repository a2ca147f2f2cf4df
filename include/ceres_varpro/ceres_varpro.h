#ifndef CERES_VARPRO_CERES_VARPRO_H_
#define CERES_VARPRO_CERES_VARPRO_H_

// Umbrella header: everything a user of ceres_varpro needs, as ceres/ceres.h
// is for Ceres.
#include "ceres_varpro/ceres_native_problem.h"
#include "ceres_varpro/solver.h"
#include "ceres_varpro/types.h"
#include "ceres_varpro/version.h"

#endif  // CERES_VARPRO_CERES_VARPRO_H_
