#ifndef CERES_VARPRO_SLAM_SLAM_CERTIFIER_H_
#define CERES_VARPRO_SLAM_SLAM_CERTIFIER_H_

#include <memory>
#include <string>

#include "Eigen/Core"
#include "Eigen/SparseCore"
#include "ceres_varpro/slam/slam_data_matrix.h"

namespace ceres_varpro {

struct CertificateOptions {
  // η = relative_tolerance · ‖Q‖₂: X is certified when λ_min(S) > -η. Scaled
  // by ‖Q‖₂ so the test does not depend on the units of the weights; small
  // enough that a first-order critical point found to the staircase's
  // gradient tolerance passes (docs/certifiable.md §3).
  double relative_tolerance = 1e-8;
  // After certifying, the verified lower bound on λ_min is tightened by
  // factors of 10 up to this many times (one factorisation each), for a
  // tighter lower bound on the optimum.
  int num_bound_refinements = 6;
  // Lanczos (Spectra) on (S - σI)⁻¹: basis size, restarts, and the relative
  // accuracy of the eigenvalue of the inverse.
  int lanczos_vectors = 20;
  int max_lanczos_restarts = 300;
  double lanczos_tolerance = 1e-8;

  bool IsValid(std::string* error) const;
};

// The result of checking the first-order point X of the lifted problem.
struct Certificate {
  // λ_min(S) > -tolerance, verified by a Cholesky factorisation.
  bool certified = false;
  double q_norm = 0.0;     // ‖Q‖₂ = λ_max(Q), a Lanczos estimate.
  double tolerance = 0.0;  // η.
  // A Lanczos estimate of λ_min(S) and its unit eigenvector (N entries);
  // NaN and empty if Lanczos did not converge.
  double lambda_min = 0.0;
  Eigen::VectorXd eigenvector;
  // Verified by a Cholesky factorisation of the matrix K(σ) below:
  // λ_min(S) > lambda_min_lower_bound.
  double lambda_min_lower_bound = 0.0;
  // f(X) = ½ tr(Q XᵀX) = ½ tr(Λ(X)).
  double objective = 0.0;
  // f(X) + ½ N min(λ_lb, 0): Λ(X) + λ_lb·I is feasible for the dual of the
  // relaxation, so this bounds the relaxation's minimum, and therefore the
  // rank-d minimum, from below.
  double lower_bound = 0.0;
  int num_factorizations = 0;
  int num_lanczos_products = 0;
  double time_in_seconds = 0.0;
};

// The global-optimality certificate of the lifted SLAM problem
// (docs/certifiable.md §3). At X ∈ R^{r×N} with blocks on St(d, r) and S^{r-1},
//   Λ(X) = SymBlockDiag(XᵀX Q)     (d×d per pose, 1×1 per bearing)
//   S(X) = Q - Λ(X)                (S Xᵀ = 0 at a first-order critical point)
// and S(X) ⪰ 0 proves that XᵀX solves the semidefinite relaxation.
//
// S - σI ≻ 0 is tested exactly, without forming the dense Q, by a sparse
// Cholesky factorisation of
//   K(σ) = [ M_XX - Λ - σI   M_Xp ]
//          [ M_pX            M_pp ]
// whose Schur complement on the positions is S - σI (M_pp ≻ 0): K(σ) ≻ 0
// ⇔ λ_min(S) > σ. The same factor applies (S - σI)⁻¹, so Lanczos on it
// (Spectra) finds λ_min(S) and its eigenvector in few iterations once σ is
// just below λ_min.
class SlamCertifier {
 public:
  // `data` must outlive the certifier.
  explicit SlamCertifier(const SlamDataMatrix* data);
  ~SlamCertifier();

  // λ_max(Q), computed on first use and cached.
  double QNorm();
  // Λ(X) as a block-diagonal N×N matrix.
  Eigen::SparseMatrix<double> Lambda(const Eigen::MatrixXd& x) const;
  // S(X)·v.
  Eigen::VectorXd MultiplyS(const Eigen::MatrixXd& x,
                            const Eigen::VectorXd& v) const;

  // False (with the reason) only if no factorisation succeeds or the
  // options are invalid.
  bool Certify(const Eigen::MatrixXd& x, const CertificateOptions& options,
               Certificate* certificate, std::string* error);

 private:
  struct Factorization;
  // Factors K(σ) for Λ; false if it is not positive definite.
  bool Factor(const Eigen::SparseMatrix<double>& lambda, double sigma,
              Factorization* factorization);
  // Certify's stages: the verified shift *verified (false, with the reason,
  // if no shift factors), then the Lanczos estimate of λ_min, which may
  // tighten it.
  bool VerifyShift(const Eigen::SparseMatrix<double>& lambda,
                   const CertificateOptions& options, Certificate* c,
                   double* verified, std::string* error);
  void EstimateLambdaMin(const Eigen::SparseMatrix<double>& lambda,
                         const CertificateOptions& options, Certificate* c,
                         double* verified);

  const SlamDataMatrix* data_;
  double q_norm_ = -1.0;
  Eigen::SparseMatrix<double> k0_;  // K(0) with Λ = 0, block-diagonal pattern.
  bool analyzed_ = false;
  std::unique_ptr<Factorization> factorization_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_SLAM_CERTIFIER_H_
