#include "fcgi/api/models.h"

#include "fcgi/http/json.h"
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
  // The cards are fixed for the worker's lifetime (they come from the config), so the list is
  // serialised once: building and writing the JSON per request was a third of the route's cost.
  Json::Value list(Json::objectValue);
  list["object"] = "list";
  list["data"] = Json::Value(Json::arrayValue);
  for (const ModelCard& card : models.Cards()) list["data"].append(CardJson(card));
  router.Add({"GET", "/v1/models", "models.list", false, [body = WriteJson(list)](RequestContext&, ResponseWriter& out) {
                out.SendBody(200, "application/json", body);
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
