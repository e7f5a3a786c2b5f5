#include "fcgi/policy/redis_limits.h"

#include <openssl/rand.h>

#include <algorithm>
#include <iterator>

namespace deepgate::fcgi::policy {
namespace {

constexpr const char kRedisLease[] = "r:";  // Admission::lease of a slot held in Redis
constexpr const char kChunkLease[] = "r:chunk";  // admitted from a budget chunk: nothing to free

std::string RandomHex(size_t bytes) {
  unsigned char buf[16] = {};
  if (RAND_bytes(buf, static_cast<int>(bytes)) != 1) {
    // Uniqueness, not secrecy, is what a lease id needs: fall back to the clock and the pid.
    const uint64_t t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (size_t i = 0; i < bytes && i < 8; ++i) buf[i] = static_cast<unsigned char>(t >> (8 * i));
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    out += kHex[buf[i] >> 4];
    out += kHex[buf[i] & 15];
  }
  return out;
}

bool Unlimited(const LimitSpec& s) { return s.requests_per_minute <= 0 && s.tokens_per_minute <= 0 && s.max_concurrent <= 0; }

constexpr int64_t kMaxChunk = 64;
constexpr size_t kMaxChunkEntries = 4096;  // above this, spent and expired chunks are dropped

}  // namespace

int64_t RedisLimits::ChunkSize(const LimitSpec& spec) {
  if (spec.max_concurrent > 0) return 1;  // each request holds a lease of its own
  return std::clamp<int64_t>(spec.requests_per_minute / 600, 1, kMaxChunk);
}

std::optional<LimitVerdict> RedisLimits::AdmitFromChunk(const std::string& subject, const LimitSpec& spec,
                                                        int64_t* unreported) {
  std::lock_guard lock(chunks_mu_);
  auto it = chunks_.find(subject);
  if (it == chunks_.end()) return std::nullopt;
  Chunk& c = it->second;
  if (c.left > 0 && c.per_minute == spec.requests_per_minute && Clock::now() < c.expires) {
    --c.left;
    ++c.unreported;
    chunk_admissions_.fetch_add(1, std::memory_order_relaxed);
    LimitVerdict v;
    const double cap = static_cast<double>(spec.requests_per_minute), level = c.level + static_cast<double>(c.left);
    AppendLimitHeaders(v.decision.headers, "requests", cap, level, level >= cap ? 0 : (cap - level) * 60.0 / cap);
    v.lease = kChunkLease;
    return v;
  }
  *unreported = c.unreported;
  chunks_.erase(it);
  return std::nullopt;
}

void RedisLimits::KeepChunk(const std::string& subject, const LimitSpec& spec, int64_t left, double level,
                            int64_t unreported) {
  std::lock_guard lock(chunks_mu_);
  if (chunks_.size() >= kMaxChunkEntries) {
    const Clock::time_point now = Clock::now();
    for (auto it = chunks_.begin(); it != chunks_.end();)
      it = it->second.unreported == 0 && (it->second.left == 0 || now >= it->second.expires) ? chunks_.erase(it)
                                                                                             : std::next(it);
  }
  Chunk& c = chunks_[subject];
  // Another thread of this worker may have stored a chunk since this one was asked for: both
  // were taken from the bucket, so both are kept (overwriting would lose requests).
  if (c.per_minute != spec.requests_per_minute || Clock::now() >= c.expires) c.left = 0;
  c.left += left;
  c.per_minute = spec.requests_per_minute;
  c.level = level;
  c.expires = Clock::now() + kChunkLifetime;
  c.unreported += unreported;
}

RedisLimits::RedisLimits(redis::RedisPool& pool, audit::BackendHealth& health, const MonotonicClock& clock,
                         const AnomalySettings& settings, const RedisLimitsOptions& options)
    : health_(health),
      on_failure_(options.on_failure),
      limiter_(pool, options.key_prefix, options.lease),
      local_(clock, settings),
      renewer_(limiter_),
      lease_prefix_(RandomHex(8) + ":"),
      settings_(settings) {}

std::string RedisLimits::NewLeaseId() {
  return lease_prefix_ + std::to_string(next_lease_.fetch_add(1, std::memory_order_relaxed));
}

void RedisLimits::Configure(const AnomalySettings& settings) {
  local_.Configure(settings);
  std::lock_guard lock(mu_);
  settings_ = settings;
}

LimitVerdict RedisLimits::Admit(const std::string& subject, const LimitSpec& spec) {
  AnomalySettings anomaly;
  {
    std::lock_guard lock(mu_);
    anomaly = settings_;
  }
  if (Unlimited(spec) && !anomaly.enabled) return LimitVerdict{};  // nothing to count: no round trip
  const int64_t want = ChunkSize(spec);
  int64_t unreported = 0;
  if (want > 1)
    if (std::optional<LimitVerdict> v = AdmitFromChunk(subject, spec, &unreported)) return std::move(*v);
  const std::string id = NewLeaseId();
  Result<RedisDecision> r = limiter_.Admit(subject, spec, id, anomaly, want, anomaly.enabled ? unreported : 0);
  if (!r.ok() && unreported > 0) KeepChunk(subject, spec, 0, 0, unreported);  // count them next time
  if (r.ok()) {
    health_.NoteSuccess();
    if (r->granted > 1) KeepChunk(subject, spec, r->granted - 1, r->requests_level, 0);
    if (r->alert) alerts_.fetch_add(1, std::memory_order_relaxed);
    LimitVerdict v{std::move(r->decision), "", false, r->alert};
    if (v.decision.admitted && !Unlimited(spec)) {
      v.lease = kRedisLease + id;
      if (spec.max_concurrent > 0) renewer_.Add(subject, id);
    }
    return v;
  }
  health_.NoteFailure(r.status());
  health_.NoteDegradedCall();
  if (on_failure_ == BackendFailure::kLocal) return local_.Admit(subject, spec);
  LimitVerdict v;
  v.decision.admitted = false;
  v.unavailable = true;
  return v;
}

void RedisLimits::Finish(const std::string& subject, const LimitSpec& spec, const std::string& lease,
                         int64_t tokens_used) {
  if (lease.rfind(kRedisLease, 0) != 0) {
    local_.Finish(subject, spec, lease, tokens_used);  // admitted locally (or not counted at all)
    return;
  }
  const std::string id = lease.substr(sizeof kRedisLease - 1);
  renewer_.Remove(id);
  // Nothing to free (no concurrency cap, so no lease was stored) and nothing to charge: no round trip.
  if (spec.max_concurrent <= 0 && (spec.tokens_per_minute <= 0 || tokens_used <= 0)) return;
  // On failure the lease expires by itself; the tokens are not charged (documented window).
  if (Status st = limiter_.Finish(subject, spec, id, tokens_used); !st.ok()) health_.NoteFailure(st);
  else health_.NoteSuccess();
}

}  // namespace deepgate::fcgi::policy
