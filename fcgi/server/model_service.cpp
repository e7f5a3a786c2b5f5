#include "fcgi/server/model_service.h"

#include <sys/stat.h>

#include <algorithm>

namespace deepgate::fcgi {
namespace {

ModelCard MakeCard(const WorkerConfig& config) {
  ModelCard card;
  card.id = EffectiveModelId(config);
  struct stat st {};
  if (::stat(config.model_path.c_str(), &st) == 0) card.created = static_cast<int64_t>(st.st_mtime);
  return card;
}

}  // namespace

EngineOptions EngineOptionsFor(const WorkerConfig& config, const Model& model) {
  EngineOptions options;
  options.max_sequences = config.max_sequences;
  options.queue_capacity = config.queue_length;
  // A context longer than the model was trained for is clamped, not refused.
  options.n_ctx = std::min(config.ctx_size, model.info().n_ctx_train);
  options.prefill_chunk = config.prefill_chunk;
  options.kv_budget_bytes = static_cast<uint64_t>(config.kv_cache_mb) << 20;
  return options;
}

ModelService::ModelService(WorkerConfig config, ModelLoader loader)
    : config_(std::move(config)), loader_(std::move(loader)), card_(MakeCard(config_)) {}

ModelService::~ModelService() {
  if (loader_thread_.joinable()) loader_thread_.join();
  ShutdownEngine(std::chrono::steady_clock::now());
}

std::shared_ptr<Engine> ModelService::engine() const {
  std::lock_guard<std::mutex> lock(mu_);
  return engine_;
}

void ModelService::ShutdownEngine(std::chrono::steady_clock::time_point deadline) {
  std::shared_ptr<Engine> engine = this->engine();
  if (engine) engine->Shutdown(deadline);
}

void ModelService::StartLoading(std::function<void(const Status&)> on_done) {
  loader_thread_ = std::thread([this, on_done = std::move(on_done)] {
    Result<LoadedModel> loaded = loader_(config_);
    Status outcome = loaded.ok() ? Status::Ok() : loaded.status();
    std::optional<Refusal> rejected = loaded.ok() ? loaded->rejected : std::nullopt;
    if (rejected) outcome = rejected->status;
    std::shared_ptr<Model> model = loaded.ok() && !rejected ? loaded->model : nullptr;
    std::shared_ptr<Engine> engine;
    if (model) {
      Result<std::unique_ptr<Engine>> created = Engine::Create(*model, EngineOptionsFor(config_, *model));
      if (created.ok()) engine = std::move(created).value();
      else outcome = created.status().WithContext("engine");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (outcome.ok()) {
        model_ = std::move(model);
        engine_ = std::move(engine);
        state_ = ModelState::kReady;
      } else {
        error_ = outcome;
        rejection_ = std::move(rejected);
        state_ = ModelState::kFailed;
      }
    }
    if (on_done) on_done(outcome);
  });
}

void ModelService::WaitLoaded() {
  if (loader_thread_.joinable()) loader_thread_.join();
}

ModelState ModelService::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

Status ModelService::load_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

std::optional<Refusal> ModelService::rejection() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejection_;
}

std::shared_ptr<Model> ModelService::model() const {
  std::lock_guard<std::mutex> lock(mu_);
  return model_;
}

std::vector<ModelCard> ModelService::Cards() const { return {card_}; }

std::optional<ModelCard> ModelService::FindCard(const std::string& id) const {
  if (id == card_.id) return card_;
  return std::nullopt;
}

const char* ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kLoading: return "loading";
    case ModelState::kReady: return "ready";
    case ModelState::kFailed: return "failed";
  }
  return "unknown";
}

}  // namespace deepgate::fcgi
