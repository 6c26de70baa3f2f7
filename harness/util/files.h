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

bool FileExists(const std::string& path);
void MakeDirs(const std::string& path);

}  // namespace util
