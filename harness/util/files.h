// Whole-file reads and atomic writes. Every output of the harness goes through WriteFileAtomic so that
// an interrupted run never leaves a half-written file under a final name.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace util {

// Reads a whole file; throws InputError naming the path when it cannot be opened.
std::string ReadFile(const std::string& path);
// Reads a file in chunks of up to 256 KB through one buffer, handing each to `consume`; throws as ReadFile.
void ForEachFileChunk(const std::string& path, const std::function<void(std::string_view)>& consume);

// Writes to "<path>.tmp.<pid>", flushes to disk, then renames over `path`. Creates parent dirs.
void WriteFileAtomic(const std::string& path, const std::string& contents);
// The same with the contents given as consecutive pieces (large outputs built in parts are not joined).
void WriteFileAtomic(const std::string& path, const std::vector<std::string_view>& pieces);

// The same for an output produced piece by piece (it need never be in memory whole): Write appends to
// "<path>.tmp.<pid>"; Commit flushes it to disk and renames it over `path`. Destroyed without Commit (an
// exception while producing), the temporary file is removed and `path` keeps what it had. Throws
// std::runtime_error when the file cannot be written or renamed.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const std::string& path);  // creates parent dirs
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  void Write(std::string_view piece);
  void Commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
};

bool FileExists(const std::string& path);
void MakeDirs(const std::string& path);

}  // namespace util
