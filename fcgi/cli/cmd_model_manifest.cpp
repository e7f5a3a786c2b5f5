// `deepgate model add|verify|remove`: the model manifest (fcgi/models/model_manifest.h).
// `add` hashes a file and records it in the manifest file the config names
// ("model_manifest"), never in the config itself, whose // comments are the operator's.
// `verify` re-hashes every listed file; `remove --shred` overwrites a file before unlinking it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fcgi/audit/key_events.h"
#include "fcgi/cli/auth_cli.h"
#include "fcgi/cli/cli_audit.h"
#include "fcgi/config.h"
#include "fcgi/models/file_digest.h"
#include "fcgi/models/model_manifest.h"
#include "fcgi/models/secure_delete.h"

namespace deepgate::cli {
namespace {

using fcgi::ModelEntry;

// The config as the worker reads it, but without picking a served model, so a config whose
// manifest is still empty can be read; plus where its manifest lives.
struct ModelConfig {
  fcgi::WorkerConfig config;
  std::string manifest_path;           // "" when the config names no model_manifest
  std::vector<ModelEntry> manifest;    // entries of the manifest file (editable)
  std::vector<ModelEntry> all;         // inline "models", model_path shorthand, then the manifest
};

std::optional<ModelConfig> ReadModelConfig(const Args& a) {
  const std::string path = a.GetOr("--config", kDefaultConfigPath);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Fail("cannot open config file " + path);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string body = text.str();
  Result<fcgi::WorkerConfig> parsed = fcgi::ParseConfig(body, path);
  if (!parsed.ok()) {
    Fail(parsed.status().message());
    return std::nullopt;
  }
  ModelConfig mc;
  mc.config = *parsed;
  mc.all = mc.config.models;
  if (!mc.config.model_manifest.empty()) {
    mc.manifest_path = fcgi::ManifestPath(mc.config, path);
    Result<std::vector<ModelEntry>> m = fcgi::models::LoadManifest(mc.manifest_path);
    if (!m.ok()) {
      Fail(m.status().message());
      return std::nullopt;
    }
    mc.manifest = *m;
    for (const ModelEntry& e : mc.manifest) mc.all.push_back(e);
  }
  // The model_path shorthand counts as an entry unless one already names its file.
  if (!mc.config.model_path.empty()) {
    bool listed = false;
    for (const ModelEntry& e : mc.all) listed = listed || e.path == mc.config.model_path;
    if (!listed) mc.all.push_back({fcgi::EffectiveModelId(mc.config), mc.config.model_path, mc.config.model_sha256});
  }
  return mc;
}

// A bar on a terminal, nothing otherwise (callers print one plain line per file).
class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(STDERR_FILENO) == 1) {}
  void operator()(uint64_t done, uint64_t total) {
    if (!tty_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const int pct = total ? static_cast<int>(done * 100 / total) : 100;
    std::string bar(30, ' ');
    for (int i = 0; i < pct * 30 / 100; ++i) bar[static_cast<size_t>(i)] = '#';
    std::fprintf(stderr, "\r%-24.24s [%s] %3d%% %6.0f MB/s", label_.c_str(), bar.c_str(), pct,
                 elapsed > 0 ? static_cast<double>(done) / 1e6 / elapsed : 0.0);
    if (done >= total) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void AuditModelEvent(fcgi::AuditEvent event, const std::string& model, const std::string& message) {
  fcgi::AuditRecord r;
  r.event = event;
  r.subject = Actor();
  r.model = model;
  r.message = message;
  AuditCliEvent(std::move(r));
}

int Add(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--id"}, {});
  if (!a.ok()) return Fail(a.error(), 2);
  if (a.positional().size() != 1 || !a.Has("--id")) return Fail("usage: deepgate model add FILE --id NAME [--config FILE]", 2);
  auto mc = ReadModelConfig(a);
  if (!mc) return 1;
  if (mc->manifest_path.empty())
    return Fail("the config names no \"model_manifest\"; add e.g. \"model_manifest\": \"models.json\" (a file next to "
                "the config that this command maintains, so the config's comments are never rewritten)", 2);
  ModelEntry e;
  e.id = *a.Get("--id");
  std::error_code ec;
  e.path = std::filesystem::absolute(a.positional()[0], ec).lexically_normal().string();
  if (ec) return Fail("cannot resolve " + a.positional()[0]);
  for (const ModelEntry& m : mc->all)
    if (m.id == e.id) return Fail("model id '" + e.id + "' is already listed (remove it first)", 1);
  ProgressBar bar(e.id);
  Result<fcgi::models::FileDigest> d = fcgi::models::Sha256File(e.path, std::ref(bar));
  if (!d.ok()) return Fail(d.status().message());
  e.sha256 = d->sha256_hex;
  if (Status s = fcgi::ValidateModelEntry(e); !s.ok()) return Fail(s.message(), 2);
  mc->manifest.push_back(e);
  if (Status s = fcgi::models::SaveManifest(mc->manifest_path, mc->manifest); !s.ok()) return Fail(s.message());
  std::fprintf(stderr, "deepgate: added '%s' (%s, %llu bytes, %.0f MB/s) to %s\n", e.id.c_str(), e.path.c_str(),
               static_cast<unsigned long long>(d->bytes), d->seconds > 0 ? d->bytes / 1e6 / d->seconds : 0.0,
               mc->manifest_path.c_str());
  std::printf("%s  %s\n", e.sha256.c_str(), e.id.c_str());
  return 0;
}

int Verify(const std::vector<std::string>& argv) {
  Args a(argv, {"--config"}, {});
  if (!a.ok()) return Fail(a.error(), 2);
  if (a.positional().size() > 1) return Fail("usage: deepgate model verify [ID] [--config FILE]", 2);
  auto mc = ReadModelConfig(a);
  if (!mc) return 1;
  int checked = 0, bad = 0;
  for (const ModelEntry& e : mc->all) {
    if (!a.positional().empty() && e.id != a.positional()[0]) continue;
    ++checked;
    if (e.sha256.empty()) {
      std::printf("%s: UNVERIFIED (no sha256 listed) %s\n", e.id.c_str(), e.path.c_str());
      continue;
    }
    ProgressBar bar(e.id);
    Result<fcgi::models::FileDigest> d = fcgi::models::Sha256File(e.path, std::ref(bar));
    if (!d.ok()) {
      ++bad;
      std::printf("%s: ERROR %s\n", e.id.c_str(), d.status().message().c_str());
      continue;
    }
    std::string expected = e.sha256;
    for (char& c : expected) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (d->sha256_hex == expected) {
      std::printf("%s: OK %s (%.0f MB/s)\n", e.id.c_str(), d->sha256_hex.c_str(),
                  d->seconds > 0 ? d->bytes / 1e6 / d->seconds : 0.0);
    } else {
      ++bad;
      std::printf("%s: MISMATCH expected %s actual %s\n", e.id.c_str(), expected.c_str(), d->sha256_hex.c_str());
    }
  }
  if (checked == 0) return Fail(a.positional().empty() ? "no models listed" : "no model '" + a.positional()[0] + "'");
  return bad == 0 ? 0 : 1;
}

int Remove(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--passes"}, {"--shred", "--keep-size"});
  if (!a.ok()) return Fail(a.error(), 2);
  if (a.positional().size() != 1)
    return Fail("usage: deepgate model remove ID [--shred [--passes N]] [--config FILE]", 2);
  const int passes = static_cast<int>(a.GetInt("--passes", 1, 0, 100));
  if (!a.ok()) return Fail(a.error(), 2);
  if ((a.Has("--passes") || a.Has("--keep-size")) && !a.Has("--shred")) return Fail("--passes and --keep-size need --shred", 2);
  auto mc = ReadModelConfig(a);
  if (!mc) return 1;
  const std::string id = a.positional()[0];
  auto it = std::find_if(mc->manifest.begin(), mc->manifest.end(), [&](const ModelEntry& e) { return e.id == id; });
  if (it == mc->manifest.end()) {
    for (const ModelEntry& e : mc->all)
      if (e.id == id) return Fail("model '" + id + "' is listed in the config itself; edit the config to remove it", 1);
    return Fail("no model '" + id + "' in " + (mc->manifest_path.empty() ? "the config" : mc->manifest_path));
  }
  const ModelEntry entry = *it;
  if (a.Has("--shred")) {
    // The hash recorded in the audit entry is of the bytes as they were, before any overwrite.
    ProgressBar bar(id);
    Result<fcgi::models::FileDigest> d = fcgi::models::Sha256File(entry.path, std::ref(bar));
    if (!d.ok()) return Fail(d.status().message());
    fcgi::models::ShredOptions options;
    options.random_passes = passes;
    options.keep_size = a.Has("--keep-size");
    options.on_pass = [&](int pass, int total) {
      std::fprintf(stderr, "deepgate: %s: pass %d/%d (%s) written and fsync'd\n", id.c_str(), pass, total,
                   pass < total ? "random" : "zeros");
    };
    Result<fcgi::models::ShredReport> shred = fcgi::models::ShredFile(entry.path, options);
    if (!shred.ok()) return Fail(shred.status().message());
    if (shred->links > 1)
      std::fprintf(stderr, "deepgate: note: %s had %llu hard links; the others now name the overwritten, %s file\n",
                   entry.path.c_str(), static_cast<unsigned long long>(shred->links),
                   options.keep_size ? "zero-filled" : "empty");
    mc->manifest.erase(it);
    if (Status s = fcgi::models::SaveManifest(mc->manifest_path, mc->manifest); !s.ok()) return Fail(s.message());
    AuditModelEvent(fcgi::AuditEvent::kModelShredded, id,
                    "model '" + id + "' shredded: path=" + entry.path + " sha256=" + d->sha256_hex +
                        " bytes=" + std::to_string(shred->bytes) + " passes=" + std::to_string(shred->passes) +
                        (options.keep_size ? " truncated=no" : " truncated=yes"));
    std::fprintf(stderr, "deepgate: %s overwritten (%d random pass(es) + zeros), %s and unlinked; see README "
                 "\"Secure deletion\" for what this cannot guarantee\n", entry.path.c_str(), passes,
                 options.keep_size ? "not truncated" : "truncated");
    return 0;
  }
  mc->manifest.erase(it);
  if (Status s = fcgi::models::SaveManifest(mc->manifest_path, mc->manifest); !s.ok()) return Fail(s.message());
  AuditModelEvent(fcgi::AuditEvent::kModelRemoved, id,
                  "model '" + id + "' removed from the manifest (file kept): path=" + entry.path);
  std::fprintf(stderr, "deepgate: '%s' removed from %s; %s is kept\n", id.c_str(), mc->manifest_path.c_str(),
               entry.path.c_str());
  return 0;
}

const char* kConfigHelp = "  --config FILE   worker config (default /etc/deepgate/deepgate.json)\n";

CommandRegistration add_cmd({"model add", "hash a model file and list it in the model manifest",
                             std::string("usage: deepgate model add FILE --id NAME [--config FILE]\n"
                                         "  records {id, path, sha256} in the manifest file the config names\n"
                                         "  (\"model_manifest\"); the config itself is never rewritten\n") + kConfigHelp,
                             Add});
CommandRegistration verify_cmd({"model verify", "re-hash listed model files: OK / MISMATCH (exit 1)",
                                std::string("usage: deepgate model verify [ID] [--config FILE]\n") + kConfigHelp, Verify});
CommandRegistration remove_cmd(
    {"model remove", "remove a model from the manifest; --shred overwrites the file first",
     std::string("usage: deepgate model remove ID [--shred [--passes N] [--keep-size]] [--config FILE]\n"
                 "  --shred       overwrite in place (N random passes, then zeros; fsync after each),\n"
                 "                truncate to 0, fsync, unlink; audited with the file's prior sha256\n"
                 "  --passes N    random passes before the zero pass (default 1)\n"
                 "  --keep-size   test/forensics aid: skip the truncate, so another hard link shows the\n"
                 "                zeroed bytes (the path is still unlinked)\n"
                 "  see README \"Secure deletion\": SSDs, copy-on-write file systems, snapshots and\n"
                 "  backups keep copies an overwrite cannot reach\n") + kConfigHelp,
     Remove});

}  // namespace
}  // namespace deepgate::cli
