#ifndef CERES_VARPRO_ENGINE_SPAN_H_
#define CERES_VARPRO_ENGINE_SPAN_H_

namespace ceres_varpro::internal {

// A read-only range of an index's flat arrays.
template <typename T>
class Span {
 public:
  Span() = default;
  Span(const T* begin, const T* end) : begin_(begin), end_(end) {}
  const T* begin() const { return begin_; }
  const T* end() const { return end_; }
  int size() const { return static_cast<int>(end_ - begin_); }
  bool empty() const { return begin_ == end_; }
  const T& operator[](int i) const { return begin_[i]; }

 private:
  const T* begin_ = nullptr;
  const T* end_ = nullptr;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_SPAN_H_
