#ifndef CERES_VARPRO_ENGINE_PRECONDITIONER_H_
#define CERES_VARPRO_ENGINE_PRECONDITIONER_H_

#include <string>

#include "engine/reduced_problem.h"

namespace ceres_varpro::internal {

// Approximates (s S s + D²)⁻¹ for the reduced system, with s the Jacobi
// scaling and D² the Levenberg-Marquardt diagonal, both in tangent
// coordinates of θ. Implementations: BlockJacobiPreconditioner,
// SchurJacobiPreconditioner, JointCholeskyPreconditioner.
class Preconditioner {
 public:
  virtual ~Preconditioner() = default;
  // Prepares for a solve at the current point. jacobian_changed is true the
  // first time after a new point was accepted.
  virtual bool Update(ReducedProblem* problem, const double* scale,
                      const double* d2, bool jacobian_changed,
                      std::string* error) = 0;
  virtual void Apply(const double* x, double* y) = 0;
  // How many CG iterations the last solve needed and how long it took
  // (lagged strategies use it).
  virtual void NotifyIterations(int /*cg_iterations*/, double /*seconds*/) {}
  virtual int num_factorizations() const { return 0; }
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_PRECONDITIONER_H_
