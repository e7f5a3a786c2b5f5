#include "fcgi/audit/journal_reader.h"

#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace deepgate::fcgi::audit {

const std::vector<std::string>& AuditFieldNames() {
  static const std::vector<std::string> kNames = {
      "DEEPGATE_EVENT", "PRIORITY", "MESSAGE", "REQUEST_ID", "SUBJECT",       "KEY_ID",
      "ROLE",           "CLIENT_IP", "CLIENT_COUNTRY", "METHOD", "PATH",     "STATUS",
      "MODEL",          "PROMPT_TOKENS", "COMPLETION_TOKENS", "DURATION_MS", "REASON",
  };
  return kNames;
}

bool FilterAuditFields(const std::vector<std::string>& raw, std::map<std::string, std::string>* out) {
  out->clear();
  bool ours = false;
  for (const std::string& kv : raw) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string name = kv.substr(0, eq);
    if (name == "SYSLOG_IDENTIFIER") {
      ours = kv.compare(eq + 1, std::string::npos, "deepgate") == 0;
      continue;
    }
    for (const std::string& allowed : AuditFieldNames())
      if (name == allowed) (*out)[name] = kv.substr(eq + 1);
  }
  if (!ours || !out->count("DEEPGATE_EVENT")) {
    out->clear();
    return false;
  }
  return true;
}

namespace {

// Values longer than this are cut by journald when handed to us; audit values are short
// (MESSAGE is the longest, a line).
constexpr size_t kDataThreshold = 64 * 1024;

class Journal {
 public:
  Journal() = default;
  ~Journal() {
    if (j_ != nullptr) sd_journal_close(j_);
  }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  [[nodiscard]] Status Open(const std::string& name_space) {
    // A namespace plus the default journal: the worker writes to its namespace, the CLI (run
    // by hand, outside the unit) to the default one.
    const int r = name_space.empty()
                      ? sd_journal_open(&j_, SD_JOURNAL_LOCAL_ONLY)
                      : sd_journal_open_namespace(&j_, name_space.c_str(),
                                                  SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_INCLUDE_DEFAULT_NAMESPACE);
    if (r < 0) {
      j_ = nullptr;
      return Status::Unavailable(std::string("cannot open the journal: ") + std::strerror(-r));
    }
    sd_journal_set_data_threshold(j_, kDataThreshold);
    return Status::Ok();
  }

  // SYSLOG_IDENTIFIER=deepgate written by our own user, plus the filter's exact fields (ANDed:
  // different fields). Anyone on the host can send an entry named "deepgate" (logger -t);
  // _UID is journald's own record of the sender, so only the worker's user — the worker and
  // the CLI, which switches to the key store's owner — can add to what the API shows.
  [[nodiscard]] Status Match(const AuditFilter& f, const char* event = nullptr) {
    sd_journal_flush_matches(j_);
    std::vector<std::string> terms = {"SYSLOG_IDENTIFIER=deepgate", "_UID=" + std::to_string(geteuid())};
    const std::string ev = event != nullptr ? event : f.event;
    if (!ev.empty()) terms.push_back("DEEPGATE_EVENT=" + ev);
    if (!f.key_id.empty()) terms.push_back("KEY_ID=" + f.key_id);
    for (const std::string& t : terms)
      if (int r = sd_journal_add_match(j_, t.data(), t.size()); r < 0)
        return Status::InvalidArgument("bad journal match: " + std::string(std::strerror(-r)));
    return Status::Ok();
  }

  // Positions before the newest entry to read: just older than `cursor`, else at `until`.
  [[nodiscard]] Status Seek(const AuditFilter& f, const std::string& cursor) {
    if (!cursor.empty()) {
      if (sd_journal_seek_cursor(j_, cursor.c_str()) < 0) return Status::InvalidArgument("'cursor' is not valid");
      // The cursor's own entry was the last one of the previous page: step over it.
      if (sd_journal_previous(j_) > 0 && sd_journal_test_cursor(j_, cursor.c_str()) <= 0)
        skip_first_step_ = true;  // landed on an older entry already: it is the next one
      return Status::Ok();
    }
    const int r = f.until_us == INT64_MAX ? sd_journal_seek_tail(j_)
                                          : sd_journal_seek_realtime_usec(j_, static_cast<uint64_t>(f.until_us));
    return r < 0 ? Status::IoError("cannot seek the journal") : Status::Ok();
  }

  // Moves to the next older entry inside the filter's time range. False at the end.
  bool Older(const AuditFilter& f, AuditEntry* e) {
    for (;;) {
      if (skip_first_step_) {
        skip_first_step_ = false;
      } else if (sd_journal_previous(j_) <= 0) {
        return false;
      }
      uint64_t t = 0;
      if (sd_journal_get_realtime_usec(j_, &t) < 0) continue;
      const auto when = static_cast<int64_t>(t);
      if (when >= f.until_us) continue;
      if (when < f.since_us) return false;  // newest first: everything further is older
      std::vector<std::string> raw;
      const void* data = nullptr;
      size_t len = 0;
      SD_JOURNAL_FOREACH_DATA(j_, data, len) raw.emplace_back(static_cast<const char*>(data), len);
      if (!FilterAuditFields(raw, &e->fields)) continue;
      e->time_us = when;
      char* c = nullptr;
      e->cursor.clear();
      if (sd_journal_get_cursor(j_, &c) >= 0) {
        e->cursor = c;
        std::free(c);
      }
      return true;
    }
  }

  sd_journal* get() { return j_; }

 private:
  sd_journal* j_ = nullptr;
  bool skip_first_step_ = false;
};

}  // namespace

Result<AuditPage> SdAuditJournal::Read(const AuditFilter& filter, int limit, const std::string& cursor) {
  Journal j;
  DG_RETURN_IF_ERROR(j.Open(namespace_));
  DG_RETURN_IF_ERROR(j.Match(filter));
  DG_RETURN_IF_ERROR(j.Seek(filter, cursor));
  AuditPage page;
  AuditEntry e;
  while (static_cast<int>(page.entries.size()) < limit && j.Older(filter, &e)) page.entries.push_back(e);
  // One more inside the filter means there is a next page; it starts after our last entry.
  if (!page.entries.empty() && static_cast<int>(page.entries.size()) == limit && j.Older(filter, &e))
    page.next_cursor = page.entries.back().cursor;
  return page;
}

Status SdAuditJournal::Scan(const AuditFilter& filter, int64_t max_entries,
                            const std::function<bool(const AuditEntry&)>& visit, bool* truncated) {
  Journal j;
  DG_RETURN_IF_ERROR(j.Open(namespace_));
  DG_RETURN_IF_ERROR(j.Match(filter));
  DG_RETURN_IF_ERROR(j.Seek(filter, ""));
  *truncated = false;
  AuditEntry e;
  for (int64_t n = 0; j.Older(filter, &e); ++n) {
    if (n >= max_entries) {
      *truncated = true;
      break;
    }
    if (!visit(e)) break;
  }
  return Status::Ok();
}

Result<std::map<std::string, int64_t>> SdAuditJournal::LastUse(const std::vector<std::string>& key_ids) {
  Journal j;
  DG_RETURN_IF_ERROR(j.Open(namespace_));
  std::map<std::string, int64_t> out;
  for (const std::string& id : key_ids) {
    AuditFilter f;
    f.key_id = id;
    DG_RETURN_IF_ERROR(j.Match(f, "request"));
    if (sd_journal_seek_tail(j.get()) < 0) return Status::IoError("cannot seek the journal");
    uint64_t t = 0;
    if (sd_journal_previous(j.get()) > 0 && sd_journal_get_realtime_usec(j.get(), &t) >= 0)
      out[id] = static_cast<int64_t>(t);
  }
  return out;
}

}  // namespace deepgate::fcgi::audit
