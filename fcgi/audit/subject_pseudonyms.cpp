#include "fcgi/audit/subject_pseudonyms.h"

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::audit {

bool NamesASubject(const std::string& subject) {
  // "deepgate" is the worker itself (key_expiring warnings), not a person.
  return !subject.empty() && subject != "-" && subject != "anonymous" && subject != "deepgate";
}

std::string SubjectPseudonyms::Pseudonym(const std::string& subject) {
  if (!NamesASubject(subject)) return subject;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = pseudonyms_.find(subject); it != pseudonyms_.end()) return it->second;
  }
  Result<std::string> candidate = auth::RandomBytes(32);
  if (!candidate.ok()) return std::string(kPseudonymPrefix) + "unavailable";
  Result<std::string> key = store_.SubjectKey(subject, *candidate, now_());
  if (!key.ok() || key->empty()) return std::string(kPseudonymPrefix) + "unavailable";
  // 128 bits of the HMAC: collisions are negligible, and the entries stay readable.
  std::string pseudonym = std::string(kPseudonymPrefix) + auth::HexEncode(auth::HmacSha256(*key, subject)).substr(0, 32);
  std::lock_guard<std::mutex> lock(mu_);
  if (pseudonyms_.size() >= kMaxCached) pseudonyms_.clear();  // bounded; a miss costs one lookup
  pseudonyms_[subject] = pseudonym;
  return pseudonym;
}

void SubjectPseudonyms::Forget(const std::string& subject) {
  std::lock_guard<std::mutex> lock(mu_);
  if (subject.empty()) pseudonyms_.clear();
  else pseudonyms_.erase(subject);
}

Status PurgeFollower::Start() {
  DG_ASSIGN_OR_RETURN(last_seq_, store_.LastCachePurgeSeq());
  return Status::Ok();
}

Result<int> PurgeFollower::Poll() {
  DG_ASSIGN_OR_RETURN(std::vector<auth::CachePurge> purges, store_.ListCachePurgesSince(last_seq_));
  for (const auth::CachePurge& p : purges) {
    if (pseudonyms_ != nullptr) pseudonyms_->Forget(p.subject);
    if (on_purge_) on_purge_(p.subject);
    last_seq_ = p.seq;
  }
  return static_cast<int>(purges.size());
}

}  // namespace deepgate::fcgi::audit
