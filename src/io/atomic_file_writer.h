#ifndef CERES_VARPRO_IO_ATOMIC_FILE_WRITER_H_
#define CERES_VARPRO_IO_ATOMIC_FILE_WRITER_H_

#include <fstream>
#include <string>

namespace ceres_varpro {

// Writes a file whole or not at all: the text goes to a temporary file in the
// same directory, which replaces the destination (rename(2), atomic on POSIX)
// only in Commit(). If Commit() is never called or fails, the destination is
// left exactly as it was and the temporary file is removed.
//
//   AtomicFileWriter writer(path);
//   writer.stream() << ...;
//   if (!writer.Commit(&error)) { ... }
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();

  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // False (with the reason in the error passed to Commit) if the temporary
  // file could not be created.
  bool ok() const { return open_error_.empty(); }
  std::ostream& stream() { return stream_; }

  // Flushes, syncs and renames over the destination. Returns false with an
  // error naming the file when anything failed; the destination is untouched.
  bool Commit(std::string* error);

 private:
  std::string path_;
  std::string temporary_path_;
  std::ofstream stream_;
  std::string open_error_;
  bool committed_ = false;
};

// Convenience: writes `contents` to `path` atomically.
bool WriteFileAtomically(const std::string& path, const std::string& contents,
                         std::string* error);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_IO_ATOMIC_FILE_WRITER_H_
