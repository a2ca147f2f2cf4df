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

// Initialize's and Multilaterate's stages.
namespace {

// The odometry start's spanning forest: union-find with path halving over
// the poses, and each pose's tree edges.
struct Forest {
  explicit Forest(int np) : parent(np), tree(np) {
    std::iota(parent.begin(), parent.end(), 0);
  }
  int Find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }

  std::vector<int> parent;
  std::vector<std::vector<std::pair<int, int>>> tree;  // (neighbour, edge)
};

// Spanning forest, odometry edges (same robot, consecutive ids) first.
Forest OdometryForest(const SlamGraph& graph) {
  std::vector<int> order(graph.pose_edges.size());
  std::iota(order.begin(), order.end(), 0);
  auto consecutive = [&](const SlamGraph::PoseEdge& e) {
    const auto& a = graph.poses[e.from];
    const auto& b = graph.poses[e.to];
    return a.robot == b.robot && std::llabs(a.id - b.id) == 1;
  };
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return consecutive(graph.pose_edges[x]) > consecutive(graph.pose_edges[y]);
  });
  Forest forest(graph.num_poses());
  for (int k : order) {
    const auto& e = graph.pose_edges[k];
    const int a = forest.Find(e.from), b = forest.Find(e.to);
    if (a == b) continue;
    forest.parent[a] = b;
    forest.tree[e.from].push_back({e.to, k});
    forest.tree[e.to].push_back({e.from, k});
  }
  return forest;
}

// The poses in (robot, id) order.
std::vector<int> PosesInIdOrder(const SlamGraph& graph) {
  std::vector<int> by_id(graph.num_poses());
  std::iota(by_id.begin(), by_id.end(), 0);
  std::stable_sort(by_id.begin(), by_id.end(), [&](int x, int y) {
    const auto& a = graph.poses[x];
    const auto& b = graph.poses[y];
    return a.robot != b.robot ? a.robot < b.robot : a.id < b.id;
  });
  return by_id;
}

// Breadth-first from `root` (already placed) along its tree: j = i ⊕ z for
// an edge stored forwards, i = j ⊕ z for one stored backwards.
void ChainFromRoot(const SlamGraph& graph, const Forest& forest, int root,
                   std::vector<char>* done, std::vector<Eigen::MatrixXd>* r,
                   std::vector<Eigen::VectorXd>* t) {
  std::queue<int> queue;
  queue.push(root);
  while (!queue.empty()) {
    const int i = queue.front();
    queue.pop();
    for (auto [j, k] : forest.tree[i]) {
      if ((*done)[j]) continue;
      const auto& e = graph.pose_edges[k];
      if (e.from == i) {  // Forward: j = i ⊕ z.
        (*r)[j] = (*r)[i] * e.rotation;
        (*t)[j] = (*t)[i] + (*r)[i] * e.translation;
      } else {  // Stored backwards: i = j ⊕ z.
        (*r)[j] = (*r)[i] * e.rotation.transpose();
        (*t)[j] = (*t)[i] - (*r)[j] * e.translation;
      }
      (*done)[j] = 1;
      queue.push(j);
    }
  }
}

// The odometry start (SlamInitialization::kOdometry): relative poses chained
// along the spanning forest from each tree's root, the first pose (robot, id
// order) with a prior, else the first pose; a root takes its prior, else its
// file value, else the origin.
void ChainOdometry(const SlamGraph& graph, int d,
                   std::vector<Eigen::MatrixXd>* r,
                   std::vector<Eigen::VectorXd>* t) {
  const int np = graph.num_poses();
  Forest forest = OdometryForest(graph);
  const std::vector<int> by_id = PosesInIdOrder(graph);
  std::vector<const SlamGraph::PosePrior*> prior(np, nullptr);
  for (const auto& p : graph.pose_priors) {
    if (prior[p.pose] == nullptr) prior[p.pose] = &p;
  }
  // A tree with a prior starts from its first prior pose.
  std::vector<int> tree_root(np, -1);
  for (int i : by_id) {
    if (prior[i] != nullptr && tree_root[forest.Find(i)] < 0) {
      tree_root[forest.Find(i)] = i;
    }
  }
  for (int i : by_id) {
    if (tree_root[forest.Find(i)] < 0) tree_root[forest.Find(i)] = i;
  }
  std::vector<char> done(np, 0);
  for (int first : by_id) {
    const int root = tree_root[forest.Find(first)];
    if (done[root]) continue;
    const auto& p = graph.poses[root];
    if (prior[root] != nullptr) {
      (*r)[root] = prior[root]->rotation;
      (*t)[root] = prior[root]->translation;
    } else {
      (*r)[root] = p.has_value ? p.rotation : Eigen::MatrixXd::Identity(d, d);
      (*t)[root] = p.has_value ? p.translation : Eigen::VectorXd::Zero(d);
    }
    done[root] = 1;
    ChainFromRoot(graph, forest, root, &done, r, t);
  }
}

// A landmark's range to another landmark or a pose.
struct Neighbour {
  SlamGraph::Endpoint other;
  double range;
};

// Range neighbours of each landmark.
std::vector<std::vector<Neighbour>> RangeNeighbours(const SlamGraph& graph) {
  std::vector<std::vector<Neighbour>> neighbours(graph.num_landmarks());
  for (const auto& e : graph.range_edges) {
    if (e.a.is_landmark) neighbours[e.a.index].push_back({e.b, e.range});
    if (e.b.is_landmark) neighbours[e.b.index].push_back({e.a, e.range});
  }
  return neighbours;
}

// What Multilaterate's stages share: the poses, each landmark's range
// neighbours, and the landmarks placed so far with their positions.
struct Placement {
  int d;
  const std::vector<Eigen::VectorXd>& poses;
  const std::vector<std::vector<Neighbour>> neighbours;
  std::vector<char>& placed;
  std::vector<Eigen::VectorXd>& guess;

  int num_landmarks() const { return static_cast<int>(neighbours.size()); }
  const Eigen::VectorXd& Position(const SlamGraph::Endpoint& x) const {
    return x.is_landmark ? guess[x.index] : poses[x.index];
  }
  bool IsPlaced(const SlamGraph::Endpoint& x) const {
    return !x.is_landmark || placed[x.index];
  }
};

// The placed landmarks with ranges, at most 64 of them spread over the
// indices.
std::vector<int> Anchors(const Placement& p) {
  std::vector<int> anchors;
  for (int j = 0; j < p.num_landmarks(); ++j) {
    if (p.placed[j] && !p.neighbours[j].empty()) anchors.push_back(j);
  }
  if (static_cast<int>(anchors.size()) > 64) {
    std::vector<int> spread;
    for (int k = 0; k < 64; ++k)
      spread.push_back(anchors[k * anchors.size() / 64]);
    anchors.swap(spread);
  }
  return anchors;
}

// distance[a][j]: the shortest path from anchors[a] to landmark j through
// the landmark-landmark ranges (Dijkstra), infinite if there is none.
std::vector<std::vector<double>> PathDistances(
    const Placement& p, const std::vector<int>& anchors) {
  const int na = static_cast<int>(anchors.size());
  const double infinity = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> distance(
      na, std::vector<double>(p.num_landmarks(), infinity));
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
      for (const auto& n : p.neighbours[j]) {
        if (!n.other.is_landmark) continue;
        const double candidate = dj + n.range;
        if (candidate < dist[n.other.index]) {
          dist[n.other.index] = candidate;
          queue.push({candidate, n.other.index});
        }
      }
    }
  }
  return distance;
}

// Sensor networks with anchors: the shortest-path distance through the
// ranges to each anchor (placed landmark) stands for the Euclidean one, and
// each node is multilaterated from those (DV-distance). Coarse, but
// globally consistent: no flipped patches, which greedy placement from
// few neighbours produces.
void PlaceByDvDistance(Placement* p) {
  const int d = p->d;
  const std::vector<int> anchors = Anchors(*p);
  if (static_cast<int>(anchors.size()) < d + 1) return;
  const int na = static_cast<int>(anchors.size());
  const std::vector<std::vector<double>> distance = PathDistances(*p, anchors);
  for (int j = 0; j < p->num_landmarks(); ++j) {
    if (p->placed[j]) continue;
    std::vector<int> reach;
    for (int a = 0; a < na; ++a) {
      if (std::isfinite(distance[a][j])) reach.push_back(a);
    }
    const int k = static_cast<int>(reach.size());
    if (k < d + 1) continue;
    const Eigen::VectorXd& p0 = p->guess[anchors[reach[0]]];
    const double r0 = distance[reach[0]][j];
    Eigen::MatrixXd a(k - 1, d);
    Eigen::VectorXd b(k - 1);
    for (int i = 1; i < k; ++i) {
      const Eigen::VectorXd& pi = p->guess[anchors[reach[i]]];
      const double ri = distance[reach[i]][j];
      a.row(i - 1) = 2.0 * (pi - p0).transpose();
      b[i - 1] = pi.squaredNorm() - p0.squaredNorm() - ri * ri + r0 * r0;
    }
    Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
    qr.setThreshold(1e-6);
    if (qr.rank() < d) continue;
    const Eigen::VectorXd x = qr.solve(b);
    if (!x.allFinite()) continue;
    p->guess[j] = x;
    p->placed[j] = 1;
  }
}

// The largest range to the known neighbours.
double Reach(const std::vector<const Neighbour*>& known) {
  double reach = 0.0;
  for (const Neighbour* n : known) reach = std::max(reach, n->range);
  return reach;
}

// ‖x − p_i‖² = r_i², differenced against the first: linear in x. Replaces
// *x (the centroid) if the system has full rank and its solution lies within
// reach of the neighbours (nearly collinear ones give a far-off point).
bool LinearMultilateration(const Placement& p,
                           const std::vector<const Neighbour*>& known,
                           Eigen::VectorXd* x) {
  const int d = p.d, k = static_cast<int>(known.size());
  const Eigen::VectorXd& p0 = p.Position(known[0]->other);
  const double r0 = known[0]->range;
  Eigen::MatrixXd a(k - 1, d);
  Eigen::VectorXd b(k - 1);
  for (int i = 1; i < k; ++i) {
    const Eigen::VectorXd& pi = p.Position(known[i]->other);
    const double ri = known[i]->range;
    a.row(i - 1) = 2.0 * (pi - p0).transpose();
    b[i - 1] = pi.squaredNorm() - p0.squaredNorm() - ri * ri + r0 * r0;
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
  qr.setThreshold(1e-6);
  if (qr.rank() != d) return false;
  const Eigen::VectorXd y = qr.solve(b);
  const bool solved =
      y.allFinite() && (y - *x).norm() <= 2.0 * Reach(known) + 1e-9;
  if (solved) *x = y;
  return solved;
}

// A few Gauss-Newton steps on Σ(‖x − p_i‖ − r_i)², each at most the reach.
void GaussNewtonOnRanges(const Placement& p,
                         const std::vector<const Neighbour*>& known,
                         Eigen::VectorXd* x) {
  const int d = p.d, k = static_cast<int>(known.size());
  for (int iteration = 0; iteration < 10 && k >= 2; ++iteration) {
    Eigen::MatrixXd jac(k, d);
    Eigen::VectorXd res(k);
    for (int i = 0; i < k; ++i) {
      const Eigen::VectorXd diff = *x - p.Position(known[i]->other);
      const double dist = std::max(diff.norm(), 1e-9);
      jac.row(i) = diff.transpose() / dist;
      res[i] = dist - known[i]->range;
    }
    const Eigen::MatrixXd h =
        jac.transpose() * jac + 1e-9 * Eigen::MatrixXd::Identity(d, d);
    Eigen::VectorXd step = h.ldlt().solve(-jac.transpose() * res);
    if (!step.allFinite()) break;
    const double reach = Reach(known);
    if (step.norm() > reach) step *= reach / step.norm();
    *x += step;
    if (step.norm() < 1e-9) break;
  }
}

// Landmark j from its placed neighbours: multilaterated when it has d + 1
// or more, else off their centroid; then refined on its ranges.
Eigen::VectorXd PlaceFromNeighbours(const Placement& p, int j) {
  const int d = p.d;
  std::vector<const Neighbour*> known;
  for (const auto& n : p.neighbours[j]) {
    if (p.IsPlaced(n.other)) known.push_back(&n);
  }
  const int k = static_cast<int>(known.size());
  Eigen::VectorXd x = Eigen::VectorXd::Zero(d);
  for (const Neighbour* n : known) x += p.Position(n->other);
  x /= k;
  const bool solved = k >= d + 1 && LinearMultilateration(p, known, &x);
  if (!solved) {
    // Too few neighbours: off the centroid in a direction that depends
    // only on the index (deterministic), then refined below.
    double mean_range = 0.0;
    for (const Neighbour* n : known) mean_range += n->range;
    mean_range /= k;
    Eigen::VectorXd direction(d);
    for (int a = 0; a < d; ++a)
      direction[a] = std::cos(2.399963 * (j + 1) * (a + 1) + a);
    x += mean_range * direction.normalized();
  }
  GaussNewtonOnRanges(p, known, &x);
  return x;
}

// Most-constrained first: a max-heap on the number of placed neighbours,
// with stale entries skipped; with nothing anchored left, a new patch starts
// at the origin.
void PlaceMostConstrained(Placement* p) {
  const int nl = p->num_landmarks();
  std::vector<int> support(nl, 0);
  std::priority_queue<std::pair<int, int>> heap;
  for (int j = 0; j < nl; ++j) {
    if (p->placed[j]) continue;
    for (const auto& n : p->neighbours[j]) support[j] += p->IsPlaced(n.other);
    heap.push({support[j], j});
  }
  int next_unplaced = 0;
  while (true) {
    int j = -1;
    while (!heap.empty()) {
      const auto [s, k] = heap.top();
      heap.pop();
      if (!p->placed[k] && s == support[k] && s > 0) {
        j = k;
        break;
      }
    }
    if (j < 0) {
      while (next_unplaced < nl && p->placed[next_unplaced]) ++next_unplaced;
      if (next_unplaced == nl) break;
      j = next_unplaced;
      p->guess[j] = Eigen::VectorXd::Zero(p->d);
    } else {
      p->guess[j] = PlaceFromNeighbours(*p, j);
    }
    p->placed[j] = 1;
    for (const auto& n : p->neighbours[j]) {
      if (!n.other.is_landmark || p->placed[n.other.index]) continue;
      heap.push({++support[n.other.index], n.other.index});
    }
  }
}

// Gauss-Seidel sweeps: each placed node not `given` in turn takes a damped
// Gauss-Newton step on its own ranges, the others held. Cheap (linear in
// the ranges per sweep) and it removes most of the multilateration's
// distance bias before the solvers start.
void GaussSeidelSweeps(const std::vector<char>& given, Placement* p) {
  const int d = p->d;
  for (int sweep = 0; sweep < 30; ++sweep) {
    double moved = 0.0;
    for (int j = 0; j < p->num_landmarks(); ++j) {
      if (given[j] || p->neighbours[j].size() < 2) continue;
      Eigen::VectorXd& x = p->guess[j];
      Eigen::MatrixXd h = Eigen::MatrixXd::Zero(d, d);
      Eigen::VectorXd g = Eigen::VectorXd::Zero(d);
      double reach = 0.0;
      for (const auto& n : p->neighbours[j]) {
        const Eigen::VectorXd diff = x - p->Position(n.other);
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

}  // namespace

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
    ChainOdometry(graph, d_, &r, &t);
  }
  for (int i = 0; i < np; ++i) {
    const Eigen::MatrixXd ri = ProjectToRotation(r[i]);
    std::copy(ri.data(), ri.data() + d_ * d_, rotation(i));
    std::copy(t[i].data(), t[i].data() + d_, translation(i));
  }
  InitializeLandmarks(graph, init, r, t, chordal_landmarks);
  InitializeBearings(graph);
  return true;
}

// Landmarks: the file value when it is an initial guess, else a prior,
// else the first relative measurement, else the centroid of the poses
// ranging to it, else (sensor networks) multilaterated from the ranges to
// those already placed.
void SlamProblem::InitializeLandmarks(
    const SlamGraph& graph, SlamInitialization init,
    const std::vector<Eigen::MatrixXd>& r,
    const std::vector<Eigen::VectorXd>& t,
    const std::vector<Eigen::VectorXd>& chordal_landmarks) {
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
}

// Bearings from the current positions.
void SlamProblem::InitializeBearings(const SlamGraph& graph) {
  for (size_t k = 0; k < graph.range_edges.size(); ++k) {
    const auto& e = graph.range_edges[k];
    Eigen::VectorXd b = Eigen::Map<const Eigen::VectorXd>(position(e.a), d_) -
                        Eigen::Map<const Eigen::VectorXd>(position(e.b), d_);
    if (!(b.norm() > 1e-12)) b = Eigen::VectorXd::Unit(d_, 0);
    b.normalize();
    std::copy(b.data(), b.data() + d_, &bearings_[k * d_]);
  }
}

void SlamProblem::Multilaterate(const SlamGraph& graph,
                                const std::vector<Eigen::VectorXd>& poses,
                                std::vector<char>* placed,
                                std::vector<Eigen::VectorXd>* guess) const {
  const std::vector<char> given = *placed;  // Not moved by the refinement.
  Placement p{d_, poses, RangeNeighbours(graph), *placed, *guess};
  PlaceByDvDistance(&p);
  PlaceMostConstrained(&p);
  GaussSeidelSweeps(given, &p);
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
