#include "fcgi/server/model_service.h"

#include <sys/stat.h>

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

ModelService::ModelService(WorkerConfig config, ModelLoader loader)
    : config_(std::move(config)), loader_(std::move(loader)), card_(MakeCard(config_)) {}

ModelService::~ModelService() {
  if (loader_thread_.joinable()) loader_thread_.join();
}

void ModelService::StartLoading(std::function<void(const Status&)> on_done) {
  loader_thread_ = std::thread([this, on_done = std::move(on_done)] {
    Result<std::shared_ptr<Model>> loaded = loader_(config_);
    Status outcome = loaded.ok() ? Status::Ok() : loaded.status();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (loaded.ok()) {
        model_ = std::move(loaded).value();
        state_ = ModelState::kReady;
      } else {
        error_ = outcome;
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
