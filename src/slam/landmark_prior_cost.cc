#include "ceres_varpro/slam/landmark_prior_cost.h"

namespace ceres_varpro {

template <int kDim>
bool LandmarkPriorCost<kDim>::Evaluate(double const* const* parameters,
                                       double* residuals,
                                       double** jacobians) const {
  const Eigen::Map<const Vector> l(parameters[0]);
  Eigen::Map<Vector> r(residuals);
  r = sqrt_information_ * (l - prior_position_);
  if (jacobians != nullptr && jacobians[0] != nullptr) {
    Eigen::Map<Eigen::Matrix<double, kDim, kDim, Eigen::RowMajor>> j(
        jacobians[0]);
    j = sqrt_information_;
  }
  return true;
}

template class LandmarkPriorCost<2>;
template class LandmarkPriorCost<3>;

}  // namespace ceres_varpro
