#include "test_util/cholmod_matrix.h"

#include <algorithm>

#include "test_util/engine_test_problems.h"

namespace ceres_varpro::testing {

CholmodMatrix::CholmodMatrix(const Eigen::MatrixXd& m, int supernodal,
                             bool final_ll) {
  cholmod_start(&common_);
  common_.print = 0;
  common_.supernodal = supernodal;
  common_.final_ll = final_ll ? 1 : 0;
  const int n = static_cast<int>(m.rows());
  const UpperTriangle upper = UpperTriangleOf(m);
  a_ = cholmod_allocate_sparse(n, n, upper.row_index.size(), /*sorted=*/1,
                               /*packed=*/1, /*stype=*/1, CHOLMOD_REAL,
                               &common_);
  std::copy(upper.col_ptr.begin(), upper.col_ptr.end(),
            static_cast<int*>(a_->p));
  std::copy(upper.row_index.begin(), upper.row_index.end(),
            static_cast<int*>(a_->i));
  std::copy(upper.values.begin(), upper.values.end(), values());
}

CholmodMatrix::~CholmodMatrix() {
  if (a_ != nullptr) cholmod_free_sparse(&a_, &common_);
  cholmod_finish(&common_);
}

}  // namespace ceres_varpro::testing
