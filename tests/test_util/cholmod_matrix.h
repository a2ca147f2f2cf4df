#ifndef CERES_VARPRO_TESTS_TEST_UTIL_CHOLMOD_MATRIX_H_
#define CERES_VARPRO_TESTS_TEST_UTIL_CHOLMOD_MATRIX_H_

#include "Eigen/Core"
#include "cholmod.h"

namespace ceres_varpro::testing {

// A CHOLMOD workspace and the upper triangle of one matrix in it, for tests
// that compare the engine's factorisations with CHOLMOD's own.
class CholmodMatrix {
 public:
  // supernodal: CHOLMOD_SUPERNODAL or CHOLMOD_SIMPLICIAL; final_ll: LLᵀ
  // (else LDLᵀ) for simplicial factors.
  CholmodMatrix(const Eigen::MatrixXd& m, int supernodal, bool final_ll = true);
  ~CholmodMatrix();
  CholmodMatrix(const CholmodMatrix&) = delete;
  CholmodMatrix& operator=(const CholmodMatrix&) = delete;

  cholmod_common* common() { return &common_; }
  cholmod_sparse* matrix() { return a_; }
  double* values() { return static_cast<double*>(a_->x); }
  int num_nonzeros() const { return static_cast<const int*>(a_->p)[a_->ncol]; }

 private:
  cholmod_common common_;
  cholmod_sparse* a_ = nullptr;
};

}  // namespace ceres_varpro::testing

#endif  // CERES_VARPRO_TESTS_TEST_UTIL_CHOLMOD_MATRIX_H_
