#include "test_util/slam_test_util.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace ceres_varpro::testing {

Eigen::Matrix2d Rotation2(double angle) {
  return Eigen::Rotation2Dd(angle).toRotationMatrix();
}

Eigen::Matrix3d Rotation3(const Eigen::Vector3d& rotation_vector) {
  const double angle = rotation_vector.norm();
  if (angle == 0.0) return Eigen::Matrix3d::Identity();
  return Eigen::AngleAxisd(angle, rotation_vector / angle).toRotationMatrix();
}

bool EvaluateCost(const ceres::CostFunction& cost,
                  const std::vector<std::vector<double>>& parameters,
                  Eigen::VectorXd* residuals,
                  std::vector<Eigen::MatrixXd>* jacobians) {
  const int m = cost.num_residuals();
  const std::vector<int32_t>& sizes = cost.parameter_block_sizes();
  std::vector<const double*> p;
  for (const auto& block : parameters) p.push_back(block.data());
  residuals->resize(m);
  if (jacobians == nullptr) {
    return cost.Evaluate(p.data(), residuals->data(), nullptr);
  }
  // Row-major storage as Ceres writes it, copied into column-major results.
  std::vector<std::vector<double>> storage(sizes.size());
  std::vector<double*> jp;
  for (size_t k = 0; k < sizes.size(); ++k) {
    storage[k].assign(static_cast<size_t>(m) * sizes[k],
                      std::numeric_limits<double>::quiet_NaN());
    jp.push_back(storage[k].data());
  }
  if (!cost.Evaluate(p.data(), residuals->data(), jp.data())) return false;
  jacobians->clear();
  for (size_t k = 0; k < sizes.size(); ++k) {
    jacobians->push_back(
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                                       Eigen::RowMajor>>(storage[k].data(), m,
                                                         sizes[k]));
  }
  return true;
}

std::vector<Eigen::MatrixXd> NumericJacobians(
    const ceres::CostFunction& cost,
    const std::vector<std::vector<double>>& parameters, double relative_step) {
  std::vector<std::vector<double>> x = parameters;
  const int m = cost.num_residuals();
  std::vector<Eigen::MatrixXd> jacobians;
  Eigen::VectorXd plus, minus;
  for (size_t k = 0; k < x.size(); ++k) {
    Eigen::MatrixXd j(m, static_cast<int>(x[k].size()));
    for (size_t c = 0; c < x[k].size(); ++c) {
      const double saved = x[k][c];
      const double h = relative_step * std::max(1.0, std::abs(saved));
      x[k][c] = saved + h;
      EvaluateCost(cost, x, &plus, nullptr);
      x[k][c] = saved - h;
      EvaluateCost(cost, x, &minus, nullptr);
      x[k][c] = saved;
      j.col(static_cast<int>(c)) = (plus - minus) / (2.0 * h);
    }
    jacobians.push_back(j);
  }
  return jacobians;
}

double MaxRelativeJacobianError(
    const ceres::CostFunction& cost,
    const std::vector<std::vector<double>>& parameters, std::string* report) {
  Eigen::VectorXd residuals;
  std::vector<Eigen::MatrixXd> analytic;
  if (!EvaluateCost(cost, parameters, &residuals, &analytic)) {
    *report = "Evaluate failed";
    return std::numeric_limits<double>::infinity();
  }
  const std::vector<Eigen::MatrixXd> numeric =
      NumericJacobians(cost, parameters);
  double worst = 0.0;
  for (size_t k = 0; k < numeric.size(); ++k) {
    const double scale = numeric[k].norm();
    const double error = (analytic[k] - numeric[k]).norm();
    const double relative = scale > 0.0 ? error / scale : error;
    if (!(relative <= worst)) {  // Also catches NaN.
      worst = std::isnan(relative) ? std::numeric_limits<double>::infinity()
                                   : relative;
      std::ostringstream out;
      out << "block " << k << ": relative error " << relative << "\nanalytic:\n"
          << analytic[k] << "\nnumeric:\n"
          << numeric[k];
      *report = out.str();
    }
  }
  return worst;
}

}  // namespace ceres_varpro::testing
