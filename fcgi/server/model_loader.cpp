#include "fcgi/server/model_loader.h"

#include <cctype>
#include <cstdio>
#include <fstream>

#include "fcgi/models/file_digest.h"

namespace deepgate::fcgi {

Result<std::optional<Refusal>> VerifyModelFile(const WorkerConfig& config) {
  if (config.model_sha256.empty()) {
    std::fprintf(stderr, "deepgate-fcgi: warning: model '%s' has no sha256 in the config or manifest: not verified\n",
                 EffectiveModelId(config).c_str());
    return std::optional<Refusal>();
  }
  DG_ASSIGN_OR_RETURN(models::FileDigest d, models::Sha256File(config.model_path));
  const double mbps = d.seconds > 0 ? static_cast<double>(d.bytes) / 1e6 / d.seconds : 0;
  std::fprintf(stderr, "deepgate-fcgi: sha256 of %s: %llu bytes in %.3f s (%.0f MB/s)\n", config.model_path.c_str(),
               static_cast<unsigned long long>(d.bytes), d.seconds, mbps);
  std::string expected = config.model_sha256;
  for (char& c : expected) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (d.sha256_hex == expected) return std::optional<Refusal>();
  return std::optional<Refusal>(Refusal(
      RefusalReason::kModelRejected,
      Status::PermissionDenied(config.model_path + " expected sha256 " + expected + " actual " + d.sha256_hex)));
}

ModelLoader GgufModelLoader() {
  return [](const WorkerConfig& config) -> Result<LoadedModel> {
    // A cheap, clear error for the commonest mistake before the loader's own checks.
    std::ifstream in(config.model_path, std::ios::binary);
    if (!in) return Status::IoError("cannot open model file " + config.model_path);
    char magic[4] = {};
    in.read(magic, 4);
    if (in.gcount() != 4 || std::string(magic, 4) != "GGUF")
      return Status::InvalidArgument(config.model_path + " is not a GGUF file");
    DG_ASSIGN_OR_RETURN(std::optional<Refusal> rejected, VerifyModelFile(config));
    if (rejected) return LoadedModel{nullptr, std::move(rejected)};
    ModelOptions options;
    options.n_threads = config.threads;
    options.repack_weights = config.repack_weights;
    DG_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Load(config.model_path, options));
    return LoadedModel{std::shared_ptr<Model>(std::move(model)), std::nullopt};
  };
}

}  // namespace deepgate::fcgi
