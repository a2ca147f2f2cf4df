#include "ceres_varpro/slam/certifiable.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>

#include "Eigen/Eigenvalues"
#include "Eigen/QR"
#include "ceres/ceres.h"
#include "ceres_varpro/slam/chordal_initialization.h"
#include "ceres_varpro/slam/lifted_slam_problem.h"
#include "ceres_varpro/slam/slam_data_matrix.h"
#include "glog/logging.h"
#include "slam/orthogonal_projection.h"

namespace ceres_varpro {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// Standard normal deviates from std::mt19937_64's specified output
// (Box-Muller), so a seed means the same start everywhere.
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : engine_(seed) {}
  double operator()() {
    const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  std::mt19937_64 engine_;
};

// Every pose block back onto St(d, r) and every bearing onto S^{r-1}.
void Retract(int d, int num_poses, Eigen::MatrixXd* x) {
  for (int i = 0; i < num_poses; ++i) {
    x->middleCols(d * i, d) = ProjectToStiefel(x->middleCols(d * i, d));
  }
  for (int c = d * num_poses; c < x->cols(); ++c) {
    const double norm = x->col(c).norm();
    if (norm > 0.0) {
      x->col(c) /= norm;
    } else {
      x->col(c) = Eigen::VectorXd::Unit(x->rows(), 0);
    }
  }
}

// X ↦ GX with G ∈ O(r) taking pose 0's block to [I; 0]: the gauge of
// LiftedSlamProblem, which holds pose 0 constant. The cost is invariant.
void FixGauge(int d, Eigen::MatrixXd* x) {
  const int r = static_cast<int>(x->rows());
  const Eigen::MatrixXd y0 = x->leftCols(d);
  Eigen::MatrixXd basis(r, r);
  basis.leftCols(d) = y0;
  if (r > d) {
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(y0);
    const Eigen::MatrixXd q = qr.householderQ();
    basis.rightCols(r - d) = q.rightCols(r - d);
  }
  *x = basis.transpose() * *x;
}

// [X; E] retracted, E Gaussian with standard deviation `scale`.
Eigen::MatrixXd Lift(const Eigen::MatrixXd& x, int rank, int d, int num_poses,
                     double scale, Gaussian* gaussian) {
  Eigen::MatrixXd lifted = Eigen::MatrixXd::Zero(rank, x.cols());
  lifted.topRows(x.rows()) = x;
  if (scale > 0.0) {
    for (int c = 0; c < x.cols(); ++c) {
      for (int a = static_cast<int>(x.rows()); a < rank; ++a) {
        lifted(a, c) = scale * (*gaussian)();
      }
    }
  }
  Retract(d, num_poses, &lifted);
  return lifted;
}

// The saddle escape (docs/certifiable.md §4): from a critical X at rank r
// with S v = λ v, λ < 0, step along the new row: [X; 0] + α[0; vᵀ],
// retracted. The first-order change is zero and the second-order one is
// ½ λ α², so backtracking on α from 1 finds a decrease (Armijo with half the
// predicted one). False if none is found.
bool Escape(const SlamDataMatrix& data, const Eigen::MatrixXd& x,
            double objective, const Eigen::VectorXd& v, double lambda,
            Eigen::MatrixXd* next, double* step, double* cost) {
  const int r = static_cast<int>(x.rows());
  for (double alpha = 1.0; alpha > 1e-10; alpha *= 0.5) {
    Eigen::MatrixXd candidate(r + 1, x.cols());
    candidate.topRows(r) = x;
    candidate.row(r) = alpha * v.transpose();
    Retract(data.dimension(), data.num_poses(), &candidate);
    const double f = data.Cost(candidate);
    if (f <= objective + 0.25 * lambda * alpha * alpha) {
      *next = candidate;
      *step = alpha;
      *cost = f;
      return true;
    }
  }
  return false;
}

// Singular values of X (r×N, r small) from the eigenvalues of XXᵀ.
std::vector<double> SingularValues(const Eigen::MatrixXd& x) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(
      x * x.transpose(), Eigen::EigenvaluesOnly);
  std::vector<double> s;
  for (int i = static_cast<int>(eig.eigenvalues().size()) - 1; i >= 0; --i) {
    s.push_back(std::sqrt(std::max(eig.eigenvalues()[i], 0.0)));
  }
  return s;
}

}  // namespace

bool CertifiableOptions::IsValid(std::string* error) const {
  if (initial_rank < 0) {
    *error = "initial_rank must not be negative (0: d + 1)";
    return false;
  }
  if (max_rank < 2 || (initial_rank > 0 && max_rank < initial_rank)) {
    *error = "max_rank must be at least 2 and at least initial_rank";
    return false;
  }
  if (!(lift_perturbation >= 0.0 && lift_perturbation < 1.0)) {
    *error = "lift_perturbation must be in [0, 1)";
    return false;
  }
  if (!(gradient_tolerance >= 0.0) || !(function_tolerance >= 0.0) ||
      !(refinement_gradient_tolerance >= 0.0)) {
    *error =
        "gradient_tolerance, function_tolerance and "
        "refinement_gradient_tolerance must be >= 0";
    return false;
  }
  if (!(polish_threshold >= 0.0) || max_polish_solves < 0) {
    *error = "polish_threshold and max_polish_solves must be >= 0";
    return false;
  }
  if (max_iterations_per_rank < 1 || max_refinement_iterations < 0) {
    *error =
        "max_iterations_per_rank must be positive and "
        "max_refinement_iterations not negative";
    return false;
  }
  if (!(max_solver_time_in_seconds > 0.0)) {
    *error = "max_solver_time_in_seconds must be positive";
    return false;
  }
  if (num_threads < 1) {
    *error = "num_threads must be at least 1";
    return false;
  }
  if (!(target_relative_gap >= 0.0) || !(exactness_tolerance >= 0.0)) {
    *error = "target_relative_gap and exactness_tolerance must be >= 0";
    return false;
  }
  return certificate.IsValid(error);
}

Eigen::MatrixXd RoundToRankD(const Eigen::MatrixXd& x, int d, int num_poses) {
  CHECK_GE(x.rows(), d);
  CHECK_GE(x.cols(), d * num_poses);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(x * x.transpose());
  // Eigenvalues ascend: the top d eigenvectors are the last d columns.
  const Eigen::MatrixXd u = eig.eigenvectors().rightCols(d).rowwise().reverse();
  Eigen::MatrixXd rounded = u.transpose() * x;
  int positive = 0;
  for (int i = 0; i < num_poses; ++i) {
    if (rounded.middleCols(d * i, d).determinant() > 0) ++positive;
  }
  if (2 * positive < num_poses) rounded.row(d - 1) *= -1.0;
  for (int i = 0; i < num_poses; ++i) {
    rounded.middleCols(d * i, d) =
        ProjectToSpecialOrthogonal(rounded.middleCols(d * i, d));
  }
  for (int c = d * num_poses; c < rounded.cols(); ++c) {
    const double norm = rounded.col(c).norm();
    if (norm > 0.0) {
      rounded.col(c) /= norm;
    } else {
      rounded.col(c) = Eigen::VectorXd::Unit(d, 0);
    }
  }
  return rounded;
}

namespace {

// SolveCertifiable's stages, in the order it runs them; each fills its part
// of the summary. A stage that fails records the reason (Fail) and returns
// false, and SolveCertifiable stops there.
class CertifiableRun {
 public:
  CertifiableRun(const CertifiableOptions& options, const SlamGraph& graph,
                 SlamProblem* problem, CertifiableSummary* summary,
                 Clock::time_point start)
      : options_(options),
        graph_(graph),
        problem_(problem),
        s_(*summary),
        start_(start) {}

  // Options, model and state checked against the graph; the data matrix
  // built; the problem's state kept (the rounding's gauge, and the fallback
  // if the refinement fails).
  bool Prepare();
  // The certifier, and the initial point at the initial rank in
  // LiftedSlamProblem's gauge.
  bool Start(Eigen::MatrixXd* x);
  // The Riemannian staircase from *x: the last rank's solution and its
  // certificate.
  bool Staircase(Eigen::MatrixXd* x, Certificate* certificate);
  // The last certificate and the spectrum of its X into the summary.
  void Record(const Certificate& certificate, const Eigen::MatrixXd& x);
  // X rounded to rank d and written into the problem.
  void Round(const Eigen::MatrixXd& x);
  // The local rank-d solve from the rounded point.
  bool Refine();
  // The gaps, exactness and message.
  void Finish();
  // The plain rank-d solve from the problem's start; its solution is kept
  // (and Finish run again) if it ends lower than the refined one.
  void SolveFromStart();

 private:
  bool Fail(const std::string& message);
  // Options of the rank-d solves (refinement and solve from the start).
  Solver::Options RankDOptions(int max_iterations) const;
  // The local solve at `rank` from *x, polished while the certificate is
  // marginal or loose.
  bool SolveAtRank(int rank, Eigen::MatrixXd* x,
                   CertifiableSummary::Stage* stage, Certificate* certificate);
  // One local solve of `lifted` with the given tolerances, into *stage.
  bool LocalSolve(LiftedSlamProblem* lifted, double gradient_tolerance,
                  double function_tolerance, bool first,
                  CertifiableSummary::Stage* stage);
  // True if the certificate is worth a tighter solve at the same rank.
  bool NeedsPolish(const Certificate& certificate) const;
  // True (with the reason flagged) if the staircase ends at `rank`.
  bool Ends(const Certificate& certificate, int rank);
  // The saddle escape to rank + 1; the reason if there is none.
  std::string EscapeFrom(const Certificate& certificate, int rank,
                         Eigen::MatrixXd* x, CertifiableSummary::Stage* stage);

  const CertifiableOptions& options_;
  const SlamGraph& graph_;
  SlamProblem* const problem_;
  CertifiableSummary& s_;
  const Clock::time_point start_;
  SlamDataMatrix data_;
  std::unique_ptr<SlamCertifier> certifier_;  // Of data_, once built.
  int d_ = 0, n_ = 0, num_landmarks_ = 0, m_ = 0, num_columns_ = 0;
  double q_norm_ = 0.0;
  std::vector<double> state_;       // The problem's, then the rounded one.
  std::vector<double> user_state_;  // The problem's as it came.
};

bool CertifiableRun::Fail(const std::string& message) {
  s_.success = false;
  s_.message = message;
  s_.total_time_in_seconds = Seconds(start_);
  return false;
}

bool CertifiableRun::Prepare() {
  std::string error;
  if (!options_.IsValid(&error)) return Fail(error);
  if (problem_->problem() == nullptr ||
      problem_->model() != SlamModel::kIsotropic) {
    return Fail("the problem must be built with SlamModel::kIsotropic");
  }
  if (!data_.Build(graph_, &error)) return Fail(error);
  d_ = graph_.dimension;
  n_ = graph_.num_poses();
  num_landmarks_ = graph_.num_landmarks();
  m_ = data_.num_bearings();
  num_columns_ = data_.num_columns();
  state_ = problem_->State();
  const size_t expected_size =
      static_cast<size_t>(n_) * d_ * d_ +
      static_cast<size_t>(n_ + num_landmarks_ + m_) * d_;
  if (problem_->dimension() != d_ || state_.size() != expected_size) {
    return Fail("the problem was not built from this graph");
  }
  user_state_ = state_;
  s_.dimension = d_;
  s_.initial_rank = options_.initial_rank > 0 ? options_.initial_rank : d_ + 1;
  if (s_.initial_rank < d_ || options_.max_rank < s_.initial_rank) {
    return Fail("the ranks must satisfy d <= initial_rank <= max_rank");
  }
  return true;
}

bool CertifiableRun::Start(Eigen::MatrixXd* x) {
  const Clock::time_point init_start = Clock::now();
  const int d = d_, n = n_;
  certifier_ = std::make_unique<SlamCertifier>(&data_);
  q_norm_ = certifier_->QNorm();
  s_.q_norm = q_norm_;
  CertifiableInitialization init = options_.initialization;
  if (init == CertifiableInitialization::kAuto) {
    init = m_ == 0 ? CertifiableInitialization::kChordal
                   : CertifiableInitialization::kProblemState;
  }
  Gaussian gaussian(options_.seed);
  Eigen::MatrixXd x_d(d, num_columns_);  // The rank-d start, if any.
  bool have_rank_d_start = true;
  if (init == CertifiableInitialization::kChordal) {
    if (m_ > 0) return Fail("the chordal start needs a graph without ranges");
    std::vector<Eigen::MatrixXd> rotations;
    std::string error;
    if (!ChordalRotations(graph_, &rotations, &error)) return Fail(error);
    for (int i = 0; i < n; ++i) x_d.middleCols(d * i, d) = rotations[i];
    s_.initialization = "chordal";
  } else if (init == CertifiableInitialization::kProblemState) {
    for (int i = 0; i < n; ++i) {
      x_d.middleCols(d * i, d) = ProjectToSpecialOrthogonal(
          Eigen::Map<const Eigen::MatrixXd>(&state_[i * d * d], d, d));
    }
    const size_t bearings = static_cast<size_t>(n) * d * d +
                            static_cast<size_t>(n + num_landmarks_) * d;
    for (int k = 0; k < m_; ++k) {
      x_d.col(data_.BearingColumn(k)) =
          Eigen::Map<const Eigen::VectorXd>(&state_[bearings + k * d], d);
    }
    Retract(d, n, &x_d);
    s_.initialization =
        "the problem's values (" + problem_->initialization_used() + ")";
  } else {
    have_rank_d_start = false;
    *x = Eigen::MatrixXd(s_.initial_rank, num_columns_);
    for (int i = 0; i < x->size(); ++i) (*x)(i) = gaussian();
    Retract(d, n, x);
    s_.initialization = "random (seed " + std::to_string(options_.seed) + ")";
  }
  if (have_rank_d_start) {
    s_.initial_cost = data_.Cost(x_d);
    *x =
        Lift(x_d, s_.initial_rank, d, n, options_.lift_perturbation, &gaussian);
  }
  FixGauge(d, x);
  s_.initialization_time_in_seconds = Seconds(init_start);
  return true;
}

bool CertifiableRun::Staircase(Eigen::MatrixXd* x, Certificate* certificate) {
  for (int rank = s_.initial_rank;; ++rank) {
    CertifiableSummary::Stage stage;
    stage.rank = rank;
    if (!SolveAtRank(rank, x, &stage, certificate)) return false;
    s_.certificate_time_in_seconds += certificate->time_in_seconds;
    stage.certificate = *certificate;
    s_.final_rank = rank;
    if (Ends(*certificate, rank)) {
      s_.stages.push_back(stage);
      return true;
    }
    const std::string error = EscapeFrom(*certificate, rank, x, &stage);
    s_.stages.push_back(stage);
    if (!error.empty()) return Fail(error);
  }
}

bool CertifiableRun::SolveAtRank(int rank, Eigen::MatrixXd* x,
                                 CertifiableSummary::Stage* stage,
                                 Certificate* certificate) {
  std::string error;
  LiftedSlamProblem lifted;
  if (!lifted.Build(graph_, rank, &error)) return Fail(error);
  lifted.SetX(*x);
  // Optimal positions, so the solve's initial cost is f(X).
  lifted.SetPositions(data_.OptimalPositions(*x));
  double gradient_tolerance = options_.gradient_tolerance;
  double function_tolerance = options_.function_tolerance;
  for (int polish = 0;; ++polish) {
    if (!LocalSolve(&lifted, gradient_tolerance, function_tolerance,
                    polish == 0, stage)) {
      return false;
    }
    *x = lifted.X();
    if (!certifier_->Certify(*x, options_.certificate, certificate, &error)) {
      return Fail(error);
    }
    if (options_.progress_to_stdout) {
      std::printf(
          "rank %d: cost %.10e, lambda_min %.3e (verified > %.3e, eta "
          "%.3e)%s\n",
          rank, certificate->objective, certificate->lambda_min,
          certificate->lambda_min_lower_bound, certificate->tolerance,
          certificate->certified ? ", certified" : "");
      std::fflush(stdout);
    }
    if (!NeedsPolish(*certificate) || polish >= options_.max_polish_solves ||
        Seconds(start_) >= options_.max_solver_time_in_seconds) {
      return true;
    }
    s_.certificate_time_in_seconds += certificate->time_in_seconds;
    ++stage->polish_solves;
    gradient_tolerance *= 0.01;
    function_tolerance *= 0.01;
  }
}

bool CertifiableRun::LocalSolve(LiftedSlamProblem* lifted,
                                double gradient_tolerance,
                                double function_tolerance, bool first,
                                CertifiableSummary::Stage* stage) {
  const Clock::time_point solve_start = Clock::now();
  Solver::Options solver_options;
  solver_options.linear_parameter_blocks = lifted->linear_blocks();
  solver_options.max_num_iterations = options_.max_iterations_per_rank;
  solver_options.gradient_tolerance = gradient_tolerance * q_norm_;
  solver_options.function_tolerance = function_tolerance;
  solver_options.parameter_tolerance = 1e-15;
  solver_options.num_threads = options_.num_threads;
  solver_options.minimizer_progress_to_stdout = options_.progress_to_stdout;
  solver_options.logging_type = ceres::SILENT;
  solver_options.max_solver_time_in_seconds =
      std::max(1e-3, options_.max_solver_time_in_seconds - Seconds(start_));
  Solver::Summary solve;
  Solve(solver_options, lifted->problem(), &solve);
  const double seconds = Seconds(solve_start);
  stage->solve_time_in_seconds += seconds;
  s_.local_solve_time_in_seconds += seconds;
  if (!solve.IsSolutionUsable()) {
    return Fail("the local solve at rank " + std::to_string(stage->rank) +
                " failed: " + solve.message);
  }
  if (first) stage->initial_cost = solve.initial_cost;
  stage->final_cost = solve.final_cost;
  stage->iterations +=
      solve.iterations.empty() ? 0 : solve.iterations.back().iteration;
  stage->termination = solve.termination_type;
  stage->message = solve.message;
  if (!solve.iterations.empty()) {
    stage->gradient_max_norm = solve.iterations.back().gradient_max_norm;
  }
  return true;
}

// A failure this close to the tolerance may be the local solve's
// inaccuracy rather than a saddle, and a certificate whose bound leaves
// more than target_relative_gap mostly reflects the same inaccuracy (the
// bound is first order in the distance to the critical point): solve on,
// tighter, before escaping or rounding.
bool CertifiableRun::NeedsPolish(const Certificate& certificate) const {
  const bool marginal = !certificate.certified &&
                        certificate.lambda_min >=
                            -options_.polish_threshold * certificate.tolerance;
  const double floor = 1e-12 * 0.5 * num_columns_ * q_norm_;
  const bool loose =
      certificate.certified &&
      certificate.objective - certificate.lower_bound >
          options_.target_relative_gap * certificate.objective &&
      !(certificate.objective <= floor &&
        certificate.objective - certificate.lower_bound <= floor);
  return marginal || loose;
}

bool CertifiableRun::Ends(const Certificate& certificate, int rank) {
  if (certificate.certified) return true;
  if (rank >= options_.max_rank) {
    s_.max_rank_reached = true;
    return true;
  }
  if (Seconds(start_) >= options_.max_solver_time_in_seconds) {
    s_.time_limit_reached = true;
    return true;
  }
  return false;
}

std::string CertifiableRun::EscapeFrom(const Certificate& certificate, int rank,
                                       Eigen::MatrixXd* x,
                                       CertifiableSummary::Stage* stage) {
  if (certificate.eigenvector.size() != num_columns_ ||
      !(certificate.lambda_min < 0.0)) {
    return "no direction of negative curvature was found at rank " +
           std::to_string(rank) +
           " although the certificate failed (Lanczos did not converge)";
  }
  const Clock::time_point escape_start = Clock::now();
  Eigen::MatrixXd next;
  if (!Escape(data_, *x, certificate.objective, certificate.eigenvector,
              certificate.lambda_min, &next, &stage->escape_step,
              &stage->cost_after_escape)) {
    return "the saddle escape found no decrease at rank " +
           std::to_string(rank);
  }
  FixGauge(d_, &next);
  *x = next;
  s_.escape_time_in_seconds += Seconds(escape_start);
  return std::string();
}

void CertifiableRun::Record(const Certificate& certificate,
                            const Eigen::MatrixXd& x) {
  s_.certified = certificate.certified;
  s_.lambda_min = certificate.lambda_min;
  s_.lambda_min_lower_bound = certificate.lambda_min_lower_bound;
  s_.certificate_tolerance = certificate.tolerance;
  s_.relaxation_cost = certificate.objective;
  s_.lower_bound = certificate.lower_bound;
  s_.singular_values = SingularValues(x);
  s_.rank_of_solution = 0;
  for (double value : s_.singular_values) {
    if (value > 1e-6 * s_.singular_values[0]) ++s_.rank_of_solution;
  }
}

// Rounding, in the problem's gauge: pose 0's rotation and translation as
// the user's problem holds them.
void CertifiableRun::Round(const Eigen::MatrixXd& x) {
  const int d = d_, n = n_;
  const Clock::time_point rounding_start = Clock::now();
  Eigen::MatrixXd rounded = RoundToRankD(x, d, n);
  const Eigen::Map<const Eigen::MatrixXd> user_r0(&user_state_[0], d, d);
  const Eigen::MatrixXd frame =
      ProjectToSpecialOrthogonal(user_r0) * rounded.leftCols(d).transpose();
  rounded = frame * rounded;
  Retract(d, n, &rounded);
  Eigen::MatrixXd positions = data_.OptimalPositions(rounded);
  const size_t translations = static_cast<size_t>(n) * d * d;
  const Eigen::VectorXd shift =
      Eigen::Map<const Eigen::VectorXd>(&user_state_[translations], d) -
      positions.col(0);
  positions.colwise() += shift;
  for (int i = 0; i < n; ++i) {
    Eigen::Map<Eigen::MatrixXd>(&state_[i * d * d], d, d) =
        rounded.middleCols(d * i, d);
  }
  Eigen::Map<Eigen::MatrixXd>(&state_[translations], d, n + num_landmarks_) =
      positions;
  // Pose 0 exactly as it was (the frame above reproduces it to rounding).
  std::copy(user_state_.begin(), user_state_.begin() + d * d, state_.begin());
  std::copy(user_state_.begin() + translations,
            user_state_.begin() + translations + d,
            state_.begin() + translations);
  const size_t bearings =
      translations + static_cast<size_t>(n + num_landmarks_) * d;
  for (int k = 0; k < m_; ++k) {
    Eigen::Map<Eigen::VectorXd>(&state_[bearings + k * d], d) =
        rounded.col(data_.BearingColumn(k));
  }
  s_.rounded_cost = data_.Cost(rounded);
  s_.final_cost = s_.rounded_cost;
  s_.rounding_time_in_seconds = Seconds(rounding_start);
  problem_->SetState(state_);
}

Solver::Options CertifiableRun::RankDOptions(int max_iterations) const {
  Solver::Options o;
  o.linear_parameter_blocks = problem_->linear_blocks();
  o.max_num_iterations = max_iterations;
  o.gradient_tolerance = options_.refinement_gradient_tolerance;
  o.function_tolerance = options_.function_tolerance;
  o.parameter_tolerance = 1e-15;
  o.num_threads = options_.num_threads;
  o.minimizer_progress_to_stdout = options_.progress_to_stdout;
  o.logging_type = ceres::SILENT;
  return o;
}

bool CertifiableRun::Refine() {
  const Clock::time_point refine_start = Clock::now();
  Solve(RankDOptions(options_.max_refinement_iterations), problem_->problem(),
        &s_.refinement);
  s_.refinement_time_in_seconds = Seconds(refine_start);
  if (!s_.refinement.IsSolutionUsable()) {
    problem_->SetState(user_state_);
    return Fail("the rank-d refinement failed: " + s_.refinement.message);
  }
  s_.final_cost = s_.refinement.final_cost;
  return true;
}

void CertifiableRun::Finish() {
  // Run again after SolveFromStart keeps a lower point: the message is
  // rebuilt for the returned solution, not appended to the first verdict's.
  s_.message.clear();
  s_.absolute_gap = std::max(s_.final_cost - s_.lower_bound, 0.0);
  s_.relative_gap =
      s_.final_cost > 0.0
          ? s_.absolute_gap / s_.final_cost
          : (s_.absolute_gap > 0.0 ? std::numeric_limits<double>::infinity()
                                   : 0.0);
  // Exact: the rounding lost nothing the tolerance can see. The floor
  // serves problems whose optimum is zero (exact measurements).
  const double floor = 1e-12 * 0.5 * num_columns_ * q_norm_;
  const double excess = s_.final_cost - s_.relaxation_cost;
  const bool exact =
      excess <= options_.exactness_tolerance * std::abs(s_.relaxation_cost) ||
      (s_.relaxation_cost <= floor && excess <= floor);
  s_.globally_optimal = s_.certified && exact;
  s_.success = true;
  if (!s_.certified) {
    if (s_.max_rank_reached) {
      s_.message = "the rank cap " + std::to_string(options_.max_rank) +
                   " was reached without a certificate";
    } else if (s_.time_limit_reached) {
      s_.message = "the time limit was reached without a certificate";
    }
  } else if (!s_.globally_optimal) {
    s_.message = "the relaxation's minimiser has rank " +
                 std::to_string(s_.rank_of_solution) + " > " +
                 std::to_string(d_) +
                 ": rounded and refined, the rank-d solution costs " +
                 Format("%.3e", excess / std::abs(s_.relaxation_cost)) +
                 " (relative) more than the relaxation";
  }
  s_.total_time_in_seconds = Seconds(start_);
}

void CertifiableRun::SolveFromStart() {
  const Clock::time_point solve_start = Clock::now();
  const std::vector<double> refined = problem_->State();
  problem_->SetState(user_state_);
  Solver::Summary summary;
  Solve(RankDOptions(options_.max_iterations_per_rank), problem_->problem(),
        &summary);
  s_.start_solve_time_in_seconds = Seconds(solve_start);
  s_.start_solve_run = summary.IsSolutionUsable();
  if (s_.start_solve_run) s_.start_solve_cost = summary.final_cost;
  s_.start_solve_kept =
      s_.start_solve_run && summary.final_cost < s_.final_cost;
  if (!s_.start_solve_kept) {
    problem_->SetState(refined);
    s_.total_time_in_seconds = Seconds(start_);
    return;
  }
  s_.final_cost = summary.final_cost;
  Finish();
  s_.message += std::string(s_.message.empty() ? "" : "; ") +
                "the plain local solve from the start ended lower (" +
                Format("%.6e", s_.start_solve_cost) +
                ") and is the returned solution";
}

}  // namespace

bool SolveCertifiable(const CertifiableOptions& options, const SlamGraph& graph,
                      SlamProblem* problem, CertifiableSummary* summary) {
  const Clock::time_point start = Clock::now();
  CHECK(problem != nullptr);
  CHECK(summary != nullptr);
  *summary = CertifiableSummary();
  CertifiableRun run(options, graph, problem, summary, start);
  Eigen::MatrixXd x;  // At the initial rank, then the staircase's last.
  Certificate certificate;
  if (!run.Prepare() || !run.Start(&x) || !run.Staircase(&x, &certificate)) {
    return false;
  }
  // Back to rank d.
  run.Record(certificate, x);
  run.Round(x);
  if (options.refine && !run.Refine()) return false;
  run.Finish();
  if (options.solve_from_start && !summary->globally_optimal) {
    run.SolveFromStart();
  }
  return true;
}

std::string CertifiableSummary::Verdict() const {
  if (!success) return "certification failed: " + message;
  const std::string lambda = "λ_min = " + Format("%.3e", lambda_min) +
                             ", verified > " +
                             Format("%.3e", lambda_min_lower_bound);
  // A relative gap means nothing next to a (nearly) zero cost.
  const std::string gap =
      Format("%.4e", absolute_gap) +
      (relative_gap < 1.0 ? " (" + Format("%.2e", relative_gap) + " relative)"
                          : std::string(" (absolute)"));
  if (globally_optimal) {
    return "certified globally optimal (" + lambda + ", gap ≤ " + gap + ")";
  }
  if (certified) {
    return "relaxation certified (" + lambda +
           ") but not exact: the solution is within " + gap +
           " of the global optimum; " + message;
  }
  return "not certified: " + message + " (last rank " +
         std::to_string(final_rank) + ", " + lambda +
         ", tolerance η = " + Format("%.3e", certificate_tolerance) + ")";
}

std::string CertifiableSummary::Report() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line),
                "Certifiable solve (Riemannian staircase, d = %d): start %s\n",
                dimension, initialization.c_str());
  out += line;
  std::snprintf(line, sizeof(line), "%5s %6s %20s %20s %11s %11s %9s %9s\n",
                "rank", "iters", "initial cost", "final cost", "lambda_min",
                "verified >", "solve s", "cert s");
  out += line;
  for (const Stage& stage : stages) {
    std::snprintf(
        line, sizeof(line),
        "%5d %6d %20.12e %20.12e %11.3e %11.3e %9.3f %9.3f%s\n", stage.rank,
        stage.iterations, stage.initial_cost, stage.final_cost,
        stage.certificate.lambda_min, stage.certificate.lambda_min_lower_bound,
        stage.solve_time_in_seconds, stage.certificate.time_in_seconds,
        stage.certificate.certified ? "  certified" : "");
    out += line;
    if (stage.escape_step > 0.0) {
      std::snprintf(line, sizeof(line),
                    "      escape to rank %d: step %.3e, cost %.12e\n",
                    stage.rank + 1, stage.escape_step, stage.cost_after_escape);
      out += line;
    }
  }
  std::snprintf(line, sizeof(line),
                "‖Q‖₂ %.6e, η %.3e; singular values of X:", q_norm,
                certificate_tolerance);
  out += line;
  for (double value : singular_values) out += " " + Format("%.4e", value);
  out += "\n";
  std::snprintf(
      line, sizeof(line),
      "Relaxation cost %.12e, lower bound %.12e\n"
      "Rank-%d cost: start %.12e, rounded %.12e, refined %.12e\n",
      relaxation_cost, lower_bound, dimension, initial_cost, rounded_cost,
      refinement.iterations.empty() ? rounded_cost : refinement.final_cost);
  out += line;
  if (start_solve_run) {
    std::snprintf(line, sizeof(line),
                  "Plain rank-%d solve from the start: %.12e (%s)\n", dimension,
                  start_solve_cost,
                  start_solve_kept ? "lower: returned" : "not lower");
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "Returned cost %.12e; gap %.4e (%.3e relative)\n", final_cost,
                absolute_gap, relative_gap);
  out += line;
  std::snprintf(line, sizeof(line),
                "Time (s): initialisation %.3f, local solves %.3f, "
                "certificates %.3f, escapes %.3f, rounding %.3f, refinement "
                "%.3f, solve from the start %.3f, total %.3f\n",
                initialization_time_in_seconds, local_solve_time_in_seconds,
                certificate_time_in_seconds, escape_time_in_seconds,
                rounding_time_in_seconds, refinement_time_in_seconds,
                start_solve_time_in_seconds, total_time_in_seconds);
  out += line;
  return out;
}

}  // namespace ceres_varpro
