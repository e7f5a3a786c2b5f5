#include "fcgi/audit/subject_pseudonyms.h"

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::audit {

bool NamesASubject(const std::string& subject) {
  // "deepgate" is the worker itself (key_expiring warnings), not a person.
  return !subject.empty() && subject != "-" && subject != "anonymous" && subject != "deepgate";
}

std::string SubjectPseudonyms::Pseudonym(const std::string& subject) {
  if (!NamesASubject(subject)) return subject;
  std::string key;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = keys_.find(subject); it != keys_.end()) key = it->second;
  }
  if (key.empty()) {
    Result<std::string> candidate = auth::RandomBytes(32);
    if (!candidate.ok()) return std::string(kPseudonymPrefix) + "unavailable";
    Result<std::string> stored = store_.SubjectKey(subject, *candidate, now_());
    if (!stored.ok() || stored->empty()) return std::string(kPseudonymPrefix) + "unavailable";
    key = *stored;
    std::lock_guard<std::mutex> lock(mu_);
    keys_[subject] = key;
  }
  // 128 bits of the HMAC: collisions are negligible, and the entries stay readable.
  return std::string(kPseudonymPrefix) + auth::HexEncode(auth::HmacSha256(key, subject)).substr(0, 32);
}

void SubjectPseudonyms::Forget(const std::string& subject) {
  std::lock_guard<std::mutex> lock(mu_);
  if (subject.empty()) keys_.clear();
  else keys_.erase(subject);
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
