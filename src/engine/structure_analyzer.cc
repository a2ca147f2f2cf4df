#include "engine/structure_analyzer.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>

#include "Eigen/Core"
#include "engine/affine_differences.h"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

// Scale floor of the relative closeness tests (all-zero matrices are close).
constexpr double kTinyScale = 1e-300;
// θ moves by up to this much per tangent coordinate in the Gram-constancy
// probe.
constexpr double kThetaMove = 0.5;

// Deterministic uniform numbers in [-1, 1], the same on every platform.
class Uniform {
 public:
  explicit Uniform(unsigned int seed) : engine_(seed) {}
  double operator()() {
    return static_cast<double>(engine_() >> 8) / static_cast<double>(1u << 24) *
               2.0 -
           1.0;
  }

 private:
  std::mt19937 engine_;
};

struct UnionFind {
  explicit UnionFind(int n) : parent(n) {
    std::iota(parent.begin(), parent.end(), 0);
  }
  int Find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Union(int a, int b) { parent[Find(a)] = Find(b); }
  std::vector<int> parent;
};

// Evaluates one residual block with some parameter blocks replaced by other
// values; returns the residual and the ambient Jacobians of the blocks whose
// `want_jacobian` is set.
class ProbeEvaluator {
 public:
  explicit ProbeEvaluator(const Program& program) : program_(program) {}

  // by_differences: the wanted blocks' Jacobians by forward differences,
  // for blocks the residual is known to be affine in.
  bool Evaluate(int residual_block, const std::vector<const double*>& values,
                const std::vector<bool>& want_jacobian, Eigen::VectorXd* r,
                std::vector<RowMajorMatrix>* jacobians,
                bool by_differences = false) const {
    const Program::ResidualBlock& rb =
        program_.residual_blocks()[residual_block];
    const int n = static_cast<int>(rb.parameter_blocks.size());
    r->resize(rb.num_residuals);
    jacobians->resize(n);
    std::vector<double*>& pointers = pointers_;
    pointers.assign(n, nullptr);
    int max_size = 0;
    for (int k = 0; k < n; ++k) {
      if (!want_jacobian[k]) continue;
      const int size = program_.parameter_blocks()[rb.parameter_blocks[k]].size;
      (*jacobians)[k].resize(rb.num_residuals, size);
      pointers[k] = (*jacobians)[k].data();
      max_size = std::max(max_size, size);
    }
    // No Jacobian pointers at all when none is wanted: AutoDiff then runs on
    // plain doubles.
    const bool any = max_size > 0;
    if (!rb.cost_function->Evaluate(
            values.data(), r->data(),
            any && !by_differences ? pointers.data() : nullptr)) {
      return false;
    }
    if (!r->allFinite()) return false;
    if (any && by_differences) {
      point_ = values;
      moved_.resize(max_size);
      moved_residuals_.resize(rb.num_residuals);
      if (!AffineJacobiansByDifferences(
              *rb.cost_function, r->data(), point_.data(), pointers.data(),
              moved_.data(), moved_residuals_.data())) {
        return false;
      }
    }
    for (int k = 0; k < n; ++k) {
      if (want_jacobian[k] && !(*jacobians)[k].allFinite()) return false;
    }
    return true;
  }

 private:
  const Program& program_;
  // Scratch: one evaluator per thread.
  mutable std::vector<double*> pointers_;
  mutable std::vector<const double*> point_;
  mutable std::vector<double> moved_, moved_residuals_;
};

// Max-norm closeness relative to the larger of the two matrices.
bool Close(const RowMajorMatrix& a, const RowMajorMatrix& b, double tolerance) {
  const double scale =
      std::max({kTinyScale, a.cwiseAbs().maxCoeff(), b.cwiseAbs().maxCoeff()});
  return (a - b).cwiseAbs().maxCoeff() <= tolerance * scale;
}

// What probing one residual block found.
struct Verdict {
  char evaluated = 0;  // 1 ok, -1 failed at the initial point.
  char affine = 1;
  char gram_constant = 1;
  char jacobian_constant = 1;
  // The free linear blocks have one size and their Jacobians sum to zero.
  char shift_invariant = 0;
  int culprit = -1;  // Parameter block that is not affine.
};

// One residual block at the current point: values, and which of its
// parameter blocks are free linear ones (their Jacobians are wanted).
struct ProbePoint {
  int residual_block;
  const Program::ResidualBlock* rb;
  int n;  // Its parameter blocks.
  std::vector<const double*> at;
  std::vector<bool> linear;
  // Differences for its linear blocks' Jacobians can pay (the size rule).
  bool differences_can_pay = false;
  Eigen::VectorXd r0;
  std::vector<RowMajorMatrix> j0;
};

// One thread's buffers for the probes, reused from residual to residual:
// every residual block touching a linear block is probed.
struct ProbeScratch {
  ProbePoint point;
  std::vector<const double*> moved;
  std::vector<bool> no_jacobian;
  Eigen::VectorXd r1, r3, predicted;
  std::vector<RowMajorMatrix> j1, j3;
  RowMajorMatrix a0, a3;
};

// The stages of AnalyzeStructure over one program.
class StructureAnalyzer {
 public:
  StructureAnalyzer(const StructureAnalysisOptions& options, Program* program,
                    StructureAnalysis* analysis, std::string* error)
      : options_(options),
        program_(program),
        params_(program->parameter_blocks()),
        residuals_(program->residual_blocks()),
        analysis_(analysis),
        error_(error) {}

  bool Analyze() {
    *analysis_ = StructureAnalysis();
    if (!ValidateLinearBlocks()) return false;
    CollectLinearResiduals();
    if (AnyFreeLinearBlock()) {
      DrawPerturbations();
      if (!ProbeResiduals() || !FindComponents()) return false;
      FindThetaCoupling();
      if (options_.gauge_policy == GaugePolicy::PIN_ONE_BLOCK_PER_COMPONENT) {
        PinGauges();
      }
      ClassifyRegime();
    }
    program_->SetLayout(options_.ambient_theta);
    return true;
  }

 private:
  bool IsFreeLinear(int p) const {
    return params_[p].linear && !params_[p].constant;
  }
  bool IsFreeTheta(int p) const { return params_[p].IsFreeTheta(); }
  bool AnyFreeLinearBlock() const {
    for (int i = 0; i < num_params(); ++i) {
      if (IsFreeLinear(i)) return true;
    }
    return false;
  }
  int num_params() const { return static_cast<int>(params_.size()); }

  bool ValidateLinearBlocks();
  void CollectLinearResiduals();
  void DrawPerturbations();
  bool ProbeResiduals();
  Verdict ProbeResidual(const ProbeEvaluator& probe, int r,
                        ProbeScratch* scratch) const;
  bool ProbeAffinity(const ProbeEvaluator& probe, const ProbePoint& point,
                     ProbeScratch* scratch, Verdict* v) const;
  void ProbeGramConstancy(const ProbeEvaluator& probe, const ProbePoint& point,
                          ProbeScratch* scratch, Verdict* v) const;
  bool FindComponents();
  void FindThetaCoupling();
  void PinGauges();
  // allow_differences: the linear blocks' Jacobians by differences where
  // they can pay (exact only where the residual is affine in them).
  bool EvaluateAtCurrent(const ProbeEvaluator& probe, int r, ProbePoint* point,
                         bool allow_differences = false) const;
  bool IsShiftInvariantAt(const ProbeEvaluator& probe, int r) const;
  bool LinearJacobiansSumToZero(const ProbePoint& point) const;
  void ClassifyRegime();

  const StructureAnalysisOptions& options_;
  Program* program_;
  LargeVector<Program::ParameterBlock>& params_;
  const LargeVector<Program::ResidualBlock>& residuals_;
  StructureAnalysis* analysis_;
  std::string* error_;

  // Residual blocks that touch a free linear block.
  std::vector<int> linear_residuals_;
  // Random moves of the free linear blocks and of the variable θ blocks, in
  // one array each (a block's values at its offset, -1 when it does not
  // move): one allocation, not one per block (10⁵ blocks in SNL).
  std::vector<double> perturbed_, theta_perturbed_;
  std::vector<int> perturbed_offset_, theta_perturbed_offset_;
  const double* perturbed(int p) const {
    return &perturbed_[perturbed_offset_[p]];
  }
  // Null when block p does not move with θ.
  const double* theta_perturbed(int p) const {
    return theta_perturbed_offset_[p] < 0
               ? nullptr
               : &theta_perturbed_[theta_perturbed_offset_[p]];
  }
  // Per entry of linear_residuals_: the probe found it shift invariant
  // (-1: not probed, the nonlinear regime was settled first).
  std::vector<signed char> shift_invariant_;
  // Set once a non-affine residual settles the nonlinear regime.
  mutable std::atomic<bool> settled_nonlinear_{false};
  // Set once a residual's share of the Gram matrix is seen to vary with θ:
  // the regime is then COUPLED_VARYING_GRAM whatever the others show.
  mutable std::atomic<bool> settled_varying_{false};
};

bool StructureAnalyzer::ValidateLinearBlocks() {
  for (int i = 0; i < num_params(); ++i) {
    const Program::ParameterBlock& pb = params_[i];
    if (!pb.linear) continue;
    ++analysis_->num_linear_blocks;
    if (pb.manifold != nullptr) {
      *error_ = program_->DescribeParameterBlock(i) +
                " has a manifold; linear blocks must be plain Euclidean "
                "vectors (remove the manifold or do not name the block as "
                "linear)";
      return false;
    }
    if (pb.has_bounds) {
      *error_ = program_->DescribeParameterBlock(i) +
                " has bounds; linear blocks are eliminated in closed form and "
                "cannot be bounded";
      return false;
    }
    if (pb.constant) ++analysis_->num_user_fixed_linear_blocks;
  }
  return true;
}

void StructureAnalyzer::CollectLinearResiduals() {
  for (int r = 0; r < static_cast<int>(residuals_.size()); ++r) {
    for (int p : residuals_[r].parameter_blocks) {
      if (IsFreeLinear(p)) {
        linear_residuals_.push_back(r);
        break;
      }
    }
  }
}

// Random perturbations of the order of the values themselves: the linear
// blocks move by up to (1 + |l|) per coordinate, θ by up to half a unit
// along its manifold.
void StructureAnalyzer::DrawPerturbations() {
  Uniform uniform(options_.seed);
  perturbed_offset_.assign(num_params(), -1);
  theta_perturbed_offset_.assign(num_params(), -1);
  int linear_size = 0, theta_size = 0;
  for (int i = 0; i < num_params(); ++i) {
    if (IsFreeLinear(i)) {
      perturbed_offset_[i] = linear_size;
      linear_size += params_[i].size;
    } else if (IsFreeTheta(i)) {
      theta_perturbed_offset_[i] = theta_size;
      theta_size += params_[i].size;
    }
  }
  perturbed_.assign(linear_size, 0.0);
  theta_perturbed_.assign(theta_size, 0.0);
  std::vector<double> delta;
  for (int i = 0; i < num_params(); ++i) {
    const Program::ParameterBlock& pb = params_[i];
    if (IsFreeLinear(i)) {
      double* moved = &perturbed_[perturbed_offset_[i]];
      for (int k = 0; k < pb.size; ++k) {
        moved[k] = pb.values[k] + (1.0 + std::abs(pb.values[k])) * uniform();
      }
    } else if (IsFreeTheta(i)) {
      delta.resize(pb.tangent_size);
      for (double& d : delta) d = kThetaMove * uniform();
      double* moved = &theta_perturbed_[theta_perturbed_offset_[i]];
      if (pb.manifold != nullptr) {
        if (!pb.manifold->Plus(pb.values, delta.data(), moved)) {
          std::copy(pb.values, pb.values + pb.size, moved);
        }
      } else {
        for (int k = 0; k < pb.size; ++k) {
          moved[k] = pb.values[k] + (1.0 + std::abs(pb.values[k])) * delta[k];
        }
      }
      // Where the solver can go: the cost may be undefined beyond a bound.
      program_->ProjectOntoBounds(pb, moved);
    }
  }
}

// Each residual block that touches a free linear block is probed on its own,
// in parallel. Once a non-affine one is found and nonlinear elimination is
// allowed, the regime is settled and the rest is skipped.
bool StructureAnalyzer::ProbeResiduals() {
  const int n = static_cast<int>(linear_residuals_.size());
  std::vector<Verdict> verdicts(n);
  const int num_threads = std::max(1, options_.num_threads);
  const std::vector<ProbeEvaluator> probes(num_threads,
                                           ProbeEvaluator(*program_));
  std::vector<ProbeScratch> scratch(num_threads);
  ParallelFor(num_threads, 0, n, [&](int tid, int idx) {
    if (settled_nonlinear_.load(std::memory_order_relaxed)) return;
    verdicts[idx] =
        ProbeResidual(probes[tid], linear_residuals_[idx], &scratch[tid]);
  });

  bool gram_constant = true;
  bool jacobian_constant = true;
  shift_invariant_.assign(n, -1);
  for (int idx = 0; idx < n; ++idx) {
    const Verdict& v = verdicts[idx];
    const int r = linear_residuals_[idx];
    if (v.evaluated == 1) shift_invariant_[idx] = v.shift_invariant;
    if (residuals_[r].loss_function != nullptr) analysis_->robust = true;
    if (v.evaluated == -1) {
      *error_ = program_->DescribeResidualBlock(r) +
                " could not be evaluated at the initial point (the "
                "CostFunction returned false or a non-finite value)";
      return false;
    }
    if (!v.affine) {
      if (!options_.allow_nonlinear_elimination) {
        *error_ = program_->DescribeResidualBlock(r) + " is not affine in " +
                  program_->DescribeParameterBlock(v.culprit) +
                  ": a linear block's Jacobian must not depend on its value "
                  "(set allow_nonlinear_elimination for independent blocks "
                  "such as bundle-adjustment points)";
        return false;
      }
      analysis_->affine = false;
    }
    gram_constant = gram_constant && v.gram_constant;
    jacobian_constant = jacobian_constant && v.jacobian_constant;
  }
  if (settled_nonlinear_) analysis_->affine = false;
  analysis_->gram_constant = gram_constant && analysis_->affine;
  analysis_->jacobian_constant = jacobian_constant && analysis_->affine;
  return true;
}

// Residual block r at the current values, with its free linear blocks'
// Jacobians. False if it could not be evaluated.
bool StructureAnalyzer::EvaluateAtCurrent(const ProbeEvaluator& probe, int r,
                                          ProbePoint* point,
                                          bool allow_differences) const {
  const Program::ResidualBlock& rb = residuals_[r];
  const int n = static_cast<int>(rb.parameter_blocks.size());
  point->residual_block = r;
  point->rb = &rb;
  point->n = n;
  point->at.resize(n);
  point->linear.assign(n, false);
  int parameters = 0;
  int linear_parameters = 0;
  for (int k = 0; k < n; ++k) {
    const int p = rb.parameter_blocks[k];
    point->at[k] = params_[p].values;
    point->linear[k] = IsFreeLinear(p);
    parameters += params_[p].size;
    if (point->linear[k]) linear_parameters += params_[p].size;
  }
  point->differences_can_pay = DifferencesCanPay(linear_parameters, parameters);
  return probe.Evaluate(r, point->at, point->linear, &point->r0, &point->j0,
                        allow_differences && point->differences_can_pay);
}

// Where differences can pay, the linear blocks' Jacobians come from them
// first: if the residual is affine in them (the affinity test holds with
// secant Jacobians as well as with exact ones) they are exact, and the
// shift-invariance and Gram-constancy tests use them; otherwise the cost
// function's own are evaluated for those tests.
Verdict StructureAnalyzer::ProbeResidual(const ProbeEvaluator& probe, int r,
                                         ProbeScratch* scratch) const {
  Verdict v;
  ProbePoint& point = scratch->point;
  // A cost function may fail at the moved points; the exact way then.
  bool ok = EvaluateAtCurrent(probe, r, &point, /*allow_differences=*/true);
  bool by_differences = point.differences_can_pay;
  if (!ok && by_differences) {
    by_differences = false;
    ok = EvaluateAtCurrent(probe, r, &point);
  }
  if (!ok) {
    v.evaluated = -1;
    return v;
  }
  v.evaluated = 1;
  const bool affine = ProbeAffinity(probe, point, scratch, &v);
  if (!affine && by_differences && !EvaluateAtCurrent(probe, r, &point)) {
    v.evaluated = -1;
    return v;
  }
  v.shift_invariant = LinearJacobiansSumToZero(point);
  if (affine) ProbeGramConstancy(probe, point, scratch, &v);
  return v;
}

// After a random finite move of the linear blocks the residual is exactly
// the first-order prediction (a curvature would show for almost every move).
// Residuals only: cheap. False if the block is not affine (v says why).
bool StructureAnalyzer::ProbeAffinity(const ProbeEvaluator& probe,
                                      const ProbePoint& point,
                                      ProbeScratch* scratch, Verdict* v) const {
  const int r = point.residual_block;
  const Program::ResidualBlock& rb = *point.rb;
  const int n = point.n;
  const double tol = options_.tolerance;
  std::vector<const double*>& moved = scratch->moved;
  moved.resize(n);
  for (int k = 0; k < n; ++k) {
    const int p = rb.parameter_blocks[k];
    moved[k] = point.linear[k] ? perturbed(p) : params_[p].values;
  }
  scratch->no_jacobian.assign(n, false);
  Eigen::VectorXd& r1 = scratch->r1;
  bool affine =
      probe.Evaluate(r, moved, scratch->no_jacobian, &r1, &scratch->j1);
  Eigen::VectorXd& predicted = scratch->predicted;
  predicted = point.r0;
  for (int k = 0; k < n && affine; ++k) {
    if (!point.linear[k]) continue;
    const int p = rb.parameter_blocks[k];
    predicted +=
        point.j0[k] * (ConstVectorRef(perturbed(p), params_[p].size) -
                       ConstVectorRef(params_[p].values, params_[p].size));
  }
  if (affine) {
    const double scale = std::max(
        {1.0, point.r0.cwiseAbs().maxCoeff(), r1.cwiseAbs().maxCoeff()});
    affine = (r1 - predicted).cwiseAbs().maxCoeff() <= tol * scale;
  }
  if (affine) return true;
  v->affine = 0;
  if (options_.allow_nonlinear_elimination) {
    settled_nonlinear_.store(true, std::memory_order_relaxed);
    return false;
  }
  // Name the block: move the linear blocks one at a time.
  for (int k = 0; k < n && v->culprit < 0; ++k) {
    if (!point.linear[k]) continue;
    std::vector<const double*> one = point.at;
    one[k] = perturbed(rb.parameter_blocks[k]);
    Eigen::VectorXd r2;
    std::vector<RowMajorMatrix> j2;
    if (!probe.Evaluate(r, one, point.linear, &r2, &j2) ||
        !Close(point.j0[k], j2[k], tol)) {
      v->culprit = rb.parameter_blocks[k];
    }
  }
  for (int k = 0; k < n && v->culprit < 0; ++k) {
    if (point.linear[k]) v->culprit = rb.parameter_blocks[k];
  }
  return false;
}

// Does this residual's share of G = AᵀA (and A itself) change when θ moves?
void StructureAnalyzer::ProbeGramConstancy(const ProbeEvaluator& probe,
                                           const ProbePoint& point,
                                           ProbeScratch* scratch,
                                           Verdict* v) const {
  const Program::ResidualBlock& rb = *point.rb;
  if (rb.loss_function != nullptr ||
      settled_varying_.load(std::memory_order_relaxed)) {
    v->gram_constant = v->jacobian_constant = 0;
    return;
  }
  const int n = point.n;
  std::vector<const double*>& at_theta = scratch->moved;
  at_theta.resize(n);
  bool touches_theta = false;
  for (int k = 0; k < n; ++k) {
    const int p = rb.parameter_blocks[k];
    const double* moved = theta_perturbed(p);
    const bool moves = moved != nullptr;
    at_theta[k] = moves ? moved : params_[p].values;
    touches_theta |= moves;
  }
  if (!touches_theta) return;
  // Affine in the linear blocks (ProbeAffinity came first), so their
  // Jacobians may come from differences.
  std::vector<RowMajorMatrix>& j3 = scratch->j3;
  if (!probe.Evaluate(point.residual_block, at_theta, point.linear,
                      &scratch->r3, &j3, point.differences_can_pay)) {
    v->gram_constant = v->jacobian_constant = 0;  // Cannot tell; be safe.
    return;
  }
  int cols = 0;
  for (int k = 0; k < n; ++k) {
    if (point.linear[k]) cols += static_cast<int>(point.j0[k].cols());
  }
  RowMajorMatrix& a0 = scratch->a0;
  RowMajorMatrix& a3 = scratch->a3;
  a0.resize(rb.num_residuals, cols);
  a3.resize(rb.num_residuals, cols);
  for (int k = 0, col = 0; k < n; ++k) {
    if (!point.linear[k]) continue;
    const int width = static_cast<int>(point.j0[k].cols());
    a0.middleCols(col, width) = point.j0[k];
    a3.middleCols(col, width) = j3[k];
    col += width;
  }
  const double tol = options_.tolerance;
  if (!Close(a0, a3, tol)) v->jacobian_constant = 0;
  // Coefficient-wise products: these are a few rows wide, and Eigen's
  // general product would go through its blocked kernel.
  const RowMajorMatrix g0 = a0.transpose().lazyProduct(a0);
  const RowMajorMatrix g3 = a3.transpose().lazyProduct(a3);
  if (!Close(g0, g3, tol)) v->gram_constant = 0;
  if (!v->gram_constant && !v->jacobian_constant) {
    settled_varying_.store(true, std::memory_order_relaxed);
  }
}

// Connected components of the free linear blocks, residuals as edges.
bool StructureAnalyzer::FindComponents() {
  UnionFind components(num_params());
  for (int r : linear_residuals_) {
    int first = -1;
    int count = 0;
    for (int p : residuals_[r].parameter_blocks) {
      if (!IsFreeLinear(p)) continue;
      ++count;
      if (first < 0) {
        first = p;
      } else {
        components.Union(first, p);
      }
    }
    if (count > 1) analysis_->coupled = true;
  }
  if (!analysis_->affine && analysis_->coupled) {
    *error_ =
        "allow_nonlinear_elimination needs independent linear blocks, but some "
        "residual blocks touch two of them and are not affine in them";
    return false;
  }
  analysis_->component.assign(num_params(), -1);
  std::vector<int> root_to_component(num_params(), -1);
  for (int i = 0; i < num_params(); ++i) {
    if (!IsFreeLinear(i)) continue;
    const int root = components.Find(i);
    if (root_to_component[root] < 0) {
      root_to_component[root] = analysis_->num_components++;
    }
    analysis_->component[i] = root_to_component[root];
  }
  return true;
}

// Does any residual tie two θ blocks together (J_θᵀJ_θ not block diagonal)?
void StructureAnalyzer::FindThetaCoupling() {
  for (const Program::ResidualBlock& rb : residuals_) {
    const auto free_theta =
        std::count_if(rb.parameter_blocks.begin(), rb.parameter_blocks.end(),
                      [&](int p) { return IsFreeTheta(p); });
    if (free_theta > 1) {
      analysis_->theta_coupled = true;
      return;
    }
  }
}

// A component is shift invariant when all its blocks have the same size, no
// residual ties it to a fixed linear block, and in every residual the
// Jacobians of its blocks sum to zero. Holding one block fixed (the first
// named) then removes exactly that freedom and leaves the cost unchanged.
void StructureAnalyzer::PinGauges() {
  const int nc = analysis_->num_components;
  const std::vector<int>& component = analysis_->component;
  std::vector<char> invariant(nc, 1);
  std::vector<int> block_size(nc, -1);
  std::vector<int> first_block(nc, -1);
  for (int i = 0; i < num_params(); ++i) {
    const int c = component[i];
    if (c < 0) continue;
    if (block_size[c] < 0) block_size[c] = params_[i].size;
    if (block_size[c] != params_[i].size) invariant[c] = 0;
    if (first_block[c] < 0 ||
        params_[i].linear_index < params_[first_block[c]].linear_index) {
      first_block[c] = i;
    }
  }
  // The probe's verdicts settle most residuals (blocks of another size than
  // the component's already made it non-invariant); the rest, which the
  // probe skipped once the nonlinear regime was settled, are evaluated per
  // component, in parallel, until one breaks the invariance.
  std::vector<int> unresolved_begin(nc + 1, 0);
  std::vector<int> residual_component(linear_residuals_.size(), -1);
  for (size_t idx = 0; idx < linear_residuals_.size(); ++idx) {
    int c = -1;
    int num_free_linear = 0;
    bool touches_fixed_linear = false;
    for (int p : residuals_[linear_residuals_[idx]].parameter_blocks) {
      if (IsFreeLinear(p)) {
        c = component[p];
        ++num_free_linear;
      }
      if (params_[p].linear && params_[p].constant) touches_fixed_linear = true;
    }
    if (c < 0 || !invariant[c]) continue;
    // A residual of one free linear block is shift invariant only if it does
    // not depend on that block at all: a BAL point's observations, a prior
    // on a position. Settled without evaluating (one probe per landmark was
    // ~10 ms of a 22k-point BAL solve's set-up).
    if (touches_fixed_linear || num_free_linear == 1 ||
        shift_invariant_[idx] == 0) {
      invariant[c] = 0;
    } else if (shift_invariant_[idx] < 0) {
      residual_component[idx] = c;
      ++unresolved_begin[c + 1];
    }
  }
  for (int c = 0; c < nc; ++c) unresolved_begin[c + 1] += unresolved_begin[c];
  std::vector<int> unresolved(unresolved_begin[nc]);
  std::vector<int> fill(unresolved_begin.begin(), unresolved_begin.end() - 1);
  for (size_t idx = 0; idx < linear_residuals_.size(); ++idx) {
    const int c = residual_component[idx];
    if (c >= 0) unresolved[fill[c]++] = linear_residuals_[idx];
  }
  const int num_threads = std::max(1, options_.num_threads);
  const std::vector<ProbeEvaluator> probes(num_threads,
                                           ProbeEvaluator(*program_));
  ParallelFor(num_threads, 0, nc, [&](int tid, int c) {
    for (int i = unresolved_begin[c];
         i < unresolved_begin[c + 1] && invariant[c]; ++i) {
      invariant[c] = IsShiftInvariantAt(probes[tid], unresolved[i]);
    }
  });
  for (int c = 0; c < nc; ++c) {
    if (!invariant[c]) continue;
    params_[first_block[c]].pinned = true;
    ++analysis_->num_pins;
  }
}

// In residual r, do the Jacobians of the free linear blocks sum to zero?
bool StructureAnalyzer::IsShiftInvariantAt(const ProbeEvaluator& probe,
                                           int r) const {
  ProbePoint point;
  return EvaluateAtCurrent(probe, r, &point) && LinearJacobiansSumToZero(point);
}

// The free linear blocks have one size and their Jacobians sum to zero.
bool StructureAnalyzer::LinearJacobiansSumToZero(
    const ProbePoint& point) const {
  int block_size = -1;
  for (int k = 0; k < point.n; ++k) {
    if (!point.linear[k]) continue;
    const int size = static_cast<int>(point.j0[k].cols());
    if (block_size >= 0 && size != block_size) return false;
    block_size = size;
  }
  if (block_size < 0) return false;
  RowMajorMatrix sum =
      RowMajorMatrix::Zero(point.rb->num_residuals, block_size);
  double scale = kTinyScale;
  for (int k = 0; k < point.n; ++k) {
    if (!point.linear[k]) continue;
    sum += point.j0[k];
    scale = std::max(scale, point.j0[k].cwiseAbs().maxCoeff());
  }
  return sum.cwiseAbs().maxCoeff() <= options_.tolerance * scale;
}

void StructureAnalyzer::ClassifyRegime() {
  if (!analysis_->affine) {
    analysis_->regime = EliminationRegime::INDEPENDENT_NONLINEAR;
  } else if (!analysis_->coupled) {
    analysis_->regime = EliminationRegime::INDEPENDENT_AFFINE;
  } else if (analysis_->gram_constant) {
    analysis_->regime = EliminationRegime::COUPLED_CONSTANT_GRAM;
  } else {
    analysis_->regime = EliminationRegime::COUPLED_VARYING_GRAM;
  }
}

}  // namespace

bool AnalyzeStructure(const StructureAnalysisOptions& options, Program* program,
                      StructureAnalysis* analysis, std::string* error) {
  return StructureAnalyzer(options, program, analysis, error).Analyze();
}

}  // namespace ceres_varpro::internal
