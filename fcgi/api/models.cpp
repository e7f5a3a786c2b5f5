#include "fcgi/api/models.h"

#include <algorithm>

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
  router.Add({"GET", "/v1/models", "models.list", false,
              [body = WriteJson(list), list](RequestContext& ctx, ResponseWriter& out) {
                // A key limited to some models sees only those (issue 16): the list must not
                // tell it what else this host serves.
                const std::vector<std::string>& allowed = ctx.principal.allowed_models;
                if (allowed.empty()) return (void)out.SendBody(200, "application/json", body);
                Json::Value mine = list;
                mine["data"] = Json::Value(Json::arrayValue);
                for (const Json::Value& m : list["data"])
                  if (std::find(allowed.begin(), allowed.end(), m["id"].asString()) != allowed.end()) mine["data"].append(m);
                out.SendJson(200, mine);
              }});
  router.Add({"GET", "/v1/models/{id}", "models.get", false, [&models](RequestContext& ctx, ResponseWriter& out) {
                std::optional<ModelCard> card = models.FindCard(ctx.route_param);
                const std::vector<std::string>& allowed = ctx.principal.allowed_models;
                if (card && !allowed.empty() && std::find(allowed.begin(), allowed.end(), card->id) == allowed.end())
                  card.reset();  // not this key's: the same 404 as a model that does not exist
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
