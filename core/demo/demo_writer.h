// WriteDemoFile: the part both demo generators (demo_model.cpp for llama/qwen2,
// demo_deepseek2.cpp) share — tensor infos after the caller's metadata, then every tensor's
// rows generated in chunks on a few threads, quantized to the tensor's type and streamed into
// the file, and the stats. What differs per generator is the tensor plan and how a row's
// values are drawn (a DemoRowFn), so the bytes stay each generator's own.
// Thread-safety: reentrant; the row function is called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/demo/demo_model.h"
#include "core/ggml_type.h"
#include "core/gguf_writer.h"

namespace deepgate::demo {

struct DemoTensor {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;  // ne[0] = row length
};

// Fills row `row` of tensor `index` of the plan: out [ne[0]] f32. Called from several threads.
using DemoRowFn = std::function<void(size_t index, int64_t row, float* out)>;

struct DemoFileJob {
  std::vector<DemoTensor> tensors;
  DemoRowFn fill;
  int n_threads = 0;        // <= 0: std::thread::hardware_concurrency()
  int32_t n_vocab = 0;      // for the stats
  std::chrono::steady_clock::time_point start;  // for the stats' wall time
};

// `writer` holds the metadata already; writes the tensors to `path` (atomically, as
// GgufWriter does) and fills `stats` (may be null).
[[nodiscard]] Status WriteDemoFile(const DemoFileJob& job, const std::string& path, GgufWriter* writer,
                                   DemoModelStats* stats);

}  // namespace deepgate::demo
