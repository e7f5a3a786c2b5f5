// WriteDemoFile: tensor infos, chunked parallel row generation and quantization, stats.
#include "core/demo/demo_writer.h"

#include <algorithm>
#include <thread>

#include "core/quant/quant.h"

namespace deepgate::demo {
namespace {

// Rows [row0, row0 + n_rows) of tensor `index` into dst (row-major, quantized) on up to
// n_threads threads.
void GenerateRows(const DemoFileJob& job, size_t index, int64_t row0, int64_t n_rows, size_t row_bytes, uint8_t* dst,
                  int n_threads) {
  const DemoTensor& t = job.tensors[index];
  const int64_t n = t.ne[0];
  auto work = [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(n));  // [n] f32 scratch
    for (int64_t r = begin; r < end; ++r) {
      job.fill(index, row0 + r, row.data());
      quant::QuantizeRow(t.type, row.data(), dst + static_cast<size_t>(r) * row_bytes, n);
    }
  };
  const int threads = static_cast<int>(std::min<int64_t>(n_threads, n_rows));
  if (threads <= 1) return work(0, n_rows);
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) pool.emplace_back(work, n_rows * i / threads, n_rows * (i + 1) / threads);
  for (std::thread& th : pool) th.join();
}

}  // namespace

Status WriteDemoFile(const DemoFileJob& job, const std::string& path, GgufWriter* writer, DemoModelStats* stats) {
  int64_t n_params = 0;
  for (const DemoTensor& t : job.tensors) {
    DG_RETURN_IF_ERROR(writer->AddTensorInfo(t.name, t.type, t.ne));
    int64_t elems = 1;
    for (int64_t d : t.ne) elems *= d;
    n_params += elems;
  }
  DG_RETURN_IF_ERROR(writer->Begin(path));
  const int n_threads =
      std::max(1, job.n_threads > 0 ? job.n_threads : static_cast<int>(std::thread::hardware_concurrency()));
  // Chunks of about 16 MiB: big enough to keep every thread busy, small enough that the
  // largest tensor (a V2-Lite expert stack: 1.4 GB in f16) is never held whole.
  constexpr size_t kChunkBytes = 16u << 20;
  std::vector<uint8_t> chunk;
  for (size_t i = 0; i < job.tensors.size(); ++i) {
    const DemoTensor& t = job.tensors[i];
    const size_t row_bytes = *RowBytes(t.type, t.ne[0]);
    int64_t n_rows = 1;
    for (size_t d = 1; d < t.ne.size(); ++d) n_rows *= t.ne[d];
    const int64_t rows_per_chunk = std::max<int64_t>(1, static_cast<int64_t>(kChunkBytes / row_bytes));
    for (int64_t r = 0; r < n_rows; r += rows_per_chunk) {
      const int64_t rows = std::min(rows_per_chunk, n_rows - r);
      chunk.resize(static_cast<size_t>(rows) * row_bytes);
      GenerateRows(job, i, r, rows, row_bytes, chunk.data(), n_threads);
      DG_RETURN_IF_ERROR(writer->WriteTensorData(chunk.data(), chunk.size()));
    }
  }
  DG_RETURN_IF_ERROR(writer->Finish());
  if (stats) {
    stats->file_bytes = writer->FileSize();
    stats->n_params = n_params;
    stats->n_tensors = static_cast<int32_t>(job.tensors.size());
    stats->n_vocab = job.n_vocab;
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - job.start).count();
  }
  return Status::Ok();
}

}  // namespace deepgate::demo
