#include "fcgi/audit/journal_writer.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

namespace deepgate::fcgi::audit {

int SdJournalWriter::Send(const std::vector<std::string>& fields) {
  std::vector<iovec> iov(fields.size());
  for (size_t i = 0; i < fields.size(); ++i)
    iov[i] = {const_cast<char*>(fields[i].data()), fields[i].size()};
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

bool JournalSocketPresent(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace deepgate::fcgi::audit
