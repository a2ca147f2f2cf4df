#ifndef CERES_VARPRO_SOLVER_H_
#define CERES_VARPRO_SOLVER_H_

#include <string>
#include <vector>

#include "ceres/problem.h"
#include "ceres/solver.h"
#include "ceres_varpro/types.h"

namespace ceres_varpro {

// What the VarPro engine did, beyond what ceres::Solver::Summary records.
struct VarProStatistics {
  EliminationRegime regime = EliminationRegime::NO_LINEAR_BLOCKS;
  ReducedLinearSolverType linear_solver_used = ReducedLinearSolverType::AUTO;
  ReducedPreconditionerType preconditioner_used =
      ReducedPreconditionerType::AUTO;

  int num_linear_blocks = 0;      // Named by the user and in the problem.
  int num_eliminated_blocks = 0;  // Variable, not pinned.
  int num_eliminated_parameters = 0;
  int num_components = 0;  // Connected components of the linear blocks.
  int num_gauge_pins = 0;  // Blocks pinned by the solver.
  int num_user_fixed_linear_blocks = 0;
  bool gram_is_constant = false;

  int num_gram_factorizations = 0;
  int num_preconditioner_factorizations = 0;
  int num_cg_iterations = 0;
  int num_inner_iterations =
      0;                    // Inner Gauss-Newton passes (robust/nonlinear).
  int num_evaluations = 0;  // Points at which l*(θ) was computed.
  // Nonlinear regime: block solves at candidates that ended on chord steps
  // (residuals only; the block's Jacobian waits for acceptance).
  int num_chord_converged_blocks = 0;
  // Nonlinear regime: blocks whose Jacobian rows at the current point were
  // evaluated again because a candidate that was not accepted had
  // overwritten them (one Jacobian is kept, not one per evaluated point).
  int num_restored_blocks = 0;
  // Coupled exact regime with an A that moves with θ: times the current
  // point's A (and Gram factor, where G varies) were evaluated (and factored)
  // again because a candidate that was not accepted had overwritten them
  // (one of each is kept, not one per evaluated point).
  int num_current_point_restorations = 0;
  // Evaluations of the Jacobian (all columns) at accepted points; the
  // nonlinear regime's inner passes that evaluated every column already are
  // not counted twice.
  int num_jacobian_evaluations = 0;
  int num_degenerate_blocks = 0;  // Nonlinear regime: blocks kept at their
                                  // previous value because their solve failed.
  // Nonlinear regime: candidate steps rejected because they made many more
  // blocks fail their inner solve (point run-away safeguard).
  int num_safeguard_rejections = 0;
  // Options::extrapolate_steps: lengthened steps tried, and kept.
  int num_extrapolations_tried = 0;
  int num_extrapolations_accepted = 0;

  double analysis_time_in_seconds = 0.0;
  double factorization_time_in_seconds = 0.0;  // Gram and preconditioner.
  double evaluation_time_in_seconds = 0.0;     // User CostFunctions.
  double elimination_time_in_seconds = 0.0;    // Solving for l*.
  double linear_solver_time_in_seconds = 0.0;  // The reduced step (CG, ...).
  // Wall time of the candidate evaluations (cost functions and elimination)
  // and of the Jacobian evaluations at accepted points, as Ceres's summary
  // splits "residual only" and "Jacobian & residual" evaluation.
  double residual_evaluation_time_in_seconds = 0.0;
  double jacobian_evaluation_time_in_seconds = 0.0;

  std::string BriefReport() const;
};

class Solver {
 public:
  // All the ceres::Solver::Options fields the trust-region loop honours
  // (max_num_iterations, max_solver_time_in_seconds, function_tolerance,
  // gradient_tolerance, parameter_tolerance, initial_trust_region_radius,
  // max_trust_region_radius, min_trust_region_radius, min_relative_decrease,
  // min_lm_diagonal, max_lm_diagonal, max_num_consecutive_invalid_steps,
  // jacobi_scaling, eta, max_linear_solver_iterations, num_threads,
  // minimizer_progress_to_stdout, logging_type, callbacks,
  // update_state_every_iteration), plus the VarPro fields below. The engine
  // runs Levenberg-Marquardt; linear_solver_type and preconditioner_type are
  // not used by it (see reduced_linear_solver_type and
  // reduced_preconditioner_type).
  struct Options : public ceres::Solver::Options {
    // Parameter blocks that enter every residual affinely (translations,
    // positions, landmarks). They are eliminated exactly at every evaluation.
    // They must not carry a manifold or bounds. Blocks the user made constant
    // stay constant.
    std::vector<double*> linear_parameter_blocks;

    // Also accept linear_parameter_blocks that are not affine, provided no
    // residual touches two of them (bundle-adjustment points): each is then
    // solved by an inner Gauss-Newton iteration (the INDEPENDENT_NONLINEAR
    // regime: the nonlinear extension of VarPro, not exact elimination).
    bool allow_nonlinear_elimination = false;
    // Inner Gauss-Newton for robust losses and nonlinear blocks: a block is
    // solved when its next step is below inner_iteration_tolerance relative
    // to its value. The step left undone changes the cost at second order
    // only, and the reduced gradient is taken with the Schur-complement
    // correction, which is exact to second order as well (1e-6 and 1e-10
    // end at the same tight-tolerance costs to 1e-9 on the BAL problems,
    // with 2.5-4x fewer inner passes).
    int max_inner_iterations = 20;
    double inner_iteration_tolerance = 1e-6;

    ReducedLinearSolverType reduced_linear_solver_type =
        ReducedLinearSolverType::AUTO;
    ReducedPreconditionerType reduced_preconditioner_type =
        ReducedPreconditionerType::AUTO;
    // JOINT_CHOLESKY: refactor when the last CG solve needed more iterations.
    int lagged_factorization_max_cg_iterations = 10;
    // AUTO picks DENSE when the reduced problem has at most this many
    // (tangent) parameters.
    int max_dense_reduced_parameters = 600;

    // CHOLMOD factorisation kind for the Gram matrix and the JOINT_CHOLESKY
    // preconditioner. true: supernodal wherever CHOLMOD's rule (flops per
    // factor entry) says dense kernels pay, which it does for large pose
    // graphs (1.5-2x faster factorisation than simplicial on sphere2500's
    // joint matrix); simplicial for small sparse factors (2D graphs). The
    // engine solves with supernodal factors in its own loops rather than
    // CHOLMOD's per-supernode BLAS calls, which cost more than the work on
    // these small supernodes. false: always simplicial.
    bool use_supernodal_cholesky = true;

    GaugePolicy gauge_policy = GaugePolicy::PIN_ONE_BLOCK_PER_COMPONENT;

    // After an accepted step δ whose decrease beat the model's (ρ ≥ 1.25),
    // fit the parabola through the cost at θ, its slope gᵀδ and the cost at
    // θ ⊕ δ; when its minimum lies at α ≥ 2 steps (the Gauss-Newton model
    // overstates the curvature along δ, as on large-residual pose graphs
    // whose ρ stays near 2 and whose convergence is then linear), evaluate
    // θ ⊕ min(α, 10)·δ and keep it if its cost is lower. One evaluation (no
    // Jacobian, no linear solve) per try; never a higher cost than without it.
    // false: Ceres's steps exactly.
    bool extrapolate_steps = true;

    // Relative tolerance of the numerical affinity and Gram-constancy checks.
    double structure_check_tolerance = 1e-7;
    // Seed of the random perturbations those checks use.
    unsigned int structure_check_seed = 5489u;

    // Checks the ceres fields the engine uses and the VarPro fields.
    bool IsValid(std::string* error) const;
  };

  struct Summary : public ceres::Solver::Summary {
    VarProStatistics varpro;
    // Ceres's reports followed by the VarPro statistics.
    std::string BriefReport() const;
    std::string FullReport() const;
  };
};

// Minimises the problem with the linear blocks eliminated. On return the
// problem's parameter blocks hold the best point found (θ_best and
// l*(θ_best)); on failure before the first step they are left unchanged.
// Never writes non-finite values into them.
void Solve(const Solver::Options& options, ceres::Problem* problem,
           Solver::Summary* summary);
// Same, for callers that only want the Ceres summary.
void Solve(const Solver::Options& options, ceres::Problem* problem,
           ceres::Solver::Summary* summary);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SOLVER_H_
