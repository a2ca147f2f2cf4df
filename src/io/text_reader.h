#ifndef CERES_VARPRO_IO_TEXT_READER_H_
#define CERES_VARPRO_IO_TEXT_READER_H_

#include <string>
#include <string_view>
#include <vector>

namespace ceres_varpro {

// Line-by-line, token-by-token access to an in-memory text, for the file
// readers. Tokens are views into the text (nothing is allocated per token
// beyond the reused token list), numbers are parsed strictly (the whole token,
// finite values only), and every error is formatted "name:line: message".
class TextReader {
 public:
  // `name` is used in error messages only (usually the file path).
  TextReader(std::string_view text, std::string name);

  // Advances to the next line that has tokens; blank lines and lines whose
  // first token starts with '#' are skipped. False at the end of the text.
  bool NextLine();
  int line_number() const { return line_number_; }
  int num_tokens() const { return static_cast<int>(tokens_.size()); }
  std::string_view token(int i) const { return tokens_[i]; }
  // The current line, trimmed of its line break.
  std::string_view line() const { return line_; }

  // Parse token i; on failure *error names the line, the token and why.
  bool Double(int i, double* value, std::string* error) const;
  bool Int(int i, long long* value, std::string* error) const;
  // Tokens [first, first + n) into values.
  bool Doubles(int first, int n, double* values, std::string* error) const;

  // "name:line: message" for the current line.
  std::string Error(const std::string& message) const;
  const std::string& name() const { return name_; }

 private:
  std::string_view text_;
  std::string name_;
  size_t position_ = 0;
  int line_number_ = 0;
  std::string_view line_;
  std::vector<std::string_view> tokens_;
};

// Reads a whole file into *contents; false with an error naming the file.
// Files larger than max_bytes are refused instead of read.
bool ReadFileToString(const std::string& path, std::string* contents,
                      std::string* error, size_t max_bytes = size_t{1} << 31);

// Printable form of a token for error messages (bounded, escapes binary).
std::string QuoteToken(std::string_view token);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_IO_TEXT_READER_H_
