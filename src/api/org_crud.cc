// SPDX-License-Identifier: Apache-2.0
#include "api/org_crud.h"

#include "store/transaction.h"

namespace bankcc::api::org {
namespace {

/// The audit log keeps at most 4096 bytes of details per record; leave room for the rest.
constexpr std::size_t kMaxAuditDetailsBytes = 3500;
/// A field whose value is longer than this is the first to be summarised.
constexpr std::size_t kMaxAuditValueBytes = 256;

/// `details` made small enough for an audit record: values of long fields (a queue's hundred
/// skills) are replaced by their size, so that a large but valid change is still recorded
/// rather than refused.
nlohmann::json fitAuditDetails(nlohmann::json details) {
  if (dumpJson(details).size() <= kMaxAuditDetailsBytes) return details;
  for (auto it = details.begin(); it != details.end(); ++it) {
    const std::size_t bytes = dumpJson(it.value()).size();
    if (bytes > kMaxAuditValueBytes) it.value() = {{"omitted_bytes", bytes}};
  }
  if (dumpJson(details).size() <= kMaxAuditDetailsBytes) return details;
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& [key, value] : details.items()) fields.push_back(key);
  return {{"omitted_fields", std::move(fields)}};
}

}  // namespace

CtiService* coreOf(Call& call) {
  const auto* cti = call.services().cti;
  return cti != nullptr ? cti->load() : nullptr;
}

std::optional<Response> vetoResponse(const std::optional<callctl::OrgVeto>& veto) {
  if (!veto) return std::nullopt;
  return errorResponse(409, veto->code, veto->message);
}

std::string readKey(FieldReader& reader, std::string_view field, Mode mode,
                    std::string_view pathKey, std::size_t maxBytes) {
  if (mode == Mode::Create) return reader.string(field, Need::Required, maxBytes).value_or("");
  const auto inBody = reader.string(field, Need::Optional, maxBytes);
  if (inBody && *inBody != pathKey) reader.fail(std::string(field), "must match the URL");
  return std::string(pathKey);
}

bool readActive(FieldReader& reader, bool current) {
  return reader.boolean("active", Need::Optional).value_or(current);
}

std::int64_t readVersion(FieldReader& reader, Mode mode) {
  if (mode == Mode::Create) {
    reader.ignore("version");
    return 0;
  }
  return reader.integer("version", Need::Required, 1, kMaxVersion).value_or(0);
}

void ignoreTimestamps(FieldReader& reader) {
  reader.ignore("created_at");
  reader.ignore("updated_at");
}

std::vector<std::string> readList(FieldReader& reader, std::string_view field, Mode mode,
                                  std::size_t maxBytesEach) {
  const Need need = mode == Mode::Create ? Need::Optional : Need::Required;
  return reader.stringList(field, need, kMaxListItems, maxBytesEach)
      .value_or(std::vector<std::string>{});
}

Response commitWrite(Call& call, const WriteSpec& spec,
                     const std::function<WriteOutcome()>& write) {
  auto tx = store::Transaction::begin(call.db());
  if (!tx.ok()) return errorFrom(tx.error());
  WriteOutcome outcome = write();
  // An early answer leaves the transaction to roll back when `tx` goes out of scope.
  if (auto* early = std::get_if<Response>(&outcome)) return std::move(*early);
  Written& written = std::get<Written>(outcome);
  if (auto audited =
          call.audit(spec.action, spec.kind, written.key, fitAuditDetails(written.details));
      !audited.ok()) {
    return errorFrom(audited.error());
  }
  if (auto committed = tx->commit(); !committed.ok()) return errorFrom(committed.error());
  call.publishAfterCommit(events::ConfigChanged{.kind = std::string(spec.kind),
                                                .code = written.key,
                                                .change = std::string(spec.change),
                                                .version = written.version,
                                                .actor = call.principal().username});
  Response response;
  if (spec.status == 204) {
    response.status = 204;  // a deletion: nothing left to show
  } else {
    response = jsonResponse(spec.status, dumpJson(written.object));
  }
  if (spec.status == 201) {
    // Keys are codes, agent numbers and usernames: URL-safe characters only.
    response.headers.emplace_back("Location", std::string(spec.collection) + "/" + written.key);
  }
  return response;
}

std::string pluralNoun(std::string_view kind) {
  std::string noun(kind);
  for (char& c : noun) {
    if (c == '_') c = ' ';
  }
  return noun + "s";
}

}  // namespace bankcc::api::org
