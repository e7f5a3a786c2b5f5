#include "fcgi/api/engine_routes.h"

#include "fcgi/api/generation_endpoints.h"

namespace deepgate::fcgi {

void AddEngineRoutes(Router& router, const ModelService& models, policy::EngineShare& share,
                     cache::ResponseCache* cache, cache::CacheScope scope, TokenTimingObserver* timing) {
  const GenerationServices services{models, share, cache, scope, timing};
  router.Add({"POST", "/v1/chat/completions", "chat.completions", false,
              [services](RequestContext& ctx, ResponseWriter& out) {
                ServeGeneration(*MakeChatCompletionsEndpoint(), services, ctx, out);
              }});
  router.Add({"POST", "/v1/completions", "completions", false, [services](RequestContext& ctx, ResponseWriter& out) {
                ServeGeneration(*MakeCompletionsEndpoint(), services, ctx, out);
              }});
}

}  // namespace deepgate::fcgi
