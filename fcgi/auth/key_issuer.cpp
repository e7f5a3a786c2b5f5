#include "fcgi/auth/key_issuer.h"

#include "fcgi/auth/api_key.h"

namespace deepgate::fcgi::auth {
namespace {

bool Printable(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f || c == ',') return false;
  return true;
}

}  // namespace

Status ValidateKeySpec(const KeySpec& spec) {
  if (!Printable(spec.name, 128)) return Status::InvalidArgument("key name must be 1-128 printable characters");
  if (!Printable(spec.role, 64)) return Status::InvalidArgument("role must be 1-64 printable characters");
  if (spec.models.size() > 256) return Status::InvalidArgument("at most 256 models per key");
  for (const auto& m : spec.models)
    if (!Printable(m, 256)) return Status::InvalidArgument("model ids must be 1-256 printable characters, no commas");
  if (spec.requests_per_min < 0 || spec.requests_per_min > 1000000)
    return Status::InvalidArgument("requests per minute must be in [0, 1000000]");
  if (spec.tokens_per_min < 0 || spec.tokens_per_min > 1000000000)
    return Status::InvalidArgument("tokens per minute must be in [0, 1000000000]");
  if (spec.max_concurrent < 0 || spec.max_concurrent > 100000)
    return Status::InvalidArgument("max concurrent requests must be in [0, 100000]");
  if (spec.lifetime_s < 60 || spec.lifetime_s > int64_t{10} * 366 * 86400)
    return Status::InvalidArgument("key lifetime must be between 1 minute and 10 years");
  if (!spec.subject.empty() && !Printable(spec.subject, 256))
    return Status::InvalidArgument("subject must be 1-256 printable characters, no commas");
  return Status::Ok();
}

Result<IssuedKey> CreateKey(KeyStore& store, const Secrets& secrets, const KeySpec& spec, int64_t now) {
  DG_RETURN_IF_ERROR(ValidateKeySpec(spec));
  DG_ASSIGN_OR_RETURN(GeneratedApiKey key, GenerateApiKey(secrets.master, now));
  IssuedKey out;
  KeyRecord& r = out.record;
  r.id = key.id;
  r.name = spec.name;
  r.role = spec.role;
  r.hash = HashApiKey(secrets.pepper, key.plaintext);
  r.models = spec.models;
  r.requests_per_min = spec.requests_per_min;
  r.tokens_per_min = spec.tokens_per_min;
  r.max_concurrent = spec.max_concurrent;
  r.created_at = now;
  r.expires_at = now + spec.lifetime_s;
  r.subject = spec.subject;
  r.data_policy = spec.data_policy;
  r.cert_sha256 = spec.cert_sha256;
  DG_RETURN_IF_ERROR(store.Insert(r));
  out.plaintext = std::move(key.plaintext);
  return out;
}

Result<IssuedKey> RotateKey(KeyStore& store, const Secrets& secrets, const std::string& id, int64_t overlap_s,
                            int64_t now) {
  if (overlap_s < 0) return Status::InvalidArgument("overlap must not be negative");
  // now + overlap must not overflow (nor outlive any key): at most 10 years.
  if (overlap_s > int64_t{10} * 366 * 86400) return Status::InvalidArgument("overlap must be at most 10 years");
  DG_ASSIGN_OR_RETURN(std::optional<KeyRecord> old, store.FindById(id));
  if (!old) return Status::NotFound("no key with id " + id);
  if (old->revoked_at != 0) return Status::InvalidArgument("key " + id + " is revoked; create a new one");
  if (!old->superseded_by.empty())
    return Status::InvalidArgument("key " + id + " was already rotated to " + old->superseded_by);
  if (old->expires_at <= now) return Status::InvalidArgument("key " + id + " has expired; create a new one");
  DG_ASSIGN_OR_RETURN(GeneratedApiKey key, GenerateApiKey(secrets.master, now));
  IssuedKey out;
  KeyRecord& r = out.record;
  r = *old;
  r.id = key.id;
  r.hash = HashApiKey(secrets.pepper, key.plaintext);
  r.created_at = now;
  r.expires_at = now + std::max<int64_t>(old->expires_at - old->created_at, 60);
  r.revoked_at = 0;
  r.rotated_from = old->id;
  r.superseded_by.clear();
  DG_RETURN_IF_ERROR(store.Supersede(old->id, r, now + overlap_s));
  out.plaintext = std::move(key.plaintext);
  return out;
}

}  // namespace deepgate::fcgi::auth
