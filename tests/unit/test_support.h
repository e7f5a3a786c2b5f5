// Helpers shared by the unit tests: where the shared reference data and the built binaries
// are, and a loud skip when the shared data is absent.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

namespace deepgate::testing {

inline std::string EnvOr(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : def;
}

// ../shared/data beside the checkout (CTest passes DEEPGATE_SHARED_DATA).
inline std::string SharedDataDir() { return EnvOr("DEEPGATE_SHARED_DATA", "../shared/data"); }
inline std::string BinDir() { return EnvOr("DEEPGATE_BIN", "build/bin"); }
inline std::string SourceDir() { return EnvOr("DEEPGATE_SOURCE_DIR", "."); }

// A fresh empty directory under the system temp dir for one test.
inline std::filesystem::path TempDir(const std::string& tag) {
  auto dir = std::filesystem::temp_directory_path() /
             ("deepgate-test-" + tag + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace deepgate::testing

// Skips the current test with a loud message when a shared-data path is missing.
#define DG_REQUIRE_SHARED_DATA(path)                                                     \
  do {                                                                                   \
    if (!std::filesystem::exists(path)) {                                                \
      GTEST_SKIP() << "*** SHARED TEST DATA MISSING: " << (path)                          \
                   << " — reference comparison NOT run ***";                             \
    }                                                                                    \
  } while (0)
