#include "ceres_varpro/io/pyfg_io.h"

#include <cctype>
#include <cstdio>
#include <unordered_map>

#include "Eigen/Cholesky"
#include "io/atomic_file_writer.h"
#include "io/text_reader.h"

namespace ceres_varpro {
namespace {

class PyfgParser {
 public:
  PyfgParser(const std::string& contents, const std::string& name,
             SlamGraph* graph)
      : contents_(contents), name_(name), graph_(graph) {}

  bool Parse(std::string* error) {
    *graph_ = SlamGraph();
    graph_->format = SlamGraph::Format::kPyfg;
    graph_->vertices_are_initial_guess = false;
    // Vertices first, so that edges may name any declared vertex.
    {
      TextReader reader(contents_, name_);
      while (reader.NextLine()) {
        if (!VertexLine(reader, error)) return false;
      }
    }
    TextReader reader(contents_, name_);
    while (reader.NextLine()) {
      if (!EdgeLine(reader, error)) return false;
    }
    if (graph_->poses.empty() && graph_->landmarks.empty()) {
      *error = name_ + ": no vertices found (empty or not a pyfg file)";
      return false;
    }
    return graph_->Validate(error);
  }

 private:
  static bool IsVertexTag(std::string_view t) {
    return t == "VERTEX_SE2" || t == "VERTEX_SE3:QUAT" || t == "VERTEX_XY" ||
           t == "VERTEX_XYZ";
  }

  bool SetDimension(const TextReader& r, int d, std::string* error) {
    if (graph_->dimension == 0) graph_->dimension = d;
    if (graph_->dimension != d) {
      *error = r.Error("the file mixes 2D and 3D entries");
      return false;
    }
    return true;
  }

  static bool ExpectTokens(const TextReader& r, int n, std::string* error) {
    if (r.num_tokens() != n) {
      *error =
          r.Error(std::string(r.token(0)) + " needs " + std::to_string(n - 1) +
                  " fields, found " + std::to_string(r.num_tokens() - 1));
      return false;
    }
    return true;
  }

  bool NewName(const TextReader& r, std::string_view name, std::string* error) {
    if (kind_.count(std::string(name))) {
      *error = r.Error("vertex " + QuoteToken(name) + " is declared twice");
      return false;
    }
    return true;
  }

  bool VertexLine(const TextReader& r, std::string* error) {
    const std::string_view tag = r.token(0);
    if (!IsVertexTag(tag)) return true;
    const bool pose = tag == "VERTEX_SE2" || tag == "VERTEX_SE3:QUAT";
    const int d = (tag == "VERTEX_SE2" || tag == "VERTEX_XY") ? 2 : 3;
    if (!SetDimension(r, d, error)) return false;
    if (pose) {
      if (!ExpectTokens(r, d == 2 ? 6 : 10, error)) return false;
      double stamp;
      if (!r.Double(1, &stamp, error)) return false;
      const std::string_view name = r.token(2);
      if (!NewName(r, name, error)) return false;
      SlamGraph::Pose p;
      p.name = std::string(name);
      p.stamp = std::string(r.token(1));
      // "A12": robot letter(s), then the index that orders the odometry.
      size_t digits = name.size();
      while (digits > 0 &&
             std::isdigit(static_cast<unsigned char>(name[digits - 1]))) {
        --digits;
      }
      if (digits == 0 || digits == name.size() || name.size() - digits > 15) {
        *error = r.Error("pose name " + QuoteToken(name) +
                         " is not a robot letter followed by an index");
        return false;
      }
      p.robot = static_cast<unsigned char>(name[0]) - 'A';
      p.id = std::stoll(std::string(name.substr(digits)));
      double v[7];
      if (!r.Doubles(3, d == 2 ? 3 : 7, v, error)) return false;
      if (d == 2) {
        p.translation = Eigen::Vector2d(v[0], v[1]);
        p.rotation = RotationFromAngle(v[2]);
      } else {
        if (!(v[3] * v[3] + v[4] * v[4] + v[5] * v[5] + v[6] * v[6] > 1e-24)) {
          *error = r.Error("vertex " + p.name + " has a zero quaternion");
          return false;
        }
        p.translation = Eigen::Vector3d(v[0], v[1], v[2]);
        p.rotation = RotationFromQuaternion(v[3], v[4], v[5], v[6]);
      }
      p.has_value = true;
      kind_[p.name] = {false, graph_->num_poses()};
      graph_->poses.push_back(std::move(p));
    } else {
      if (!ExpectTokens(r, d + 2, error)) return false;
      const std::string_view name = r.token(1);
      if (!NewName(r, name, error)) return false;
      SlamGraph::Landmark l;
      l.name = std::string(name);
      double v[3];
      if (!r.Doubles(2, d, v, error)) return false;
      l.position = Eigen::Map<Eigen::VectorXd>(v, d);
      l.has_value = true;
      kind_[l.name] = {true, graph_->num_landmarks()};
      graph_->landmarks.push_back(std::move(l));
    }
    return true;
  }

  bool Lookup(const TextReader& r, int field, SlamGraph::Endpoint* e,
              std::string* error) {
    auto it = kind_.find(std::string(r.token(field)));
    if (it == kind_.end()) {
      *error = r.Error("edge refers to " + QuoteToken(r.token(field)) +
                       ", which the file does not declare");
      return false;
    }
    *e = it->second;
    return true;
  }

  bool Pose(const TextReader& r, int field, int* index, std::string* error) {
    SlamGraph::Endpoint e;
    if (!Lookup(r, field, &e, error)) return false;
    if (e.is_landmark) {
      *error = r.Error(QuoteToken(r.token(field)) +
                       " is a landmark, a pose is expected");
      return false;
    }
    *index = e.index;
    return true;
  }

  // Information = covariance⁻¹, from the covariance's upper triangle.
  bool Information(const TextReader& r, const double* upper, int n,
                   Eigen::MatrixXd* info, std::string* error) {
    Eigen::MatrixXd covariance;
    std::string reason;
    if (!SymmetricFromUpperTriangle(upper, n, &covariance, &reason)) {
      *error = r.Error("the covariance matrix " + reason);
      return false;
    }
    *info = covariance.llt().solve(Eigen::MatrixXd::Identity(n, n));
    return true;
  }

  static bool IsPosePriorTag(std::string_view t, int* d) {
    *d = (t == "VERTEX_SE2:PRIOR" || t == "VERTEX_SE2_PRIOR") ? 2 : 3;
    return t == "VERTEX_SE2:PRIOR" || t == "VERTEX_SE2_PRIOR" ||
           t == "VERTEX_SE3:QUAT:PRIOR" || t == "VERTEX_SE3:QUAT_PRIOR";
  }
  static bool IsLandmarkPriorTag(std::string_view t, int* d) {
    *d = (t == "VERTEX_XY:PRIOR" || t == "VERTEX_XY_PRIOR") ? 2 : 3;
    return t == "VERTEX_XY:PRIOR" || t == "VERTEX_XY_PRIOR" ||
           t == "VERTEX_XYZ:PRIOR" || t == "VERTEX_XYZ_PRIOR";
  }

  // VERTEX_SE2:PRIOR <t> <pose> x y θ + 6 covariance entries;
  // VERTEX_SE3:QUAT:PRIOR <t> <pose> x y z qx qy qz qw + 21.
  bool PosePriorLine(const TextReader& r, int d, std::string* error) {
    if (!SetDimension(r, d, error) || !ExpectTokens(r, d == 2 ? 12 : 31, error))
      return false;
    SlamGraph::PosePrior p;
    p.line = r.line_number();
    double stamp;
    if (!r.Double(1, &stamp, error) || !Pose(r, 2, &p.pose, error))
      return false;
    double v[28];
    if (!r.Doubles(3, d == 2 ? 9 : 28, v, error)) return false;
    if (d == 2) {
      p.translation = Eigen::Vector2d(v[0], v[1]);
      p.rotation = RotationFromAngle(v[2]);
      if (!Information(r, v + 3, 3, &p.information, error)) return false;
    } else {
      if (!(v[3] * v[3] + v[4] * v[4] + v[5] * v[5] + v[6] * v[6] > 1e-24)) {
        *error = r.Error("the prior has a zero quaternion");
        return false;
      }
      p.translation = Eigen::Vector3d(v[0], v[1], v[2]);
      p.rotation = RotationFromQuaternion(v[3], v[4], v[5], v[6]);
      if (!Information(r, v + 7, 6, &p.information, error)) return false;
    }
    graph_->pose_priors.push_back(std::move(p));
    return true;
  }

  // VERTEX_XY:PRIOR <t> <landmark> x y c11 c12 c22; VERTEX_XYZ:PRIOR + 6.
  bool LandmarkPriorLine(const TextReader& r, int d, std::string* error) {
    const int nc = d * (d + 1) / 2;
    if (!SetDimension(r, d, error) || !ExpectTokens(r, 3 + d + nc, error))
      return false;
    SlamGraph::LandmarkPrior p;
    p.line = r.line_number();
    double stamp;
    SlamGraph::Endpoint e;
    if (!r.Double(1, &stamp, error) || !Lookup(r, 2, &e, error)) return false;
    if (!e.is_landmark) {
      *error = r.Error(QuoteToken(r.token(2)) +
                       " is a pose, a landmark is expected");
      return false;
    }
    p.landmark = e.index;
    double v[9];
    if (!r.Doubles(3, d + nc, v, error)) return false;
    p.position = Eigen::Map<Eigen::VectorXd>(v, d);
    if (!Information(r, v + d, d, &p.information, error)) return false;
    graph_->landmark_priors.push_back(std::move(p));
    return true;
  }

  bool EdgeLine(const TextReader& r, std::string* error) {
    const std::string_view tag = r.token(0);
    if (IsVertexTag(tag)) return true;
    int prior_dimension = 0;
    bool ok = false;
    if (IsPosePriorTag(tag, &prior_dimension)) {
      ok = PosePriorLine(r, prior_dimension, error);
    } else if (IsLandmarkPriorTag(tag, &prior_dimension)) {
      ok = LandmarkPriorLine(r, prior_dimension, error);
    } else if (tag == "EDGE_SE2" || tag == "EDGE_SE3:QUAT") {
      ok = PoseEdgeLine(r, error);
    } else if (tag == "EDGE_SE2_XY" || tag == "EDGE_SE3_XYZ") {
      ok = LandmarkEdgeLine(r, error);
    } else if (tag == "EDGE_RANGE") {
      ok = RangeEdgeLine(r, error);
    } else {
      *error = r.Error("unknown or unsupported entry " + QuoteToken(tag));
    }
    if (!ok) return false;
    graph_->other_lines.emplace_back(r.line());
    return true;
  }

  // EDGE_SE2 / EDGE_SE3:QUAT: a relative pose with its information.
  bool PoseEdgeLine(const TextReader& r, std::string* error) {
    double stamp;
    const int d = r.token(0) == "EDGE_SE2" ? 2 : 3;
    if (!SetDimension(r, d, error) ||
        !ExpectTokens(r, d == 2 ? 13 : 32, error)) {
      return false;
    }
    SlamGraph::PoseEdge e;
    e.line = r.line_number();
    if (!r.Double(1, &stamp, error) || !Pose(r, 2, &e.from, error) ||
        !Pose(r, 3, &e.to, error)) {
      return false;
    }
    if (e.from == e.to) {
      *error = r.Error("edge from a pose to itself");
      return false;
    }
    double v[28];
    if (!r.Doubles(4, d == 2 ? 9 : 28, v, error)) return false;
    if (d == 2) {
      e.translation = Eigen::Vector2d(v[0], v[1]);
      e.rotation = RotationFromAngle(v[2]);
      if (!Information(r, v + 3, 3, &e.information, error)) return false;
    } else {
      if (!(v[3] * v[3] + v[4] * v[4] + v[5] * v[5] + v[6] * v[6] > 1e-24)) {
        *error = r.Error("the edge has a zero quaternion");
        return false;
      }
      e.translation = Eigen::Vector3d(v[0], v[1], v[2]);
      e.rotation = RotationFromQuaternion(v[3], v[4], v[5], v[6]);
      if (!Information(r, v + 7, 6, &e.information, error)) return false;
    }
    graph_->pose_edges.push_back(std::move(e));
    return true;
  }

  // EDGE_SE2_XY / EDGE_SE3_XYZ: a landmark seen from a pose.
  bool LandmarkEdgeLine(const TextReader& r, std::string* error) {
    double stamp;
    const int d = r.token(0) == "EDGE_SE2_XY" ? 2 : 3;
    if (!SetDimension(r, d, error) ||
        !ExpectTokens(r, d == 2 ? 9 : 13, error)) {
      return false;
    }
    SlamGraph::LandmarkEdge e;
    e.line = r.line_number();
    SlamGraph::Endpoint l;
    if (!r.Double(1, &stamp, error) || !Pose(r, 2, &e.pose, error) ||
        !Lookup(r, 3, &l, error)) {
      return false;
    }
    if (!l.is_landmark) {
      *error = r.Error(QuoteToken(r.token(3)) +
                       " is a pose, a landmark is expected");
      return false;
    }
    e.landmark = l.index;
    double v[9];
    const int n = d == 2 ? 5 : 9;
    if (!r.Doubles(4, n, v, error)) return false;
    e.translation = Eigen::Map<Eigen::VectorXd>(v, d);
    if (!Information(r, v + d, d, &e.information, error)) return false;
    graph_->landmark_edges.push_back(std::move(e));
    return true;
  }

  bool RangeEdgeLine(const TextReader& r, std::string* error) {
    double stamp;
    if (!ExpectTokens(r, 6, error)) return false;
    SlamGraph::RangeEdge e;
    e.line = r.line_number();
    if (!r.Double(1, &stamp, error) || !Lookup(r, 2, &e.a, error) ||
        !Lookup(r, 3, &e.b, error) || !r.Double(4, &e.range, error) ||
        !r.Double(5, &e.variance, error)) {
      return false;
    }
    if (e.a.is_landmark == e.b.is_landmark && e.a.index == e.b.index) {
      *error = r.Error("range from a vertex to itself");
      return false;
    }
    if (e.range < 0.0) {
      *error = r.Error("the range is negative");
      return false;
    }
    if (!(e.variance > 0.0)) {
      *error = r.Error("the range variance must be positive");
      return false;
    }
    graph_->range_edges.push_back(e);
    return true;
  }

  const std::string& contents_;
  std::string name_;
  SlamGraph* graph_;
  std::unordered_map<std::string, SlamGraph::Endpoint> kind_;
};

}  // namespace

bool ParsePyfg(const std::string& contents, const std::string& name,
               SlamGraph* graph, std::string* error) {
  PyfgParser parser(contents, name, graph);
  return parser.Parse(error);
}

bool ReadPyfgFile(const std::string& path, SlamGraph* graph,
                  std::string* error) {
  std::string contents;
  if (!ReadFileToString(path, &contents, error)) return false;
  return ParsePyfg(contents, path, graph, error);
}

bool WritePyfgFile(const std::string& path, const SlamGraph& graph,
                   std::string* error) {
  if (graph.format != SlamGraph::Format::kPyfg) {
    *error = "WritePyfgFile: the graph was not read from a pyfg file";
    return false;
  }
  AtomicFileWriter writer(path);
  std::ostream& out = writer.stream();
  char buffer[512];
  for (const SlamGraph::Pose& p : graph.poses) {
    const Eigen::VectorXd& t = p.translation;
    if (graph.dimension == 2) {
      std::snprintf(buffer, sizeof(buffer),
                    "VERTEX_SE2 %s %s %.17g %.17g %.17g\n", p.stamp.c_str(),
                    p.name.c_str(), t[0], t[1], AngleFromRotation(p.rotation));
    } else {
      const Eigen::Vector4d q = QuaternionFromRotation(p.rotation);
      std::snprintf(
          buffer, sizeof(buffer),
          "VERTEX_SE3:QUAT %s %s %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n",
          p.stamp.c_str(), p.name.c_str(), t[0], t[1], t[2], q[0], q[1], q[2],
          q[3]);
    }
    out << buffer;
  }
  for (const SlamGraph::Landmark& l : graph.landmarks) {
    out << (graph.dimension == 2 ? "VERTEX_XY " : "VERTEX_XYZ ") << l.name;
    for (int k = 0; k < graph.dimension; ++k) {
      std::snprintf(buffer, sizeof(buffer), " %.17g", l.position[k]);
      out << buffer;
    }
    out << '\n';
  }
  for (const std::string& line : graph.other_lines) out << line << '\n';
  return writer.Commit(error);
}

}  // namespace ceres_varpro
