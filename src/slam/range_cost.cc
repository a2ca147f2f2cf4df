#include "ceres_varpro/slam/range_cost.h"

#include <algorithm>

#include "ceres/sphere_manifold.h"
#include "ceres_varpro/slam/unit_circle_manifold.h"
#include "glog/logging.h"

namespace ceres_varpro {
namespace {

// value · I into a row-major d x d Jacobian block, if requested.
template <int kDim>
void SetScaledIdentity(double value, double* jacobian) {
  if (jacobian == nullptr) return;
  std::fill(jacobian, jacobian + kDim * kDim, 0.0);
  for (int a = 0; a < kDim; ++a) jacobian[a * kDim + a] = value;
}

}  // namespace

template <int kDim>
RangeCost<kDim>::RangeCost(double range, double sigma) : range_(range) {
  CHECK_GT(sigma, 0.0);
  inverse_sigma_ = 1.0 / sigma;
}

template <int kDim>
bool RangeCost<kDim>::Evaluate(double const* const* parameters,
                               double* residuals, double** jacobians) const {
  const double* ti = parameters[0];
  const double* tj = parameters[1];
  const double* b = parameters[2];
  for (int a = 0; a < kDim; ++a) {
    residuals[a] = inverse_sigma_ * (ti[a] - tj[a] - range_ * b[a]);
  }
  if (jacobians == nullptr) return true;
  SetScaledIdentity<kDim>(inverse_sigma_, jacobians[0]);
  SetScaledIdentity<kDim>(-inverse_sigma_, jacobians[1]);
  SetScaledIdentity<kDim>(-range_ * inverse_sigma_, jacobians[2]);
  return true;
}

template <int kDim>
RangeToKnownPointCost<kDim>::RangeToKnownPointCost(const Vector& point,
                                                   double range, double sigma)
    : point_(point), range_(range) {
  CHECK_GT(sigma, 0.0);
  inverse_sigma_ = 1.0 / sigma;
}

template <int kDim>
bool RangeToKnownPointCost<kDim>::Evaluate(double const* const* parameters,
                                           double* residuals,
                                           double** jacobians) const {
  const double* ti = parameters[0];
  const double* b = parameters[1];
  for (int a = 0; a < kDim; ++a) {
    residuals[a] = inverse_sigma_ * (ti[a] - point_[a] - range_ * b[a]);
  }
  if (jacobians == nullptr) return true;
  SetScaledIdentity<kDim>(inverse_sigma_, jacobians[0]);
  SetScaledIdentity<kDim>(-range_ * inverse_sigma_, jacobians[1]);
  return true;
}

ceres::Manifold* CreateUnitBearingManifold(int dimension) {
  CHECK(dimension == 2 || dimension == 3) << "dimension " << dimension;
  if (dimension == 3) return new ceres::SphereManifold<3>;
  return new UnitCircleManifold;
}

template class RangeCost<2>;
template class RangeCost<3>;
template class RangeToKnownPointCost<2>;
template class RangeToKnownPointCost<3>;

}  // namespace ceres_varpro
