// fsync of the directory holding a path, so that a rename or unlink in it
// survives a crash (the file's own fsync does not cover its directory entry).
#pragma once

#include <string>

namespace deepgate::fcgi::models {

// The directory holding `path` ("." for a bare file name).
std::string ParentDirectory(const std::string& path);

// Best effort: a directory that cannot be opened is skipped (the caller's
// operation already happened; this only narrows the crash window).
void SyncParentDirectory(const std::string& path);

}  // namespace deepgate::fcgi::models
