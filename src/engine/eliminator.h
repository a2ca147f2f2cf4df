#ifndef CERES_VARPRO_ENGINE_ELIMINATOR_H_
#define CERES_VARPRO_ENGINE_ELIMINATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "ceres/evaluation_callback.h"
#include "ceres_varpro/solver.h"
#include "engine/block_sparse_matrix.h"
#include "engine/gram_solver.h"
#include "engine/independent_blocks.h"
#include "engine/program.h"
#include "engine/residual_evaluator.h"
#include "engine/structure_analyzer.h"

namespace ceres_varpro::internal {

// Elimination: computes l*(θ) = argmin_l F(θ, l) whenever θ changes, and
// writes it into the linear blocks' memory, exactly as a
// ceres::EvaluationCallback is expected to: Ceres (or our own minimiser)
// writes θ into the user's memory and then calls PrepareForEvaluation.
//
//   affine, no loss   one exact Newton step l* = l - G⁻¹Aᵀr; G factored once
//                     when constant, at every new θ otherwise;
//   coupled, robust   damped Gauss-Newton on the IRLS-corrected system until
//                     the step is negligible;
//   independent,      per-block Levenberg-Marquardt to convergence, in
//   robust/nonlinear  parallel (nonlinear extension for non-affine blocks).
//
// Each evaluated point lives in a Workspace (Jacobian, residuals, l*, Gram
// factor). The one where Jacobians were last evaluated is current(): the
// accepted point the reduced problem linearises around. A new candidate never
// overwrites its residuals or l*. The blockwise regimes keep one Jacobian for
// both (on BAL it is a third of the solver's memory): a candidate's inner
// solves overwrite the rows of the blocks they solve by Gauss-Newton, and
// those rows are evaluated again at the current point only when a rejected
// candidate left them overwritten (RestoreCurrentJacobian). The exact coupled
// regime with a varying A keeps one Jacobian and one Gram factor: a candidate
// overwrites A and, where G varies, the factor, and RestoreCurrentJacobian
// evaluates (and factors) them again at the current point when it is not
// accepted.
class Eliminator : public ceres::EvaluationCallback {
 public:
  struct Options {
    int num_threads = 1;
    int max_inner_iterations = 20;
    double inner_iteration_tolerance = 1e-6;
    SparseCholesky::Mode cholesky_mode = SparseCholesky::Mode::kAuto;
  };

  struct Workspace {
    // Shared by both workspaces when A is constant (candidates then only
    // evaluate residuals), in the blockwise regimes and in the exact coupled
    // regime (see the class comment).
    std::shared_ptr<BlockSparseMatrix> jacobian;
    Eigen::VectorXd residuals;
    // Cost of each row block where the elimination last evaluated it. Valid
    // for rows with a loss function; without one, ½‖r‖² from `residuals` is
    // the authority (the exact step updates residuals, not these).
    Eigen::VectorXd row_costs;
    Eigen::VectorXd linear;  // l* over the eliminated linear parameters.
    double cost = 0.0;       // Of the active residual blocks.
    // G = AᵀA factored at this point (shared by both workspaces when
    // constant, and in the exact coupled regime as the Jacobian is): sparse
    // when the linear blocks are coupled, block diagonal when they are
    // independent; `gram` is whichever of the two is set.
    std::shared_ptr<SparseGramSolver> sparse_gram;
    std::shared_ptr<BlockDiagonalGramSolver> block_gram;
    GramSolver* gram = nullptr;
    // Blockwise regimes: blocks whose inner solve did not converge.
    int num_bad_blocks = 0;
    // Initialize() left residuals, A and the Gram factor of the initial point
    // here (exact regimes; blockwise: residuals and the inner solves' Jacobian
    // columns): the first elimination need not redo them.
    bool initial_point_ready = false;
    // Blockwise regimes: the inner solves evaluated every column, so the
    // Jacobian at this point is complete without another evaluation, except
    // for the rows of the blocks in `stale_blocks`.
    bool jacobian_complete = false;
    // Blockwise regimes: blocks whose chord steps converged, so their rows
    // were evaluated without Jacobians; `num_stale_blocks` of them are set.
    std::vector<char> stale_blocks;
    int num_stale_blocks = 0;
    // Blockwise regimes: the inner solves stopped at the initial point's
    // looser tolerance (see FinishCurrent).
    bool loose_inner_solves = false;
    // Iterative regimes, valid with the Jacobian: r - A G⁻¹Aᵀr, the residual
    // after one more (linearised) Gauss-Newton step on the linear blocks.
    // J_θᵀ of it is the Schur-complement gradient, which stays exact to
    // second order when the inner solves stop short of l*.
    // It is kept in the other workspace's residuals: once this point is
    // accepted they are dead until the next candidate overwrites them, and
    // the reduced problem reads this right away (no third residual vector).
    const double* gradient_residuals = nullptr;
  };

  Eliminator(Program* program, const StructureAnalysis& analysis,
             ResidualEvaluator* evaluator, const Options& options,
             VarProStatistics* statistics);
  ~Eliminator() override;

  // Reads the initial l from the user's memory, factors G when it is
  // constant and checks that every eliminated block is determined.
  bool Initialize(std::string* error);
  // Initialize evaluated the residuals at the user's point (it does when
  // there are linear blocks): their cost, so the preprocessor need not
  // evaluate them a second time.
  bool has_initial_point_cost() const { return has_initial_point_cost_; }
  double initial_point_cost() const { return initial_point_cost_; }

  void PrepareForEvaluation(bool evaluate_jacobians,
                            bool new_evaluation_point) override;

  // Outcome of the last PrepareForEvaluation.
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  // The point of the last PrepareForEvaluation, and the last one at which
  // Jacobians were evaluated.
  const Workspace& last() const { return *last_; }
  const Workspace& current() const { return *current_; }
  Workspace* mutable_current() { return current_.get(); }
  bool has_current() const { return has_current_; }
  // Brings current().linear to the full inner tolerance where the initial
  // point's solves stopped early, for a solve that ends there: its l* goes to
  // the user. Only residuals are evaluated; current()'s Jacobian is left as
  // it is. False (l* unchanged) when the elimination fails.
  bool FinishCurrent();
  // Blockwise regimes: evaluates again, at the current point, the Jacobian
  // rows that a candidate which was not accepted overwrote, so that
  // current().jacobian is the current point's again (bit for bit: the same
  // cost functions at the same point). A no-op when nothing was overwritten.
  // The user's memory is left as it was. False if an evaluation fails.
  bool RestoreCurrentJacobian();

  bool has_linear_blocks() const { return num_linear_ > 0; }
  // The rows of each eliminated block when the linear blocks are independent
  // (linear block k is column block num_nonlinear_columns() + k); null when
  // they are coupled or absent.
  const IndependentBlocks* independent_blocks() const {
    return independent_blocks_.get();
  }
  const StructureAnalysis& analysis() const { return analysis_; }
  // Candidates rejected by the nonlinear regime's run-away safeguard.
  int num_safeguard_rejections() const { return num_safeguard_rejections_; }

 private:
  bool Solve(Workspace* w, const Eigen::VectorXd& base);
  bool SolveExact(Workspace* w, const Eigen::VectorXd& base);
  bool SolveCoupledIterative(Workspace* w, const Eigen::VectorXd& base);
  bool SolveBlockwise(Workspace* w, const Eigen::VectorXd& base);
  // One block's inner solve (blockwise regimes), by one thread: with a
  // prediction, starts from whichever of prediction and previous has the
  // lower cost and takes chord steps from there; if they do not converge,
  // damped Gauss-Newton to convergence. *skipped: the chord steps converged,
  // and the block's Jacobian rows are older than its values. False if an
  // evaluation failed at the starting point.
  struct BlockScratch;
  struct BlockSolve;
  bool SolveBlock(Workspace* w, int k, int thread_id, BlockScratch* scratch,
                  const double* prediction, const double* previous,
                  bool rows_ready, double* cost, int* passes, bool* converged,
                  bool* skipped);
  bool StartFromPrediction(const BlockSolve& b, const double* prediction,
                           const double* previous, double* cost);
  // Evaluates the Jacobian rows of w's stale blocks at their values.
  bool EvaluateStaleBlocks(Workspace* w);
  // Evaluates, with every column (PlusJacobians already updated), the rows
  // of the blocks set in *flags into w, clearing the flags of those it
  // evaluated (*count).
  bool EvaluateFlaggedBlocks(Workspace* w, std::vector<char>* flags,
                             int* count);
  // The rows that touch no linear block, into w (residuals, row costs and
  // the requested columns).
  bool EvaluateThetaOnlyRows(Workspace* w, ResidualEvaluator::Columns columns);
  bool SolveBlockGaussNewton(const BlockSolve& b, bool rows_ready, double* cost,
                             int* passes, bool* converged);
  // The block's rows: evaluated at the values in the user's memory (costs
  // recorded in the workspace when record_costs), saved and restored around
  // a trial step.
  bool EvaluateBlockRows(const BlockSolve& b,
                         ResidualEvaluator::Columns columns, bool record_costs,
                         double* cost);
  void SaveBlockRows(const BlockSolve& b);
  void RestoreBlockRows(const BlockSolve& b);
  // Blockwise regimes start each block's inner solve at the Gauss-Newton
  // prediction l + Δl(δ), Δl = -G⁻¹Aᵀ(r + J_θ δ), from current() and the
  // step δ to the new θ (ComputeStepFromCurrent), when it is the better
  // start: the points move with the cameras and the inner solve needs fewer
  // passes. Block k's prediction from its previous values; the previous
  // values themselves where its Gram block is frozen.
  void PredictBlock(int k, const double* previous, int thread_id,
                    double* prediction);
  bool ComputeStepFromCurrent();
  void ComputeGradientResiduals(Workspace* w);
  // Chooses whether the blockwise inner solves evaluate every column (free
  // with AutoDiff, which differentiates all parameters anyway; the accepted
  // point then needs no second evaluation) or only the linear ones.
  void ChooseInnerColumns();
  // Exact regimes with a varying A: chooses whether the eliminations
  // evaluate A with the cost functions' Jacobians or by differences (cheaper
  // with AutoDiff, whose Jets carry every parameter; affine blocks make them
  // exact up to rounding). The accepted points' Jacobians are the cost
  // functions' own either way.
  void ChooseLinearColumns();
  bool TimeColumns(const std::vector<int>& sample, ResidualEvaluator::Columns a,
                   ResidualEvaluator::Columns b, double* time_a,
                   double* time_b);
  bool EvaluateJacobian(Workspace* w);
  // one_varying_workspace_: A, and the Gram factor where G varies, at the
  // current point again, after a candidate overwrote them. The user's memory
  // is left as it was.
  bool RestoreCurrentPoint();
  // The restorations evaluate at the current point: its θ and l* go into the
  // user's memory, whose values are saved and then put back.
  void MoveUserMemoryToCurrent();
  void RestoreUserMemory();
  bool FactorGram(Workspace* w);
  bool Fail(const std::string& message);

  Program* program_;
  StructureAnalysis analysis_;
  ResidualEvaluator* evaluator_;
  Options options_;
  VarProStatistics* statistics_;

  int num_linear_ = 0;
  int num_theta_ = 0;
  bool exact_step_ = true;  // Affine without losses.
  bool blockwise_ = false;  // Independent blocks solved one by one.
  // Exact, coupled, A varying: both workspaces share one Jacobian and one
  // Gram factor, which a candidate overwrites (current_overwritten_).
  bool one_varying_workspace_ = false;
  bool current_overwritten_ = false;

  std::unique_ptr<Workspace> current_, candidate_;
  Workspace* last_ = nullptr;
  bool has_current_ = false;
  bool has_initial_point_cost_ = false;
  double initial_point_cost_ = 0.0;

  std::unique_ptr<IndependentBlocks> independent_blocks_;

  // Scratch, sized once.
  Eigen::VectorXd full_cols_, linear_step_, trial_linear_;
  std::vector<double> block_costs_;
  std::vector<BlockScratch> block_scratch_;
  ResidualEvaluator::Columns inner_columns_ =
      ResidualEvaluator::Columns::kLinear;
  ResidualEvaluator::Columns linear_columns_ =
      ResidualEvaluator::Columns::kLinear;
  Eigen::VectorXd step_;           // θ ⊟ θ_current, for the prediction.
  Eigen::VectorXd current_theta_;  // θ (ambient) of current().
  // Blockwise regimes: the shared Jacobian's rows that hold a candidate's
  // values instead of current()'s, per linear block, and the rows touching
  // no linear block (evaluated with every column by the inner solves).
  std::vector<char> overwritten_blocks_;
  bool any_rows_overwritten_ = false;
  bool theta_only_rows_overwritten_ = false;
  // MoveUserMemoryToCurrent: the user's values while a restoration
  // evaluates.
  Eigen::VectorXd saved_theta_, saved_linear_;

  bool ok_ = false;
  std::string error_;
  int num_safeguard_rejections_ = 0;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_ELIMINATOR_H_
