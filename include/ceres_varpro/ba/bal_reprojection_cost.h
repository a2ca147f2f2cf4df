#ifndef CERES_VARPRO_BA_BAL_REPROJECTION_COST_H_
#define CERES_VARPRO_BA_BAL_REPROJECTION_COST_H_

#include "ceres/autodiff_cost_function.h"
#include "ceres/rotation.h"

namespace ceres_varpro {

// The BAL camera model: P = R(ω)X + t, p = -P.xy / P.z,
// p' = f (1 + k1‖p‖² + k2‖p‖⁴) p, residual p' - (x, y). Parameter blocks:
// camera (ω, t, f, k1, k2) and point X. Not affine in X: ceres_varpro
// eliminates points with allow_nonlinear_elimination (inner Gauss-Newton).
struct BalReprojectionCost {
  BalReprojectionCost(double observed_x, double observed_y)
      : observed_x(observed_x), observed_y(observed_y) {}

  template <typename T>
  bool operator()(const T* camera, const T* point, T* residuals) const {
    T p[3];
    ceres::AngleAxisRotatePoint(camera, point, p);
    p[0] += camera[3];
    p[1] += camera[4];
    p[2] += camera[5];
    const T xp = -p[0] / p[2];
    const T yp = -p[1] / p[2];
    const T r2 = xp * xp + yp * yp;
    const T distortion = T(1.0) + r2 * (camera[7] + camera[8] * r2);
    residuals[0] = camera[6] * distortion * xp - T(observed_x);
    residuals[1] = camera[6] * distortion * yp - T(observed_y);
    return true;
  }

  static ceres::CostFunction* Create(double observed_x, double observed_y) {
    return new ceres::AutoDiffCostFunction<BalReprojectionCost, 2, 9, 3>(
        new BalReprojectionCost(observed_x, observed_y));
  }

  double observed_x;
  double observed_y;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_BA_BAL_REPROJECTION_COST_H_
