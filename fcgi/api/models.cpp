#include "fcgi/api/models.h"

#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {
namespace {

Json::Value CardJson(const ModelCard& card) {
  Json::Value m(Json::objectValue);
  m["id"] = card.id;
  m["object"] = "model";
  m["created"] = Json::Int64(card.created);
  m["owned_by"] = card.owned_by;
  return m;
}

}  // namespace

void AddModelRoutes(Router& router, const ModelService& models) {
  router.Add({"GET", "/v1/models", "models.list", false, [&models](RequestContext&, ResponseWriter& out) {
                Json::Value body(Json::objectValue);
                body["object"] = "list";
                body["data"] = Json::Value(Json::arrayValue);
                for (const ModelCard& card : models.Cards()) body["data"].append(CardJson(card));
                out.SendJson(200, body);
              }});
  router.Add({"GET", "/v1/models/{id}", "models.get", false, [&models](RequestContext& ctx, ResponseWriter& out) {
                std::optional<ModelCard> card = models.FindCard(ctx.route_param);
                if (!card) {
                  ApiError e = ApiError::NotFound("The model '" + ctx.route_param + "' does not exist", "model_not_found");
                  e.param = "model";
                  out.SendError(e);
                  return;
                }
                out.SendJson(200, CardJson(*card));
              }});
}

}  // namespace deepgate::fcgi
