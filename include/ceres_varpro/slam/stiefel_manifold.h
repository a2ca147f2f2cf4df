#ifndef CERES_VARPRO_SLAM_STIEFEL_MANIFOLD_H_
#define CERES_VARPRO_SLAM_STIEFEL_MANIFOLD_H_

#include "ceres/manifold.h"

namespace ceres_varpro {

// The Stiefel manifold St(d, r) = {Y ∈ R^{r×d} : YᵀY = I_d}, r ≥ d ≥ 1, on
// the r·d entries of Y stored column-major. St(d, d) is O(d); St(1, r) is the
// unit sphere S^{r-1}. These are the rotation (and bearing) variables of the
// lifted, rank-relaxed SLAM problems (docs/certifiable.md).
//
// Tangent space at Y: {Y Ω + Y⊥ K}, Ω skew d×d, K (r-d)×d, where Y⊥ is the
// orthonormal complement of Y's columns taken from a Householder QR of Y (a
// deterministic function of Y, so Plus, PlusJacobian, Minus and MinusJacobian
// at the same Y agree). Tangent coordinates, d(d-1)/2 + (r-d)d of them:
//   δ = [ω ; vec(K)],  Ω = Σ_k ω_k (e_b e_aᵀ - e_a e_bᵀ) over the pairs
//   a < b in lexicographic order, vec column-major.
//
//   Plus(Y, δ)  = polar(Y + V) = (Y + V) ((Y + V)ᵀ(Y + V))^{-½},
//                 V = Y Ω + Y⊥ K  (the polar retraction; it also restores
//                 orthonormality lost to rounding).
//   Minus(Z, Y) = the coordinates of the tangent V with polar(Y + V) = Z:
//                 V = Z S - Y with S symmetric solving the Lyapunov equation
//                 (YᵀZ) S + S (YᵀZ)ᵀ = 2I; defined while that equation is
//                 solvable (Z not too far from Y).
// PlusJacobian at δ = 0 maps δ to vec(V); MinusJacobian at Y is the
// orthogonal projection onto the tangent space read in these coordinates
// (Ω = skew(YᵀΔ), K = Y⊥ᵀΔ). Jacobians are row-major, as Ceres expects.
class StiefelManifold final : public ceres::Manifold {
 public:
  // 1 <= columns <= rows (CHECK).
  StiefelManifold(int rows, int columns);

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  int AmbientSize() const override { return rows_ * columns_; }
  int TangentSize() const override {
    return rows_ * columns_ - columns_ * (columns_ + 1) / 2;
  }
  bool Plus(const double* x, const double* delta,
            double* x_plus_delta) const override;
  bool PlusJacobian(const double* x, double* jacobian) const override;
  bool Minus(const double* y, const double* x,
             double* y_minus_x) const override;
  bool MinusJacobian(const double* x, double* jacobian) const override;

 private:
  int rows_;
  int columns_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_STIEFEL_MANIFOLD_H_
