#include "ceres_varpro/slam/chordal_initialization.h"

#include <algorithm>
#include <numeric>

#include "Eigen/SparseCholesky"
#include "Eigen/SparseCore"
#include "ceres_varpro/slam/information.h"
#include "slam/orthogonal_projection.h"

namespace ceres_varpro {
namespace {

int Find(std::vector<int>* parent, int x) {
  while ((*parent)[x] != x) x = (*parent)[x] = (*parent)[(*parent)[x]];
  return x;
}

}  // namespace

bool ChordalRotations(const SlamGraph& graph,
                      std::vector<Eigen::MatrixXd>* rotations,
                      std::string* error) {
  if (!graph.Validate(error)) return false;
  const int d = graph.dimension, n = graph.num_poses();
  // Anchors: the smallest pose index of each component.
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  for (const SlamGraph::PoseEdge& e : graph.pose_edges) {
    const int a = Find(&parent, e.from), b = Find(&parent, e.to);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
  std::vector<int> free_index(n, -1);
  int num_free = 0;
  for (int i = 0; i < n; ++i) {
    if (Find(&parent, i) != i) free_index[i] = num_free++;
  }
  // Rows of R = [R_1 … R_n] are independent: minimise ρ L ρᵀ per row, L the
  // connection Laplacian. With anchors A fixed at I: L_ff R_fᵀ = -L_fa R_aᵀ.
  std::vector<Eigen::Triplet<double>> lff;
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(d * num_free, d);
  // Adds w·(coefficients of one residual column)ᵀ(…) to the system.
  auto add =
      [&](double w,
          const std::vector<std::pair<int, Eigen::RowVectorXd>>& column) {
        // column: (pose, d×1 coefficient block as a row) pairs; the residual
        // column is Σ R_pose·coefficientᵀ.
        for (const auto& [p, u] : column) {
          if (free_index[p] < 0) continue;
          for (const auto& [q, v] : column) {
            const Eigen::MatrixXd block = w * u.transpose() * v;  // d×d
            if (free_index[q] >= 0) {
              for (int a = 0; a < d; ++a) {
                for (int b = 0; b < d; ++b) {
                  lff.emplace_back(d * free_index[p] + a, d * free_index[q] + b,
                                   block(a, b));
                }
              }
            } else {
              // Anchor q at the identity: its term moves to the right-hand
              // side.
              rhs.middleRows(d * free_index[p], d) -= block;
            }
          }
        }
      };
  for (const SlamGraph::PoseEdge& e : graph.pose_edges) {
    const double kappa = IsotropicWeightsFromInformation(e.information).kappa;
    // Column c of R_j - R_i R̃: R_j e_c - R_i R̃ e_c.
    for (int c = 0; c < d; ++c) {
      add(kappa, {{e.to, Eigen::RowVectorXd::Unit(d, c)},
                  {e.from, -e.rotation.col(c).transpose()}});
    }
  }
  Eigen::MatrixXd solution(d * num_free, d);
  if (num_free > 0) {
    Eigen::SparseMatrix<double> l(d * num_free, d * num_free);
    l.setFromTriplets(lff.begin(), lff.end());
    const Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(l);
    if (ldlt.info() != Eigen::Success) {
      *error = "the chordal relaxation's normal matrix is singular";
      return false;
    }
    solution = ldlt.solve(rhs);
  }
  rotations->assign(n, Eigen::MatrixXd::Identity(d, d));
  for (int i = 0; i < n; ++i) {
    if (free_index[i] < 0) continue;
    // Rows d·f … of the solution are R_iᵀ.
    (*rotations)[i] = ProjectToSpecialOrthogonal(
        solution.middleRows(d * free_index[i], d).transpose());
  }
  return true;
}

}  // namespace ceres_varpro
