#ifndef CERES_VARPRO_ENGINE_STRUCTURE_ANALYZER_H_
#define CERES_VARPRO_ENGINE_STRUCTURE_ANALYZER_H_

#include <string>
#include <vector>

#include "ceres_varpro/types.h"
#include "engine/program.h"

namespace ceres_varpro::internal {

// What the analysis found out about the separable structure.
struct StructureAnalysis {
  EliminationRegime regime = EliminationRegime::NO_LINEAR_BLOCKS;
  bool coupled = false;  // Some residual touches two linear blocks.
  // Some residual touches two free θ blocks: J_θᵀJ_θ is not block diagonal.
  bool theta_coupled = false;
  bool affine = true;              // Every residual is affine in the l blocks.
  bool robust = false;             // A residual with a loss touches l.
  bool gram_constant = false;      // G = AᵀA does not depend on θ.
  bool jacobian_constant = false;  // A itself does not depend on θ.
  int num_linear_blocks = 0;
  int num_user_fixed_linear_blocks = 0;
  int num_components = 0;
  int num_pins = 0;
  // Component of each parameter block (-1 for non-linear or fixed blocks).
  std::vector<int> component;
};

struct StructureAnalysisOptions {
  // Accept non-affine linear blocks if no residual touches two of them.
  bool allow_nonlinear_elimination = false;
  GaugePolicy gauge_policy = GaugePolicy::PIN_ONE_BLOCK_PER_COMPONENT;
  // Relative tolerance of the numerical affinity and Gram-constancy checks,
  // and the seed of the random moves they make.
  double tolerance = 1e-7;
  unsigned int seed = 5489u;
  int num_threads = 1;
  // Passed to Program::SetLayout.
  bool ambient_theta = false;
};

// Problem -> analysis, in stages:
//   1. validate the named linear blocks (no manifold, no bounds);
//   2. probe each residual block touching them, at the current point and
//      after random moves: affine in the linear blocks (unless
//      allow_nonlinear_elimination), and whether its share of G = AᵀA
//      changes when θ moves;
//   3. connected components of the linear blocks (residuals as edges);
//   4. gauge: pin one block per shift-invariant component;
//   5. classify the regime, and set the program's layout.
// Evaluates the user's CostFunctions on copies of the values (the user's
// memory is not modified). Errors name the residual block and the parameter
// block concerned.
bool AnalyzeStructure(const StructureAnalysisOptions& options, Program* program,
                      StructureAnalysis* analysis, std::string* error);

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_STRUCTURE_ANALYZER_H_
