#include "io/text_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace ceres_varpro {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

TextReader::TextReader(std::string_view text, std::string name)
    : text_(text), name_(std::move(name)) {}

bool TextReader::NextLine() {
  while (position_ < text_.size()) {
    const size_t end = text_.find('\n', position_);
    const size_t stop = end == std::string_view::npos ? text_.size() : end;
    line_ = text_.substr(position_, stop - position_);
    position_ = stop + 1;
    ++line_number_;
    while (!line_.empty() && (line_.back() == '\r')) line_.remove_suffix(1);
    tokens_.clear();
    size_t i = 0;
    while (i < line_.size()) {
      while (i < line_.size() && IsSpace(line_[i])) ++i;
      const size_t start = i;
      while (i < line_.size() && !IsSpace(line_[i])) ++i;
      if (i > start) tokens_.push_back(line_.substr(start, i - start));
    }
    if (tokens_.empty() || tokens_[0][0] == '#') continue;
    return true;
  }
  tokens_.clear();
  return false;
}

std::string QuoteToken(std::string_view token) {
  std::string out = "'";
  const size_t n = std::min<size_t>(token.size(), 40);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c >= 32 && c < 127) {
      out += static_cast<char>(c);
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", c);
      out += buffer;
    }
  }
  if (token.size() > n) out += "...";
  return out + "'";
}

std::string TextReader::Error(const std::string& message) const {
  return name_ + ":" + std::to_string(line_number_) + ": " + message;
}

bool TextReader::Double(int i, double* value, std::string* error) const {
  if (i >= num_tokens()) {
    *error = Error("expected a number in field " + std::to_string(i + 1) +
                   ", the line ends early");
    return false;
  }
  const std::string_view t = tokens_[i];
  // strtod needs a terminated string; numbers are short, longer tokens are
  // not numbers.
  char buffer[64];
  if (t.size() >= sizeof(buffer)) {
    *error = Error("field " + std::to_string(i + 1) + " " + QuoteToken(t) +
                   " is not a number");
    return false;
  }
  std::memcpy(buffer, t.data(), t.size());
  buffer[t.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(buffer, &end);
  if (end != buffer + t.size() || t.empty()) {
    *error = Error("field " + std::to_string(i + 1) + " " + QuoteToken(t) +
                   " is not a number");
    return false;
  }
  if (!std::isfinite(v)) {
    *error = Error("field " + std::to_string(i + 1) + " " + QuoteToken(t) +
                   " is not a finite number");
    return false;
  }
  *value = v;
  return true;
}

bool TextReader::Int(int i, long long* value, std::string* error) const {
  if (i >= num_tokens()) {
    *error = Error("expected an integer in field " + std::to_string(i + 1) +
                   ", the line ends early");
    return false;
  }
  const std::string_view t = tokens_[i];
  char buffer[32];
  if (t.empty() || t.size() >= sizeof(buffer)) {
    *error = Error("field " + std::to_string(i + 1) + " " + QuoteToken(t) +
                   " is not an integer");
    return false;
  }
  std::memcpy(buffer, t.data(), t.size());
  buffer[t.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(buffer, &end, 10);
  if (end != buffer + t.size() || errno == ERANGE) {
    *error = Error("field " + std::to_string(i + 1) + " " + QuoteToken(t) +
                   " is not an integer");
    return false;
  }
  *value = v;
  return true;
}

bool TextReader::Doubles(int first, int n, double* values,
                         std::string* error) const {
  for (int k = 0; k < n; ++k) {
    if (!Double(first + k, &values[k], error)) return false;
  }
  return true;
}

bool ReadFileToString(const std::string& path, std::string* contents,
                      std::string* error, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open the file: " + std::strerror(errno);
    return false;
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) {
    *error = path + ": cannot determine the file size";
    return false;
  }
  if (static_cast<size_t>(size) > max_bytes) {
    *error = path + ": the file is larger than " + std::to_string(max_bytes) +
             " bytes";
    return false;
  }
  in.seekg(0, std::ios::beg);
  contents->resize(static_cast<size_t>(size));
  if (size > 0 && !in.read(contents->data(), size)) {
    *error = path + ": reading the file failed";
    return false;
  }
  return true;
}

}  // namespace ceres_varpro
