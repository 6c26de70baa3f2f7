// The git commit the binary was built from, refreshed at every build (cmake/git_version.cmake), and
// whether tracked files had uncommitted changes then. Recorded in every results file.
#pragma once

namespace util {

const char* GitCommit();  // 12 hex digits, or "unknown" outside a git checkout
bool GitDirty();

}  // namespace util
