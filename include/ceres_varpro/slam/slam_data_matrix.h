#ifndef CERES_VARPRO_SLAM_SLAM_DATA_MATRIX_H_
#define CERES_VARPRO_SLAM_SLAM_DATA_MATRIX_H_

#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "Eigen/SparseCore"
#include "ceres_varpro/io/slam_graph.h"

namespace ceres_varpro {

// The isotropic SLAM model (SlamModel::kIsotropic: chordal rotation terms,
// isotropic translation and landmark terms, ranges with a bearing per range)
// as one quadratic form, at any rank r ≥ d (docs/certifiable.md §2):
//
//   cost(X, P) = ½ tr([X P] M [X P]ᵀ),
//   X = [Y_1 … Y_n  b_1 … b_m] ∈ R^{r×N}, N = d·n + m   (rotations, bearings)
//   P = [t_1 … t_n  l_1 … l_L] ∈ R^{r×(n+L)}            (positions)
//
// M is symmetric positive semi-definite and sparse, assembled term by term
// with the weights SlamProblem uses (κ, τ, ν from the information matrices,
// 1/σ² for ranges). Every term sees positions only through differences, so
// one position per connected component of the position graph is pinned at
// zero without changing the minimum over P; with M_pp the remaining positions'
// block (positive definite), the reduced cost is
//
//   f(X) = min_P cost(X, P) = ½ tr(Q XᵀX),  Q = M_XX - M_Xp M_pp⁻¹ M_pX,
//
// which is what ceres_varpro::Solve minimises when the positions are its
// linear blocks. Q is never formed: MultiplyQ applies it with one sparse
// Cholesky factorisation of M_pp, computed by Build.
class SlamDataMatrix {
 public:
  SlamDataMatrix();
  ~SlamDataMatrix();

  // False (with the reason) if the graph is invalid or has no pose.
  bool Build(const SlamGraph& graph, std::string* error);

  int dimension() const { return d_; }
  int num_poses() const { return num_poses_; }
  int num_bearings() const { return num_bearings_; }
  int num_positions() const { return num_positions_; }
  // N: the columns of X.
  int num_columns() const { return d_ * num_poses_ + num_bearings_; }
  // First column of pose i's d columns / bearing k's column in X.
  int PoseColumn(int pose) const { return d_ * pose; }
  int BearingColumn(int bearing) const { return d_ * num_poses_ + bearing; }
  // Positions held at zero for the Schur complement: the first position of
  // each connected component of the position graph (pose 0's translation
  // for the component that holds it).
  const std::vector<int>& pinned_positions() const { return pinned_; }

  // M over (X columns, then positions), both triangles stored.
  const Eigen::SparseMatrix<double>& matrix() const { return m_; }
  // Its blocks with the pinned positions removed: M_XX, M_Xp, M_pp.
  const Eigen::SparseMatrix<double>& m_xx() const { return m_xx_; }
  const Eigen::SparseMatrix<double>& m_xp() const { return m_xp_; }
  const Eigen::SparseMatrix<double>& m_pp() const { return m_pp_; }

  // Q·V for V with N rows (any number of columns).
  Eigen::MatrixXd MultiplyQ(const Eigen::MatrixXd& v) const;
  // f(X) = ½ tr(X Q Xᵀ) for X with N columns (any number of rows).
  double Cost(const Eigen::MatrixXd& x) const;
  // The positions P (r×(n+L)) minimising cost(X, P), pinned ones at zero.
  Eigen::MatrixXd OptimalPositions(const Eigen::MatrixXd& x) const;

 private:
  struct Factor;
  struct Assembly;
  // Build's stages: the terms of M (and the position graph's components)
  // into *assembly; the pinned and free positions from the components,
  // returning the number free; M's blocks with the pinned positions dropped.
  void AddTerms(const SlamGraph& graph, Assembly* assembly) const;
  int PinPositions(std::vector<int>* parent);
  void SplitBlocks(int num_free);

  int d_ = 0;
  int num_poses_ = 0, num_bearings_ = 0, num_positions_ = 0;
  std::vector<int> pinned_;
  std::vector<int> free_of_position_;  // Index among free positions, or -1.
  Eigen::SparseMatrix<double> m_, m_xx_, m_xp_, m_pp_;
  std::unique_ptr<Factor> factor_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_SLAM_DATA_MATRIX_H_
