// Reading the audit trail back from journald (sd-journal), for the read-only admin API
// (fcgi/api/admin_audit.h) and a key's last use in the keys list.
//
// Only deepgate's audit entries are read (SYSLOG_IDENTIFIER=deepgate with a DEEPGATE_EVENT,
// sent by a process of the reader's own user: others could forge the name), and of each entry
// only the audit fields the sinks write (audit_format.cpp): journald's
// trusted fields (_CMDLINE, _PID, _HOSTNAME, _UID, ...) never leave this file — `_CMDLINE` of
// a CLI entry can name a data subject given on the command line.
//
// AuditJournal is the interface the handlers use, so tests can feed entries; SdAuditJournal
// opens the system journal (or a journal namespace: the packaged service writes to
// `--namespace=deepgate`) once per call. Thread-safety: an sd_journal handle is not
// thread-safe, so every call opens its own; SdAuditJournal itself is immutable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace deepgate::fcgi::audit {

// The journal fields an audit entry carries (JournalFields in audit_format.cpp), in the order
// the API shows them. Nothing else is ever returned.
const std::vector<std::string>& AuditFieldNames();

// One entry as the API shows it: only audit fields, plus where it sits in the journal.
struct AuditEntry {
  std::string cursor;                         // journald cursor: where a next page starts
  int64_t time_us = 0;                        // __REALTIME_TIMESTAMP, µs since the epoch
  std::map<std::string, std::string> fields;  // audit field → value (AuditFieldNames only)
};

// Keeps the audit fields of a raw entry (every "NAME=value" journald returned) and drops
// the rest. False when the entry is not a deepgate audit entry (no DEEPGATE_EVENT, or
// another SYSLOG_IDENTIFIER).
bool FilterAuditFields(const std::vector<std::string>& raw, std::map<std::string, std::string>* out);

// Which entries to read. Times are µs since the epoch, [since_us, until_us).
struct AuditFilter {
  int64_t since_us = 0;
  int64_t until_us = INT64_MAX;
  std::string event;   // DEEPGATE_EVENT value, "" = every event
  std::string key_id;  // KEY_ID value, "" = every key
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // newest first
  std::string next_cursor;          // "" when there is nothing older inside the filter
};

class AuditJournal {
 public:
  virtual ~AuditJournal() = default;
  // Up to `limit` entries, newest first, older than `cursor` when one is given (the
  // next_cursor of the previous page). InvalidArgument for a cursor journald rejects,
  // Unavailable when the journal cannot be opened.
  [[nodiscard]] virtual Result<AuditPage> Read(const AuditFilter& filter, int limit, const std::string& cursor) = 0;
  // Calls visit for every matching entry, newest first, until it returns false or
  // `max_entries` were visited; *truncated says whether the bound stopped it.
  [[nodiscard]] virtual Status Scan(const AuditFilter& filter, int64_t max_entries,
                                    const std::function<bool(const AuditEntry&)>& visit, bool* truncated) = 0;
  // The time (µs) of each key's newest `request` entry; keys never used are absent.
  [[nodiscard]] virtual Result<std::map<std::string, int64_t>> LastUse(const std::vector<std::string>& key_ids) = 0;
};

class SdAuditJournal final : public AuditJournal {
 public:
  // `name_space`: "" = the system journal; else the journal namespace of that name and the
  // system journal (where the CLI's entries go).
  explicit SdAuditJournal(std::string name_space) : namespace_(std::move(name_space)) {}
  Result<AuditPage> Read(const AuditFilter& filter, int limit, const std::string& cursor) override;
  Status Scan(const AuditFilter& filter, int64_t max_entries, const std::function<bool(const AuditEntry&)>& visit,
              bool* truncated) override;
  Result<std::map<std::string, int64_t>> LastUse(const std::vector<std::string>& key_ids) override;

 private:
  const std::string namespace_;
};

}  // namespace deepgate::fcgi::audit
