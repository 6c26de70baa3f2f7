// A resumable on-disk cache of server responses: one JSON line per answered request,
// {"key": sha256(route + body), "response": {...}}. Lines are appended with a single write and fsync,
// so an interrupted evaluation leaves at most one torn last line, which Open() cuts off; a rerun then
// asks the server only for what is missing. The key leaves out the server's address, so a cache
// survives a restarted server on another port.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace remote {

class ResponseCache {
 public:
  // Loads `path` when it exists (creating its directory otherwise). Throws util::InputError naming
  // the file and line for a malformed line other than a torn last one.
  explicit ResponseCache(std::string path);

  static std::string Key(const std::string& route, const nlohmann::json& body);

  std::optional<nlohmann::json> Find(const std::string& key) const;
  // Appends one line and fsyncs it. Thread-safe.
  void Add(const std::string& key, const nlohmann::json& response);
  size_t size() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, nlohmann::json> entries_;
};

}  // namespace remote
