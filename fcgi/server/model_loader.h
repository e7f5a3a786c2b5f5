// The worker's production ModelLoader (fcgi/server/model_service.h).
#pragma once

#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

// Checks the file is a GGUF file, verifies its SHA-256 (VerifyModelFile) and loads it with
// the configured thread count.
ModelLoader GgufModelLoader();

// The audit REASON (and message prefix) of a model whose bytes do not match the manifest.
inline constexpr const char* kSha256MismatchReason = "sha256_mismatch";

// Hashes model_path (streamed over an mmap) and compares it with model_sha256: ok when they
// match or no hash is configured (a warning on stderr); PermissionDenied with the expected
// and actual hashes on a mismatch. Logs the hash throughput.
[[nodiscard]] Status VerifyModelFile(const WorkerConfig& config);

}  // namespace deepgate::fcgi
