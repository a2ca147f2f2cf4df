#ifndef CERES_VARPRO_ENGINE_STRUCTURE_ANALYZER_H_
#define CERES_VARPRO_ENGINE_STRUCTURE_ANALYZER_H_

#include <string>
#include <vector>

#include "ceres_varpro/solver.h"
#include "engine/program.h"

namespace ceres_varpro::internal {

// What the analysis found out about the separable structure.
struct StructureAnalysis {
  EliminationRegime regime = EliminationRegime::NO_LINEAR_BLOCKS;
  bool coupled = false;            // Some residual touches two linear blocks.
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

// Problem -> analysis. Validates the named linear blocks (no manifold, no
// bounds, affine in every residual unless allow_nonlinear_elimination),
// finds the connected components of the linear-block graph, pins one block
// per shift-invariant component, detects whether the Gram matrix is constant,
// classifies the regime and finally sets the program's layout. Evaluates the
// user's CostFunctions at the current point and at random perturbations of
// it (copies; the user's memory is not modified). Errors name the residual
// block and the parameter block concerned.
bool AnalyzeStructure(const Solver::Options& options, Program* program,
                      StructureAnalysis* analysis, std::string* error,
                      bool ambient_theta = false);

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_STRUCTURE_ANALYZER_H_
