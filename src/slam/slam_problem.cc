#include "ceres_varpro/slam/slam_problem.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>

#include "Eigen/SVD"
#include "ceres/ceres.h"
#include "ceres_varpro/slam/chordal_initialization.h"
#include "ceres_varpro/slam/information.h"
#include "ceres_varpro/slam/isotropic_rotation_cost.h"
#include "ceres_varpro/slam/isotropic_translation_cost.h"
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
  // Gauge: the first pose is the frame everything is expressed in.
  if (np > 0) {
    problem_->SetParameterBlockConstant(rot[0]);
    problem_->SetParameterBlockConstant(tra[0]);
  }
  return true;
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
    std::vector<char> done(np, 0);
    for (int root : by_id) {
      if (done[root]) continue;
      const auto& p = graph.poses[root];
      r[root] = p.has_value ? p.rotation : Eigen::MatrixXd::Identity(d_, d_);
      t[root] = p.has_value ? p.translation : Eigen::VectorXd::Zero(d_);
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
  // Landmarks: the file value when it is an initial guess, else the first
  // relative measurement, else the centroid of the poses ranging to it.
  const int nl = graph.num_landmarks();
  std::vector<int> count(nl, 0);
  std::vector<Eigen::VectorXd> guess(nl, Eigen::VectorXd::Zero(d_));
  std::vector<char> measured(nl, 0);
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
  for (int j = 0; j < nl; ++j) {
    Eigen::VectorXd v = guess[j];
    if (!measured[j] && count[j] > 0) v /= count[j];
    if (init == SlamInitialization::kFile && graph.landmarks[j].has_value) {
      v = graph.landmarks[j].position;
    }
    if (init == SlamInitialization::kChordal) v = chordal_landmarks[j];
    std::copy(v.data(), v.data() + d_, landmark(j));
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
