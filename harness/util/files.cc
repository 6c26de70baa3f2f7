#include "harness/util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <vector>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harness/util/error.h"

namespace util {

void ForEachFileChunk(const std::string& path, const std::function<void(std::string_view)>& consume) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(Location{path, 0, ""}, "is a directory, expected a file");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(Location{path, 0, ""}, std::string("cannot open: ") + std::strerror(errno));
  std::vector<char> buffer(1 << 18);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw InputError(Location{path, 0, ""}, std::string("cannot read: ") + std::strerror(err));
    }
    if (n == 0) break;
    try {
      consume(std::string_view(buffer.data(), static_cast<size_t>(n)));
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  ::close(fd);
}

std::string ReadFile(const std::string& path) {
  // Reserved to the file's size, then filled chunk by chunk (a stringstream copy was a tenth of
  // `harness score`).
  std::string contents;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > 0) contents.reserve(static_cast<size_t>(size));
  ForEachFileChunk(path, [&](std::string_view chunk) { contents.append(chunk); });
  return contents;
}

bool FileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

void MakeDirs(const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw std::runtime_error("cannot create directory " + path + ": " + ec.message());
}

void WriteFileAtomic(const std::string& path, const std::string& contents) {
  WriteFileAtomic(path, std::vector<std::string_view>{contents});
}

void WriteFileAtomic(const std::string& path, const std::vector<std::string_view>& pieces) {
  AtomicFileWriter out(path);
  for (std::string_view piece : pieces) out.Write(piece);
  out.Commit();
}

AtomicFileWriter::AtomicFileWriter(const std::string& path)
    : path_(path), tmp_(path + ".tmp." + std::to_string(::getpid())) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) MakeDirs(target.parent_path().string());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot write " + tmp_ + ": " + std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {  // not committed: the final name keeps what it had
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFileWriter::Write(std::string_view piece) {
  if (fd_ < 0) throw std::logic_error("write to " + path_ + " after Commit");
  size_t written = 0;
  while (written < piece.size()) {
    const ssize_t n = ::write(fd_, piece.data() + written, piece.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("write failed for " + tmp_ + ": " + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
}

void AtomicFileWriter::Commit() {
  if (fd_ < 0) throw std::logic_error("second Commit of " + path_);
  ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_.c_str());
    throw std::runtime_error("cannot rename " + tmp_ + " to " + path_ + ": " + std::strerror(err));
  }
}

}  // namespace util
