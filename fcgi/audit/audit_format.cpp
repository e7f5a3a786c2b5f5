#include "fcgi/audit/audit_format.h"

#include "fcgi/audit/credential_mask.h"

namespace deepgate::fcgi::audit {
namespace {

std::string DurationMs(const AuditRecord& r) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count());
}

// Values come from clients: keep the stderr line one line and parseable. Unquoted values
// (key=value) may not hold spaces; quoted ones (key="value") may.
std::string Printable(const std::string& s, bool quoted = false) {
  std::string out;
  for (unsigned char c : s.substr(0, 256)) {
    const bool keep = (c > 0x20 || (quoted && c == ' ')) && c < 0x7f && c != '"';
    out += keep ? static_cast<char>(c) : '?';
  }
  return out;
}

bool RequestBound(const AuditRecord& r) { return !r.request_id.empty() || r.status != 0; }

// A journal field may hold newlines, but MESSAGE and PATH are what people grep and what
// forwarders split on lines: a client-sent CR/LF would forge a second line. Escaped as \n, \r.
std::string OneLine(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

}  // namespace

AuditRecord MaskRecord(const AuditRecord& r) {
  AuditRecord m = r;
  for (std::string* s : {&m.message, &m.request_id, &m.remote_addr, &m.client_ip, &m.client_country, &m.method,
                         &m.path, &m.route, &m.subject, &m.key_id, &m.role, &m.outcome, &m.model, &m.reason})
    *s = MaskSecrets(*s);
  return m;
}

std::string AuditMessage(const AuditRecord& r) {
  if (!r.message.empty()) return r.message;
  std::string m = AuditEventName(r.event);
  if (RequestBound(r)) {
    m += ": " + r.method + " " + r.path + " " + std::to_string(r.status);
    m += " subject=" + r.subject;
  }
  if (!r.reason.empty()) m += " reason=" + r.reason;
  return m;
}

std::vector<std::string> JournalFields(const AuditRecord& r) {
  std::vector<std::string> f = {
      "SYSLOG_IDENTIFIER=deepgate",
      "MESSAGE=" + OneLine(AuditMessage(r)),
      "PRIORITY=" + std::to_string(AuditPriority(r.event, r.status)),
      std::string("DEEPGATE_EVENT=") + AuditEventName(r.event),
  };
  auto text = [&](const char* name, const std::string& value) {
    if (!value.empty() && value != "-") f.push_back(std::string(name) + "=" + value);
  };
  text("REQUEST_ID", r.request_id);
  text("SUBJECT", r.subject);
  text("KEY_ID", r.key_id);
  text("ROLE", r.role);
  text("CLIENT_IP", r.client_ip.empty() ? r.remote_addr : r.client_ip);
  text("CLIENT_COUNTRY", r.client_country);
  text("METHOD", r.method);
  text("PATH", OneLine(r.path));
  if (r.status != 0) f.push_back("STATUS=" + std::to_string(r.status));
  text("MODEL", r.model);
  if (!r.model.empty() || r.prompt_tokens != 0 || r.completion_tokens != 0) {
    f.push_back("PROMPT_TOKENS=" + std::to_string(r.prompt_tokens));
    f.push_back("COMPLETION_TOKENS=" + std::to_string(r.completion_tokens));
  }
  if (RequestBound(r)) f.push_back("DURATION_MS=" + DurationMs(r));
  text("REASON", r.reason);
  text("UPSTREAM", r.upstream);
  return f;
}

std::string AuditLine(const AuditRecord& r) {
  auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : Printable(s); };
  std::string line = std::string("audit event=") + AuditEventName(r.event);
  if (RequestBound(r)) {
    line += " request_id=" + or_dash(r.request_id) + " remote=" + or_dash(r.remote_addr);
    if (!r.client_ip.empty() && r.client_ip != r.remote_addr) line += " client=" + or_dash(r.client_ip);
    line += " country=" + or_dash(r.client_country) + " method=" + or_dash(r.method) + " path=\"" +
            Printable(r.path) + "\" route=" + or_dash(r.route) + " subject=" + or_dash(r.subject);
    if (!r.key_id.empty()) line += " key_id=" + Printable(r.key_id);
    line += " status=" + std::to_string(r.status) + " in=" + std::to_string(r.request_bytes) +
            " out=" + std::to_string(r.response_bytes) + " ms=" + DurationMs(r) +
            " outcome=" + or_dash(r.outcome);
    if (!r.upstream.empty()) line += " upstream=" + Printable(r.upstream);
    if (!r.model.empty())
      line += " model=" + Printable(r.model) + " prompt_tokens=" + std::to_string(r.prompt_tokens) +
              " completion_tokens=" + std::to_string(r.completion_tokens);
  } else {
    if (r.subject != "-" && !r.subject.empty()) line += " subject=" + Printable(r.subject);
    if (!r.key_id.empty()) line += " key_id=" + Printable(r.key_id);
    line += " message=\"" + Printable(AuditMessage(r), true) + "\"";
  }
  if (!r.reason.empty()) line += " reason=\"" + Printable(r.reason) + "\"";
  return line;
}

}  // namespace deepgate::fcgi::audit
