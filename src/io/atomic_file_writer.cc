#include "io/atomic_file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace ceres_varpro {

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  // mkstemp gives a unique name in the destination's directory, so the final
  // rename never crosses a file system.
  std::vector<char> name(path_.begin(), path_.end());
  const char kSuffix[] = ".tmp.XXXXXX";
  name.insert(name.end(), kSuffix, kSuffix + sizeof(kSuffix));
  const int fd = mkstemp(name.data());
  if (fd < 0) {
    open_error_ = "cannot create a temporary file next to '" + path_ +
                  "': " + std::strerror(errno);
    return;
  }
  // mkstemp creates 0600; give the result the permissions a plain open would.
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  close(fd);
  temporary_path_ = name.data();
  stream_.open(temporary_path_, std::ios::out | std::ios::trunc);
  if (!stream_) {
    open_error_ = "cannot open '" + temporary_path_ + "' for writing";
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_ && !temporary_path_.empty()) {
    stream_.close();
    std::remove(temporary_path_.c_str());
  }
}

bool AtomicFileWriter::Commit(std::string* error) {
  if (!open_error_.empty()) {
    *error = open_error_;
    return false;
  }
  stream_.flush();
  const bool write_ok = static_cast<bool>(stream_);
  stream_.close();
  if (!write_ok || stream_.fail()) {
    *error =
        "writing '" + path_ + "' failed (disk full?); the file is unchanged";
    return false;
  }
  // fsync so that a crash after the rename cannot leave an empty file.
  const int fd = open(temporary_path_.c_str(), O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  if (std::rename(temporary_path_.c_str(), path_.c_str()) != 0) {
    *error = "cannot replace '" + path_ + "': " + std::strerror(errno);
    return false;
  }
  committed_ = true;
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::string& contents,
                         std::string* error) {
  AtomicFileWriter writer(path);
  if (writer.ok()) writer.stream() << contents;
  return writer.Commit(error);
}

}  // namespace ceres_varpro
