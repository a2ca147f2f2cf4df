#ifndef CERES_VARPRO_SLAM_RANGE_COST_H_
#define CERES_VARPRO_SLAM_RANGE_COST_H_

#include "Eigen/Core"
#include "ceres/manifold.h"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// A range r_ij between two positions, with the unit bearing b_ij from j to i
// as its own parameter block on the sphere S^{d-1}:
//   r = (t_i - t_j - r_ij b_ij) / σ              (d residuals)
// Minimising over b gives (‖t_i - t_j‖ - r_ij)²/σ², the usual range error,
// while the positions now enter linearly with constant Jacobians ±I/σ
// (range-aided SLAM, sensor-network localisation: VarPro regime 1).
// Parameter blocks (t_i: d, t_j: d, b_ij: d on CreateUnitBearingManifold(d)).
template <int kDim>
class RangeCost final
    : public ceres::SizedCostFunction<kDim, kDim, kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "2D or 3D");

  // sigma > 0: the range's standard deviation.
  RangeCost(double range, double sigma);
  static ceres::CostFunction* Create(double range, double sigma) {
    return new RangeCost(range, sigma);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  double range_;
  double inverse_sigma_;
};

// A range from position t_i to a known point p (a surveyed beacon):
//   r = (t_i - p - r_i b_i) / σ. Parameter blocks (t_i: d, b_i: d).
template <int kDim>
class RangeToKnownPointCost final
    : public ceres::SizedCostFunction<kDim, kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "2D or 3D");
  using Vector = Eigen::Matrix<double, kDim, 1>;

  RangeToKnownPointCost(const Vector& point, double range, double sigma);
  static ceres::CostFunction* Create(const Vector& point, double range,
                                     double sigma) {
    return new RangeToKnownPointCost(point, range, sigma);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Vector point_;
  double range_;
  double inverse_sigma_;
};

// A new manifold for a unit bearing in R^dimension (2 or 3): Ceres's
// SphereManifold<3>, or UnitCircleManifold in 2D (Ceres 2.1's
// SphereManifold<2> does not compile, and the DYNAMIC one allocates in every
// Plus). The caller (usually a ceres::Problem) takes ownership.
ceres::Manifold* CreateUnitBearingManifold(int dimension);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_RANGE_COST_H_
