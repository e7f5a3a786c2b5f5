#include "fcgi/server/model_loader.h"

#include <fstream>

namespace deepgate::fcgi {

ModelLoader GgufModelLoader() {
  return [](const WorkerConfig& config) -> Result<std::shared_ptr<Model>> {
    // A cheap, clear error for the commonest mistake before the loader's own checks.
    std::ifstream in(config.model_path, std::ios::binary);
    if (!in) return Status::IoError("cannot open model file " + config.model_path);
    char magic[4] = {};
    in.read(magic, 4);
    if (in.gcount() != 4 || std::string(magic, 4) != "GGUF")
      return Status::InvalidArgument(config.model_path + " is not a GGUF file");
#ifdef DEEPGATE_HAVE_MODEL_LOAD
    ModelOptions options;
    options.n_threads = config.threads;
    DG_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Load(config.model_path, options));
    return std::shared_ptr<Model>(std::move(model));
#else
    // Transitional: a tree without the model core's Model::Load (core/model/model.cpp) serves
    // its HTTP surface with the file checked but not loaded (generation answers 503).
    return std::shared_ptr<Model>();
#endif
  };
}

}  // namespace deepgate::fcgi
