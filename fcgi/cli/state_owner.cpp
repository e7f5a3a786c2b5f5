#include "fcgi/cli/state_owner.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "fcgi/cli/command.h"
#include "fcgi/models/durable_dir.h"

namespace deepgate::cli {

bool BecomeStateOwner(const std::string& state_path) {
  if (::geteuid() != 0) return true;
  const std::string dir = fcgi::models::ParentDirectory(state_path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || st.st_uid == 0) return true;  // nothing to match
  const struct passwd* pw = ::getpwuid(st.st_uid);
  if (pw == nullptr) {
    Fail(dir + " belongs to uid " + std::to_string(st.st_uid) +
         ", which has no passwd entry; run the command as that user");
    return false;
  }
  const std::string name = pw->pw_name;
  const gid_t gid = pw->pw_gid;
  if (::initgroups(name.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(st.st_uid) != 0) {
    Fail("cannot switch to user '" + name + "' (owner of " + dir + "): " + std::strerror(errno));
    return false;
  }
  if (::setuid(0) == 0) {  // must be irrevocable
    Fail("switching to user '" + name + "' did not drop root");
    return false;
  }
  std::cerr << "deepgate: acting as user '" << name << "', the owner of " << dir << "\n";
  return true;
}

}  // namespace deepgate::cli
