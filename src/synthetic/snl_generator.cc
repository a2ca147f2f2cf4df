#include "ceres_varpro/synthetic/snl_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <unordered_map>
#include <utility>

namespace ceres_varpro {
namespace {

// Platform-independent deviates from std::mt19937_64's specified output.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double Normal(double sigma) {
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    return sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  std::mt19937_64 engine_;
};

std::string Number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

// GenerateSensorNetwork's stages.

// The network's size: nodes at unit density in a cube of side `side`.
struct NetworkShape {
  int d;         // Dimension.
  int n;         // Nodes.
  double side;   // The cube's side.
  double range;  // The radio range.
};

// Time stamp of every line (the network is static).
constexpr char kStamp[] = "0.000000000";

// The nodes, uniform in the cube, as landmarks L0, L1, ...
void PlaceNodes(const NetworkShape& shape, Random* random, SlamGraph* graph) {
  const int d = shape.d;
  graph->landmarks.resize(shape.n);
  for (int k = 0; k < shape.n; ++k) {
    SlamGraph::Landmark& l = graph->landmarks[k];
    l.name = "L" + std::to_string(k);
    l.position.resize(d);
    for (int a = 0; a < d; ++a) l.position[a] = shape.side * random->Uniform();
    l.has_value = true;
  }
}

// The first num_anchors nodes know their position: a prior each, and its
// VERTEX_XY(Z):PRIOR line.
void AddAnchorPriors(const SnlGeneratorOptions& options, int d, int num_anchors,
                     SlamGraph* graph) {
  const double anchor_variance = options.anchor_sigma * options.anchor_sigma;
  for (int k = 0; k < num_anchors; ++k) {
    SlamGraph::LandmarkPrior p;
    p.landmark = k;
    p.position = graph->landmarks[k].position;
    p.information = Eigen::MatrixXd::Identity(d, d) / anchor_variance;
    std::string line =
        std::string(d == 2 ? "VERTEX_XY:PRIOR " : "VERTEX_XYZ:PRIOR ") +
        kStamp + " " + graph->landmarks[k].name;
    for (int a = 0; a < d; ++a) line += " " + Number(p.position[a]);
    for (int a = 0; a < d; ++a) {
      for (int b = a; b < d; ++b)
        line += " " + Number(a == b ? anchor_variance : 0.0);
    }
    graph->other_lines.push_back(std::move(line));
    graph->landmark_priors.push_back(std::move(p));
  }
}

// Pairs within the radio range, through a grid of cells of that size;
// *degree counts each node's pairs.
std::vector<std::pair<int, int>> PairsInRange(const NetworkShape& shape,
                                              const SlamGraph& graph,
                                              std::vector<int>* degree) {
  const int d = shape.d, n = shape.n;
  const double side = shape.side, range = shape.range;
  const int cells = std::max(1, static_cast<int>(side / range));
  auto cell_of = [&](const Eigen::VectorXd& x, int a) {
    return std::min(cells - 1, static_cast<int>(x[a] / side * cells));
  };
  auto key = [&](int cx, int cy, int cz) {
    return (static_cast<long long>(cz) * cells + cy) * cells + cx;
  };
  std::unordered_map<long long, std::vector<int>> grid;
  for (int k = 0; k < n; ++k) {
    const Eigen::VectorXd& x = graph.landmarks[k].position;
    grid[key(cell_of(x, 0), cell_of(x, 1), d == 3 ? cell_of(x, 2) : 0)]
        .push_back(k);
  }
  std::vector<std::pair<int, int>> pairs;
  for (int k = 0; k < n; ++k) {
    const Eigen::VectorXd& x = graph.landmarks[k].position;
    const int cx = cell_of(x, 0), cy = cell_of(x, 1),
              cz = d == 3 ? cell_of(x, 2) : 0;
    for (int dz = (d == 3 ? -1 : 0); dz <= (d == 3 ? 1 : 0); ++dz) {
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int ax = cx + dx, ay = cy + dy, az = cz + dz;
          if (ax < 0 || ay < 0 || az < 0 || ax >= cells || ay >= cells ||
              az >= cells) {
            continue;
          }
          auto it = grid.find(key(ax, ay, az));
          if (it == grid.end()) continue;
          for (int m : it->second) {
            if (m <= k) continue;
            if ((graph.landmarks[m].position - x).norm() <= range) {
              pairs.push_back({k, m});
              ++(*degree)[k];
              ++(*degree)[m];
            }
          }
        }
      }
    }
  }
  return pairs;
}

// Sparse corners: the nearest others, up to d + 1 neighbours.
void ConnectSparseNodes(const NetworkShape& shape, const SlamGraph& graph,
                        std::vector<std::pair<int, int>>* pairs,
                        std::vector<int>* degree) {
  const int d = shape.d, n = shape.n;
  for (int k = 0; k < n; ++k) {
    if ((*degree)[k] >= d + 1) continue;
    std::vector<std::pair<double, int>> nearest;
    for (int m = 0; m < n; ++m) {
      if (m == k) continue;
      const double dist =
          (graph.landmarks[m].position - graph.landmarks[k].position).norm();
      if (dist > shape.range) nearest.push_back({dist, m});
    }
    const int missing =
        std::min<int>(d + 1 - (*degree)[k], static_cast<int>(nearest.size()));
    std::partial_sort(nearest.begin(), nearest.begin() + missing,
                      nearest.end());
    for (int i = 0; i < missing; ++i) {
      const int m = nearest[i].second;
      pairs->push_back({std::min(k, m), std::max(k, m)});
      ++(*degree)[k];
      ++(*degree)[m];
    }
  }
}

// A noisy range measurement (and its EDGE_RANGE line) for every pair.
void AddRangeEdges(const SnlGeneratorOptions& options,
                   const std::vector<std::pair<int, int>>& pairs,
                   Random* random, SlamGraph* graph) {
  const double variance = options.range_noise * options.range_noise;
  for (const auto& [a, b] : pairs) {
    SlamGraph::RangeEdge e;
    e.a = {true, a};
    e.b = {true, b};
    const double truth =
        (graph->landmarks[a].position - graph->landmarks[b].position).norm();
    e.range = std::max(0.0, truth + random->Normal(options.range_noise));
    e.variance = variance;
    graph->other_lines.push_back("EDGE_RANGE " + std::string(kStamp) + " " +
                                 graph->landmarks[a].name + " " +
                                 graph->landmarks[b].name + " " +
                                 Number(e.range) + " " + Number(variance));
    graph->range_edges.push_back(e);
  }
}

}  // namespace

void GenerateSensorNetwork(const SnlGeneratorOptions& options,
                           SlamGraph* graph) {
  *graph = SlamGraph();
  NetworkShape shape;
  shape.d = options.dimension == 3 ? 3 : 2;
  shape.n = std::max(2, options.num_nodes);
  const int num_anchors = std::clamp(options.num_anchors, 0, shape.n);
  shape.side = std::pow(static_cast<double>(shape.n), 1.0 / shape.d);
  shape.range = std::max(options.radio_range, 1e-3);
  graph->format = SlamGraph::Format::kPyfg;
  graph->dimension = shape.d;
  graph->vertices_are_initial_guess = false;
  Random random(options.seed);

  PlaceNodes(shape, &random, graph);
  AddAnchorPriors(options, shape.d, num_anchors, graph);
  std::vector<int> degree(shape.n, 0);
  std::vector<std::pair<int, int>> pairs = PairsInRange(shape, *graph, &degree);
  ConnectSparseNodes(shape, *graph, &pairs, &degree);
  AddRangeEdges(options, pairs, &random, graph);
}

}  // namespace ceres_varpro
