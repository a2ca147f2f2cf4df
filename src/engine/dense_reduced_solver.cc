#include "engine/dense_reduced_solver.h"

#include <algorithm>

#include "Eigen/Cholesky"
#include "engine/independent_blocks.h"
#include "engine/pair_kernels.h"
#include "engine/parallel_for.h"
#include "engine/small_kernels.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

namespace {

// E_k and Z_k = G_k⁻¹E_k (p x width, row-major) and E_k's θ column blocks.
struct PairArgs {
  const double* e;
  const double* z;
  int p, width;
  Span<int> cols, local;
};

// target(a, b) += E(:, a)ᵀ Z(:, b) for every pair of θ blocks a <= b: with
// Z = -G_k⁻¹E_k, the upper block triangle of -E_kᵀG_k⁻¹E_k. P and S are the
// point's and the θ blocks' sizes when fixed.
template <int P, int S>
void AddPairProducts(const BlockSparseMatrix& j, const PairArgs& args,
                     Eigen::MatrixXd* target) {
  using Rows = Eigen::Matrix<double, P, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Rows> e(args.e, args.p, args.width);
  const Eigen::Map<const Rows> z(args.z, args.p, args.width);
  for (int a = 0; a < args.cols.size(); ++a) {
    const int oa = j.col_block_offset(args.cols[a]);
    const int sa = j.col_block_size(args.cols[a]);
    for (int b = a; b < args.cols.size(); ++b) {
      const int ob = j.col_block_offset(args.cols[b]);
      const int sb = j.col_block_size(args.cols[b]);
      // Coefficient-based: Eigen would send these tiny products to GEMM.
      target->block<S, S>(oa, ob, sa, sb).noalias() +=
          e.template middleCols<S>(args.local[a], sa)
              .transpose()
              .lazyProduct(z.template middleCols<S>(args.local[b], sb));
    }
  }
}

// z (3 x width, row-major) = -g e for a 3 x 3 g and e's rows e0..e2: one
// pass over z per row, where the general loop in AddBlockCorrection makes
// three.
inline void MinusInverseTimesRows3(const double* __restrict g,
                                   const double* __restrict e0,
                                   const double* __restrict e1,
                                   const double* __restrict e2, int width,
                                   double* __restrict z) {
  for (int r = 0; r < 3; ++r) {
    const double g0 = -g[3 * r], g1 = -g[3 * r + 1], g2 = -g[3 * r + 2];
    double* __restrict zr = z + r * width;
    for (int i = 0; i < width; ++i) {
      zr[i] = g0 * e0[i] + g1 * e1[i] + g2 * e2[i];
    }
  }
}

// AddPairProducts for a 3-parameter point and θ blocks of S parameters, the
// bundle-adjustment shape that dominates the formation: Eigen's lazy product
// over strided maps spent three to four instructions per multiply-add. kAvx:
// with AddPointPairAvx (inlined only into AddPointPairProductsAvx, which may
// use AVX).
template <int S, bool kAvx>
__attribute__((always_inline)) inline void AddPointPairProductsWith(
    const BlockSparseMatrix& j, const PairArgs& args, Eigen::MatrixXd* target) {
  const int w = args.width;
  const int ld = static_cast<int>(target->rows());
  double* data = target->data();
  for (int a = 0; a < args.cols.size(); ++a) {
    const int oa = j.col_block_offset(args.cols[a]);
    const double* e0 = args.e + args.local[a];
    for (int b = a; b < args.cols.size(); ++b) {
      const int ob = j.col_block_offset(args.cols[b]);
      const double* z = args.z + args.local[b];
      double* out = data + static_cast<size_t>(ob) * ld + oa;
#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
      if constexpr (kAvx) {
        if (b == a) {
          AddPointPairAvx<S, true>(e0, e0 + w, e0 + 2 * w, z, w, out, ld);
        } else {
          AddPointPairAvx<S, false>(e0, e0 + w, e0 + 2 * w, z, w, out, ld);
        }
        continue;
      }
#endif
      if (b == a) {
        AddPointPair<S, true>(e0, e0 + w, e0 + 2 * w, z, w, out, ld);
      } else {
        AddPointPair<S, false>(e0, e0 + w, e0 + 2 * w, z, w, out, ld);
      }
    }
  }
}

#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
template <int S>
__attribute__((target("avx"))) void AddPointPairProductsAvx(
    const BlockSparseMatrix& j, const PairArgs& args, Eigen::MatrixXd* target) {
  AddPointPairProductsWith<S, true>(j, args, target);
}
#endif

// The fixed-size pair products, with AVX where the processor has it.
template <int S>
void AddPointPairProducts(const BlockSparseMatrix& j, const PairArgs& args,
                          Eigen::MatrixXd* target) {
#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
  if (ProcessorHasAvx()) {
    AddPointPairProductsAvx<S>(j, args, target);
    return;
  }
#endif
  AddPointPairProductsWith<S, false>(j, args, target);
}

}  // namespace

DenseReducedSolver::DenseReducedSolver(const ReducedProblem& problem)
    : scratch_(problem.num_threads()) {}

void DenseReducedSolver::FormSchurComplement(ReducedProblem* problem) {
  const int nt = problem->num_tangent();
  if (problem->num_linear() > 0 && problem->independent_blocks() != nullptr) {
    FormIndependentSchurComplement(*problem);
    return;
  }
  if (theta_assembler_ == nullptr) {
    theta_assembler_ = std::make_unique<GramAssembler>(
        problem->jacobian(), 0, problem->num_nonlinear_columns(),
        problem->num_threads());
    theta_values_.resize(theta_assembler_->num_nonzeros());
  }
  theta_assembler_->Assemble(problem->jacobian(), nullptr, nullptr,
                             theta_values_.data());
  schur_.setZero(nt, nt);
  const auto& col_ptr = theta_assembler_->col_ptr();
  const auto& rows = theta_assembler_->row_index();
  for (int col = 0; col < nt; ++col) {
    for (int k = col_ptr[col]; k < col_ptr[col + 1]; ++k) {
      schur_(rows[k], col) = schur_(col, rows[k]) = theta_values_[k];
    }
  }
  if (problem->num_linear() == 0) return;
  SubtractCoupledCorrection(problem);
}

// S -= BᵀG⁻¹B with B = AᵀJ_θ (nl x nt, column-major), one sparse solve per
// θ column.
void DenseReducedSolver::SubtractCoupledCorrection(ReducedProblem* problem) {
  const BlockSparseMatrix& j = problem->jacobian();
  const int nt = problem->num_tangent();
  const int nl = problem->num_linear();
  const int nc = problem->num_nonlinear_columns();
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(nl, nt);
  for (int r = 0; r < j.num_row_blocks(); ++r) {
    const int m = j.row_block_size(r);
    for (auto* lc = j.row_cells_begin(r); lc != j.row_cells_end(r); ++lc) {
      if (lc->col_block < nc) continue;
      const int lo = j.col_block_offset(lc->col_block) - nt;
      const int ls = j.col_block_size(lc->col_block);
      const ConstMatrixRef a(j.values() + lc->position, m, ls);
      for (auto* tc = j.row_cells_begin(r); tc != j.row_cells_end(r); ++tc) {
        if (tc->col_block >= nc) continue;
        const int to = j.col_block_offset(tc->col_block);
        const int ts = j.col_block_size(tc->col_block);
        b.block(lo, to, ls, ts).noalias() +=
            a.transpose() * ConstMatrixRef(j.values() + tc->position, m, ts);
      }
    }
  }
  Eigen::MatrixXd z(nl, nt);
  problem->gram().SolveMultiple(b.data(), z.data(), nt);
  schur_.noalias() -= b.transpose() * z;
}

// S = J_θᵀJ_θ - Σ_k E_kᵀ G_k⁻¹ E_k (IndependentBlocks), the classic
// bundle-adjustment reduction, in one pass over each linear block's rows
// (J_θᵀJ_θ from the cells E_k reads anyway, while they are in cache), then
// the rows that touch no linear block; accumulated per thread.
void DenseReducedSolver::FormIndependentSchurComplement(
    const ReducedProblem& problem) {
  const int nt = problem.num_tangent();
  const int threads = problem.num_threads();
  // Thread 0 accumulates into schur_ itself, each other thread into its own
  // matrix.
  schur_.setZero(nt, nt);
  if (thread_schur_.size() != static_cast<size_t>(threads - 1)) {
    thread_schur_.assign(threads - 1, Eigen::MatrixXd());
  }
  for (auto& t : thread_schur_) t.setZero(nt, nt);
  auto target_of = [&](int tid) {
    return tid == 0 ? &schur_ : &thread_schur_[tid - 1];
  };
  CHECK(problem.block_gram() != nullptr);
  const BlockDiagonalGramSolver& gram = *problem.block_gram();
  const IndependentBlocks& blocks = *problem.independent_blocks();
  const BlockSparseMatrix& j = problem.jacobian();
  ParallelFor(threads, 0, blocks.num_blocks(), [&](int tid, int k) {
    Eigen::MatrixXd* target = target_of(tid);
    for (const auto& row : blocks.rows(k)) {
      const Span<IndependentBlocks::ThetaCell> cells = blocks.cells(row);
      for (int a = 0; a < cells.size(); ++a) {
        for (int b = a; b < cells.size(); ++b) {
          AddRowPair(j, row.num_rows, cells[a].col_block, cells[a].position,
                     cells[b].col_block, cells[b].position, target);
        }
      }
    }
    // A frozen block is held fixed: its rows are plain θ rows.
    if (!gram.block_is_frozen(k)) {
      AddBlockCorrection(problem, k, &scratch_[tid], target);
    }
  });
  const std::vector<int>& theta_only = blocks.theta_only_rows();
  ParallelFor(
      threads, 0, static_cast<int>(theta_only.size()), [&](int tid, int i) {
        const int r = theta_only[i];
        for (auto* a = j.row_cells_begin(r); a != j.row_cells_end(r); ++a) {
          for (auto* b = a; b != j.row_cells_end(r); ++b) {
            AddRowPair(j, j.row_block_size(r), a->col_block, a->position,
                       b->col_block, b->position, target_of(tid));
          }
        }
      });
  // The threads filled the upper block triangle (block rows <= block
  // columns), which is all Solve reads.
  for (const auto& t : thread_schur_) schur_ += t;
}

// target(a, b) += J_aᵀJ_b for two θ cells of one row (a's column block
// <= b's), target column-major: the kernel writes it as the row-major
// J_bᵀJ_a. Only the upper triangle counts where a = b.
void DenseReducedSolver::AddRowPair(const BlockSparseMatrix& j, int rows,
                                    int col_block_a, int position_a,
                                    int col_block_b, int position_b,
                                    Eigen::MatrixXd* target) {
  const int nt = static_cast<int>(target->rows());
  if (col_block_a == col_block_b && rows == 2 &&
      j.col_block_size(col_block_a) == 9) {
    // A camera's own block: its upper triangle in the column-major target.
    const int o = j.col_block_offset(col_block_a);
    double* block = target->data() + static_cast<size_t>(o) * nt + o;
#if defined(CERES_VARPRO_AVX_PAIR_KERNEL)
    if (ProcessorHasAvx()) {
      AddTwoRowGramUpperAvx<9>(j.values() + position_a, block, nt);
      return;
    }
#endif
    AddGramLowerFixed<2, 9>(j.values() + position_a, block, nt);
    return;
  }
  AddTransposeProductFused(
      j.values() + position_b, j.values() + position_a, rows,
      j.col_block_size(col_block_b), j.col_block_size(col_block_a),
      target->data() +
          static_cast<size_t>(j.col_block_offset(col_block_b)) * nt +
          j.col_block_offset(col_block_a),
      nt);
}

void DenseReducedSolver::AddBlockCorrection(const ReducedProblem& problem,
                                            int k, Scratch* s,
                                            Eigen::MatrixXd* target) {
  const BlockSparseMatrix& j = problem.jacobian();
  const IndependentBlocks& blocks = *problem.independent_blocks();
  const BlockDiagonalGramSolver& gram = *problem.block_gram();
  const double* v = j.values();
  const int p = gram.block_size(k);
  const int width = blocks.width(k);
  // E = Σ_rows A_rowᵀ J_θ,row over the block's θ columns.
  s->e_rows.setZero(p, width);
  for (const auto& row : blocks.rows(k)) {
    for (const auto& cell : blocks.cells(row)) {
      AddTransposeProductFused(v + row.linear_position, v + cell.position,
                               row.num_rows, p, cell.size,
                               s->e_rows.data() + cell.local, width);
    }
  }
  // Z = -G⁻¹E with G⁻¹ formed once (p is tiny), then only the upper block
  // triangle of EᵀZ: the rest follows by symmetry.
  s->inverse.resize(p * p);
  s->in.setZero(p);
  s->out.resize(p);
  for (int c = 0; c < p; ++c) {
    s->in[c] = 1.0;
    gram.SolveBlock(k, s->in.data(), s->out.data());
    s->in[c] = 0.0;
    for (int r = 0; r < p; ++r) s->inverse[r * p + c] = s->out[r];
  }
  s->z.resize(p * width);
  const double* e = s->e_rows.data();
  if (p == 3) {
    MinusInverseTimesRows3(s->inverse.data(), e, e + width, e + 2 * width,
                           width, s->z.data());
  } else {
    for (int r = 0; r < p; ++r) {
      double* zr = s->z.data() + r * width;
      std::fill(zr, zr + width, 0.0);
      for (int t = 0; t < p; ++t) {
        const double ginv = s->inverse[r * p + t];
        const double* et = e + t * width;
        for (int i = 0; i < width; ++i) zr[i] -= ginv * et[i];
      }
    }
  }
  const Span<int> cols = blocks.theta_col_blocks(k);
  const Span<int> local = blocks.theta_local(k);
  // Fixed sizes for the common shapes (a 3D point seen by cameras of one
  // size): the pair products are then unrolled.
  int theta_size = j.col_block_size(cols[0]);
  for (int a = 1; a < cols.size(); ++a) {
    if (j.col_block_size(cols[a]) != theta_size) theta_size = -1;
  }
  const PairArgs args{s->e_rows.data(), s->z.data(), p, width, cols, local};
  if (p == 3 && theta_size == 9) {
    AddPointPairProducts<9>(j, args, target);
  } else if (p == 3 && theta_size == 6) {
    AddPointPairProducts<6>(j, args, target);
  } else if (p == 3) {
    AddPairProducts<3, Eigen::Dynamic>(j, args, target);
  } else {
    AddPairProducts<Eigen::Dynamic, Eigen::Dynamic>(j, args, target);
  }
}

ReducedLinearSolver::Summary DenseReducedSolver::Solve(
    ReducedProblem* problem, const double* scale, const double* d2,
    const double* gradient, double /*eta*/, bool jacobian_changed, double* y) {
  Summary summary;
  const int n = problem->num_tangent();
  if (jacobian_changed || schur_.rows() != n) {
    FormSchurComplement(problem);
    diagonal_ = schur_.diagonal();
  }
  const Eigen::Map<const Eigen::VectorXd> s(scale, n);
  // One n x n matrix for everything (49 cameras: 1.6 MB each): S stays in
  // the strict upper triangle and diagonal_, for the next radius and δᵀSδ;
  // the lower triangle receives s S s + D² and then, in place, its Cholesky
  // factor.
  for (int c = 0; c < n; ++c) {
    schur_(c, c) = s[c] * diagonal_[c] * s[c] + d2[c];
    for (int r = c + 1; r < n; ++r) schur_(r, c) = s[r] * schur_(c, r) * s[c];
  }
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>, Eigen::Lower> llt(schur_);
  if (llt.info() != Eigen::Success) {
    summary.message = "dense Cholesky of the reduced system failed";
    return summary;
  }
  Eigen::Map<Eigen::VectorXd> out(y, n);
  out = -llt.solve(
      s.cwiseProduct(Eigen::Map<const Eigen::VectorXd>(gradient, n)));
  summary.num_iterations = 1;
  summary.success = out.allFinite();
  // δᵀSδ with the S at hand: the minimiser's model needs no product of its
  // own (a Jacobian product and the Gram solves).
  if (summary.success) {
    delta_ = s.cwiseProduct(out);
    product_.noalias() = schur_.triangularView<Eigen::StrictlyUpper>() * delta_;
    summary.quadratic_form = std::max(
        0.0, diagonal_.dot(delta_.cwiseAbs2()) + 2.0 * delta_.dot(product_));
  }
  return summary;
}

}  // namespace ceres_varpro::internal
