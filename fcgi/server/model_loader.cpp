#include "fcgi/server/model_loader.h"

#include <fstream>

namespace deepgate::fcgi {

ModelLoader GgufModelLoader() {
  return [](const WorkerConfig& config) -> Result<std::shared_ptr<Model>> {
    std::ifstream in(config.model_path, std::ios::binary);
    if (!in) return Status::IoError("cannot open model file " + config.model_path);
    char magic[4] = {};
    in.read(magic, 4);
    if (in.gcount() != 4 || std::string(magic, 4) != "GGUF")
      return Status::InvalidArgument(config.model_path + " is not a GGUF file");
    // The model core's Model::Load is not linked into the worker yet: the worker serves its
    // HTTP surface with the model file checked but not loaded (generation answers 503).
    return std::shared_ptr<Model>();
  };
}

}  // namespace deepgate::fcgi
