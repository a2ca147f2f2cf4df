#include "ceres_varpro/slam/slam_certifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "Eigen/SparseCholesky"
#include "Spectra/SymEigsSolver.h"
#include "glog/logging.h"

namespace ceres_varpro {

bool CertificateOptions::IsValid(std::string* error) const {
  if (!(relative_tolerance > 0.0 && relative_tolerance < 1.0)) {
    *error = "relative_tolerance must be in (0, 1)";
    return false;
  }
  if (num_bound_refinements < 0) {
    *error = "num_bound_refinements must not be negative";
    return false;
  }
  if (lanczos_vectors < 2) {
    *error = "lanczos_vectors must be at least 2";
    return false;
  }
  if (max_lanczos_restarts < 1) {
    *error = "max_lanczos_restarts must be at least 1";
    return false;
  }
  if (!(lanczos_tolerance > 0.0 && lanczos_tolerance < 1.0)) {
    *error = "lanczos_tolerance must be in (0, 1)";
    return false;
  }
  return true;
}

struct SlamCertifier::Factorization {
  Eigen::SimplicialLLT<Eigen::SparseMatrix<double>, Eigen::Lower> llt;
  double sigma = 0.0;
  bool valid = false;  // llt holds a positive definite K(sigma).
};

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// Spectra operators: y = Q x, and y = (S - σI)⁻¹ x through K(σ)'s factor.
class QOperator {
 public:
  using Scalar = double;
  explicit QOperator(const SlamDataMatrix* data) : data_(data) {}
  Eigen::Index rows() const { return data_->num_columns(); }
  Eigen::Index cols() const { return data_->num_columns(); }
  void perform_op(const double* x_in, double* y_out) const {
    const Eigen::Map<const Eigen::VectorXd> x(x_in, rows());
    Eigen::Map<Eigen::VectorXd>(y_out, rows()) =
        data_->MultiplyQ(Eigen::MatrixXd(x));
  }

 private:
  const SlamDataMatrix* data_;
};

template <typename Llt>
class ShiftInvertOperator {
 public:
  using Scalar = double;
  ShiftInvertOperator(const Llt* llt, int n_x, int n_total, int* count)
      : llt_(llt), n_x_(n_x), n_total_(n_total), count_(count) {}
  Eigen::Index rows() const { return n_x_; }
  Eigen::Index cols() const { return n_x_; }
  void perform_op(const double* x_in, double* y_out) const {
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n_total_);
    rhs.head(n_x_) = Eigen::Map<const Eigen::VectorXd>(x_in, n_x_);
    const Eigen::VectorXd solution = llt_->solve(rhs);
    Eigen::Map<Eigen::VectorXd>(y_out, n_x_) = solution.head(n_x_);
    ++*count_;
  }

 private:
  const Llt* llt_;
  int n_x_, n_total_;
  int* count_;
};

// The largest eigenpair of a symmetric operator by Lanczos; false if it does
// not converge (or Spectra rejects the sizes).
template <typename Op>
bool LargestEigenpair(Op* op, int lanczos_vectors, int max_restarts,
                      double tolerance, double* value,
                      Eigen::VectorXd* vector) {
  const int n = static_cast<int>(op->rows());
  const int ncv = std::min(lanczos_vectors, n);
  if (ncv < 2) return false;
  try {
    Spectra::SymEigsSolver<Op> solver(*op, 1, ncv);
    solver.init();
    solver.compute(Spectra::SortRule::LargestAlge, max_restarts, tolerance);
    if (solver.info() != Spectra::CompInfo::Successful) return false;
    *value = solver.eigenvalues()[0];
    if (vector != nullptr) *vector = solver.eigenvectors(1).col(0);
  } catch (const std::exception& e) {
    LOG(WARNING) << "Lanczos failed: " << e.what();
    return false;
  }
  return true;
}

// Gershgorin's bound on the eigenvalues' magnitude of a symmetric matrix:
// the largest absolute column sum.
double MaxAbsColumnSum(const Eigen::SparseMatrix<double>& m) {
  double value = 0.0;
  for (int c = 0; c < m.outerSize(); ++c) {
    double sum = 0.0;
    for (Eigen::SparseMatrix<double>::InnerIterator it(m, c); it; ++it) {
      sum += std::abs(it.value());
    }
    value = std::max(value, sum);
  }
  return value;
}

}  // namespace

SlamCertifier::SlamCertifier(const SlamDataMatrix* data)
    : data_(data), factorization_(std::make_unique<Factorization>()) {
  CHECK(data != nullptr);
  // K(0) with explicit zeros on the block diagonal, where Λ and σI go: every
  // K(σ) then has exactly this pattern and one symbolic analysis serves all.
  const int n_x = data->num_columns();
  const int n_p = static_cast<int>(data->m_pp().rows());
  const int d = data->dimension();
  std::vector<Eigen::Triplet<double>> t;
  auto append = [&](const Eigen::SparseMatrix<double>& m, int row0, int col0) {
    for (int c = 0; c < m.outerSize(); ++c) {
      for (Eigen::SparseMatrix<double>::InnerIterator it(m, c); it; ++it) {
        t.emplace_back(row0 + it.row(), col0 + c, it.value());
      }
    }
  };
  append(data->m_xx(), 0, 0);
  append(data->m_xp(), 0, n_x);
  append(Eigen::SparseMatrix<double>(data->m_xp().transpose()), n_x, 0);
  append(data->m_pp(), n_x, n_x);
  for (int i = 0; i < data->num_poses(); ++i) {
    for (int a = 0; a < d; ++a) {
      for (int b = 0; b < d; ++b) t.emplace_back(d * i + a, d * i + b, 0.0);
    }
  }
  for (int k = 0; k < data->num_bearings(); ++k) {
    const int c = data->BearingColumn(k);
    t.emplace_back(c, c, 0.0);
  }
  k0_.resize(n_x + n_p, n_x + n_p);
  k0_.setFromTriplets(t.begin(), t.end());
  k0_.makeCompressed();
}

SlamCertifier::~SlamCertifier() = default;

double SlamCertifier::QNorm() {
  if (q_norm_ >= 0.0) return q_norm_;
  QOperator op(data_);
  double value = 0.0;
  // A rough estimate is enough: it only scales the tolerance.
  if (!LargestEigenpair(&op, 20, 1000, 1e-4, &value, nullptr)) {
    // Gershgorin's bound on M_XX ⪰ Q instead.
    value = MaxAbsColumnSum(data_->m_xx());
  }
  q_norm_ = std::max(value, std::numeric_limits<double>::min());
  return q_norm_;
}

Eigen::SparseMatrix<double> SlamCertifier::Lambda(
    const Eigen::MatrixXd& x) const {
  const int n_x = data_->num_columns();
  const int d = data_->dimension();
  CHECK_EQ(x.cols(), n_x);
  // (X Q)ᵀ = Q Xᵀ, N×r.
  const Eigen::MatrixXd g = data_->MultiplyQ(x.transpose());
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(
      static_cast<size_t>(d * d * data_->num_poses() + data_->num_bearings()));
  for (int i = 0; i < data_->num_poses(); ++i) {
    const int c = data_->PoseColumn(i);
    const Eigen::MatrixXd block =
        x.middleCols(c, d).transpose() * g.middleRows(c, d).transpose();
    const Eigen::MatrixXd sym = 0.5 * (block + block.transpose());
    for (int a = 0; a < d; ++a) {
      for (int b = 0; b < d; ++b) t.emplace_back(c + a, c + b, sym(a, b));
    }
  }
  for (int k = 0; k < data_->num_bearings(); ++k) {
    const int c = data_->BearingColumn(k);
    t.emplace_back(c, c, x.col(c).dot(g.row(c)));
  }
  Eigen::SparseMatrix<double> lambda(n_x, n_x);
  lambda.setFromTriplets(t.begin(), t.end());
  return lambda;
}

Eigen::VectorXd SlamCertifier::MultiplyS(const Eigen::MatrixXd& x,
                                         const Eigen::VectorXd& v) const {
  return data_->MultiplyQ(v) - Lambda(x) * v;
}

bool SlamCertifier::Factor(const Eigen::SparseMatrix<double>& lambda,
                           double sigma, Factorization* f) {
  const int n_x = data_->num_columns();
  const int n_total = static_cast<int>(k0_.rows());
  std::vector<Eigen::Triplet<double>> t;
  t.reserve(static_cast<size_t>(lambda.nonZeros()) + n_x);
  for (int c = 0; c < lambda.outerSize(); ++c) {
    for (Eigen::SparseMatrix<double>::InnerIterator it(lambda, c); it; ++it) {
      t.emplace_back(it.row(), c, -it.value());
    }
  }
  for (int i = 0; i < n_x; ++i) t.emplace_back(i, i, -sigma);
  Eigen::SparseMatrix<double> shift(n_total, n_total);
  shift.setFromTriplets(t.begin(), t.end());
  const Eigen::SparseMatrix<double> k = k0_ + shift;
  if (!analyzed_) {
    f->llt.analyzePattern(k);
    analyzed_ = true;
  }
  f->llt.factorize(k);
  f->sigma = sigma;
  f->valid = f->llt.info() == Eigen::Success;
  return f->valid;
}

bool SlamCertifier::Certify(const Eigen::MatrixXd& x,
                            const CertificateOptions& options, Certificate* c,
                            std::string* error) {
  if (!options.IsValid(error)) return false;
  const auto start = std::chrono::steady_clock::now();
  const int n_x = data_->num_columns();
  CHECK_EQ(x.cols(), n_x);
  *c = Certificate();
  const Eigen::SparseMatrix<double> lambda = Lambda(x);
  double trace = 0.0;
  for (int i = 0; i < n_x; ++i) trace += lambda.coeff(i, i);
  c->objective = 0.5 * trace;
  c->q_norm = QNorm();
  c->tolerance = options.relative_tolerance * c->q_norm;

  double verified = 0.0;
  if (!VerifyShift(lambda, options, c, &verified, error)) return false;
  EstimateLambdaMin(lambda, options, c, &verified);
  c->lambda_min_lower_bound = verified;
  c->lower_bound = c->objective + 0.5 * n_x * std::min(verified, 0.0);
  c->time_in_seconds = Seconds(start);
  return true;
}

// The verified shift: K(sigma) ≻ 0, so λ_min(S) > sigma. -η first (the
// certificate), tightened by factors of 10; failing that, more negative
// shifts until one factors. On return factorization_ holds K(*verified).
bool SlamCertifier::VerifyShift(const Eigen::SparseMatrix<double>& lambda,
                                const CertificateOptions& options,
                                Certificate* c, double* verified,
                                std::string* error) {
  Factorization* f = factorization_.get();
  *verified = std::numeric_limits<double>::quiet_NaN();
  ++c->num_factorizations;
  if (Factor(lambda, -c->tolerance, f)) {
    c->certified = true;
    *verified = -c->tolerance;
    for (int k = 0; k < options.num_bound_refinements; ++k) {
      ++c->num_factorizations;
      if (!Factor(lambda, *verified / 10.0, f)) break;
      *verified /= 10.0;
    }
  } else {
    // λ_min(S) ≥ λ_min(Q) - max λ(Λ) ≥ -max λ(Λ): the search below ends.
    const double lambda_bound = MaxAbsColumnSum(lambda);
    const double floor = -2.0 * (lambda_bound + c->tolerance) - 1.0;
    for (double sigma = -4.0 * c->tolerance;; sigma *= 4.0) {
      sigma = std::max(sigma, floor);
      ++c->num_factorizations;
      if (Factor(lambda, sigma, f)) {
        *verified = sigma;
        break;
      }
      if (sigma <= floor) {
        *error =
            "no shift made the certificate matrix positive definite (the "
            "positions' block is singular?)";
        return false;
      }
    }
  }
  if (!f->valid || f->sigma != *verified) Factor(lambda, *verified, f);
  return true;
}

// λ_min and its eigenvector: the largest eigenvalue μ of (S - σI)⁻¹ is
// 1/(λ_min - σ), σ = *verified. A converged estimate may then tighten
// *verified.
void SlamCertifier::EstimateLambdaMin(const Eigen::SparseMatrix<double>& lambda,
                                      const CertificateOptions& options,
                                      Certificate* c, double* verified) {
  Factorization* f = factorization_.get();
  const int n_x = data_->num_columns();
  using Llt = decltype(f->llt);
  ShiftInvertOperator<Llt> op(&f->llt, n_x, static_cast<int>(k0_.rows()),
                              &c->num_lanczos_products);
  double mu = 0.0;
  Eigen::VectorXd v;
  bool converged = false;
  for (double tol : {options.lanczos_tolerance, 1e-3}) {
    if (LargestEigenpair(&op, options.lanczos_vectors,
                         options.max_lanczos_restarts, tol, &mu, &v)) {
      converged = mu > 0.0;
      break;
    }
  }
  if (!converged) {
    c->lambda_min = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  c->lambda_min = *verified + 1.0 / mu;
  c->eigenvector = v.normalized();
  // The Ritz value is an upper bound on λ_min, accurate to about
  // tolerance·(λ_min - σ): a shift just below it is usually verified by
  // one more factorisation, which tightens the bound to the estimate.
  const double slack =
      2.0 * options.lanczos_tolerance * (c->lambda_min - *verified) +
      1e-14 * c->q_norm;
  const double tight = c->lambda_min - slack;
  if (tight > *verified) {
    ++c->num_factorizations;
    if (Factor(lambda, tight, f)) *verified = tight;
  }
}

}  // namespace ceres_varpro
