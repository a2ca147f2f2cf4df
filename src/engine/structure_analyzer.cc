#include "engine/structure_analyzer.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "Eigen/Core"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

using RowMajorMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

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

  bool Evaluate(int residual_block, const std::vector<const double*>& values,
                const std::vector<bool>& want_jacobian, Eigen::VectorXd* r,
                std::vector<RowMajorMatrix>* jacobians) const {
    const Program::ResidualBlock& rb =
        program_.residual_blocks()[residual_block];
    const int n = static_cast<int>(rb.parameter_blocks.size());
    r->resize(rb.num_residuals);
    jacobians->resize(n);
    std::vector<double*> pointers(n, nullptr);
    for (int k = 0; k < n; ++k) {
      if (!want_jacobian[k]) continue;
      (*jacobians)[k].resize(
          rb.num_residuals,
          program_.parameter_blocks()[rb.parameter_blocks[k]].size);
      pointers[k] = (*jacobians)[k].data();
    }
    // No Jacobian pointers at all when none is wanted: AutoDiff then runs on
    // plain doubles.
    const bool any = std::find(want_jacobian.begin(), want_jacobian.end(),
                               true) != want_jacobian.end();
    if (!rb.cost_function->Evaluate(values.data(), r->data(),
                                    any ? pointers.data() : nullptr)) {
      return false;
    }
    if (!r->allFinite()) return false;
    for (int k = 0; k < n; ++k) {
      if (want_jacobian[k] && !(*jacobians)[k].allFinite()) return false;
    }
    return true;
  }

 private:
  const Program& program_;
};

bool Close(const RowMajorMatrix& a, const RowMajorMatrix& b, double tolerance) {
  const double scale =
      std::max({1e-300, a.cwiseAbs().maxCoeff(), b.cwiseAbs().maxCoeff()});
  return (a - b).cwiseAbs().maxCoeff() <= tolerance * scale;
}

}  // namespace

bool AnalyzeStructure(const Solver::Options& options, Program* program,
                      StructureAnalysis* analysis, std::string* error,
                      bool ambient_theta) {
  *analysis = StructureAnalysis();
  auto& params = program->parameter_blocks();
  const auto& residuals = program->residual_blocks();
  const int num_params = static_cast<int>(params.size());
  const double tol = options.structure_check_tolerance;

  // 1. The named blocks themselves.
  for (int i = 0; i < num_params; ++i) {
    const Program::ParameterBlock& pb = params[i];
    if (!pb.linear) continue;
    ++analysis->num_linear_blocks;
    if (pb.manifold != nullptr) {
      *error = program->DescribeParameterBlock(i) +
               " has a manifold; linear blocks must be plain Euclidean vectors "
               "(remove the manifold or do not name the block as linear)";
      return false;
    }
    if (pb.has_bounds) {
      *error = program->DescribeParameterBlock(i) +
               " has bounds; linear blocks are eliminated in closed form and "
               "cannot be bounded";
      return false;
    }
    if (pb.constant) ++analysis->num_user_fixed_linear_blocks;
  }
  auto is_free_linear = [&](int p) {
    return params[p].linear && !params[p].constant;
  };

  // Residual blocks that touch a free linear block.
  std::vector<int> linear_residuals;
  for (int r = 0; r < static_cast<int>(residuals.size()); ++r) {
    for (int p : residuals[r].parameter_blocks) {
      if (is_free_linear(p)) {
        linear_residuals.push_back(r);
        break;
      }
    }
  }
  bool any_free_linear = false;
  for (int i = 0; i < num_params; ++i) any_free_linear |= is_free_linear(i);
  if (!any_free_linear) {
    analysis->regime = EliminationRegime::NO_LINEAR_BLOCKS;
    program->SetLayout(ambient_theta);
    return true;
  }

  // 2. Affinity: the Jacobian w.r.t. the linear blocks must not change when
  // they move, and the residual must move by exactly that Jacobian times the
  // step. Random perturbations of the order of the values themselves.
  const ProbeEvaluator probe(*program);
  Uniform uniform(options.structure_check_seed);
  std::vector<std::vector<double>> perturbed(num_params);
  std::vector<std::vector<double>> theta_perturbed(num_params);
  for (int i = 0; i < num_params; ++i) {
    const Program::ParameterBlock& pb = params[i];
    if (is_free_linear(i)) {
      perturbed[i].resize(pb.size);
      for (int k = 0; k < pb.size; ++k) {
        perturbed[i][k] =
            pb.values[k] + (1.0 + std::abs(pb.values[k])) * uniform();
      }
    } else if (!pb.linear && !pb.constant && pb.tangent_size > 0) {
      // A finite move of θ along the manifold, to see whether G changes.
      std::vector<double> delta(pb.tangent_size);
      for (double& d : delta) d = 0.5 * uniform();
      theta_perturbed[i].resize(pb.size);
      if (pb.manifold != nullptr) {
        if (!pb.manifold->Plus(pb.values, delta.data(),
                               theta_perturbed[i].data())) {
          theta_perturbed[i].assign(pb.values, pb.values + pb.size);
        }
      } else {
        for (int k = 0; k < pb.size; ++k) {
          theta_perturbed[i][k] =
              pb.values[k] + (1.0 + std::abs(pb.values[k])) * delta[k];
        }
      }
    }
  }

  // Each residual block that touches a free linear block is probed on its
  // own, in parallel. Once a non-affine one is found and nonlinear
  // elimination is allowed, the regime is settled and the rest is skipped.
  struct Verdict {
    char evaluated = 0;  // 1 ok, -1 failed at the initial point.
    char affine = 1;
    char gram_constant = 1;
    char jacobian_constant = 1;
    int culprit = -1;  // Parameter block that is not affine.
  };
  const int num_linear_residuals = static_cast<int>(linear_residuals.size());
  std::vector<Verdict> verdicts(num_linear_residuals);
  std::atomic<bool> settled_nonlinear(false);
  const int num_threads = std::max(1, options.num_threads);
  std::vector<ProbeEvaluator> probes(num_threads, ProbeEvaluator(*program));
  ParallelFor(num_threads, 0, num_linear_residuals, [&](int tid, int idx) {
    if (settled_nonlinear.load(std::memory_order_relaxed)) return;
    ProbeEvaluator& probe = probes[tid];
    Verdict& v = verdicts[idx];
    const int r = linear_residuals[idx];
    const Program::ResidualBlock& rb = residuals[r];
    const int n = static_cast<int>(rb.parameter_blocks.size());
    std::vector<const double*> at(n), moved(n);
    std::vector<bool> want(n, false);
    const std::vector<bool> no_jacobian(n, false);
    for (int k = 0; k < n; ++k) {
      const int p = rb.parameter_blocks[k];
      at[k] = params[p].values;
      moved[k] = is_free_linear(p) ? perturbed[p].data() : params[p].values;
      want[k] = is_free_linear(p);
    }
    Eigen::VectorXd r0, r1;
    std::vector<RowMajorMatrix> j0, j1;
    if (!probe.Evaluate(r, at, want, &r0, &j0)) {
      v.evaluated = -1;
      return;
    }
    v.evaluated = 1;

    // Affinity: after a random finite move of the linear blocks the
    // residual is exactly the first-order prediction (a curvature would show
    // for almost every move). Residuals only: cheap.
    bool affine = probe.Evaluate(r, moved, no_jacobian, &r1, &j1);
    Eigen::VectorXd predicted = r0;
    for (int k = 0; k < n && affine; ++k) {
      if (!want[k]) continue;
      const int p = rb.parameter_blocks[k];
      predicted += j0[k] * (Eigen::Map<const Eigen::VectorXd>(
                                perturbed[p].data(), params[p].size) -
                            Eigen::Map<const Eigen::VectorXd>(params[p].values,
                                                              params[p].size));
    }
    if (affine) {
      const double scale =
          std::max({1.0, r0.cwiseAbs().maxCoeff(), r1.cwiseAbs().maxCoeff()});
      affine = (r1 - predicted).cwiseAbs().maxCoeff() <= tol * scale;
    }
    if (!affine) {
      v.affine = 0;
      if (options.allow_nonlinear_elimination) {
        settled_nonlinear.store(true, std::memory_order_relaxed);
        return;
      }
      // Name the block: move the linear blocks one at a time.
      for (int k = 0; k < n && v.culprit < 0; ++k) {
        if (!want[k]) continue;
        std::vector<const double*> one = at;
        one[k] = perturbed[rb.parameter_blocks[k]].data();
        Eigen::VectorXd r2;
        std::vector<RowMajorMatrix> j2;
        if (!probe.Evaluate(r, one, want, &r2, &j2) ||
            !Close(j0[k], j2[k], tol)) {
          v.culprit = rb.parameter_blocks[k];
        }
      }
      for (int k = 0; k < n && v.culprit < 0; ++k) {
        if (want[k]) v.culprit = rb.parameter_blocks[k];
      }
      return;
    }

    // Does this residual's share of G = AᵀA change with θ?
    if (rb.loss_function != nullptr) {
      v.gram_constant = v.jacobian_constant = 0;
      return;
    }
    std::vector<const double*> at_theta(n);
    bool touches_theta = false;
    for (int k = 0; k < n; ++k) {
      const int p = rb.parameter_blocks[k];
      const bool moves = !theta_perturbed[p].empty();
      at_theta[k] = moves ? theta_perturbed[p].data() : params[p].values;
      touches_theta |= moves;
    }
    if (!touches_theta) return;
    Eigen::VectorXd r3;
    std::vector<RowMajorMatrix> j3;
    if (!probe.Evaluate(r, at_theta, want, &r3, &j3)) {
      v.gram_constant = v.jacobian_constant = 0;  // Cannot tell; be safe.
      return;
    }
    RowMajorMatrix a0(rb.num_residuals, 0), a3(rb.num_residuals, 0);
    for (int k = 0; k < n; ++k) {
      if (!want[k]) continue;
      RowMajorMatrix t0(rb.num_residuals, a0.cols() + j0[k].cols());
      t0 << a0, j0[k];
      a0 = t0;
      RowMajorMatrix t3(rb.num_residuals, a3.cols() + j3[k].cols());
      t3 << a3, j3[k];
      a3 = t3;
    }
    if (!Close(a0, a3, tol)) v.jacobian_constant = 0;
    const RowMajorMatrix g0 = a0.transpose() * a0;
    const RowMajorMatrix g3 = a3.transpose() * a3;
    if (!Close(g0, g3, tol)) v.gram_constant = 0;
  });

  bool gram_constant = true;
  bool jacobian_constant = true;
  for (int idx = 0; idx < num_linear_residuals; ++idx) {
    const Verdict& v = verdicts[idx];
    const int r = linear_residuals[idx];
    if (residuals[r].loss_function != nullptr) analysis->robust = true;
    if (v.evaluated == -1) {
      *error = program->DescribeResidualBlock(r) +
               " could not be evaluated at the initial point (the CostFunction "
               "returned false or a non-finite value)";
      return false;
    }
    if (!v.affine) {
      if (!options.allow_nonlinear_elimination) {
        *error = program->DescribeResidualBlock(r) + " is not affine in " +
                 program->DescribeParameterBlock(v.culprit) +
                 ": a linear block's Jacobian must not depend on its value "
                 "(set allow_nonlinear_elimination for independent blocks "
                 "such as bundle-adjustment points)";
        return false;
      }
      analysis->affine = false;
    }
    gram_constant = gram_constant && v.gram_constant;
    jacobian_constant = jacobian_constant && v.jacobian_constant;
  }
  if (settled_nonlinear) analysis->affine = false;
  analysis->gram_constant = gram_constant && analysis->affine;
  analysis->jacobian_constant = jacobian_constant && analysis->affine;

  // 4. Connected components of the free linear blocks.
  UnionFind components(num_params);
  for (int r : linear_residuals) {
    int first = -1;
    int count = 0;
    for (int p : residuals[r].parameter_blocks) {
      if (!is_free_linear(p)) continue;
      ++count;
      if (first < 0) {
        first = p;
      } else {
        components.Union(first, p);
      }
    }
    if (count > 1) analysis->coupled = true;
  }
  if (!analysis->affine && analysis->coupled) {
    *error =
        "allow_nonlinear_elimination needs independent linear blocks, but some "
        "residual blocks touch two of them and are not affine in them";
    return false;
  }
  analysis->component.assign(num_params, -1);
  std::vector<int> root_to_component(num_params, -1);
  std::vector<int> component_members_first;
  for (int i = 0; i < num_params; ++i) {
    if (!is_free_linear(i)) continue;
    const int root = components.Find(i);
    if (root_to_component[root] < 0) {
      root_to_component[root] = analysis->num_components++;
    }
    analysis->component[i] = root_to_component[root];
  }

  // 5. Gauge: a component is shift invariant when all its blocks have the
  // same size, no residual ties it to a fixed linear block, and in every
  // residual the Jacobians of its blocks sum to zero. Holding one block fixed
  // then removes exactly that freedom and leaves the cost unchanged.
  if (options.gauge_policy == GaugePolicy::PIN_ONE_BLOCK_PER_COMPONENT) {
    const int nc = analysis->num_components;
    std::vector<bool> invariant(nc, true);
    std::vector<int> block_size(nc, -1);
    std::vector<int> first_block(nc, -1);
    for (int i = 0; i < num_params; ++i) {
      const int c = analysis->component[i];
      if (c < 0) continue;
      if (block_size[c] < 0) block_size[c] = params[i].size;
      if (block_size[c] != params[i].size) invariant[c] = false;
      if (first_block[c] < 0 ||
          params[i].linear_index < params[first_block[c]].linear_index) {
        first_block[c] = i;
      }
    }
    for (int r : linear_residuals) {
      const Program::ResidualBlock& rb = residuals[r];
      const int n = static_cast<int>(rb.parameter_blocks.size());
      int c = -1;
      bool touches_fixed_linear = false;
      for (int p : rb.parameter_blocks) {
        if (is_free_linear(p)) c = analysis->component[p];
        if (params[p].linear && params[p].constant) touches_fixed_linear = true;
      }
      if (c < 0 || !invariant[c]) continue;
      if (touches_fixed_linear) {
        invariant[c] = false;
        continue;
      }
      std::vector<const double*> at(n);
      std::vector<bool> want(n, false);
      const std::vector<bool> no_jacobian(n, false);
      for (int k = 0; k < n; ++k) {
        at[k] = params[rb.parameter_blocks[k]].values;
        want[k] = is_free_linear(rb.parameter_blocks[k]);
      }
      Eigen::VectorXd r0;
      std::vector<RowMajorMatrix> j0;
      if (!probe.Evaluate(r, at, want, &r0, &j0)) {
        invariant[c] = false;
        continue;
      }
      RowMajorMatrix sum =
          RowMajorMatrix::Zero(rb.num_residuals, block_size[c]);
      double scale = 1e-300;
      for (int k = 0; k < n; ++k) {
        if (!want[k]) continue;
        sum += j0[k];
        scale = std::max(scale, j0[k].cwiseAbs().maxCoeff());
      }
      if (sum.cwiseAbs().maxCoeff() > tol * scale) invariant[c] = false;
    }
    for (int c = 0; c < nc; ++c) {
      if (!invariant[c]) continue;
      params[first_block[c]].pinned = true;
      ++analysis->num_pins;
    }
  }

  if (!analysis->affine) {
    analysis->regime = EliminationRegime::INDEPENDENT_NONLINEAR;
  } else if (!analysis->coupled) {
    analysis->regime = EliminationRegime::INDEPENDENT_AFFINE;
  } else if (analysis->gram_constant) {
    analysis->regime = EliminationRegime::COUPLED_CONSTANT_GRAM;
  } else {
    analysis->regime = EliminationRegime::COUPLED_VARYING_GRAM;
  }
  program->SetLayout(ambient_theta);
  return true;
}

}  // namespace ceres_varpro::internal
