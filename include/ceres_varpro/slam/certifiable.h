#ifndef CERES_VARPRO_SLAM_CERTIFIABLE_H_
#define CERES_VARPRO_SLAM_CERTIFIABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ceres/types.h"
#include "ceres_varpro/io/slam_graph.h"
#include "ceres_varpro/slam/slam_certifier.h"
#include "ceres_varpro/slam/slam_problem.h"
#include "ceres_varpro/solver.h"

namespace ceres_varpro {

// Certifiably correct SLAM on the VarPro engine (docs/certifiable.md): the
// Riemannian staircase on the lifted problem (LiftedSlamProblem, solved by
// ceres_varpro::Solve at each rank), the certificate S(X) ⪰ 0
// (SlamCertifier), rounding to rank d and a rank-d VarPro refinement.

enum class CertifiableInitialization {
  // kChordal for graphs without ranges, kProblemState otherwise.
  kAuto,
  // ChordalRotations, lifted; graphs without ranges only.
  kChordal,
  // The SlamProblem's current rotations and bearings (the file's vertices,
  // the odometry chain, ...), lifted.
  kProblemState,
  // A random point of the lifted manifold (seeded), as CORA starts.
  kRandom,
};

struct CertifiableOptions {
  CertifiableInitialization initialization = CertifiableInitialization::kAuto;
  // First rank of the staircase; 0 means d + 1.
  int initial_rank = 0;
  // The staircase stops here; the summary says when it was hit uncertified.
  int max_rank = 10;
  // A rank-d start is lifted as [X; E] then retracted, E Gaussian with this
  // standard deviation per entry: with exact zeros the extra rows would stay
  // zero along the whole local solve (their gradient vanishes).
  double lift_perturbation = 1e-3;
  uint64_t seed = 1;

  // Each rank's local solve (ceres_varpro::Solve). It stops when the
  // gradient max norm falls below gradient_tolerance·‖Q‖₂ (relative, so it
  // tracks the certificate's tolerance), or on the other limits.
  double gradient_tolerance = 1e-7;
  double function_tolerance = 1e-12;
  // When the certificate fails with λ_min ≥ -polish_threshold·η (close
  // enough that the local solve's inaccuracy may be the cause), or holds
  // with a lower bound further than target_relative_gap below f(X), the
  // solve goes on at the same rank with both tolerances 100 times smaller,
  // up to max_polish_solves times, before a saddle escape or the rounding.
  double polish_threshold = 100.0;
  int max_polish_solves = 2;
  int max_iterations_per_rank = 500;
  // Wall-time budget of the whole staircase (the refinement has its own).
  double max_solver_time_in_seconds = 1e9;
  int num_threads = 1;
  bool progress_to_stdout = false;

  CertificateOptions certificate;

  // The relative gap (f(X) - lower bound) / f(X) the polishing aims for.
  double target_relative_gap = 1e-6;
  // The relaxation is exact, and the certified point's rounding a global
  // optimum, when the refined rank-d cost exceeds the relaxation's cost f(X)
  // by at most this (relative), or by at most 10⁻¹²·½N‖Q‖₂ when f(X) is that
  // small (a zero optimum, where no relative test works).
  double exactness_tolerance = 1e-6;
  // Rank-d VarPro refinement after rounding. It stops on Ceres's own
  // (absolute) gradient test with this tolerance or on function_tolerance:
  // the returned rank-d point is converged like a plain solve's, not only to
  // the certificate's relative accuracy.
  bool refine = true;
  int max_refinement_iterations = 500;
  double refinement_gradient_tolerance = 1e-10;
  // When the result is not a certified global optimum, also solve the
  // rank-d problem from the problem's start (a plain local VarPro solve,
  // max_iterations_per_rank iterations, the refinement's tolerances) and
  // return whichever ends lower: an uncertified answer is then never worse
  // than the plain local solve.
  bool solve_from_start = true;

  bool IsValid(std::string* error) const;
};

struct CertifiableSummary {
  // One rank of the staircase.
  struct Stage {
    int rank = 0;
    double initial_cost = 0.0;
    double final_cost = 0.0;
    int iterations = 0;
    ceres::TerminationType termination = ceres::FAILURE;
    std::string message;
    double gradient_max_norm = 0.0;
    int polish_solves = 0;  // Extra, tighter solves at this rank.
    Certificate certificate;
    // Saddle escape to rank + 1: step length and cost after it.
    double escape_step = 0.0;
    double cost_after_escape = 0.0;
    double solve_time_in_seconds = 0.0;
  };

  bool success = false;  // The pipeline ran (false: an error, see message).
  // The last rank's point is certified: S(X) ⪰ -ηI, so XᵀX solves the
  // relaxation (up to η) and lower_bound bounds the global optimum.
  bool certified = false;
  // Certified and the relaxation exact (see exactness_tolerance): the
  // returned rank-d solution is a global optimum, within absolute_gap.
  bool globally_optimal = false;
  bool max_rank_reached = false;
  bool time_limit_reached = false;
  std::string message;  // Why not certified / not optimal, or the error.
  std::string initialization;

  int dimension = 0;
  int initial_rank = 0;
  int final_rank = 0;
  // Singular values of the last X, largest first; rank_of_solution counts
  // those above 1e-6 of the largest (d when the relaxation is exact).
  std::vector<double> singular_values;
  int rank_of_solution = 0;

  double lambda_min = 0.0;              // Lanczos estimate at the last rank.
  double lambda_min_lower_bound = 0.0;  // Verified by factorisation.
  double certificate_tolerance = 0.0;   // η.
  double q_norm = 0.0;
  double relaxation_cost = 0.0;  // f(X) at the last rank.
  double lower_bound = 0.0;      // On the relaxation's and the rank-d optimum.
  double initial_cost = 0.0;     // Rank-d cost of the start (if rank d).
  double rounded_cost = 0.0;     // Rank-d cost after rounding.
  double final_cost = 0.0;       // After the refinement: the returned cost.
  double absolute_gap = 0.0;     // final_cost - lower_bound (>= 0).
  double relative_gap = 0.0;     // absolute_gap / final_cost.

  std::vector<Stage> stages;
  Solver::Summary refinement;
  // The plain rank-d solve from the start (solve_from_start), when it ran:
  // its final cost, and whether it ended lower and was returned.
  bool start_solve_run = false;
  double start_solve_cost = 0.0;
  bool start_solve_kept = false;

  double initialization_time_in_seconds = 0.0;
  double local_solve_time_in_seconds = 0.0;
  double certificate_time_in_seconds = 0.0;
  double escape_time_in_seconds = 0.0;
  double rounding_time_in_seconds = 0.0;
  double refinement_time_in_seconds = 0.0;
  double start_solve_time_in_seconds = 0.0;
  double total_time_in_seconds = 0.0;

  // One line: "certified globally optimal (λ_min = …, gap ≤ …)" or why not.
  std::string Verdict() const;
  // The stages, the bounds and the times.
  std::string Report() const;
};

// Solves the isotropic SLAM model of `graph` to certified global optimality
// when the relaxation is exact. `problem` must have been built from `graph`
// with SlamModel::kIsotropic; on return its parameter blocks hold the refined
// rank-d solution in its own gauge (pose 0's rotation and translation as
// they were), whatever the verdict. False only on an error (invalid options
// or problem, a failed solve), with the reason in summary->message; then the
// problem's values are left unchanged.
bool SolveCertifiable(const CertifiableOptions& options, const SlamGraph& graph,
                      SlamProblem* problem, CertifiableSummary* summary);

// The rounding of a lifted X (r×N, SlamDataMatrix's columns) to rank d:
// the d×N matrix R̂ = U_dᵀX of X's top d left singular vectors, its last row
// negated if fewer than half of the pose blocks have a positive determinant,
// then each pose block projected to SO(d) and each bearing normalised.
Eigen::MatrixXd RoundToRankD(const Eigen::MatrixXd& x, int dimension,
                             int num_poses);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_CERTIFIABLE_H_
