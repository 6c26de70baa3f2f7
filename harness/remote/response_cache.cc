#include "harness/remote/response_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"

namespace remote {
namespace {

// Parses every complete line; returns the byte length of the intact prefix (a torn last line, one
// without its newline, is left out).
size_t LoadLines(const std::string& path, const std::string& text, std::map<std::string, nlohmann::json>* entries) {
  size_t start = 0;
  long line_number = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) return start;  // torn last line
    ++line_number;
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    nlohmann::json entry;
    try {
      entry = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw util::InputError(util::Location{path, line_number, ""}, "not a JSON line of the response cache");
    }
    if (!entry.is_object() || !entry.contains("key") || !entry["key"].is_string() || !entry.contains("response")) {
      throw util::InputError(util::Location{path, line_number, "key"}, "cache lines need 'key' and 'response'");
    }
    (*entries)[entry["key"].get<std::string>()] = entry["response"];
  }
  return start;
}

}  // namespace

ResponseCache::ResponseCache(std::string path) : path_(std::move(path)) {
  const std::filesystem::path p(path_);
  if (p.has_parent_path()) util::MakeDirs(p.parent_path().string());
  if (!util::FileExists(path_)) return;
  const std::string text = util::ReadFile(path_);
  const size_t intact = LoadLines(path_, text, &entries_);
  if (intact < text.size()) std::filesystem::resize_file(p, intact);
}

std::string ResponseCache::Key(const std::string& route, const nlohmann::json& body) {
  // Object keys dump sorted: a canonical form of the request.
  return util::Sha256Hex(route + "\n" + body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::optional<nlohmann::json> ResponseCache::Find(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void ResponseCache::Add(const std::string& key, const nlohmann::json& response) {
  const nlohmann::json entry = {{"key", key}, {"response", response}};
  const std::string line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open response cache " + path_ + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t w = ::write(fd, line.data() + written, line.size() - written);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      ::close(fd);
      throw std::runtime_error("cannot write response cache " + path_ + ": " + std::strerror(errno));
    }
    written += static_cast<size_t>(w);
  }
  ::fsync(fd);
  ::close(fd);
  entries_[key] = response;
}

size_t ResponseCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace remote
