#ifndef CERES_VARPRO_TOOLS_JSON_WRITER_H_
#define CERES_VARPRO_TOOLS_JSON_WRITER_H_

#include <string>
#include <vector>

namespace ceres_varpro::tools {

// Minimal JSON emitter for the runners' --json output: objects, arrays,
// numbers (full precision; non-finite as null), strings (escaped), bools.
class JsonWriter {
 public:
  JsonWriter& BeginObject(const std::string& key = "");
  JsonWriter& EndObject();
  JsonWriter& BeginArray(const std::string& key = "");
  JsonWriter& EndArray();
  JsonWriter& Number(const std::string& key, double value);
  JsonWriter& Int(const std::string& key, long long value);
  JsonWriter& String(const std::string& key, const std::string& value);
  JsonWriter& Bool(const std::string& key, bool value);
  const std::string& str() const { return out_; }

 private:
  void Key(const std::string& key);
  std::string out_;
  std::vector<bool> first_;  // Per open container: no element yet.
};

}  // namespace ceres_varpro::tools

#endif  // CERES_VARPRO_TOOLS_JSON_WRITER_H_
