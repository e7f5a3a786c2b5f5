// ModelService: owns the model for the worker's lifetime. Loading runs on a background thread
// started at startup, so /health answers at once and /ready answers 503 + Retry-After until
// the model is in memory. The loader is injected (ModelLoader) so tests use a fake and the
// worker uses Model::Load.
//
// Once state() is kReady, model() is the loaded Model and engine() the scheduler all
// generation goes through, created here from the config right after the load; a file the
// loader rejects (sha256 mismatch) is kFailed with rejection() set.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/engine.h"
#include "core/model/model.h"
#include "core/status.h"
#include "fcgi/base/refusal.h"
#include "fcgi/config.h"

namespace deepgate::fcgi {

// What /v1/models says about one model.
struct ModelCard {
  std::string id;
  int64_t created = 0;  // unix seconds (the model file's mtime)
  std::string owned_by = "deepgate";
};

// What a loader produced: the model, or `rejected` — a file that was read but must not be
// served (its bytes do not match the manifest). A null model (tests) still reports ready so
// the HTTP surface can be exercised.
struct LoadedModel {
  std::shared_ptr<Model> model;
  std::optional<Refusal> rejected;
};
// Loads the model the config names; an error Status when the file cannot be loaded.
using ModelLoader = std::function<Result<LoadedModel>(const WorkerConfig& config)>;

enum class ModelState { kLoading, kReady, kFailed };

class ModelService {
 public:
  ModelService(WorkerConfig config, ModelLoader loader);
  ~ModelService();  // joins the loading thread
  ModelService(const ModelService&) = delete;
  ModelService& operator=(const ModelService&) = delete;

  // Starts loading on a background thread (call once); on_done runs on that thread with the outcome.
  void StartLoading(std::function<void(const Status&)> on_done);
  // Blocks until loading has finished (tests, shutdown).
  void WaitLoaded();

  ModelState state() const;
  Status load_error() const;            // ok unless kFailed
  std::optional<Refusal> rejection() const;  // set when kFailed because the file was rejected
  std::shared_ptr<Model> model() const;  // null until kReady (or with a null loader result)
  // The scheduler all generation goes through; null until kReady or without a model.
  std::shared_ptr<Engine> engine() const;
  // Stops the engine: running requests get until `deadline`, then are cancelled.
  void ShutdownEngine(std::chrono::steady_clock::time_point deadline);

  // Cards are known from the config before the model loads; /v1/models lists them always.
  std::vector<ModelCard> Cards() const;
  std::optional<ModelCard> FindCard(const std::string& id) const;

 private:
  const WorkerConfig config_;
  const ModelLoader loader_;
  const ModelCard card_;
  mutable std::mutex mu_;
  ModelState state_ = ModelState::kLoading;  // GUARDED_BY(mu_)
  Status error_;                             // GUARDED_BY(mu_)
  std::optional<Refusal> rejection_;         // GUARDED_BY(mu_)
  std::shared_ptr<Model> model_;             // GUARDED_BY(mu_)
  std::shared_ptr<Engine> engine_;           // GUARDED_BY(mu_); declared after model_: destroyed first
  std::thread loader_thread_;
};

const char* ModelStateName(ModelState state);

// The engine's bounds from the worker config (context clamped to the model's).
EngineOptions EngineOptionsFor(const WorkerConfig& config, const Model& model);

}  // namespace deepgate::fcgi
