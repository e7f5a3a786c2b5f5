// The worker's production ModelLoader (fcgi/server/model_service.h).
#pragma once

#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

// Checks the file is a GGUF file, verifies its SHA-256 (VerifyModelFile) and loads it with
// the configured thread count.
ModelLoader GgufModelLoader();

// Hashes model_path (streamed over an mmap) and compares it with model_sha256: nullopt when
// they match or no hash is configured (a warning on stderr); on a mismatch a kModelRejected
// refusal whose status (PermissionDenied) names the expected and actual hashes; an error when
// the file cannot be read. Logs the hash throughput.
[[nodiscard]] Result<std::optional<Refusal>> VerifyModelFile(const WorkerConfig& config);

}  // namespace deepgate::fcgi
