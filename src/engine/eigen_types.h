#ifndef CERES_VARPRO_ENGINE_EIGEN_TYPES_H_
#define CERES_VARPRO_ENGINE_EIGEN_TYPES_H_

#include "Eigen/Core"

namespace ceres_varpro::internal {

// Jacobian cells and the engine's small dense blocks are row-major, as Ceres
// stores them; these views read and write them in place.
using RowMajorMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixRef = Eigen::Map<RowMajorMatrix>;
using ConstMatrixRef = Eigen::Map<const RowMajorMatrix>;
using VectorRef = Eigen::Map<Eigen::VectorXd>;
using ConstVectorRef = Eigen::Map<const Eigen::VectorXd>;

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_EIGEN_TYPES_H_
