// SPDX-License-Identifier: Apache-2.0
// The audit log over HTTP (paging, filters, verification, who may read it) and its chain
// check by `bankcc admin verify-audit` after the database was tampered with directly.

#include <gtest/gtest.h>

#include <set>

#include "api/api_support.h"

namespace bankcc::apitest {
namespace {

class AuditTest : public ApiTest {};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_P(AuditTest, AuditorsPageFilterAndVerifyTheLogAndTamperingIsFound) {
  auto server = startServer();
  if (!server) return;
  HttpClient client(server->http());
  const auto& adminUser = server->user("admin");
  auto admin = mustLogin(client, adminUser);
  ASSERT_FALSE(admin.token.empty());

  // Some activity: a change, a failed login, a denial.
  auto created = client.request(
      "POST", "/api/v1/queues", bearer(admin.token),
      json{{"code", "audit_q"}, {"name_zh", "审计"}, {"name_en", "Audit"}, {"skills", {"retail"}}}
          .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_FALSE(login(client, server->user("qa").username, "Wrong-Password-1"));
  auto deniedToAdmin = client.get("/api/v1/audit", bearer(admin.token));
  EXPECT_TRUE(isError(deniedToAdmin, 403, "forbidden")) << "admins do not read the audit log";
  EXPECT_TRUE(isError(client.get("/api/v1/audit/verify", bearer(admin.token)), 403, "forbidden"));

  auto auditor = mustLogin(client, server->user("auditor"));
  const auto auth = bearer(auditor.token);

  // Paging: newest first, no record twice, every record from 1 to the head.
  auto firstPage = client.get("/api/v1/audit?limit=2", auth);
  ASSERT_EQ(firstPage.status, 200) << firstPage.body;
  auto first = bodyOf(firstPage);
  ASSERT_EQ(first["items"].size(), 2u) << first;
  ASSERT_TRUE(first["next_cursor"].is_string()) << first;
  const auto head = first["items"][0]["seq"].get<std::int64_t>();
  EXPECT_GT(head, first["items"][1]["seq"].get<std::int64_t>());
  for (const char* key : {"seq", "id", "at", "actor", "source_address", "action", "target_type",
                          "target_id", "outcome", "details", "request_id", "hash"}) {
    EXPECT_TRUE(first["items"][0].contains(key)) << key << " missing in " << first["items"][0];
  }
  EXPECT_TRUE(first["items"][0]["details"].is_object());
  std::set<std::int64_t> seqs;
  std::string cursor;
  std::int64_t previous = head + 1;
  for (int page = 0; page < 1000; ++page) {
    std::string path = "/api/v1/audit?limit=3";
    if (!cursor.empty()) path += "&cursor=" + urlEncode(cursor);
    auto r = client.get(path, auth);
    ASSERT_EQ(r.status, 200) << path << ": " << r.body;
    auto body = bodyOf(r);
    for (const auto& item : body["items"]) {
      const auto seq = item["seq"].get<std::int64_t>();
      EXPECT_LT(seq, previous) << "newest first";
      previous = seq;
      EXPECT_TRUE(seqs.insert(seq).second) << "seq " << seq << " seen twice";
    }
    if (!body["next_cursor"].is_string()) break;
    cursor = body["next_cursor"].get<std::string>();
  }
  EXPECT_GE(static_cast<std::int64_t>(seqs.size()), head) << "the auditor's login came later";
  EXPECT_EQ(*seqs.begin(), 1);

  // Filters.
  auto byActor = auditRecords(client, auditor.token, "actor=" + adminUser.username);
  ASSERT_FALSE(byActor.empty());
  for (const auto& r : byActor) EXPECT_EQ(r["actor"], adminUser.username) << r;
  auto byPrefix = auditRecords(client, auditor.token, "action=auth.");
  ASSERT_FALSE(byPrefix.empty());
  for (const auto& r : byPrefix) {
    EXPECT_EQ(r["action"].get<std::string>().rfind("auth.", 0), 0u) << r;
  }
  EXPECT_TRUE(hasAction(byPrefix, "auth.login"));
  EXPECT_TRUE(hasAction(byPrefix, "auth.login_failed"));
  auto queueCreated = auditRecords(client, auditor.token, "action=queue.created");
  ASSERT_EQ(queueCreated.size(), 1u);
  EXPECT_EQ(queueCreated[0]["target_type"], "queue");
  EXPECT_EQ(queueCreated[0]["target_id"], "audit_q");
  EXPECT_EQ(queueCreated[0]["actor"], adminUser.username);
  auto failures = auditRecords(client, auditor.token, "outcome=failure");
  ASSERT_FALSE(failures.empty());
  for (const auto& r : failures) EXPECT_EQ(r["outcome"], "failure") << r;
  const std::string at = queueCreated[0]["at"];
  auto fromThen = auditRecords(client, auditor.token, "from=" + urlEncode(at));
  for (const auto& r : fromThen) EXPECT_GE(r["at"].get<std::string>(), at) << r;
  EXPECT_TRUE(hasAction(fromThen, "queue.created"));
  auto beforeThen = auditRecords(client, auditor.token, "to=" + urlEncode(at));
  for (const auto& r : beforeThen) EXPECT_LE(r["at"].get<std::string>(), at) << r;
  EXPECT_FALSE(hasAction(beforeThen, "queue.created")) << "to is exclusive";
  EXPECT_TRUE(auditRecords(client, auditor.token, "from=2999-01-01T00:00:00Z").empty());

  // The admin's denial is itself in the log.
  auto denials =
      auditRecords(client, auditor.token, "action=access.denied&actor=" + adminUser.username);
  bool sawAuditDenial = false;
  for (const auto& d : denials) {
    EXPECT_EQ(d["outcome"], "denied");
    if (d["details"].value("path", "") == "/api/v1/audit") sawAuditDenial = true;
  }
  EXPECT_TRUE(sawAuditDenial) << json(denials).dump(1);

  // Bad queries.
  EXPECT_TRUE(isError(client.get("/api/v1/audit?cursor=not-a-cursor", auth), 400, "bad_request"));
  EXPECT_TRUE(isError(client.get("/api/v1/audit?cursor=%ZZ", auth), 400, "bad_request"));
  auto zero = client.get("/api/v1/audit?limit=0", auth);
  EXPECT_TRUE(isError(zero, 422, "validation_failed"));
  EXPECT_EQ(errorFields(zero), std::vector<std::string>{"limit"});
  EXPECT_TRUE(isError(client.get("/api/v1/audit?limit=501", auth), 422, "validation_failed"));
  EXPECT_TRUE(isError(client.get("/api/v1/audit?limit=ten", auth), 422, "validation_failed"));
  EXPECT_TRUE(isError(client.get("/api/v1/audit?outcome=maybe", auth), 422, "validation_failed"));
  EXPECT_TRUE(isError(client.get("/api/v1/audit?from=yesterday", auth), 422, "validation_failed"));
  EXPECT_TRUE(isError(client.get("/api/v1/audit?colour=red", auth), 422, "validation_failed"));

  auto verify = client.get("/api/v1/audit/verify", auth);
  ASSERT_EQ(verify.status, 200) << verify.body;
  auto verified = bodyOf(verify);
  EXPECT_EQ(verified["ok"], true) << verified;
  EXPECT_GE(verified["records"].get<std::int64_t>(), head) << verified;
  EXPECT_GE(verified["last_seq"].get<std::int64_t>(), head) << verified;

  // Offline: intact, then tampered.
  ASSERT_EQ(server->stop(), 0) << "clean stop";
  auto [intact, intactOut] = server->admin({"verify-audit"});
  EXPECT_EQ(intact, 0) << intactOut;
  EXPECT_TRUE(contains(intactOut, "intact")) << intactOut;

  const int victim = 3;
  const std::string update =
      "UPDATE audit_log SET details = '{\"tampered\":true}' WHERE seq = " + std::to_string(victim);
  EXPECT_NE(server->execSql(update), "") << "the append-only trigger refuses updates";
  const std::string disable =
      server->backend() == Backend::Sqlite
          ? "DROP TRIGGER audit_log_no_update"
          : "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete";
  ASSERT_EQ(server->execSql(disable), "");
  ASSERT_EQ(server->execSql(update), "");
  auto [broken, brokenOut] = server->admin({"verify-audit"});
  EXPECT_EQ(broken, 1) << brokenOut;
  EXPECT_TRUE(contains(brokenOut, "seq " + std::to_string(victim))) << brokenOut;

  // The server reports the same.
  ASSERT_TRUE(server->restart());
  HttpClient again(server->http());
  auto auditor2 = mustLogin(again, server->user("auditor"));
  auto reverify = again.get("/api/v1/audit/verify", bearer(auditor2.token));
  ASSERT_EQ(reverify.status, 200) << reverify.body;
  EXPECT_EQ(bodyOf(reverify)["ok"], false) << reverify.body;
  EXPECT_EQ(bodyOf(reverify)["first_bad_seq"], victim) << reverify.body;
}

// Interventions in call control (an actor acting on another agent, monitoring, pausing a
// recording) are audited with the core's outcome; an agent acting on themselves is not, and a
// replayed request id is not audited twice.
TEST_P(AuditTest, CtiInterventionsAreAuditedWithTheCoresOutcome) {
  auto server = startServer();
  if (!server) return;
  HttpClient client(server->http());
  auto admin = mustLogin(client, server->user("admin"));
  auto supervisor = mustLogin(client, server->user("supervisor"));
  auto auditor = mustLogin(client, server->user("auditor"));

  // The admin sets agent 1001 ready: the core refuses (not logged in), and it is audited.
  const std::string stateBody = R"({"request_id":"force-1","state":"ready"})";
  auto forced = client.request("PUT", "/api/v1/agents/1001/state", bearer(admin.token), stateBody);
  // (A command refusal carries the core's reason and request id besides the usual shape.)
  EXPECT_EQ(forced.status, 409) << forced.body;
  EXPECT_EQ(bodyOf(forced)["error"]["code"], "conflict") << forced.body;
  // The same request id again: the core's first answer, no second record.
  auto again = client.request("PUT", "/api/v1/agents/1001/state", bearer(admin.token), stateBody);
  EXPECT_EQ(again.status, 409) << again.body;

  // The supervisor (of no team) asks to monitor 1001: denied by the core, audited.
  auto monitor = client.request("POST", "/api/v1/agents/1001/monitor", bearer(supervisor.token),
                                R"({"mode":"whisper","extension":"8101"})");
  EXPECT_EQ(monitor.status, 403) << monitor.body;
  EXPECT_EQ(bodyOf(monitor)["error"]["code"], "forbidden") << monitor.body;
  EXPECT_EQ(bodyOf(monitor)["error"]["reason"], "not_your_team") << monitor.body;

  auto records = auditRecords(client, auditor.token, "action=cti.");
  ASSERT_EQ(records.size(), 2u) << json(records).dump();
  // Newest first.
  const json& mon = records[0];
  EXPECT_EQ(mon["action"], "cti.monitor");
  EXPECT_EQ(mon["actor"], server->user("supervisor").username);
  EXPECT_EQ(mon["target_type"], "agent");
  EXPECT_EQ(mon["target_id"], "1001");
  EXPECT_EQ(mon["outcome"], "denied");
  EXPECT_EQ(mon["details"]["mode"], "whisper");
  EXPECT_EQ(mon["details"]["reason"], "not_your_team");
  const json& state = records[1];
  EXPECT_EQ(state["action"], "cti.set_state");
  EXPECT_EQ(state["actor"], server->user("admin").username);
  EXPECT_EQ(state["outcome"], "failure");
  EXPECT_EQ(state["details"]["reason"], "not_logged_in");
  EXPECT_EQ(state["details"]["cti_request_id"], "force-1");
  EXPECT_EQ(state["details"]["state"], "ready");
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace bankcc::apitest
