#include "ceres_varpro/slam/slam_data_matrix.h"

#include <cmath>
#include <numeric>
#include <utility>

#include "Eigen/SparseCholesky"
#include "ceres_varpro/slam/information.h"
#include "glog/logging.h"

namespace ceres_varpro {

struct SlamDataMatrix::Factor {
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt;
};

SlamDataMatrix::SlamDataMatrix() = default;
SlamDataMatrix::~SlamDataMatrix() = default;

namespace {

// One residual column a of a term w·‖[X P] a‖²: (index, coefficient) pairs
// over the combined (X columns, positions) index.
using Column = std::vector<std::pair<int, double>>;

int Find(std::vector<int>* parent, int x) {
  while ((*parent)[x] != x) x = (*parent)[x] = (*parent)[(*parent)[x]];
  return x;
}

}  // namespace

// The terms of M as triplets over the combined (X columns, positions)
// index, and the position graph's components: union-find over the
// positions, the smaller index the root so pose 0 roots its component.
struct SlamDataMatrix::Assembly {
  Assembly(int n_x, int num_positions) : n_x(n_x), parent(num_positions) {
    std::iota(parent.begin(), parent.end(), 0);
  }
  // Combined indices of two positions.
  void Join(int a, int b) {
    const int ra = Find(&parent, a - n_x), rb = Find(&parent, b - n_x);
    if (ra != rb) parent[std::max(ra, rb)] = std::min(ra, rb);
  }
  // The term weight·‖[X P] a‖².
  void Add(double weight, const Column& a) {
    for (const auto& [p, u] : a) {
      for (const auto& [q, v] : a) triplets.emplace_back(p, q, weight * u * v);
    }
  }

  const int n_x;
  std::vector<Eigen::Triplet<double>> triplets;
  std::vector<int> parent;
};

bool SlamDataMatrix::Build(const SlamGraph& graph, std::string* error) {
  if (!graph.Validate(error)) return false;
  if (graph.num_poses() == 0) {
    *error = "the graph has no pose";
    return false;
  }
  d_ = graph.dimension;
  num_poses_ = graph.num_poses();
  num_bearings_ = static_cast<int>(graph.range_edges.size());
  num_positions_ = num_poses_ + graph.num_landmarks();
  const int n_x = num_columns();
  const int n_total = n_x + num_positions_;

  Assembly assembly(n_x, num_positions_);
  AddTerms(graph, &assembly);
  m_.resize(n_total, n_total);
  m_.setFromTriplets(assembly.triplets.begin(), assembly.triplets.end());
  m_.makeCompressed();

  const int num_free = PinPositions(&assembly.parent);
  SplitBlocks(num_free);
  factor_ = std::make_unique<Factor>();
  if (num_free > 0) {
    factor_->ldlt.compute(m_pp_);
    if (factor_->ldlt.info() != Eigen::Success) {
      *error =
          "the positions' normal matrix is singular with one position pinned "
          "per connected component (a zero weight?)";
      return false;
    }
  }
  return true;
}

void SlamDataMatrix::AddTerms(const SlamGraph& graph,
                              Assembly* assembly) const {
  const int n_x = assembly->n_x;
  auto position = [&](const SlamGraph::Endpoint& e) {
    return n_x + (e.is_landmark ? num_poses_ + e.index : e.index);
  };
  const int d = d_;
  for (const SlamGraph::PoseEdge& e : graph.pose_edges) {
    const IsotropicWeights w = IsotropicWeightsFromInformation(e.information);
    // √κ (Y_j - Y_i R̃): column c is Y_j e_c - Σ_k Y_i e_k R̃(k, c).
    for (int c = 0; c < d; ++c) {
      Column a = {{PoseColumn(e.to) + c, 1.0}};
      for (int k = 0; k < d; ++k) {
        a.emplace_back(PoseColumn(e.from) + k, -e.rotation(k, c));
      }
      assembly->Add(w.kappa, a);
    }
    // √τ (t_j - t_i - Y_i t̃).
    const int ti = n_x + e.from, tj = n_x + e.to;
    Column a = {{tj, 1.0}, {ti, -1.0}};
    for (int k = 0; k < d; ++k) {
      a.emplace_back(PoseColumn(e.from) + k, -e.translation[k]);
    }
    assembly->Add(w.tau, a);
    assembly->Join(ti, tj);
  }
  for (const SlamGraph::LandmarkEdge& e : graph.landmark_edges) {
    // √ν (l_j - t_i - Y_i t̃).
    const int ti = n_x + e.pose, lj = n_x + num_poses_ + e.landmark;
    Column a = {{lj, 1.0}, {ti, -1.0}};
    for (int k = 0; k < d; ++k) {
      a.emplace_back(PoseColumn(e.pose) + k, -e.translation[k]);
    }
    assembly->Add(IsotropicPrecision(e.information), a);
    assembly->Join(ti, lj);
  }
  for (int k = 0; k < num_bearings_; ++k) {
    // (t_a - t_b - r b_k) / σ.
    const SlamGraph::RangeEdge& e = graph.range_edges[k];
    const int pa = position(e.a), pb = position(e.b);
    assembly->Add(1.0 / e.variance,
                  {{pa, 1.0}, {pb, -1.0}, {BearingColumn(k), -e.range}});
    assembly->Join(pa, pb);
  }
}

int SlamDataMatrix::PinPositions(std::vector<int>* parent) {
  pinned_.clear();
  free_of_position_.assign(num_positions_, -1);
  int num_free = 0;
  for (int p = 0; p < num_positions_; ++p) {
    if (Find(parent, p) == p) {
      pinned_.push_back(p);
    } else {
      free_of_position_[p] = num_free++;
    }
  }
  return num_free;
}

void SlamDataMatrix::SplitBlocks(int num_free) {
  const int n_x = num_columns();
  std::vector<Eigen::Triplet<double>> xx, xp, pp;
  for (int col = 0; col < m_.outerSize(); ++col) {
    for (Eigen::SparseMatrix<double>::InnerIterator it(m_, col); it; ++it) {
      const int row = static_cast<int>(it.row());
      const bool row_x = row < n_x, col_x = col < n_x;
      const int row_p = row_x ? -1 : free_of_position_[row - n_x];
      const int col_p = col_x ? -1 : free_of_position_[col - n_x];
      if (row_x && col_x) {
        xx.emplace_back(row, col, it.value());
      } else if (row_x && col_p >= 0) {
        xp.emplace_back(row, col_p, it.value());
      } else if (row_p >= 0 && col_p >= 0) {
        pp.emplace_back(row_p, col_p, it.value());
      }
    }
  }
  m_xx_.resize(n_x, n_x);
  m_xx_.setFromTriplets(xx.begin(), xx.end());
  m_xp_.resize(n_x, num_free);
  m_xp_.setFromTriplets(xp.begin(), xp.end());
  m_pp_.resize(num_free, num_free);
  m_pp_.setFromTriplets(pp.begin(), pp.end());
}

Eigen::MatrixXd SlamDataMatrix::MultiplyQ(const Eigen::MatrixXd& v) const {
  CHECK_EQ(v.rows(), num_columns());
  Eigen::MatrixXd out = m_xx_ * v;
  if (m_pp_.rows() > 0) {
    const Eigen::MatrixXd rhs = m_xp_.transpose() * v;
    out -= m_xp_ * factor_->ldlt.solve(rhs);
  }
  return out;
}

double SlamDataMatrix::Cost(const Eigen::MatrixXd& x) const {
  CHECK_EQ(x.cols(), num_columns());
  const Eigen::MatrixXd xt = x.transpose();
  return 0.5 * xt.cwiseProduct(MultiplyQ(xt)).sum();
}

Eigen::MatrixXd SlamDataMatrix::OptimalPositions(
    const Eigen::MatrixXd& x) const {
  CHECK_EQ(x.cols(), num_columns());
  // M_pp Pᵀ = -M_pX Xᵀ for the free positions.
  Eigen::MatrixXd positions = Eigen::MatrixXd::Zero(x.rows(), num_positions_);
  if (m_pp_.rows() == 0) return positions;
  const Eigen::MatrixXd rhs = -(m_xp_.transpose() * x.transpose());
  const Eigen::MatrixXd free = factor_->ldlt.solve(rhs);
  for (int p = 0; p < num_positions_; ++p) {
    if (free_of_position_[p] >= 0) {
      positions.col(p) = free.row(free_of_position_[p]).transpose();
    }
  }
  return positions;
}

}  // namespace ceres_varpro
