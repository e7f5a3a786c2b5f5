// JournalWriter: the journal behind a one-method interface, so tests capture entries and
// inject failures. SdJournalWriter sends through libsystemd's sd_journal_sendv.
// Note: with no journald running, sd_journal_send returns 0 and DROPS the entry, so the
// worker checks JournalSocketPresent() at start (audit.required) instead of trusting it.
// Thread-safety: Send may be called concurrently (sd_journal_sendv is thread-safe).
#pragma once

#include <string>
#include <vector>

namespace deepgate::fcgi::audit {

// Where journald listens for native-protocol entries (fixed in libsystemd).
inline constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

class JournalWriter {
 public:
  virtual ~JournalWriter() = default;
  // Fields as "NAME=value". Returns 0 or a negative errno.
  virtual int Send(const std::vector<std::string>& fields) = 0;
};

class SdJournalWriter final : public JournalWriter {
 public:
  int Send(const std::vector<std::string>& fields) override;
};

// True when something accepts datagrams at `path` (journald is listening; a stale socket
// file from a journald that is gone does not count).
bool JournalSocketPresent(const char* path = kJournalSocket);

}  // namespace deepgate::fcgi::audit
