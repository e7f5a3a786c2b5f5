// The model manifest: which model files this host may serve, each with the SHA-256 it must
// hash to. Entries come from the config's inline "models" array and from the file named by
// "model_manifest" (models.json), which `deepgate model add/remove` rewrite. The CLI never
// rewrites the operator's config: that file keeps its // comments untouched, and the manifest
// is a plain JSON file the tool owns (written to a temp file, fsync'd, renamed).
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/config.h"

namespace deepgate::fcgi::models {

// Parses a manifest's text: {"models": [{"id","path","sha256"?}, ...]}. Relative paths are
// resolved against `base_dir` (the manifest's own folder).
[[nodiscard]] Result<std::vector<ModelEntry>> ParseManifest(const std::string& text, const std::string& origin,
                                                            const std::string& base_dir);
// A missing file is an empty manifest (the CLI creates it on the first `model add`).
[[nodiscard]] Result<std::vector<ModelEntry>> LoadManifest(const std::string& path);
// Writes atomically (temp file in the same folder, fsync, rename, fsync of the folder), 0644.
[[nodiscard]] Status SaveManifest(const std::string& path, const std::vector<ModelEntry>& entries);

}  // namespace deepgate::fcgi::models
