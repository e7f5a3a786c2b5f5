// Overwrite-then-unlink of a model file (`deepgate model remove --shred`). What this can and
// cannot guarantee is in README.md, "Secure deletion": on SSDs (wear levelling, spare area,
// TRIM), copy-on-write or data-journaling file systems (btrfs, ZFS, ext4 data=journal),
// snapshots and backups an in-place overwrite does not reach every copy of the bytes. Use
// full-disk encryption and destroy the key for a real guarantee. Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace deepgate::fcgi::models {

struct ShredOptions {
  int random_passes = 1;  // passes of random bytes before the final pass of zeros
  // Test and forensics aid: skip the truncate (the zeroed blocks stay allocated to the inode,
  // so a second hard link shows the overwrite). The path is still unlinked.
  bool keep_size = false;
  // Called after each fsync'd pass (1-based pass number, total passes incl. zeros).
  std::function<void(int pass, int passes)> on_pass;
};

struct ShredReport {
  uint64_t bytes = 0;   // size overwritten
  int passes = 0;       // random passes + the zero pass
  uint64_t links = 1;   // hard links the file had (others still name the now-overwritten inode)
};

// Overwrites the file's bytes in place (random passes, then zeros; fsync after each), then
// truncates it to 0 and fsyncs (unless keep_size), then unlinks it and fsyncs its folder.
[[nodiscard]] Result<ShredReport> ShredFile(const std::string& path, const ShredOptions& options);

}  // namespace deepgate::fcgi::models
