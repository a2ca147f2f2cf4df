#include "ceres_varpro/io/g2o_io.h"

#include <cstdio>
#include <tuple>
#include <unordered_map>

#include "Eigen/Cholesky"
#include "io/atomic_file_writer.h"
#include "io/text_reader.h"

namespace ceres_varpro {
namespace {

class G2oParser {
 public:
  G2oParser(const std::string& contents, const std::string& name,
            SlamGraph* graph)
      : reader_(contents, name), graph_(graph) {}

  bool Parse(std::string* error) {
    *graph_ = SlamGraph();
    graph_->format = SlamGraph::Format::kG2o;
    while (reader_.NextLine()) {
      if (!ParseLine(error)) return false;
    }
    if (graph_->poses.empty()) {
      *error = reader_.name() +
               ": no vertices or edges found (empty or not a g2o file)";
      return false;
    }
    if (num_vertex_lines_ > 0) {
      for (size_t i = 0; i < graph_->poses.size(); ++i) {
        if (!graph_->poses[i].has_value) {
          *error = reader_.name() + ":" + std::to_string(first_use_line_[i]) +
                   ": edge refers to vertex " + graph_->poses[i].name +
                   ", which the file does not declare";
          return false;
        }
      }
    }
    // Landmarks need declaring only in files that declare some (g2o
    // VERTEX_XY); BR and LANDMARK files never do.
    if (num_landmark_vertex_lines_ > 0) {
      for (size_t j = 0; j < graph_->landmarks.size(); ++j) {
        if (!graph_->landmarks[j].has_value) {
          *error = reader_.name() + ":" +
                   std::to_string(landmark_first_use_line_[j]) +
                   ": edge refers to landmark " + graph_->landmarks[j].name +
                   ", which the file does not declare";
          return false;
        }
      }
    }
    // Poses named only by EQUIV before the dimension was known.
    const int d = graph_->dimension;
    for (SlamGraph::Pose& p : graph_->poses) {
      if (p.has_value) continue;
      p.rotation = Eigen::MatrixXd::Identity(d, d);
      p.translation = Eigen::VectorXd::Zero(d);
    }
    if (num_equivalences_ > 0) {
      graph_->notes.push_back(
          std::to_string(num_equivalences_) +
          " EQUIV lines kept but not used (data-association "
          "declarations; the ids stay distinct poses)");
    }
    if (num_victoria_landmarks_ > 0) {
      graph_->notes.push_back(
          std::to_string(num_victoria_landmarks_) +
          " LANDMARK lines read as the landmark's position in the robot frame "
          "with its covariance (c11 c12 c22); GTSAM's load2D instead turns "
          "them into bearing-range factors with sigma_bearing = sqrt(c11/10), "
          "sigma_range = sqrt(c11)");
    }
    if (num_indefinite_ > 0) {
      graph_->notes.push_back(
          std::to_string(num_indefinite_) +
          " information matrices are indefinite through their translation-"
          "rotation cross terms (their diagonal blocks are positive definite, "
          "which the isotropic model uses; the full model clips them to the "
          "nearest positive semi-definite matrix)");
    }
    return graph_->Validate(error);
  }

 private:
  bool SetDimension(int d, std::string* error) {
    if (graph_->dimension == 0) graph_->dimension = d;
    if (graph_->dimension != d) {
      *error = reader_.Error("the file mixes 2D and 3D entries");
      return false;
    }
    return true;
  }

  bool ExpectTokens(int n, std::string* error) {
    if (reader_.num_tokens() != n) {
      *error = reader_.Error(std::string(reader_.token(0)) + " needs " +
                             std::to_string(n - 1) + " fields, found " +
                             std::to_string(reader_.num_tokens() - 1));
      return false;
    }
    return true;
  }

  bool Id(int field, long long* id, std::string* error) {
    if (!reader_.Int(field, id, error)) return false;
    if (*id < 0) {
      *error =
          reader_.Error("vertex id " + std::to_string(*id) + " is negative");
      return false;
    }
    return true;
  }

  // Pose index for an id field, creating a value-less pose on first use.
  // Poses and landmarks share one id space, as in g2o and Victoria Park.
  bool PoseIndex(int field, int* index, std::string* error) {
    long long id;
    if (!Id(field, &id, error)) return false;
    if (landmark_index_of_.count(id)) {
      *error = reader_.Error("id " + std::to_string(id) +
                             " is a landmark, a pose is expected");
      return false;
    }
    auto [it, inserted] =
        index_of_.emplace(id, static_cast<int>(graph_->poses.size()));
    if (inserted) {
      SlamGraph::Pose pose;
      pose.name = std::to_string(id);
      pose.id = id;
      const int d = graph_->dimension;
      pose.rotation = Eigen::MatrixXd::Identity(d, d);
      pose.translation = Eigen::VectorXd::Zero(d);
      graph_->poses.push_back(std::move(pose));
      first_use_line_.push_back(reader_.line_number());
    }
    *index = it->second;
    return true;
  }

  // Landmark index for an id field, creating a value-less landmark on first
  // use. The dimension must be known.
  bool LandmarkIndex(int field, int* index, std::string* error) {
    long long id;
    if (!Id(field, &id, error)) return false;
    if (index_of_.count(id)) {
      *error = reader_.Error("id " + std::to_string(id) +
                             " is a pose, a landmark is expected");
      return false;
    }
    auto [it, inserted] = landmark_index_of_.emplace(
        id, static_cast<int>(graph_->landmarks.size()));
    if (inserted) {
      SlamGraph::Landmark landmark;
      landmark.name = std::to_string(id);
      landmark.position = Eigen::VectorXd::Zero(graph_->dimension);
      graph_->landmarks.push_back(std::move(landmark));
      landmark_first_use_line_.push_back(reader_.line_number());
    }
    *index = it->second;
    return true;
  }

  // VERTEX_XY id x y, VERTEX_TRACKXYZ id x y z.
  bool LandmarkVertex(int d, std::string* error) {
    if (!SetDimension(d, error) || !ExpectTokens(d + 2, error)) return false;
    int index;
    if (!LandmarkIndex(1, &index, error)) return false;
    SlamGraph::Landmark& landmark = graph_->landmarks[index];
    if (landmark.has_value) {
      *error =
          reader_.Error("landmark " + landmark.name + " is declared twice");
      return false;
    }
    double v[3];
    if (!reader_.Doubles(2, d, v, error)) return false;
    landmark.position = Eigen::Map<Eigen::VectorXd>(v, d);
    landmark.has_value = true;
    ++num_landmark_vertex_lines_;
    return true;
  }

  // The pose and landmark ids of a landmark edge (fields 1 and 2).
  bool LandmarkEdgeEnds(SlamGraph::LandmarkEdge* edge, std::string* error) {
    edge->line = reader_.line_number();
    return PoseIndex(1, &edge->pose, error) &&
           LandmarkIndex(2, &edge->landmark, error);
  }

  // EDGE_SE2_XY pose landmark x y I11 I12 I22, EDGE_SE3_XYZ pose landmark
  // x y z + the 6 information entries (upper triangle, row-major).
  bool LandmarkEdge(int d, std::string* error) {
    const int ni = d * (d + 1) / 2;
    if (!SetDimension(d, error) || !ExpectTokens(3 + d + ni, error))
      return false;
    SlamGraph::LandmarkEdge edge;
    if (!LandmarkEdgeEnds(&edge, error)) return false;
    double v[9];
    if (!reader_.Doubles(3, d + ni, v, error)) return false;
    edge.translation = Eigen::Map<Eigen::VectorXd>(v, d);
    std::string reason;
    if (!SymmetricFromUpperTriangle(v + d, d, &edge.information, &reason)) {
      *error = reader_.Error("the information matrix " + reason);
      return false;
    }
    AddLandmarkEdge(std::move(edge));
    return true;
  }

  // BR pose landmark bearing range σ_bearing σ_range (GTSAM's example.graph).
  bool BearingRangeEdge(std::string* error) {
    if (!SetDimension(2, error) || !ExpectTokens(7, error)) return false;
    SlamGraph::LandmarkEdge edge;
    if (!LandmarkEdgeEnds(&edge, error)) return false;
    double v[4];
    if (!reader_.Doubles(3, 4, v, error)) return false;
    SlamGraph::BearingRange br;
    br.bearing = v[0];
    br.range = v[1];
    br.bearing_sigma = v[2];
    br.range_sigma = v[3];
    std::string reason;
    if (!RelativePositionFromBearingRange(br, &edge.translation,
                                          &edge.information, &reason)) {
      *error = reader_.Error("bearing-range measurement: " + reason);
      return false;
    }
    edge.bearing_range = br;
    AddLandmarkEdge(std::move(edge));
    return true;
  }

  // LANDMARK pose landmark x y c11 c12 c22 (Victoria Park): the landmark's
  // position in the pose's frame and its covariance.
  bool VictoriaLandmark(std::string* error) {
    if (!SetDimension(2, error) || !ExpectTokens(8, error)) return false;
    SlamGraph::LandmarkEdge edge;
    if (!LandmarkEdgeEnds(&edge, error)) return false;
    double v[5];
    if (!reader_.Doubles(3, 5, v, error)) return false;
    edge.translation = Eigen::Vector2d(v[0], v[1]);
    Eigen::MatrixXd covariance;
    std::string reason;
    if (!SymmetricFromUpperTriangle(v + 2, 2, &covariance, &reason)) {
      *error = reader_.Error("the covariance matrix " + reason);
      return false;
    }
    edge.information = covariance.llt().solve(
        Eigen::MatrixXd::Identity(covariance.rows(), covariance.rows()));
    AddLandmarkEdge(std::move(edge));
    ++num_victoria_landmarks_;
    return true;
  }

  void AddLandmarkEdge(SlamGraph::LandmarkEdge edge) {
    graph_->landmark_edges.push_back(std::move(edge));
    graph_->other_lines.emplace_back(reader_.line());
  }

  // ODOMETRY i j dx dy dθ + 6 covariance entries (Victoria Park). GTSAM's
  // load2D reads them as a covariance, in g2o's row-major order unless the
  // numbers fit TORO's order (I11 I12 I22 I33 I13 I23) only; decided on the
  // first line like EDGE2.
  bool Odometry(std::string* error) {
    if (!SetDimension(2, error) || !ExpectTokens(12, error)) return false;
    SlamGraph::PoseEdge edge;
    edge.line = reader_.line_number();
    if (!PoseIndex(1, &edge.from, error) || !PoseIndex(2, &edge.to, error))
      return false;
    if (edge.from == edge.to) {
      *error = reader_.Error("edge from vertex " +
                             graph_->poses[edge.from].name + " to itself");
      return false;
    }
    double v[9];
    if (!reader_.Doubles(3, 9, v, error)) return false;
    edge.translation = Eigen::Vector2d(v[0], v[1]);
    edge.rotation = RotationFromAngle(v[2]);
    double upper[6] = {v[3], v[4], v[5], v[6], v[7], v[8]};
    if (odometry_order_ < 0) {
      const double toro[6] = {v[3], v[4], v[7], v[5], v[8], v[6]};
      Eigen::MatrixXd m;
      std::string reason;
      const bool row_major = SymmetricFromUpperTriangle(upper, 3, &m, &reason);
      odometry_order_ =
          !row_major && SymmetricFromUpperTriangle(toro, 3, &m, &reason);
      graph_->notes.push_back(
          std::string("ODOMETRY noise read as a covariance in ") +
          (odometry_order_ ? "TORO order (C11 C12 C22 C33 C13 C23)"
                           : "g2o row-major order (C11 C12 C13 C22 C23 C33)") +
          ", as GTSAM's load2D reads it");
    }
    if (odometry_order_ == 1) {
      const double t[6] = {v[3], v[4], v[7], v[5], v[8], v[6]};
      std::copy(t, t + 6, upper);
    }
    Eigen::MatrixXd covariance;
    std::string reason;
    if (!SymmetricFromUpperTriangle(upper, 3, &covariance, &reason)) {
      *error = reader_.Error("the covariance matrix " + reason);
      return false;
    }
    edge.information = covariance.llt().solve(
        Eigen::MatrixXd::Identity(covariance.rows(), covariance.rows()));
    graph_->pose_edges.push_back(std::move(edge));
    graph_->other_lines.emplace_back(reader_.line());
    return true;
  }

  bool Vertex(int d, std::string* error) {
    if (!SetDimension(d, error) || !ExpectTokens(d == 2 ? 5 : 9, error))
      return false;
    int index;
    if (!PoseIndex(1, &index, error)) return false;
    SlamGraph::Pose& pose = graph_->poses[index];
    if (pose.has_value) {
      *error = reader_.Error("vertex " + pose.name + " is declared twice");
      return false;
    }
    double v[7];
    if (!reader_.Doubles(2, d == 2 ? 3 : 7, v, error)) return false;
    if (d == 2) {
      pose.translation = Eigen::Vector2d(v[0], v[1]);
      pose.rotation = RotationFromAngle(v[2]);
    } else {
      const double norm =
          std::sqrt(v[3] * v[3] + v[4] * v[4] + v[5] * v[5] + v[6] * v[6]);
      if (!(norm > 1e-12)) {
        *error =
            reader_.Error("vertex " + pose.name + " has a zero quaternion");
        return false;
      }
      pose.translation = Eigen::Vector3d(v[0], v[1], v[2]);
      pose.rotation = RotationFromQuaternion(v[3], v[4], v[5], v[6]);
    }
    pose.has_value = true;
    ++num_vertex_lines_;
    return true;
  }

  bool Edge(int d, bool toro, std::string* error) {
    if (!SetDimension(d, error) || !ExpectTokens(d == 2 ? 12 : 31, error))
      return false;
    SlamGraph::PoseEdge edge;
    edge.line = reader_.line_number();
    if (!PoseIndex(1, &edge.from, error) || !PoseIndex(2, &edge.to, error))
      return false;
    if (edge.from == edge.to) {
      *error = reader_.Error("edge from vertex " +
                             graph_->poses[edge.from].name + " to itself");
      return false;
    }
    double v[28];
    const int n = d == 2 ? 9 : 28;
    if (!reader_.Doubles(3, n, v, error)) return false;
    if (d == 2) {
      edge.translation = Eigen::Vector2d(v[0], v[1]);
      edge.rotation = RotationFromAngle(v[2]);
      double upper[6] = {v[3], v[4], v[5], v[6], v[7], v[8]};
      if (toro) {
        if (toro_order_ < 0) toro_order_ = DecideToroOrder(v + 3);
        if (toro_order_ == 1) {
          // TORO: I11 I12 I22 I33 I13 I23 -> row-major I11 I12 I13 I22 I23 I33.
          const double t[6] = {v[3], v[4], v[7], v[5], v[8], v[6]};
          std::copy(t, t + 6, upper);
        }
      }
      if (!PoseInformation(upper, 3, &edge.information, error)) return false;
    } else {
      const double norm =
          std::sqrt(v[3] * v[3] + v[4] * v[4] + v[5] * v[5] + v[6] * v[6]);
      if (!(norm > 1e-12)) {
        *error = reader_.Error("the edge has a zero quaternion");
        return false;
      }
      edge.translation = Eigen::Vector3d(v[0], v[1], v[2]);
      edge.rotation = RotationFromQuaternion(v[3], v[4], v[5], v[6]);
      if (!PoseInformation(v + 7, 6, &edge.information, error)) return false;
    }
    graph_->pose_edges.push_back(std::move(edge));
    graph_->other_lines.emplace_back(reader_.line());
    return true;
  }

  // The translation and rotation blocks must be positive definite; the whole
  // matrix may be indefinite through cross terms (cubicle.g2o), counted.
  bool PoseInformation(const double* upper, int n, Eigen::MatrixXd* m,
                       std::string* error) {
    std::string reason;
    if (SymmetricFromUpperTriangle(upper, n, m, &reason)) return true;
    const int d = n == 3 ? 2 : 3;
    Eigen::MatrixXd block;
    for (const auto& [offset, size, what] :
         {std::tuple<int, int, const char*>{0, d, "translation"},
          {d, n - d, "rotation"}}) {
      block = m->block(offset, offset, size, size);
      Eigen::LLT<Eigen::MatrixXd> llt(block);
      const bool pd =
          llt.info() == Eigen::Success &&
          llt.matrixL().toDenseMatrix().diagonal().minCoeff() >
              1e-12 * llt.matrixL().toDenseMatrix().diagonal().maxCoeff();
      if (!pd) {
        *error = reader_.Error(std::string("the ") + what +
                               " block of the information matrix " + reason);
        return false;
      }
    }
    ++num_indefinite_;
    return true;
  }

  // 1 for TORO's order, 0 for g2o's: whichever is positive definite.
  int DecideToroOrder(const double* six) {
    const double toro[6] = {six[0], six[1], six[4], six[2], six[5], six[3]};
    Eigen::MatrixXd m;
    std::string reason;
    if (SymmetricFromUpperTriangle(toro, 3, &m, &reason)) {
      graph_->notes.push_back(
          "EDGE2 information read in TORO order (I11 I12 I22 I33 I13 I23)");
      return 1;
    }
    graph_->notes.push_back(
        "EDGE2 information is not positive definite in TORO order; read in g2o "
        "row-major order (I11 I12 I13 I22 I23 I33), as GTSAM files such as "
        "w20000 are written");
    return 0;
  }

  bool ParseLine(std::string* error) {
    const std::string_view tag = reader_.token(0);
    if (tag == "VERTEX_SE2") return Vertex(2, error);
    if (tag == "VERTEX_SE3:QUAT") return Vertex(3, error);
    if (tag == "EDGE_SE2") return Edge(2, false, error);
    if (tag == "EDGE_SE3:QUAT") return Edge(3, false, error);
    if (tag == "VERTEX2") {
      graph_->format = SlamGraph::Format::kToro;
      return Vertex(2, error);
    }
    if (tag == "EDGE2") {
      graph_->format = SlamGraph::Format::kToro;
      return Edge(2, true, error);
    }
    if (tag == "VERTEX_XY") return LandmarkVertex(2, error);
    if (tag == "VERTEX_TRACKXYZ") return LandmarkVertex(3, error);
    if (tag == "EDGE_SE2_XY") return LandmarkEdge(2, error);
    if (tag == "EDGE_SE3_XYZ") return LandmarkEdge(3, error);
    if (tag == "BR" || tag == "ODOMETRY" || tag == "LANDMARK") {
      graph_->format = SlamGraph::Format::kToro;
      if (tag == "BR") return BearingRangeEdge(error);
      if (tag == "ODOMETRY") return Odometry(error);
      return VictoriaLandmark(error);
    }
    if (tag == "EQUIV") {
      // A data-association declaration (w100: the same place seen twice).
      // The graph already carries edges between such ids with non-zero
      // offsets, so they are not merged; the lines are kept for writing.
      if (!ExpectTokens(3, error)) return false;
      int a, b;
      if (!PoseIndex(1, &a, error) || !PoseIndex(2, &b, error)) return false;
      ++num_equivalences_;
      graph_->other_lines.emplace_back(reader_.line());
      return true;
    }
    *error = reader_.Error("unknown or unsupported entry " + QuoteToken(tag));
    return false;
  }

  TextReader reader_;
  SlamGraph* graph_;
  std::unordered_map<long long, int> index_of_;
  std::unordered_map<long long, int> landmark_index_of_;
  std::vector<int> first_use_line_;
  std::vector<int> landmark_first_use_line_;
  int num_landmark_vertex_lines_ = 0;
  int num_victoria_landmarks_ = 0;
  int odometry_order_ = -1;
  int num_equivalences_ = 0;
  int num_indefinite_ = 0;
  int num_vertex_lines_ = 0;
  int toro_order_ = -1;
};

}  // namespace

bool ParseG2o(const std::string& contents, const std::string& name,
              SlamGraph* graph, std::string* error) {
  G2oParser parser(contents, name, graph);
  return parser.Parse(error);
}

bool ReadG2oFile(const std::string& path, SlamGraph* graph,
                 std::string* error) {
  std::string contents;
  if (!ReadFileToString(path, &contents, error)) return false;
  return ParseG2o(contents, path, graph, error);
}

bool WriteG2oFile(const std::string& path, const SlamGraph& graph,
                  std::string* error) {
  if (graph.format == SlamGraph::Format::kPyfg) {
    *error =
        "WriteG2oFile: the graph was read from a pyfg file; use WritePyfgFile";
    return false;
  }
  AtomicFileWriter writer(path);
  std::ostream& out = writer.stream();
  char buffer[512];
  const bool toro = graph.format == SlamGraph::Format::kToro;
  for (const SlamGraph::Pose& p : graph.poses) {
    const Eigen::VectorXd& t = p.translation;
    if (graph.dimension == 2) {
      std::snprintf(buffer, sizeof(buffer), "%s %s %.17g %.17g %.17g\n",
                    toro ? "VERTEX2" : "VERTEX_SE2", p.name.c_str(), t[0], t[1],
                    AngleFromRotation(p.rotation));
    } else {
      const Eigen::Vector4d q = QuaternionFromRotation(p.rotation);
      std::snprintf(
          buffer, sizeof(buffer),
          "VERTEX_SE3:QUAT %s %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n",
          p.name.c_str(), t[0], t[1], t[2], q[0], q[1], q[2], q[3]);
    }
    out << buffer;
  }
  for (const SlamGraph::Landmark& l : graph.landmarks) {
    out << (graph.dimension == 2 ? "VERTEX_XY " : "VERTEX_TRACKXYZ ") << l.name;
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
