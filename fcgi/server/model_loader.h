// The worker's production ModelLoader (fcgi/server/model_service.h).
#pragma once

#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

// Checks the file is a GGUF file and loads it with the configured thread count.
ModelLoader GgufModelLoader();

}  // namespace deepgate::fcgi
