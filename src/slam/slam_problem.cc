#include "ceres_varpro/slam/slam_problem.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>

#include "Eigen/QR"
#include "Eigen/SVD"
#include "ceres/ceres.h"
#include "ceres_varpro/slam/chordal_initialization.h"
#include "ceres_varpro/slam/information.h"
#include "ceres_varpro/slam/isotropic_rotation_cost.h"
#include "ceres_varpro/slam/isotropic_translation_cost.h"
#include "ceres_varpro/slam/landmark_prior_cost.h"
#include "ceres_varpro/slam/pose_prior_cost.h"
#include "ceres_varpro/slam/range_cost.h"
#include "ceres_varpro/slam/relative_landmark_cost.h"
#include "ceres_varpro/slam/relative_pose_cost.h"
#include "ceres_varpro/slam/rotation_manifold.h"
#include "ceres_varpro/slam/slam_data_matrix.h"

namespace ceres_varpro {
namespace {

Eigen::MatrixXd ProjectToRotation(const Eigen::MatrixXd& m) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(
      m, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::MatrixXd r = svd.matrixU() * svd.matrixV().transpose();
  if (r.determinant() < 0) {
    Eigen::MatrixXd u = svd.matrixU();
    u.col(u.cols() - 1) *= -1.0;
    r = u * svd.matrixV().transpose();
  }
  return r;
}

template <int kDim>
void AddResiduals(const SlamGraph& graph, SlamModel model,
                  ceres::Problem* problem,
                  const std::vector<double*>& rotations,
                  const std::vector<double*>& translations,
                  const std::vector<double*>& landmarks,
                  const std::vector<double*>& bearings) {
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;
  constexpr int kPose = kDim + kDim * (kDim - 1) / 2;
  for (const SlamGraph::PoseEdge& e : graph.pose_edges) {
    const Matrix r = e.rotation;
    const Vector t = e.translation;
    if (model == SlamModel::kIsotropic) {
      const IsotropicWeights w = IsotropicWeightsFromInformation(e.information);
      problem->AddResidualBlock(IsotropicRotationCost<kDim>::Create(r, w.kappa),
                                nullptr, rotations[e.from], rotations[e.to]);
      problem->AddResidualBlock(
          IsotropicTranslationCost<kDim>::Create(t, w.tau), nullptr,
          rotations[e.from], translations[e.from], translations[e.to]);
    } else {
      const Eigen::Matrix<double, kPose, kPose> info = e.information;
      problem->AddResidualBlock(RelativePoseCost<kDim>::Create(r, t, info),
                                nullptr, rotations[e.from],
                                translations[e.from], rotations[e.to],
                                translations[e.to]);
    }
  }
  for (const SlamGraph::LandmarkEdge& e : graph.landmark_edges) {
    const Vector t = e.translation;
    if (model == SlamModel::kIsotropic) {
      const double nu = IsotropicPrecision(e.information);
      problem->AddResidualBlock(RelativeLandmarkCost<kDim>::Create(
                                    t, std::sqrt(nu) * Matrix::Identity()),
                                nullptr, rotations[e.pose],
                                translations[e.pose], landmarks[e.landmark]);
    } else {
      const Matrix u = SqrtInformation(e.information);
      problem->AddResidualBlock(
          RelativeLandmarkBodyFrameCost<kDim>::Create(t, u), nullptr,
          rotations[e.pose], translations[e.pose], landmarks[e.landmark]);
    }
  }
  for (const SlamGraph::PosePrior& p : graph.pose_priors) {
    const Matrix r = p.rotation;
    const Vector t = p.translation;
    if (model == SlamModel::kIsotropic) {
      const IsotropicWeights w = IsotropicWeightsFromInformation(p.information);
      problem->AddResidualBlock(
          IsotropicPosePriorCost<kDim>::Create(r, t, w.kappa, w.tau), nullptr,
          rotations[p.pose], translations[p.pose]);
    } else {
      const Eigen::Matrix<double, kPose, kPose> info = p.information;
      problem->AddResidualBlock(PosePriorCost<kDim>::Create(r, t, info),
                                nullptr, rotations[p.pose],
                                translations[p.pose]);
    }
  }
  for (const SlamGraph::LandmarkPrior& p : graph.landmark_priors) {
    const Vector position = p.position;
    const Matrix u = model == SlamModel::kIsotropic
                         ? Matrix(std::sqrt(IsotropicPrecision(p.information)) *
                                  Matrix::Identity())
                         : Matrix(SqrtInformation(p.information));
    problem->AddResidualBlock(LandmarkPriorCost<kDim>::Create(position, u),
                              nullptr, landmarks[p.landmark]);
  }
  for (size_t k = 0; k < graph.range_edges.size(); ++k) {
    const SlamGraph::RangeEdge& e = graph.range_edges[k];
    double* a =
        e.a.is_landmark ? landmarks[e.a.index] : translations[e.a.index];
    double* b =
        e.b.is_landmark ? landmarks[e.b.index] : translations[e.b.index];
    problem->AddResidualBlock(
        RangeCost<kDim>::Create(e.range, std::sqrt(e.variance)), nullptr, a, b,
        bearings[k]);
  }
}

}  // namespace

const char* SlamProblem::model_name() const {
  return model_ == SlamModel::kIsotropic ? "isotropic" : "full";
}

bool SlamProblem::Build(const SlamGraph& graph,
                        const SlamProblemOptions& options, std::string* error) {
  if (!graph.Validate(error)) return false;
  d_ = graph.dimension;
  model_ = options.model;
  const int np = graph.num_poses(), nl = graph.num_landmarks();
  const int nr = static_cast<int>(graph.range_edges.size());
  // Sized once: the problem keeps pointers into these vectors.
  rotations_.assign(static_cast<size_t>(np) * d_ * d_, 0.0);
  translations_.assign(static_cast<size_t>(np) * d_, 0.0);
  landmarks_.assign(static_cast<size_t>(nl) * d_, 0.0);
  bearings_.assign(static_cast<size_t>(nr) * d_, 0.0);
  if (!Initialize(graph, options.initialization, error)) return false;

  problem_ = std::make_unique<ceres::Problem>();
  // The problem owns a manifold only once a block uses it: create each one
  // only when there is such a block.
  ceres::Manifold* so = nullptr;
  if (np > 0) {
    so = d_ == 2 ? static_cast<ceres::Manifold*>(new SO2Manifold)
                 : static_cast<ceres::Manifold*>(new SO3Manifold);
  }
  ceres::Manifold* sphere = nr > 0 ? CreateUnitBearingManifold(d_) : nullptr;
  std::vector<double*> rot(np), tra(np), lm(nl), bear(nr);
  linear_blocks_.clear();
  for (int i = 0; i < np; ++i) {
    rot[i] = rotation(i);
    tra[i] = translation(i);
    problem_->AddParameterBlock(rot[i], d_ * d_, so);
    problem_->AddParameterBlock(tra[i], d_);
    linear_blocks_.push_back(tra[i]);
  }
  for (int j = 0; j < nl; ++j) {
    lm[j] = landmark(j);
    problem_->AddParameterBlock(lm[j], d_);
    linear_blocks_.push_back(lm[j]);
  }
  for (int k = 0; k < nr; ++k) {
    bear[k] = &bearings_[k * d_];
    problem_->AddParameterBlock(bear[k], d_, sphere);
  }
  if (d_ == 2) {
    AddResiduals<2>(graph, model_, problem_.get(), rot, tra, lm, bear);
  } else {
    AddResiduals<3>(graph, model_, problem_.get(), rot, tra, lm, bear);
  }
  FixGauge(graph, rot, tra);
  return true;
}

// Connected components of poses and landmarks (landmark j is node np + j).
std::vector<int> SlamGraphComponents(const SlamGraph& graph) {
  const int np = graph.num_poses(), nl = graph.num_landmarks();
  std::vector<int> parent(np + nl);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto unite = [&](int a, int b) { parent[find(a)] = find(b); };
  auto node = [&](const SlamGraph::Endpoint& e) {
    return e.is_landmark ? np + e.index : e.index;
  };
  for (const auto& e : graph.pose_edges) unite(e.from, e.to);
  for (const auto& e : graph.landmark_edges) unite(e.pose, np + e.landmark);
  for (const auto& e : graph.range_edges) unite(node(e.a), node(e.b));
  for (int i = 0; i < np + nl; ++i) parent[i] = find(i);
  return parent;
}

void SlamProblem::FixGauge(const SlamGraph& graph,
                           const std::vector<double*>& rot,
                           const std::vector<double*>& tra) {
  // Per connected component: a pose prior anchors it whole; landmark priors
  // anchor its translation, and its rotation too once there are d of them
  // (d ≥ 2 distinct points in 2D, 3 in 3D — assumed not collinear); else its
  // first pose is the frame it is expressed in. Anchored components get no
  // pin from the engine either (a prior residual is not shift invariant).
  const int np = graph.num_poses(), nl = graph.num_landmarks();
  const std::vector<int> component = SlamGraphComponents(graph);
  std::vector<char> pose_prior(np + nl, 0);
  std::vector<int> landmark_priors(np + nl, 0);
  std::vector<char> prior_seen(nl, 0);
  for (const auto& p : graph.pose_priors) pose_prior[component[p.pose]] = 1;
  for (const auto& p : graph.landmark_priors) {
    if (prior_seen[p.landmark]) continue;
    prior_seen[p.landmark] = 1;
    ++landmark_priors[component[np + p.landmark]];
  }
  std::vector<char> done(np + nl, 0);
  num_anchored_components_ = 0;
  for (int i = 0; i < np; ++i) {
    const int c = component[i];
    if (done[c]) continue;
    done[c] = 1;
    if (pose_prior[c] || landmark_priors[c] >= d_) {
      ++num_anchored_components_;
      continue;
    }
    problem_->SetParameterBlockConstant(rot[i]);
    if (landmark_priors[c] > 0) {
      ++num_anchored_components_;
    } else {
      problem_->SetParameterBlockConstant(tra[i]);
    }
  }
  for (int j = 0; j < nl; ++j) {
    const int c = component[np + j];
    if (done[c]) continue;
    done[c] = 1;
    if (landmark_priors[c] > 0) ++num_anchored_components_;
  }
}

bool SlamProblem::Initialize(const SlamGraph& graph, SlamInitialization init,
                             std::string* error) {
  const int np = graph.num_poses();
  bool all_values = true;
  for (const auto& p : graph.poses) all_values = all_values && p.has_value;
  if (init == SlamInitialization::kAuto) {
    init = graph.vertices_are_initial_guess && all_values
               ? SlamInitialization::kFile
               : SlamInitialization::kOdometry;
  }
  if (init == SlamInitialization::kFile && !all_values) {
    *error =
        "--init=file needs a value for every pose, and the file has none for "
        "some";
    return false;
  }
  std::vector<Eigen::MatrixXd> r(np);
  std::vector<Eigen::VectorXd> t(np);
  std::vector<Eigen::VectorXd> chordal_landmarks;
  if (init == SlamInitialization::kChordal) {
    if (!InitializeChordal(graph, &r, &t, &chordal_landmarks, error)) {
      return false;
    }
  } else if (init == SlamInitialization::kFile) {
    initialization_used_ = "vertex values from the file";
    for (int i = 0; i < np; ++i) {
      r[i] = graph.poses[i].rotation;
      t[i] = graph.poses[i].translation;
    }
  } else {
    initialization_used_ =
        "odometry: relative poses chained along a spanning forest preferring "
        "consecutive ids, from each chain's first pose";
    // Spanning forest, odometry edges (same robot, consecutive ids) first.
    std::vector<int> order(graph.pose_edges.size());
    std::iota(order.begin(), order.end(), 0);
    auto consecutive = [&](const SlamGraph::PoseEdge& e) {
      const auto& a = graph.poses[e.from];
      const auto& b = graph.poses[e.to];
      return a.robot == b.robot && std::llabs(a.id - b.id) == 1;
    };
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
      return consecutive(graph.pose_edges[x]) >
             consecutive(graph.pose_edges[y]);
    });
    std::vector<int> parent(np);
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](int x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    std::vector<std::vector<std::pair<int, int>>> tree(
        np);  // (neighbour, edge)
    for (int k : order) {
      const auto& e = graph.pose_edges[k];
      const int a = find(e.from), b = find(e.to);
      if (a == b) continue;
      parent[a] = b;
      tree[e.from].push_back({e.to, k});
      tree[e.to].push_back({e.from, k});
    }
    // Roots: the first pose (robot, id order) of every tree.
    std::vector<int> by_id(np);
    std::iota(by_id.begin(), by_id.end(), 0);
    std::stable_sort(by_id.begin(), by_id.end(), [&](int x, int y) {
      const auto& a = graph.poses[x];
      const auto& b = graph.poses[y];
      return a.robot != b.robot ? a.robot < b.robot : a.id < b.id;
    });
    std::vector<const SlamGraph::PosePrior*> prior(np, nullptr);
    for (const auto& p : graph.pose_priors) {
      if (prior[p.pose] == nullptr) prior[p.pose] = &p;
    }
    // A tree with a prior starts from its first prior pose.
    std::vector<int> tree_root(np, -1);
    for (int i : by_id) {
      if (prior[i] != nullptr && tree_root[find(i)] < 0) tree_root[find(i)] = i;
    }
    for (int i : by_id) {
      if (tree_root[find(i)] < 0) tree_root[find(i)] = i;
    }
    std::vector<char> done(np, 0);
    for (int first : by_id) {
      const int root = tree_root[find(first)];
      if (done[root]) continue;
      const auto& p = graph.poses[root];
      if (prior[root] != nullptr) {
        r[root] = prior[root]->rotation;
        t[root] = prior[root]->translation;
      } else {
        r[root] = p.has_value ? p.rotation : Eigen::MatrixXd::Identity(d_, d_);
        t[root] = p.has_value ? p.translation : Eigen::VectorXd::Zero(d_);
      }
      done[root] = 1;
      std::queue<int> queue;
      queue.push(root);
      while (!queue.empty()) {
        const int i = queue.front();
        queue.pop();
        for (auto [j, k] : tree[i]) {
          if (done[j]) continue;
          const auto& e = graph.pose_edges[k];
          if (e.from == i) {  // Forward: j = i ⊕ z.
            r[j] = r[i] * e.rotation;
            t[j] = t[i] + r[i] * e.translation;
          } else {  // Stored backwards: i = j ⊕ z.
            r[j] = r[i] * e.rotation.transpose();
            t[j] = t[i] - r[j] * e.translation;
          }
          done[j] = 1;
          queue.push(j);
        }
      }
    }
  }
  for (int i = 0; i < np; ++i) {
    const Eigen::MatrixXd ri = ProjectToRotation(r[i]);
    std::copy(ri.data(), ri.data() + d_ * d_, rotation(i));
    std::copy(t[i].data(), t[i].data() + d_, translation(i));
  }
  // Landmarks: the file value when it is an initial guess, else a prior,
  // else the first relative measurement, else the centroid of the poses
  // ranging to it, else (sensor networks) multilaterated from the ranges to
  // those already placed.
  const int nl = graph.num_landmarks();
  std::vector<int> count(nl, 0);
  std::vector<Eigen::VectorXd> guess(nl, Eigen::VectorXd::Zero(d_));
  std::vector<char> measured(nl, 0);
  for (const auto& p : graph.landmark_priors) {
    if (measured[p.landmark]) continue;
    measured[p.landmark] = 1;
    guess[p.landmark] = p.position;
  }
  for (const auto& e : graph.landmark_edges) {
    if (measured[e.landmark]) continue;
    measured[e.landmark] = 1;
    guess[e.landmark] = t[e.pose] + r[e.pose] * e.translation;
  }
  for (const auto& e : graph.range_edges) {
    for (const auto& [x, y] : {std::pair(e.a, e.b), std::pair(e.b, e.a)}) {
      if (x.is_landmark && !y.is_landmark && !measured[x.index]) {
        guess[x.index] += t[y.index];
        ++count[x.index];
      }
    }
  }
  std::vector<char> placed(nl, 0);
  for (int j = 0; j < nl; ++j) {
    if (!measured[j] && count[j] > 0) guess[j] /= count[j];
    placed[j] = measured[j] || count[j] > 0;
    if (init == SlamInitialization::kFile && graph.landmarks[j].has_value) {
      guess[j] = graph.landmarks[j].position;
      placed[j] = 1;
    }
    if (init == SlamInitialization::kChordal) {
      guess[j] = chordal_landmarks[j];
      placed[j] = 1;
    }
  }
  Multilaterate(graph, t, &placed, &guess);
  for (int j = 0; j < nl; ++j) {
    std::copy(guess[j].data(), guess[j].data() + d_, landmark(j));
  }
  // Bearings from the current positions.
  for (size_t k = 0; k < graph.range_edges.size(); ++k) {
    const auto& e = graph.range_edges[k];
    Eigen::VectorXd b = Eigen::Map<const Eigen::VectorXd>(position(e.a), d_) -
                        Eigen::Map<const Eigen::VectorXd>(position(e.b), d_);
    if (!(b.norm() > 1e-12)) b = Eigen::VectorXd::Unit(d_, 0);
    b.normalize();
    std::copy(b.data(), b.data() + d_, &bearings_[k * d_]);
  }
  return true;
}

void SlamProblem::Multilaterate(const SlamGraph& graph,
                                const std::vector<Eigen::VectorXd>& poses,
                                std::vector<char>* placed,
                                std::vector<Eigen::VectorXd>* guess) const {
  const int nl = graph.num_landmarks();
  // Range neighbours of each landmark: (other landmark or pose, range).
  struct Neighbour {
    SlamGraph::Endpoint other;
    double range;
  };
  std::vector<std::vector<Neighbour>> neighbours(nl);
  const std::vector<char> given = *placed;  // Not moved by the refinement.
  for (const auto& e : graph.range_edges) {
    if (e.a.is_landmark) neighbours[e.a.index].push_back({e.b, e.range});
    if (e.b.is_landmark) neighbours[e.b.index].push_back({e.a, e.range});
  }
  auto position = [&](const SlamGraph::Endpoint& x) -> const Eigen::VectorXd& {
    return x.is_landmark ? (*guess)[x.index] : poses[x.index];
  };
  auto is_placed = [&](const SlamGraph::Endpoint& x) {
    return !x.is_landmark || (*placed)[x.index];
  };
  // Sensor networks with anchors: the shortest-path distance through the
  // ranges to each anchor (placed landmark) stands for the Euclidean one, and
  // each node is multilaterated from those (DV-distance). Coarse, but
  // globally consistent: no flipped patches, which greedy placement from
  // few neighbours produces.
  std::vector<int> anchors;
  for (int j = 0; j < nl; ++j) {
    if ((*placed)[j] && !neighbours[j].empty()) anchors.push_back(j);
  }
  if (static_cast<int>(anchors.size()) > 64) {
    std::vector<int> spread;
    for (int k = 0; k < 64; ++k)
      spread.push_back(anchors[k * anchors.size() / 64]);
    anchors.swap(spread);
  }
  if (static_cast<int>(anchors.size()) >= d_ + 1) {
    const int na = static_cast<int>(anchors.size());
    const double infinity = std::numeric_limits<double>::infinity();
    std::vector<std::vector<double>> distance(
        na, std::vector<double>(nl, infinity));
    for (int a = 0; a < na; ++a) {
      std::vector<double>& dist = distance[a];
      using Item = std::pair<double, int>;
      std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
      dist[anchors[a]] = 0.0;
      queue.push({0.0, anchors[a]});
      while (!queue.empty()) {
        const auto [dj, j] = queue.top();
        queue.pop();
        if (dj > dist[j]) continue;
        for (const auto& n : neighbours[j]) {
          if (!n.other.is_landmark) continue;
          const double candidate = dj + n.range;
          if (candidate < dist[n.other.index]) {
            dist[n.other.index] = candidate;
            queue.push({candidate, n.other.index});
          }
        }
      }
    }
    for (int j = 0; j < nl; ++j) {
      if ((*placed)[j]) continue;
      std::vector<int> reach;
      for (int a = 0; a < na; ++a) {
        if (std::isfinite(distance[a][j])) reach.push_back(a);
      }
      const int k = static_cast<int>(reach.size());
      if (k < d_ + 1) continue;
      const Eigen::VectorXd& p0 = (*guess)[anchors[reach[0]]];
      const double r0 = distance[reach[0]][j];
      Eigen::MatrixXd a(k - 1, d_);
      Eigen::VectorXd b(k - 1);
      for (int i = 1; i < k; ++i) {
        const Eigen::VectorXd& p = (*guess)[anchors[reach[i]]];
        const double ri = distance[reach[i]][j];
        a.row(i - 1) = 2.0 * (p - p0).transpose();
        b[i - 1] = p.squaredNorm() - p0.squaredNorm() - ri * ri + r0 * r0;
      }
      Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
      qr.setThreshold(1e-6);
      if (qr.rank() < d_) continue;
      const Eigen::VectorXd x = qr.solve(b);
      if (!x.allFinite()) continue;
      (*guess)[j] = x;
      (*placed)[j] = 1;
    }
  }

  // Most-constrained first: a max-heap on the number of placed neighbours,
  // with stale entries skipped.
  std::vector<int> support(nl, 0);
  std::priority_queue<std::pair<int, int>> heap;
  for (int j = 0; j < nl; ++j) {
    if ((*placed)[j]) continue;
    for (const auto& n : neighbours[j]) support[j] += is_placed(n.other);
    heap.push({support[j], j});
  }
  int next_unplaced = 0;
  while (true) {
    int j = -1;
    while (!heap.empty()) {
      const auto [s, k] = heap.top();
      heap.pop();
      if (!(*placed)[k] && s == support[k] && s > 0) {
        j = k;
        break;
      }
    }
    if (j < 0) {
      // Nothing anchored left: start a new patch at the origin.
      while (next_unplaced < nl && (*placed)[next_unplaced]) ++next_unplaced;
      if (next_unplaced == nl) break;
      j = next_unplaced;
      (*guess)[j] = Eigen::VectorXd::Zero(d_);
    } else {
      std::vector<const Neighbour*> known;
      for (const auto& n : neighbours[j]) {
        if (is_placed(n.other)) known.push_back(&n);
      }
      const int k = static_cast<int>(known.size());
      Eigen::VectorXd x = Eigen::VectorXd::Zero(d_);
      for (const Neighbour* n : known) x += position(n->other);
      x /= k;
      bool solved = false;
      if (k >= d_ + 1) {
        // ‖x − p_i‖² = r_i², differenced against the first: linear in x.
        const Eigen::VectorXd& p0 = position(known[0]->other);
        const double r0 = known[0]->range;
        Eigen::MatrixXd a(k - 1, d_);
        Eigen::VectorXd b(k - 1);
        for (int i = 1; i < k; ++i) {
          const Eigen::VectorXd& p = position(known[i]->other);
          const double ri = known[i]->range;
          a.row(i - 1) = 2.0 * (p - p0).transpose();
          b[i - 1] = p.squaredNorm() - p0.squaredNorm() - ri * ri + r0 * r0;
        }
        Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
        qr.setThreshold(1e-6);
        if (qr.rank() == d_) {
          const Eigen::VectorXd y = qr.solve(b);
          // Nearly collinear neighbours give a far-off point: keep it only
          // within reach of its neighbours.
          double reach = 0.0;
          for (const Neighbour* n : known) reach = std::max(reach, n->range);
          solved = y.allFinite() && (y - x).norm() <= 2.0 * reach + 1e-9;
          if (solved) x = y;
        }
      }
      if (!solved) {
        // Too few neighbours: off the centroid in a direction that depends
        // only on the index (deterministic), then refined below.
        double mean_range = 0.0;
        for (const Neighbour* n : known) mean_range += n->range;
        mean_range /= k;
        Eigen::VectorXd direction(d_);
        for (int a = 0; a < d_; ++a)
          direction[a] = std::cos(2.399963 * (j + 1) * (a + 1) + a);
        x += mean_range * direction.normalized();
      }
      // A few Gauss-Newton steps on Σ(‖x − p_i‖ − r_i)².
      for (int iteration = 0; iteration < 10 && k >= 2; ++iteration) {
        Eigen::MatrixXd jac(k, d_);
        Eigen::VectorXd res(k);
        for (int i = 0; i < k; ++i) {
          const Eigen::VectorXd diff = x - position(known[i]->other);
          const double dist = std::max(diff.norm(), 1e-9);
          jac.row(i) = diff.transpose() / dist;
          res[i] = dist - known[i]->range;
        }
        const Eigen::MatrixXd h =
            jac.transpose() * jac + 1e-9 * Eigen::MatrixXd::Identity(d_, d_);
        Eigen::VectorXd step = h.ldlt().solve(-jac.transpose() * res);
        if (!step.allFinite()) break;
        double reach = 0.0;
        for (const Neighbour* n : known) reach = std::max(reach, n->range);
        if (step.norm() > reach) step *= reach / step.norm();
        x += step;
        if (step.norm() < 1e-9) break;
      }
      (*guess)[j] = x;
    }
    (*placed)[j] = 1;
    for (const auto& n : neighbours[j]) {
      if (!n.other.is_landmark || (*placed)[n.other.index]) continue;
      heap.push({++support[n.other.index], n.other.index});
    }
  }

  // Gauss-Seidel sweeps: each placed node in turn takes a damped
  // Gauss-Newton step on its own ranges, the others held. Cheap (linear in
  // the ranges per sweep) and it removes most of the multilateration's
  // distance bias before the solvers start.
  for (int sweep = 0; sweep < 30; ++sweep) {
    double moved = 0.0;
    for (int j = 0; j < nl; ++j) {
      if (given[j] || neighbours[j].size() < 2) continue;
      Eigen::VectorXd& x = (*guess)[j];
      Eigen::MatrixXd h = Eigen::MatrixXd::Zero(d_, d_);
      Eigen::VectorXd g = Eigen::VectorXd::Zero(d_);
      double reach = 0.0;
      for (const auto& n : neighbours[j]) {
        const Eigen::VectorXd diff = x - position(n.other);
        const double dist = diff.norm();
        if (!(dist > 1e-9)) continue;
        const Eigen::VectorXd u = diff / dist;
        h += u * u.transpose();
        g += u * (dist - n.range);
        reach = std::max(reach, n.range);
      }
      h.diagonal().array() += 1e-3 * (1.0 + h.trace());
      Eigen::VectorXd step = -h.ldlt().solve(g);
      if (!step.allFinite()) continue;
      if (step.norm() > 0.5 * reach) step *= 0.5 * reach / step.norm();
      x += step;
      moved = std::max(moved, step.norm());
    }
    if (moved < 1e-6) break;
  }
}

bool SlamProblem::InitializeChordal(const SlamGraph& graph,
                                    std::vector<Eigen::MatrixXd>* r,
                                    std::vector<Eigen::VectorXd>* t,
                                    std::vector<Eigen::VectorXd>* landmarks,
                                    std::string* error) {
  if (!graph.range_edges.empty()) {
    *error =
        "--init=chordal needs a graph without range measurements (the "
        "bearings have no chordal start)";
    return false;
  }
  if (!ChordalRotations(graph, r, error)) return false;
  const int np = graph.num_poses();
  initialization_used_ =
      "chordal: relaxed rotation least squares projected to SO(d), then "
      "optimal translations";
  if (np == 0) {
    *error = "--init=chordal needs poses";
    return false;
  }
  // Pose 0's file frame, when there is one.
  const SlamGraph::Pose& first = graph.poses[0];
  const Eigen::MatrixXd frame =
      first.has_value ? Eigen::MatrixXd(first.rotation * (*r)[0].transpose())
                      : Eigen::MatrixXd(Eigen::MatrixXd::Identity(d_, d_));
  Eigen::MatrixXd x(d_, d_ * np);
  for (int i = 0; i < np; ++i) {
    (*r)[i] = frame * (*r)[i];
    x.middleCols(d_ * i, d_) = (*r)[i];
  }
  SlamDataMatrix data;
  if (!data.Build(graph, error)) return false;
  const Eigen::MatrixXd positions = data.OptimalPositions(x);
  const Eigen::VectorXd shift =
      first.has_value ? Eigen::VectorXd(first.translation - positions.col(0))
                      : Eigen::VectorXd::Zero(d_);
  for (int i = 0; i < np; ++i) (*t)[i] = positions.col(i) + shift;
  for (int j = 0; j < graph.num_landmarks(); ++j) {
    landmarks->push_back(positions.col(np + j) + shift);
  }
  return true;
}

std::vector<double> SlamProblem::State() const {
  std::vector<double> s;
  s.reserve(rotations_.size() + translations_.size() + landmarks_.size() +
            bearings_.size());
  for (const auto* v : {&rotations_, &translations_, &landmarks_, &bearings_}) {
    s.insert(s.end(), v->begin(), v->end());
  }
  return s;
}

void SlamProblem::SetState(const std::vector<double>& state) {
  size_t k = 0;
  for (auto* v : {&rotations_, &translations_, &landmarks_, &bearings_}) {
    std::copy(state.begin() + k, state.begin() + k + v->size(), v->begin());
    k += v->size();
  }
}

void SlamProblem::WriteTo(SlamGraph* graph) const {
  const int d = d_;
  for (int i = 0; i < graph->num_poses(); ++i) {
    SlamGraph::Pose& p = graph->poses[i];
    p.rotation = ProjectToRotation(
        Eigen::Map<const Eigen::MatrixXd>(&rotations_[i * d * d], d, d));
    p.translation = Eigen::Map<const Eigen::VectorXd>(&translations_[i * d], d);
    p.has_value = true;
  }
  for (int j = 0; j < graph->num_landmarks(); ++j) {
    graph->landmarks[j].position =
        Eigen::Map<const Eigen::VectorXd>(&landmarks_[j * d], d);
    graph->landmarks[j].has_value = true;
  }
}

}  // namespace ceres_varpro
