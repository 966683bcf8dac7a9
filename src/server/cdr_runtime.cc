// SPDX-License-Identifier: Apache-2.0
#include "server/cdr_runtime.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "base/log.h"
#include "base/result.h"
#include "reports/cdr_projector.h"

namespace bankcc::server {

namespace {

constexpr std::size_t kBatch = 1000;
constexpr auto kLogEvery = std::chrono::minutes(1);

}  // namespace

CdrRuntime::CdrRuntime(const store::Database& database, const base::Clock& clock,
                       std::chrono::milliseconds period)
    : database_(database), clock_(clock), period_(period) {
  thread_ = std::thread([this] {
    base::setThreadName("cdr-projector");
    run();
  });
}

CdrRuntime::~CdrRuntime() {
  stop();
}

void CdrRuntime::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CdrRuntime::run() {
  std::unique_ptr<soci::session> session;
  std::optional<reports::CdrProjector> projector;
  std::optional<std::chrono::steady_clock::time_point> lastLogged;
  auto report = [&](const base::Error& e) {
    const auto now = std::chrono::steady_clock::now();
    if (lastLogged && now - *lastLogged < kLogEvery) return;
    lastLogged = now;
    spdlog::warn("CDR projection behind (at seq {}): {}", lastSeq_.load(), e.message);
  };
  // One run: steps until the projection is up to date, or (unless it is the last run) until
  // stop() asks for the last one.
  auto runOnce = [&](bool last) {
    if (!session) {
      auto connected = database_.connect();
      if (!connected.ok()) return report(connected.error());
      session = std::move(connected).value();
    }
    if (!projector) {
      auto opened = reports::CdrProjector::open(*session);
      if (!opened.ok()) {
        session.reset();  // the cause may be the connection: a fresh one next time
        return report(opened.error());
      }
      projector.emplace(std::move(opened).value());
    }
    for (;;) {
      auto step = projector->step(*session, clock_, kBatch);
      if (!step.ok()) {
        session.reset();
        projector.reset();
        return report(step.error());
      }
      lastSeq_.store(step->lastSeq);
      if (lastLogged) {
        spdlog::info("CDR projection writing again (at seq {})", step->lastSeq);
        lastLogged.reset();
      }
      if (step->events == 0) return;
      if (!last) {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
    }
  };
  for (;;) {
    bool last = false;
    {
      std::lock_guard lock(mu_);
      last = stopping_;
    }
    runOnce(last);
    if (last) return;
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace bankcc::server
