// The admin keys API (fcgi/api/admin_keys.h) in-process, through the pipeline, over a real
// SQLite key store and the real credential verifier: create / list / revoke / rotate, the
// secret shown once and never listed, bad bodies and out-of-range numbers refused with 400
// and nothing written, unknown ids, and the audit events each change records.
#include <gtest/gtest.h>

#include "auth_routes_harness.h"
#include "fcgi/api/admin_keys.h"

namespace deepgate::fcgi {
namespace {

using testing::Answer;
using testing::AuthRoutesHarness;
using testing::RecordingAudit;

class AdminKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.open_status().ok()) << h_.open_status().message();
    AddAdminKeyRoutes(h_.router(), h_.auth(), audit_);
    h_.StartPipeline();
  }

  Answer Create(const std::string& body) { return h_.Send("POST", "/admin/keys", body); }
  Answer List(const std::string& query = "") { return h_.Send("GET", "/admin/keys" + query, ""); }
  Answer Act(const std::string& id, const std::string& verb, const std::string& body = "") {
    return h_.Send("POST", "/admin/keys/" + id + "/" + verb, body);
  }
  size_t StoredKeys() {
    auto keys = h_.auth().store->List();
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? keys->size() : 0;
  }
  bool Verifies(const std::string& key) { return h_.auth().verifier->Verify(key, h_.clock().NowUnix()).ok(); }

  AuthRoutesHarness h_;
  RecordingAudit audit_;  // the handlers' own sink: key_created / key_revoked / key_rotated
};

// The secret part of "dg_<id>_<secret>".
std::string SecretOf(const std::string& key) { return key.substr(key.find('_', 3) + 1); }

TEST_F(AdminKeysTest, CreateAnswersTheKeyOnceAndItAuthenticates) {
  Answer a = Create(R"({"name": "ci-bot", "role": "developer", "models": ["tiny"], "requests_per_min": 30,
                       "tokens_per_min": 5000, "max_concurrent": 2, "expires_in": "30d", "data_policy": "local"})");
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_NE(a.head.find("Cache-Control: no-store"), std::string::npos) << a.head;
  const Json::Value& k = a.json;
  const std::string key = k["key"].asString();
  ASSERT_EQ(key.rfind("dg_" + k["id"].asString() + "_", 0), 0u) << key;
  EXPECT_EQ(k["name"].asString(), "ci-bot");
  EXPECT_EQ(k["role"].asString(), "developer");
  EXPECT_EQ(k["models"][0].asString(), "tiny");
  EXPECT_EQ(k["requests_per_min"].asInt64(), 30);
  EXPECT_EQ(k["tokens_per_min"].asInt64(), 5000);
  EXPECT_EQ(k["max_concurrent"].asInt64(), 2);
  EXPECT_EQ(k["expires_at"].asInt64() - k["created_at"].asInt64(), 30 * 86400);
  EXPECT_EQ(k["data_policy"].asString(), "local");
  EXPECT_EQ(k["state"].asString(), "active");
  EXPECT_FALSE(k.isMember("hash"));
  EXPECT_TRUE(Verifies(key));
  // One key_created entry naming the key and the admin, never the secret.
  ASSERT_EQ(audit_.records.size(), 1u);
  EXPECT_EQ(audit_.records[0].event, AuditEvent::kKeyCreated);
  EXPECT_EQ(audit_.records[0].key_id, k["id"].asString());
  EXPECT_EQ(audit_.records[0].subject, "ops");
  EXPECT_EQ(audit_.records[0].path, "/admin/keys");
  EXPECT_EQ(audit_.records[0].message.find(SecretOf(key)), std::string::npos);
}

TEST_F(AdminKeysTest, CreateTakesTheConfiguredDefaults) {
  Answer a = Create(R"({"name": "plain", "role": "developer"})");
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_EQ(a.json["requests_per_min"].asInt64(), h_.auth().config.default_requests_per_min);
  EXPECT_EQ(a.json["expires_at"].asInt64() - a.json["created_at"].asInt64(),
            int64_t{h_.auth().config.key_lifetime_days} * 86400);
  EXPECT_TRUE(a.json["data_policy"].isNull());
  EXPECT_EQ(a.json["models"].size(), 0u);
}

TEST_F(AdminKeysTest, ListNeverShowsASecretOrHash) {
  Answer created = Create(R"({"name": "a", "role": "developer"})");
  ASSERT_EQ(created.status, 201);
  Answer list = List();
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json["object"].asString(), "list");
  ASSERT_EQ(list.json["data"].size(), 1u);
  const Json::Value& k = list.json["data"][0];
  EXPECT_EQ(k["id"], created.json["id"]);
  EXPECT_FALSE(k.isMember("key"));
  EXPECT_FALSE(k.isMember("hash"));
  EXPECT_TRUE(k["last_used_at"].isNull());  // no journal: unknown
  EXPECT_EQ(list.body.find(SecretOf(created.json["key"].asString())), std::string::npos) << list.body;
  Result<std::optional<auth::KeyRecord>> stored = h_.auth().store->FindById(k["id"].asString());
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(list.body.find((*stored)->hash), std::string::npos);
}

TEST_F(AdminKeysTest, ListExpiringShowsOnlyKeysInsideTheWindow) {
  ASSERT_EQ(Create(R"({"name": "soon", "role": "developer", "expires_in": "3d"})").status, 201);
  ASSERT_EQ(Create(R"({"name": "later", "role": "developer", "expires_in": 7776000})").status, 201);  // 90 d
  Answer a = List("?expiring=14d");
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json["data"].size(), 1u);
  EXPECT_EQ(a.json["data"][0]["name"].asString(), "soon");
  Answer bad = List("?expiring=soon");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json["error"]["param"].asString(), "expiring");
}

TEST_F(AdminKeysTest, BadBodiesAre400AndCreateNothing) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", ""},
      {"[1, 2]", ""},
      {R"({"name": "x", "role": "developer", "colour": "red"})", "colour"},
      {R"({"role": "developer"})", "name"},
      {R"({"name": 7, "role": "developer"})", "name"},
      {R"({"name": "x"})", "role"},
      {R"({"name": "x", "role": "root"})", "role"},
      {R"({"name": "x", "role": "developer", "models": "tiny"})", "models"},
      {R"({"name": "x", "role": "developer", "models": [1]})", "models"},
      {R"({"name": "x", "role": "developer", "requests_per_min": -1})", "requests_per_min"},
      {R"({"name": "x", "role": "developer", "requests_per_min": "10"})", "requests_per_min"},
      {R"({"name": "x", "role": "developer", "requests_per_min": true})", "requests_per_min"},
      {R"({"name": "x", "role": "developer", "tokens_per_min": 1.5})", "tokens_per_min"},
      {R"({"name": "x", "role": "developer", "max_concurrent": null})", "max_concurrent"},
      {R"({"name": "x", "role": "developer", "data_policy": "anywhere"})", "data_policy"},
      {R"({"name": "x", "role": "developer", "data_policy": 1})", "data_policy"},
      {R"({"name": "x", "role": "developer", "expires_in": "forever"})", "expires_in"},
      {R"({"name": "x", "role": "developer", "expires_in": "-5d"})", "expires_in"},
      {R"({"name": "x", "role": "developer", "expires_in": -5})", "expires_in"},
      {R"({"name": "x", "role": "developer", "expires_in": "7d "})", "expires_in"},
  };
  for (const auto& [body, param] : cases) {
    Answer a = Create(body);
    EXPECT_EQ(a.status, 400) << body << " → " << a.body;
    EXPECT_EQ(a.json["error"]["type"].asString(), "invalid_request_error") << body;
    if (*param) {
      EXPECT_EQ(a.json["error"]["param"].asString(), param) << body << " → " << a.body;
    }
  }
  EXPECT_EQ(StoredKeys(), 0u);
  EXPECT_TRUE(audit_.records.empty());
}

// Numbers past what the store, the clock or jsoncpp's int64 can hold: a 400, never a wrap, a
// throw (500) or a key that never expires.
TEST_F(AdminKeysTest, NumbersThatWouldOverflowAre400) {
  const char* cases[] = {
      R"({"name": "x", "role": "developer", "expires_in": 9223372036854775807})",   // now + this wraps
      R"({"name": "x", "role": "developer", "expires_in": 18446744073709551615})",  // past int64
      R"({"name": "x", "role": "developer", "expires_in": 1e30})",
      R"({"name": "x", "role": "developer", "expires_in": 1.8e19})",               // integral, past int64
      R"({"name": "x", "role": "developer", "expires_in": "999999999999d"})",
      R"({"name": "x", "role": "developer", "expires_in": "11000d"})",             // > 10 years
      R"({"name": "x", "role": "developer", "expires_in": 59})",                   // < 1 minute
      R"({"name": "x", "role": "developer", "requests_per_min": 18446744073709551615})",
      R"({"name": "x", "role": "developer", "requests_per_min": 1000001})",
      R"({"name": "x", "role": "developer", "tokens_per_min": 9223372036854775807})",
      R"({"name": "x", "role": "developer", "max_concurrent": 1.8e19})",
  };
  for (const char* body : cases) {
    Answer a = Create(body);
    EXPECT_EQ(a.status, 400) << body << " → " << a.body;
  }
  EXPECT_EQ(StoredKeys(), 0u);
  EXPECT_TRUE(audit_.records.empty());
}

TEST_F(AdminKeysTest, RevokeStopsTheKeyAndIsAudited) {
  Answer created = Create(R"({"name": "a", "role": "developer"})");
  ASSERT_EQ(created.status, 201);
  const std::string id = created.json["id"].asString();
  h_.clock().Advance(60);
  Answer a = Act(id, "revoke");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json["state"].asString(), "revoked");
  EXPECT_EQ(a.json["revoked_at"].asInt64(), AuthRoutesHarness::kNow + 60);
  EXPECT_FALSE(a.json.isMember("key"));
  EXPECT_FALSE(Verifies(created.json["key"].asString()));
  ASSERT_EQ(audit_.records.size(), 2u);
  EXPECT_EQ(audit_.records[1].event, AuditEvent::kKeyRevoked);
  EXPECT_EQ(audit_.records[1].key_id, id);
  // Revoking again keeps the first time; a revoked key cannot be rotated.
  h_.clock().Advance(60);
  EXPECT_EQ(Act(id, "revoke").json["revoked_at"].asInt64(), AuthRoutesHarness::kNow + 60);
  EXPECT_EQ(Act(id, "rotate").status, 400);
}

TEST_F(AdminKeysTest, RotateIssuesASuccessorAndKeepsTheOldKeyForTheOverlap) {
  Answer created = Create(R"({"name": "a", "role": "developer", "models": ["tiny"], "expires_in": "30d"})");
  ASSERT_EQ(created.status, 201);
  const std::string old_id = created.json["id"].asString();
  Answer a = Act(old_id, "rotate", R"({"overlap": "1h"})");
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_NE(a.head.find("Cache-Control: no-store"), std::string::npos);
  EXPECT_NE(a.json["id"].asString(), old_id);
  EXPECT_EQ(a.json["rotated_from"].asString(), old_id);
  EXPECT_EQ(a.json["models"][0].asString(), "tiny");  // the grants carry over
  EXPECT_EQ(a.json["expires_at"].asInt64() - a.json["created_at"].asInt64(), 30 * 86400);
  EXPECT_TRUE(Verifies(a.json["key"].asString()));
  EXPECT_TRUE(Verifies(created.json["key"].asString()));  // inside the overlap
  ASSERT_EQ(audit_.records.size(), 2u);
  EXPECT_EQ(audit_.records[1].event, AuditEvent::kKeyRotated);
  EXPECT_EQ(audit_.records[1].key_id, a.json["id"].asString());
  Answer list = List();
  ASSERT_EQ(list.json["data"].size(), 2u);
  for (const Json::Value& k : list.json["data"])
    EXPECT_EQ(k["state"].asString(), k["id"].asString() == old_id ? "rotating" : "active");
  h_.clock().Advance(3601);
  EXPECT_FALSE(Verifies(created.json["key"].asString()));  // the overlap is over
  EXPECT_TRUE(Verifies(a.json["key"].asString()));
  EXPECT_EQ(Act(old_id, "rotate").status, 400);  // already rotated
}

TEST_F(AdminKeysTest, RotateRefusesABadOverlapAndChangesNothing) {
  Answer created = Create(R"({"name": "a", "role": "developer"})");
  ASSERT_EQ(created.status, 201);
  const std::string id = created.json["id"].asString();
  for (const char* body : {R"({"overlap": "soon"})", R"({"overlap": -1})", R"({"overlap": 9223372036854775807})",
                           R"({"overlap": 18446744073709551615})", R"({"overlap": "4000d"})", "not json"}) {
    Answer a = Act(id, "rotate", body);
    EXPECT_EQ(a.status, 400) << body << " → " << a.body;
  }
  EXPECT_EQ(StoredKeys(), 1u);
  EXPECT_EQ(audit_.records.size(), 1u);  // the create only
}

TEST_F(AdminKeysTest, UnknownIdsAndVerbsAre404) {
  EXPECT_EQ(Act("0123456789abcdef", "revoke").status, 404);
  EXPECT_EQ(Act("0123456789abcdef", "rotate").status, 404);
  Answer created = Create(R"({"name": "a", "role": "developer"})");
  ASSERT_EQ(created.status, 201);
  const std::string id = created.json["id"].asString();
  EXPECT_EQ(Act(id, "delete").status, 404);
  EXPECT_EQ(h_.Send("POST", "/admin/keys/" + id, "").status, 404);
  EXPECT_EQ(Act("../../etc", "revoke").status, 404);
  EXPECT_EQ(Act("0123456789ABCDEF", "revoke").status, 404);
  EXPECT_EQ(audit_.records.size(), 1u);  // the create only
  EXPECT_TRUE(Verifies(created.json["key"].asString()));
}

}  // namespace
}  // namespace deepgate::fcgi
