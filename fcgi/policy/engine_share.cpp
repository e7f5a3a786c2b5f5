#include "fcgi/policy/engine_share.h"

namespace deepgate::fcgi::policy {

EngineShare::Ticket& EngineShare::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    subject_ = std::move(other.subject_);
    sequences_ = other.sequences_;
    tokens_ = other.tokens_;
    other.owner_ = nullptr;
  }
  return *this;
}

void EngineShare::Ticket::Release() {
  if (owner_ != nullptr) owner_->Give(subject_, sequences_, tokens_);
  owner_ = nullptr;
}

bool EngineShare::Reserve(const std::string& subject, int64_t sequences, int64_t tokens, const ShareLimits& limits,
                          Ticket* ticket, ShareRefusal* refusal) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(subject);
  const Held now = it == held_.end() ? Held{} : it->second;
  if (limits.max_sequences > 0 && now.sequences + sequences > limits.max_sequences) {
    *refusal = {Status::ResourceExhausted(
                    "Rate limit reached for concurrent sequences: this request's " + std::to_string(sequences) +
                    " sequence(s) (n) and the " + std::to_string(now.sequences) + " in flight exceed your limit of " +
                    std::to_string(limits.max_sequences)),
                "max_concurrent"};
    return false;
  }
  if (limits.max_tokens > 0 && now.tokens + tokens > limits.max_tokens) {
    *refusal = {Status::ResourceExhausted("Rate limit reached for tokens per minute: this request may use " +
                                          std::to_string(tokens) + " tokens (prompt + max_tokens, times n) and " +
                                          std::to_string(now.tokens) + " are reserved in flight; the budget is " +
                                          std::to_string(limits.max_tokens) + " per minute"),
                "tokens_per_minute"};
    return false;
  }
  if (limits.engine_sequences > 0 && now.sequences + sequences > limits.engine_sequences) {
    *refusal = {Status::Unavailable("The server is overloaded: your requests already hold their share of the "
                                    "engine; retry later"),
                "engine_share"};
    return false;
  }
  Held& h = held_[subject];
  h.sequences += sequences;
  h.tokens += tokens;
  ticket->Release();
  ticket->owner_ = this;
  ticket->subject_ = subject;
  ticket->sequences_ = sequences;
  ticket->tokens_ = tokens;
  return true;
}

void EngineShare::Give(const std::string& subject, int64_t sequences, int64_t tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(subject);
  if (it == held_.end()) return;
  it->second.sequences -= sequences;
  it->second.tokens -= tokens;
  if (it->second.sequences <= 0 && it->second.tokens <= 0) held_.erase(it);  // no idle entries kept
}

int64_t EngineShare::sequences_held(const std::string& subject) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(subject);
  return it == held_.end() ? 0 : it->second.sequences;
}

}  // namespace deepgate::fcgi::policy
