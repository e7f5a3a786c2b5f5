// The model the engine and generator tests run on: the shared qwen2 tiny model when
// ../shared/data has it, else a built-in demo model (core/demo: qwen2 "tiny", f16, seed 42),
// written once to the temp dir and reused, so these tests always run.
#pragma once

#include <filesystem>
#include <string>

#include "core/demo/demo_model.h"
#include "test_support.h"

namespace deepgate::testing {

// The built-in demo model alone (it has a chat template; the shared tiny model has none).
// arch "qwen2": ChatML; "llama": the DeepSeek-R1 vocabulary and template (<think> blocks).
inline std::string DemoModelPath(const std::string& arch = "qwen2") {
  const std::string name = arch == "qwen2" ? "" : arch + "-";
  const std::string demo =
      (std::filesystem::temp_directory_path() / ("deepgate-test-demo-" + name + "tiny-f16-seed42.gguf")).string();
  if (std::filesystem::exists(demo)) return demo;
  demo::DemoSpec spec;
  spec.arch = arch;
  spec.shape = "tiny";
  spec.type = "f16";
  spec.seed = 42;
  spec.n_threads = 2;
  // WriteDemoModel renames a finished .tmp into place: a concurrent test never sees half a file.
  if (!demo::WriteDemoModel(spec, demo).ok()) return "";
  return demo;
}

inline std::string TinyModelPath() {
  const std::string shared = SharedDataDir() + "/models/qwen2-dscoder-tiny.f16.gguf";
  return std::filesystem::exists(shared) ? shared : DemoModelPath();
}

}  // namespace deepgate::testing
