// Run as the owner of the state directory. An operator types `deepgate keys create` as root;
// a key store (or its -wal/-shm files) created by root would be unreadable to the worker's
// own user, which would then refuse every key. So a CLI run as root whose key store lives
// in a directory owned by a service user becomes that user before touching it.
#pragma once

#include <string>

namespace deepgate::cli {

// No-op unless the effective uid is 0 and the directory holding `state_path` belongs to
// another user. Returns false (after printing why) when the switch was needed but failed.
bool BecomeStateOwner(const std::string& state_path);

}  // namespace deepgate::cli
