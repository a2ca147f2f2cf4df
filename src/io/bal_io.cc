#include "ceres_varpro/io/bal_io.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "ceres/rotation.h"
#include "io/atomic_file_writer.h"
#include "io/text_reader.h"

namespace ceres_varpro {
namespace {

// Tokens one after the other across lines, remembering each one's line.
class TokenStream {
 public:
  TokenStream(const std::string& contents, const std::string& name)
      : reader_(contents, name) {}

  bool Next(std::string* error) {
    while (index_ + 1 >= reader_.num_tokens()) {
      if (!reader_.NextLine()) {
        *error = reader_.name() + ": the file ends early (truncated?)";
        return false;
      }
      index_ = -1;
      if (reader_.num_tokens() > 0) break;
    }
    ++index_;
    return true;
  }
  bool Double(double* v, std::string* error) {
    return Next(error) && reader_.Double(index_, v, error);
  }
  bool Int(long long* v, std::string* error) {
    return Next(error) && reader_.Int(index_, v, error);
  }
  std::string Error(const std::string& message) const {
    return reader_.Error(message);
  }
  // True if tokens remain (error then names where).
  bool HasMore() {
    if (index_ + 1 < reader_.num_tokens()) return true;
    while (reader_.NextLine()) {
      index_ = -1;
      if (reader_.num_tokens() > 0) return true;
    }
    return false;
  }

 private:
  TextReader reader_;
  int index_ = -1;
};

long long CountTokens(const std::string& contents) {
  long long n = 0;
  bool in_token = false;
  for (char c : contents) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                       c == '\v' || c == '\f';
    if (!space && !in_token) ++n;
    in_token = !space;
  }
  return n;
}

}  // namespace

bool ParseBal(const std::string& contents, const std::string& name,
              BalProblem* problem, std::string* error) {
  *problem = BalProblem();
  TokenStream tokens(contents, name);
  long long header[3];
  const char* what[3] = {"number of cameras", "number of points",
                         "number of observations"};
  for (int k = 0; k < 3; ++k) {
    if (!tokens.Int(&header[k], error)) {
      if (k == 0 && CountTokens(contents) == 0)
        *error = name + ": the file is empty";
      return false;
    }
    if (header[k] < 0 || header[k] > std::numeric_limits<int>::max() / 16) {
      *error =
          tokens.Error(std::string("the ") + what[k] + " " +
                       std::to_string(header[k]) + " is negative or too large");
      return false;
    }
  }
  const long long cams = header[0], pts = header[1], obs = header[2];
  // The counts come from the file: check them against the data actually
  // there before allocating anything from them.
  const long long expected = 3 + 4 * obs + 9 * cams + 3 * pts;
  const long long found = CountTokens(contents);
  if (found != expected) {
    *error = name + ": the header announces " + std::to_string(cams) +
             " cameras, " + std::to_string(pts) + " points and " +
             std::to_string(obs) + " observations, i.e. " +
             std::to_string(expected) + " numbers, but the file has " +
             std::to_string(found) +
             (found < expected ? " (truncated?)" : " (extra data?)");
    return false;
  }
  problem->num_cameras = static_cast<int>(cams);
  problem->num_points = static_cast<int>(pts);
  problem->observations.resize(obs);
  for (auto& o : problem->observations) {
    long long c, p;
    if (!tokens.Int(&c, error)) return false;
    if (c < 0 || c >= cams) {
      *error =
          tokens.Error("camera index " + std::to_string(c) +
                       " is out of range [0, " + std::to_string(cams) + ")");
      return false;
    }
    if (!tokens.Int(&p, error)) return false;
    if (p < 0 || p >= pts) {
      *error =
          tokens.Error("point index " + std::to_string(p) +
                       " is out of range [0, " + std::to_string(pts) + ")");
      return false;
    }
    o.camera = static_cast<int>(c);
    o.point = static_cast<int>(p);
    if (!tokens.Double(&o.x, error) || !tokens.Double(&o.y, error))
      return false;
  }
  problem->cameras.resize(9 * cams);
  for (double& v : problem->cameras) {
    if (!tokens.Double(&v, error)) return false;
  }
  problem->points.resize(3 * pts);
  for (double& v : problem->points) {
    if (!tokens.Double(&v, error)) return false;
  }
  return true;
}

bool ReadBalFile(const std::string& path, BalProblem* problem,
                 std::string* error) {
  std::string contents;
  if (!ReadFileToString(path, &contents, error)) return false;
  return ParseBal(contents, path, problem, error);
}

bool WriteBalFile(const std::string& path, const BalProblem& problem,
                  std::string* error) {
  AtomicFileWriter writer(path);
  std::ostream& out = writer.stream();
  char buffer[128];
  out << problem.num_cameras << " " << problem.num_points << " "
      << problem.observations.size() << "\n";
  for (const auto& o : problem.observations) {
    std::snprintf(buffer, sizeof(buffer), "%d %d %.17g %.17g\n", o.camera,
                  o.point, o.x, o.y);
    out << buffer;
  }
  for (const std::vector<double>* v : {&problem.cameras, &problem.points}) {
    for (double x : *v) {
      std::snprintf(buffer, sizeof(buffer), "%.17g\n", x);
      out << buffer;
    }
  }
  return writer.Commit(error);
}

bool WritePlyFile(const std::string& path, const BalProblem& problem,
                  std::string* error) {
  AtomicFileWriter writer(path);
  std::ostream& out = writer.stream();
  out << "ply\nformat ascii 1.0\nelement vertex "
      << problem.num_cameras + problem.num_points
      << "\nproperty float x\nproperty float y\nproperty float z\n"
      << "property uchar red\nproperty uchar green\nproperty uchar "
         "blue\nend_header\n";
  char buffer[160];
  for (int i = 0; i < problem.num_cameras; ++i) {
    const double* c = problem.camera(i);
    // Centre c = -Rᵀt: rotate -t by the inverse rotation (-ω).
    const double minus_w[3] = {-c[0], -c[1], -c[2]};
    const double minus_t[3] = {-c[3], -c[4], -c[5]};
    double centre[3];
    ceres::AngleAxisRotatePoint(minus_w, minus_t, centre);
    std::snprintf(buffer, sizeof(buffer), "%.9g %.9g %.9g 0 255 0\n", centre[0],
                  centre[1], centre[2]);
    out << buffer;
  }
  for (int j = 0; j < problem.num_points; ++j) {
    const double* p = problem.point(j);
    std::snprintf(buffer, sizeof(buffer), "%.9g %.9g %.9g 255 255 255\n", p[0],
                  p[1], p[2]);
    out << buffer;
  }
  return writer.Commit(error);
}

}  // namespace ceres_varpro
