// SPDX-License-Identifier: Apache-2.0
#include "store/event_log_sink.h"

#include <soci/soci.h>

namespace bankcc::store::detail {

base::Result<std::unique_ptr<EventSink>> EventSink::open(const Database& db,
                                                         const EventLogConfig& config) {
  auto session = db.connect();
  if (!session.ok()) return std::move(session).error();
  base::Status error;
  std::unique_ptr<EventSink> sink = db.backend() == Backend::Sqlite
                                        ? makeSqliteEventSink(std::move(*session), error)
                                        : makePostgresEventSink(std::move(*session), config, error);
  if (!sink) return std::move(error).error();
  return sink;
}

}  // namespace bankcc::store::detail
