#include "ceres_varpro/slam/stiefel_manifold.h"

#include <algorithm>
#include <cmath>

#include "Eigen/Core"
#include "Eigen/Eigenvalues"
#include "Eigen/LU"
#include "Eigen/QR"
#include "glog/logging.h"

namespace ceres_varpro {
namespace {

using ConstMatrixMap = Eigen::Map<const Eigen::MatrixXd>;

// Orthonormal basis of the complement of Y's columns (r x (r-d)).
Eigen::MatrixXd Complement(const ConstMatrixMap& y) {
  const int r = static_cast<int>(y.rows()), d = static_cast<int>(y.cols());
  if (r == d) return Eigen::MatrixXd(r, 0);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(y);
  const Eigen::MatrixXd q = qr.householderQ();
  return q.rightCols(r - d);
}

// The tangent vector V = YΩ + Y⊥K of coordinates δ.
Eigen::MatrixXd TangentVector(const ConstMatrixMap& y, const double* delta) {
  const int r = static_cast<int>(y.rows()), d = static_cast<int>(y.cols());
  Eigen::MatrixXd omega = Eigen::MatrixXd::Zero(d, d);
  int k = 0;
  for (int a = 0; a < d; ++a) {
    for (int b = a + 1; b < d; ++b, ++k) {
      omega(b, a) = delta[k];
      omega(a, b) = -delta[k];
    }
  }
  Eigen::MatrixXd v = y * omega;
  if (r > d) {
    const ConstMatrixMap kmat(delta + k, r - d, d);
    v += Complement(y) * kmat;
  }
  return v;
}

// Coordinates of the tangent part of an ambient direction Δ at Y:
// ω_k = Ω(b, a) with Ω = skew(YᵀΔ), and K = Y⊥ᵀΔ.
void TangentCoordinates(const ConstMatrixMap& y, const Eigen::MatrixXd& dir,
                        double* delta) {
  const int r = static_cast<int>(y.rows()), d = static_cast<int>(y.cols());
  const Eigen::MatrixXd ytd = y.transpose() * dir;
  int k = 0;
  for (int a = 0; a < d; ++a) {
    for (int b = a + 1; b < d; ++b, ++k) {
      delta[k] = 0.5 * (ytd(b, a) - ytd(a, b));
    }
  }
  if (r > d) {
    Eigen::Map<Eigen::MatrixXd>(delta + k, r - d, d) =
        Complement(y).transpose() * dir;
  }
}

}  // namespace

StiefelManifold::StiefelManifold(int rows, int columns)
    : rows_(rows), columns_(columns) {
  CHECK_GE(columns, 1);
  CHECK_GE(rows, columns);
}

bool StiefelManifold::Plus(const double* x, const double* delta,
                           double* x_plus_delta) const {
  const ConstMatrixMap y(x, rows_, columns_);
  const Eigen::MatrixXd a = y + TangentVector(y, delta);
  // polar(A) = A (AᵀA)^{-1/2}.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(a.transpose() * a);
  if (eig.info() != Eigen::Success || !(eig.eigenvalues().minCoeff() > 0.0)) {
    return false;
  }
  const Eigen::VectorXd inv_sqrt = eig.eigenvalues().cwiseSqrt().cwiseInverse();
  Eigen::Map<Eigen::MatrixXd>(x_plus_delta, rows_, columns_) =
      a * (eig.eigenvectors() * inv_sqrt.asDiagonal() *
           eig.eigenvectors().transpose());
  return true;
}

bool StiefelManifold::PlusJacobian(const double* x, double* jacobian) const {
  const int r = rows_, d = columns_, n = TangentSize();
  const ConstMatrixMap y(x, r, d);
  std::fill(jacobian, jacobian + r * d * n, 0.0);
  // Row (i + r·c) is ambient entry Y(i, c).
  auto at = [&](int i, int c, int k) -> double& {
    return jacobian[(i + r * c) * n + k];
  };
  int k = 0;
  for (int a = 0; a < d; ++a) {
    for (int b = a + 1; b < d; ++b, ++k) {
      // Y(e_b e_aᵀ - e_a e_bᵀ): column a gets Y's column b, column b gets
      // minus column a.
      for (int i = 0; i < r; ++i) {
        at(i, a, k) = y(i, b);
        at(i, b, k) = -y(i, a);
      }
    }
  }
  if (r > d) {
    const Eigen::MatrixXd perp = Complement(y);
    for (int q = 0; q < d; ++q) {
      for (int p = 0; p < r - d; ++p, ++k) {
        for (int i = 0; i < r; ++i) at(i, q, k) = perp(i, p);
      }
    }
  }
  return true;
}

bool StiefelManifold::Minus(const double* y, const double* x,
                            double* y_minus_x) const {
  const int d = columns_;
  const ConstMatrixMap base(x, rows_, d);
  const ConstMatrixMap z(y, rows_, d);
  // (I ⊗ B + B ⊗ I) vec(S) = 2 vec(I), B = YᵀZ.
  const Eigen::MatrixXd b = base.transpose() * z;
  const Eigen::MatrixXd id = Eigen::MatrixXd::Identity(d, d);
  Eigen::MatrixXd lyapunov = Eigen::MatrixXd::Zero(d * d, d * d);
  for (int i = 0; i < d; ++i) {
    for (int j = 0; j < d; ++j) {
      lyapunov.block(i * d, j * d, d, d) += id(i, j) * b;
      lyapunov.block(i * d, j * d, d, d) += b(i, j) * id;
    }
  }
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(lyapunov);
  if (!lu.isInvertible()) return false;
  const Eigen::VectorXd rhs =
      2.0 * Eigen::Map<const Eigen::VectorXd>(id.data(), d * d);
  const Eigen::VectorXd s_vec = lu.solve(rhs);
  Eigen::MatrixXd s = Eigen::Map<const Eigen::MatrixXd>(s_vec.data(), d, d);
  s = 0.5 * (s + s.transpose()).eval();
  // Z is the polar retraction of Y + V only when S is positive definite.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(
      s, Eigen::EigenvaluesOnly);
  if (!(eig.eigenvalues().minCoeff() > 0.0)) return false;
  TangentCoordinates(base, z * s - base, y_minus_x);
  return true;
}

bool StiefelManifold::MinusJacobian(const double* x, double* jacobian) const {
  const int r = rows_, d = columns_;
  const int na = r * d;
  const ConstMatrixMap y(x, r, d);
  std::fill(jacobian, jacobian + TangentSize() * na, 0.0);
  int k = 0;
  for (int a = 0; a < d; ++a) {
    for (int b = a + 1; b < d; ++b, ++k) {
      // ω_k = ½ (Y_bᵀ Δ_a - Y_aᵀ Δ_b).
      for (int i = 0; i < r; ++i) {
        jacobian[k * na + i + r * a] = 0.5 * y(i, b);
        jacobian[k * na + i + r * b] = -0.5 * y(i, a);
      }
    }
  }
  if (r > d) {
    const Eigen::MatrixXd perp = Complement(y);
    for (int q = 0; q < d; ++q) {
      for (int p = 0; p < r - d; ++p, ++k) {
        for (int i = 0; i < r; ++i) jacobian[k * na + i + r * q] = perp(i, p);
      }
    }
  }
  return true;
}

}  // namespace ceres_varpro
