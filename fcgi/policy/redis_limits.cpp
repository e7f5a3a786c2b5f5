#include "fcgi/policy/redis_limits.h"

#include <openssl/rand.h>

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

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

std::optional<LimitVerdict> RedisLimits::AdmitLocally(const std::string& subject, const LimitSpec& spec,
                                                      int64_t* unreported, std::optional<AnomalyAlert>* pending) {
  std::lock_guard lock(chunks_mu_);
  auto it = chunks_.find(subject);
  if (it == chunks_.end()) return std::nullopt;
  Chunk& c = it->second;
  const bool counting = Unlimited(spec);
  if (c.counting == counting && Clock::now() < c.expires &&
      (counting || (c.left > 0 && c.per_minute == spec.requests_per_minute))) {
    ++c.unreported;
    LimitVerdict v;
    v.alert = std::exchange(c.pending, std::nullopt);
    if (counting) {
      counted_locally_.fetch_add(1, std::memory_order_relaxed);
      return v;  // admitted, no limits to report, nothing to finish
    }
    --c.left;
    chunk_admissions_.fetch_add(1, std::memory_order_relaxed);
    const double cap = static_cast<double>(spec.requests_per_minute), level = c.level + static_cast<double>(c.left);
    AppendLimitHeaders(v.decision.headers, "requests", cap, level, level >= cap ? 0 : (cap - level) * 60.0 / cap);
    v.lease = kChunkLease;
    return v;
  }
  *unreported = c.unreported;
  *pending = std::move(c.pending);
  chunks_.erase(it);
  return std::nullopt;
}

void RedisLimits::KeepChunk(const std::string& subject, const LimitSpec& spec, bool counting, int64_t left,
                            double level, int64_t unreported) {
  std::lock_guard lock(chunks_mu_);
  if (chunks_.size() >= kMaxChunkEntries) {
    const Clock::time_point now = Clock::now();
    for (auto it = chunks_.begin(); it != chunks_.end();) {
      const Chunk& c = it->second;
      const bool spent = c.unreported == 0 && !c.pending && (now >= c.expires || (!c.counting && c.left == 0));
      it = spent ? chunks_.erase(it) : std::next(it);
    }
  }
  Chunk& c = chunks_[subject];
  // Another thread of this worker may have stored a chunk since this one was asked for: both
  // were taken from the bucket, so both are kept (overwriting would lose requests).
  if (c.counting != counting || c.per_minute != spec.requests_per_minute || Clock::now() >= c.expires) c.left = 0;
  c.counting = counting;
  c.left += left;
  c.per_minute = spec.requests_per_minute;
  c.level = level;
  c.expires = Clock::now() + kChunkLifetime;
  c.unreported += unreported;
}

void RedisLimits::FlushCounts() {
  std::lock_guard flushing(flush_mu_);
  AnomalySettings anomaly;
  {
    std::lock_guard lock(mu_);
    anomaly = settings_;
  }
  // Take the counts of ended windows out of the map (a request that ends the window at the
  // same time finds 0 and sends only itself), send each, and put back what Redis did not take.
  std::vector<std::pair<std::string, int64_t>> due;
  {
    std::lock_guard lock(chunks_mu_);
    const Clock::time_point now = Clock::now();
    for (auto& [subject, c] : chunks_)
      if (c.unreported > 0 && now >= c.expires) due.emplace_back(subject, std::exchange(c.unreported, 0));
  }
  for (const auto& [subject, n] : due) {
    // An unlimited spec: the script counts 1 + (n - 1) requests and touches no bucket.
    Result<RedisDecision> r =
        anomaly.enabled ? limiter_.Admit(subject, LimitSpec{0, 0, 0}, NewLeaseId(), anomaly, 1, n - 1) : RedisDecision{};
    std::lock_guard lock(chunks_mu_);
    if (!r.ok()) {
      chunks_[subject].unreported += n;  // the next call or flush sends them
      continue;
    }
    if (r->alert) {
      alerts_.fetch_add(1, std::memory_order_relaxed);
      chunks_[subject].pending = r->alert;
    }
  }
}

void RedisLimits::RunFlusher() {
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, kChunkLifetime / 2, [this] { return stop_; })) {
    lock.unlock();
    FlushCounts();
    lock.lock();
  }
}

RedisLimits::RedisLimits(redis::RedisPool& pool, audit::BackendHealth& health, const MonotonicClock& clock,
                         const AnomalySettings& settings, const RedisLimitsOptions& options)
    : health_(health),
      on_failure_(options.on_failure),
      limiter_(pool, options.key_prefix, options.lease),
      local_(clock, settings),
      renewer_(limiter_),
      lease_prefix_(RandomHex(8) + ":"),
      settings_(settings),
      flusher_([this] { RunFlusher(); }) {}

RedisLimits::~RedisLimits() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  flusher_.join();
}

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
  const bool counting = Unlimited(spec);
  if (counting && !anomaly.enabled) return LimitVerdict{};  // nothing to count: no round trip
  const int64_t want = ChunkSize(spec);
  int64_t unreported = 0;
  std::optional<AnomalyAlert> pending;
  if (want > 1 || counting)
    if (std::optional<LimitVerdict> v = AdmitLocally(subject, spec, &unreported, &pending)) return std::move(*v);
  const std::string id = NewLeaseId();
  Result<RedisDecision> r = limiter_.Admit(subject, spec, id, anomaly, want, anomaly.enabled ? unreported : 0);
  if (!r.ok() && unreported > 0) KeepChunk(subject, spec, counting, 0, 0, unreported);  // count them next time
  if (r.ok()) {
    health_.NoteSuccess();
    if (r->granted > 1 || counting) KeepChunk(subject, spec, counting, r->granted - 1, r->requests_level, 0);
    if (r->alert) alerts_.fetch_add(1, std::memory_order_relaxed);
    LimitVerdict v{std::move(r->decision), "", false, r->alert ? r->alert : pending};
    if (v.decision.admitted && !counting) {
      v.lease = kRedisLease + id;
      if (spec.max_concurrent > 0) renewer_.Add(subject, id);
    }
    return v;
  }
  health_.NoteFailure(r.status());
  health_.NoteDegradedCall();
  LimitVerdict v;
  if (on_failure_ == BackendFailure::kLocal) {
    v = local_.Admit(subject, spec);
  } else {
    v.decision.admitted = false;
    v.unavailable = true;
  }
  if (!v.alert) v.alert = std::move(pending);  // an alert a flush raised is still reported
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
