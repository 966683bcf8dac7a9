// SPDX-License-Identifier: Apache-2.0
#include "store/event_log.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "base/host.h"
#include "base/log.h"
#include "events/json.h"
#include "store/event_log_boot.h"
#include "store/event_log_queue.h"
#include "store/event_log_sink.h"
#include "store/spill_file.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using base::Errc;
using detail::Entry;
using detail::EntryQueue;
using detail::RowBatch;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// How often a lasting problem (database down, spill failing, queue full) is logged again.
constexpr auto kRepeatLog = std::chrono::seconds(30);
constexpr auto kDropLogInterval = std::chrono::seconds(10);

const std::vector<double> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};

struct Metrics {
  prometheus::Gauge& backlog;
  prometheus::Counter& committed;
  prometheus::Counter& spilled;
  prometheus::Counter& dropped;
  prometheus::Histogram& latency;
  prometheus::Gauge& lastCommittedSeq;
  prometheus::Gauge& databaseUp;

  static Metrics build(prometheus::Registry& r) {
    return Metrics{
        prometheus::BuildGauge()
            .Name("bankcc_event_log_backlog")
            .Help("Events appended and not yet committed to the database (in memory + spilled)")
            .Register(r)
            .Add({}),
        prometheus::BuildCounter()
            .Name("bankcc_event_log_committed_total")
            .Help("Events committed to the database by this process")
            .Register(r)
            .Add({}),
        prometheus::BuildCounter()
            .Name("bankcc_event_log_spilled_total")
            .Help("Events written to the local spill file because the database could not take "
                  "them")
            .Register(r)
            .Add({}),
        prometheus::BuildCounter()
            .Name("bankcc_event_log_dropped_total")
            .Help("Events dropped because the event log's queue was full (lost)")
            .Register(r)
            .Add({}),
        prometheus::BuildHistogram()
            .Name("bankcc_event_log_commit_latency_seconds")
            .Help("Time from append to commit, for events committed straight from memory")
            .Register(r)
            .Add({}, kLatencyBuckets),
        prometheus::BuildGauge()
            .Name("bankcc_event_log_last_committed_seq")
            .Help("The highest seq committed with every seq before it")
            .Register(r)
            .Add({}),
        prometheus::BuildGauge()
            .Name("bankcc_event_log_database_up")
            .Help("1 while the event log writes to the database, 0 while it spills or waits")
            .Register(r)
            .Add({}),
    };
  }
};

std::string seqRange(std::span<const EventRowView> rows) {
  if (rows.empty()) return "none";
  return fmt::format("{}..{}", rows.front().seq, rows.back().seq);
}

class EventLogImpl final : public EventLog {
 public:
  EventLogImpl(const Database& db, EventLogConfig config, const base::Clock& clock, Metrics metrics,
               std::unique_ptr<detail::EventSink> sink, std::unique_ptr<SpillFile> spill,
               std::uint64_t epoch, std::uint64_t lastSeq)
      : db_(db),
        config_(std::move(config)),
        clock_(clock),
        epoch_(epoch),
        m_(metrics),
        nextSeq_(lastSeq + 1),
        persistedSeq_(lastSeq),
        committedSeq_(lastSeq),
        sink_(std::move(sink)),
        spill_(std::move(spill)),
        dbBackoff_(config_.retryMin),
        spillBackoff_(config_.retryMin) {
    m_.lastCommittedSeq.Set(static_cast<double>(lastSeq));
    m_.databaseUp.Set(1);
    m_.backlog.Set(0);
    thread_ = std::thread([this] { run(); });
  }

  ~EventLogImpl() override { stop(); }

  std::uint64_t epoch() const override { return epoch_; }

  events::EventId append(events::Event event) override {
    const base::MonoTime emitted = clock_.monotonic();
    if (event.ts == base::SysTime{}) event.ts = clock_.now();
    std::uint64_t seq = 0;
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      if (!stopping_ && inMemory_ < config_.queueCapacity) {
        seq = nextSeq_++;
        event.epoch = epoch_;
        event.seq = seq;
        incoming_.emplace_back(std::move(event), emitted);
        ++inMemory_;
        m_.backlog.Increment();
        wake = writerWaiting_;
        writerWaiting_ = false;
      }
    }
    if (seq == 0) {
      dropped();
      return {epoch_, 0};
    }
    if (wake) writerCv_.notify_one();
    return {epoch_, seq};
  }

  std::uint64_t lastCommittedSeq() const override {
    return committedSeq_.load(std::memory_order_acquire);
  }

  base::Status flush(milliseconds timeout) override {
    std::unique_lock lock(mu_);
    const std::uint64_t target = nextSeq_ - 1;
    const bool done = progressCv_.wait_for(
        lock, timeout, [&] { return persistedSeq_ >= target || writerExited_; });
    if (done && persistedSeq_ >= target) return {};
    return base::err(Errc::Unavailable,
                     fmt::format("event log: {} events not yet committed or spilled after {} "
                                 "ms{}{}",
                                 inMemory_, timeout.count(), writerExited_ ? " (stopped)" : "",
                                 lastError_.empty() ? "" : " (" + lastError_ + ")"));
  }

  base::Status waitCommitted(std::uint64_t seq, milliseconds timeout) override {
    std::unique_lock lock(mu_);
    const bool done = progressCv_.wait_for(lock, timeout, [&] {
      return committedSeq_.load(std::memory_order_relaxed) >= seq || writerExited_;
    });
    const std::uint64_t committed = committedSeq_.load(std::memory_order_relaxed);
    if (done && committed >= seq) return {};
    return base::err(Errc::Unavailable,
                     fmt::format("event log: seq {} not committed after {} ms (last committed "
                                 "{}){}{}",
                                 seq, timeout.count(), committed, writerExited_ ? " (stopped)" : "",
                                 lastError_.empty() ? "" : " (" + lastError_ + ")"));
  }

  void stop() override {
    std::lock_guard stopLock(stopMu_);
    if (!thread_.joinable()) return;
    if (auto st = flush(config_.stopTimeout); !st.ok()) {
      spdlog::error("event log: stopping: {}", st.error().message);
    }
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    writerCv_.notify_one();
    thread_.join();
  }

  EventLogStats stats() const override {
    EventLogStats s;
    std::lock_guard lock(mu_);
    s.inMemory = inMemory_;
    s.spilled = spilledPending_;
    s.committedTotal = committedTotal_;
    s.spilledTotal = spilledTotal_;
    s.droppedTotal = droppedTotal_;
    s.lastCommittedSeq = committedSeq_.load(std::memory_order_relaxed);
    s.databaseUp = databaseUp_;
    s.lastError = lastError_;
    return s;
  }

  void onCommit(std::function<void(std::uint64_t)> listener) override {
    std::lock_guard lock(listenerMu_);
    listener_ = std::move(listener);
  }

 private:
  // ---- emitter side

  void dropped() {
    std::uint64_t total = 0, inMemory = 0;
    std::string why;
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      total = ++droppedTotal_;
      inMemory = inMemory_;
      why = lastError_;
      stopping = stopping_;
    }
    m_.dropped.Increment();
    const auto now = Steady::now().time_since_epoch().count();
    auto last = lastDropLog_.load(std::memory_order_relaxed);
    const auto interval = std::chrono::duration_cast<Steady::duration>(kDropLogInterval).count();
    if ((total == 1 || now - last >= interval) &&
        lastDropLog_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
      if (stopping) {
        spdlog::error("event log: event appended after stop() dropped ({} dropped so far)", total);
      } else {
        spdlog::error(
            "event log: queue full ({} events in memory, capacity {}): events are "
            "dropped, {} so far{}",
            inMemory, config_.queueCapacity, total, why.empty() ? "" : "; " + why);
      }
    }
  }

  // ---- writer thread

  void run() {
    base::setThreadName("event-log");
    ::pthread_setname_np(::pthread_self(), "event-log");  // for top, perf and gdb
    for (;;) {
      bool stop = false;
      {
        std::unique_lock lock(mu_);
        for (;;) {
          if (!incoming_.empty() || stopping_) break;
          const auto wake = nextWake();
          if (wake && *wake <= Steady::now()) break;
          writerWaiting_ = true;
          if (wake) {
            writerCv_.wait_until(lock, *wake);
          } else {
            writerCv_.wait(lock);
          }
          writerWaiting_ = false;
        }
        incoming_.swap(taken_);
        stop = stopping_;
      }
      pending_.append(taken_);
      if (stop) {
        finish();
        return;
      }
      step();
    }
  }

  /// When the writer has something to do without new events: now, later (a retry), or
  /// nullopt (nothing until an event arrives). Writer thread, under mu_ (reads only
  /// writer-owned state).
  std::optional<Steady::time_point> nextWake() const {
    const auto now = Steady::now();
    if (sink_) {
      if (!spill_->empty()) return std::max(now, replayRetryAt_);
      if (!pending_.empty()) return now;
      return std::nullopt;
    }
    auto t = dbRetryAt_;
    if (!pending_.empty()) t = std::min(t, spillFailing_ ? spillRetryAt_ : now);
    return t;
  }

  void step() {
    const auto now = Steady::now();
    if (!sink_ && now >= dbRetryAt_) reconnect();
    if (sink_ && !spill_->empty()) {
      if (now >= replayRetryAt_) replayChunk();
      // Spill before the queue fills: the replay may take a while.
      if (!pending_.empty() && (pending_.size() >= config_.queueCapacity / 2 || !sink_)) {
        spillPending();
      }
      return;
    }
    if (sink_ && !pending_.empty()) {
      commitChunk();
      return;
    }
    if (!sink_ && !pending_.empty() && (!spillFailing_ || now >= spillRetryAt_)) spillPending();
  }

  /// The last pass at stop(): commit or spill what is queued, once; what remains is lost.
  void finish() {
    if (!pending_.empty()) {
      if (!sink_ && Steady::now() >= dbRetryAt_) reconnect();
      // Keep the order: with spilled events waiting, newer ones go behind them.
      if (sink_ && spill_->empty()) {
        while (!pending_.empty() && sink_) commitChunk();
      } else {
        spillPending();
      }
    }
    std::size_t lost = pending_.size();
    {
      std::lock_guard lock(mu_);
      writerExited_ = true;
      lost += incoming_.size();  // appended between the last gather and stopping_
      inMemory_ = 0;
      m_.backlog.Set(static_cast<double>(spilledPending_));
    }
    progressCv_.notify_all();
    if (lost != 0) {
      spdlog::error(
          "event log: stopped with {} events neither committed nor spilled: they "
          "are lost{}",
          lost, lastError_.empty() ? "" : " (" + lastError_ + ")");
    }
    if (!spill_->empty()) {
      spdlog::warn(
          "event log: stopped with {} events in spill file {}; the next start "
          "replays them",
          spill_->pendingRecords(), spill_->path().string());
    }
    spdlog::info("event log: epoch {} stopped at seq {}", epoch_,
                 committedSeq_.load(std::memory_order_relaxed));
  }

  void commitChunk() {
    const std::size_t n = std::min(config_.maxBatch, pending_.size());
    const auto entries = pending_.front(n);
    const auto rows = batch_.build(entries);
    base::Status st = sink_->insert(rows);
    if (!st.ok() && st.error().code == Errc::Conflict) {
      // A seq of this batch is stored already: another bankcc writes to this database, or
      // the seqs were reused after a spill file was lost. Keep what is stored.
      auto r = sink_->insertIdempotent(rows);
      if (r.ok()) {
        spdlog::error(
            "event log: {} of the events {} were already in {} and were kept as "
            "stored (is another bankcc writing to the same database?)",
            n - *r, seqRange(rows), db_.describe());
        st = {};
      } else {
        st = std::move(r).error();
      }
    }
    if (!st.ok()) {
      databaseFailed(st.error(), rows);
      spillPending();
      return;
    }
    const base::MonoTime now = clock_.monotonic();
    std::vector<double> buckets(kLatencyBuckets.size() + 1, 0.0);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double s = std::chrono::duration<double>(now - entries[i]->emitted).count();
      sum += s;
      const auto it = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), s);
      buckets[static_cast<std::size_t>(it - kLatencyBuckets.begin())] += 1;
    }
    m_.latency.ObserveMultiple(buckets, sum);
    const std::uint64_t last = rows.back().seq;
    pending_.pop(n);
    committed(n, n, last);
  }

  void replayChunk() {
    auto records = spill_->peek(config_.maxBatch);
    if (!records.ok()) {
      replayRetryAt_ = Steady::now() + config_.retryMax;
      spdlog::error("event log: cannot replay: {}; retrying in {} ms", records.error().message,
                    config_.retryMax.count());
      setSpillError(records.error().message);
      return;
    }
    if (records->empty()) {
      if (!spill_->empty()) {
        BANKCC_BUG("spill file has pending records but peek() returned none");
        replayRetryAt_ = Steady::now() + config_.retryMax;
      }
      publishSpilled();
      return;
    }
    const auto rows = RowBatch::views(*records, replayRows_);
    auto inserted = sink_->insertIdempotent(rows);
    if (!inserted.ok()) {
      databaseFailed(inserted.error(), rows);
      return;
    }
    if (!databaseUp_.load(std::memory_order_relaxed)) markUp();
    if (auto st = spill_->consume(records->size()); !st.ok()) {
      spdlog::error("event log: {}", st.error().message);
    }
    replayed_ += records->size();
    replayedDuplicates_ += records->size() - *inserted;
    if (spill_->empty()) {  // logged before committed() wakes anyone waiting for the seq
      spdlog::info(
          "event log: caught up: replayed {} spilled events into {} ({} were stored "
          "already)",
          replayed_, db_.describe(), replayedDuplicates_);
      replayed_ = replayedDuplicates_ = 0;
    }
    committed(*inserted, 0, rows.back().seq);
  }

  /// Bookkeeping after a commit: `stored` rows are new in the database, `fromMemory` of them
  /// left the in-memory queue (0 for a replay), `last` is the highest seq written.
  void committed(std::size_t stored, std::size_t fromMemory, std::uint64_t last) {
    dbBackoff_ = config_.retryMin;
    if (!databaseUp_.load(std::memory_order_relaxed)) markUp();
    m_.committed.Increment(static_cast<double>(stored));
    {
      std::lock_guard lock(mu_);
      committedSeq_.store(std::max(committedSeq_.load(std::memory_order_relaxed), last),
                          std::memory_order_release);
      inMemory_ -= fromMemory;
      if (fromMemory != 0) persistedSeq_ = std::max(persistedSeq_, last);
      committedTotal_ += stored;
      spilledPending_ = spill_->pendingRecords();
      m_.backlog.Set(static_cast<double>(inMemory_ + spilledPending_));
      if (pending_.empty() && spillFailing_) spillFailing_ = false;  // nothing left to spill
      refreshLastError();
    }
    progressCv_.notify_all();
    const std::uint64_t seq = committedSeq_.load(std::memory_order_relaxed);
    m_.lastCommittedSeq.Set(static_cast<double>(seq));
    std::lock_guard lock(listenerMu_);
    if (listener_) listener_(seq);
  }

  /// The database takes writes again.
  void markUp() {
    lastDbLogged_.clear();
    spdlog::info("event log: writing to {} again{}", db_.describe(),
                 spill_->empty()
                     ? ""
                     : fmt::format("; replaying {} spilled events", spill_->pendingRecords()));
    m_.databaseUp.Set(1);
    std::lock_guard lock(mu_);
    databaseUp_ = true;
    dbError_.clear();
    refreshLastError();
  }

  void spillPending() {
    while (!pending_.empty()) {
      const std::size_t n = std::min(config_.maxBatch, pending_.size());
      const auto rows = batch_.build(pending_.front(n));
      if (auto st = spill_->append(rows); !st.ok()) {
        spillFailed(st.error());
        return;
      }
      const std::uint64_t last = rows.back().seq;
      pending_.pop(n);
      m_.spilled.Increment(static_cast<double>(n));
      if (spillFailing_) {
        spdlog::info("event log: spill file {} writable again", spill_->path().string());
      }
      spillBackoff_ = config_.retryMin;
      {
        std::lock_guard lock(mu_);
        spillFailing_ = false;
        spillError_.clear();
        inMemory_ -= n;
        spilledTotal_ += n;
        persistedSeq_ = std::max(persistedSeq_, last);
        spilledPending_ = spill_->pendingRecords();
        m_.backlog.Set(static_cast<double>(inMemory_ + spilledPending_));
        refreshLastError();
      }
      progressCv_.notify_all();
    }
  }

  void databaseFailed(const base::Error& error, std::span<const EventRowView> rows) {
    sink_.reset();  // reconnect: the connection may be gone or in an unknown state
    const auto now = Steady::now();
    dbRetryAt_ = now + dbBackoff_;
    dbBackoff_ = std::min(dbBackoff_ * 2, config_.retryMax);
    if (databaseUp_.load(std::memory_order_relaxed) || error.message != lastDbLogged_ ||
        now - lastDbLog_ >= kRepeatLog) {
      lastDbLogged_ = error.message;
      spdlog::error(
          "event log: cannot write events {} to {}: {}; spilling to {} and retrying "
          "(backoff up to {} ms)",
          seqRange(rows), db_.describe(), error.message, spill_->path().string(),
          config_.retryMax.count());
      lastDbLog_ = now;
    }
    m_.databaseUp.Set(0);
    std::lock_guard lock(mu_);
    databaseUp_ = false;
    dbError_ = error.message;
    refreshLastError();
  }

  void reconnect() {
    auto sink = detail::EventSink::open(db_, config_);
    if (sink.ok()) {
      sink_ = std::move(*sink);
      spdlog::debug("event log: writer connection to {} reopened", db_.describe());
      // With something to write, the next write tells whether the database takes it.
      if (spill_->empty() && pending_.empty()) markUp();
      return;
    }
    const auto now = Steady::now();
    dbRetryAt_ = now + dbBackoff_;
    dbBackoff_ = std::min(dbBackoff_ * 2, config_.retryMax);
    if (sink.error().message != lastDbLogged_ || now - lastDbLog_ >= kRepeatLog) {
      spdlog::warn(
          "event log: database still unavailable: {} ({} events spilled, {} in "
          "memory)",
          sink.error().message, spill_->pendingRecords(), pending_.size());
      lastDbLog_ = now;
      lastDbLogged_ = sink.error().message;
    }
    std::lock_guard lock(mu_);
    dbError_ = sink.error().message;
    refreshLastError();
  }

  void spillFailed(const base::Error& error) {
    const auto now = Steady::now();
    spillRetryAt_ = now + spillBackoff_;
    spillBackoff_ = std::min(spillBackoff_ * 2, config_.retryMax);
    if (!spillFailing_ || error.message != lastSpillLogged_ || now - lastSpillLog_ >= kRepeatLog) {
      lastSpillLogged_ = error.message;
      spdlog::error(
          "event log: cannot spill: {}; {} events held in memory (capacity {}), "
          "events are dropped once it is full",
          error.message, pending_.size(), config_.queueCapacity);
      lastSpillLog_ = now;
    }
    setSpillError(error.message);
  }

  void setSpillError(const std::string& message) {
    std::lock_guard lock(mu_);
    spillFailing_ = true;
    spillError_ = message;
    refreshLastError();
  }

  void publishSpilled() {
    std::lock_guard lock(mu_);
    spilledPending_ = spill_->pendingRecords();
    m_.backlog.Set(static_cast<double>(inMemory_ + spilledPending_));
  }

  /// Under mu_.
  void refreshLastError() {
    lastError_.clear();
    if (!databaseUp_ && !dbError_.empty()) lastError_ = "database: " + dbError_;
    if (spillFailing_ && !spillError_.empty()) {
      if (!lastError_.empty()) lastError_ += "; ";
      lastError_ += "spill: " + spillError_;
    }
  }

  // Immutable after construction.
  const Database& db_;
  const EventLogConfig config_;
  const base::Clock& clock_;
  const std::uint64_t epoch_;
  Metrics m_;

  // Shared between emitters, the writer and waiters; under mu_.
  mutable std::mutex mu_;
  std::condition_variable writerCv_;    // wakes the writer
  std::condition_variable progressCv_;  // wakes flush() and waitCommitted()
  std::vector<Entry> incoming_;
  std::uint64_t nextSeq_;
  std::uint64_t inMemory_ = 0;  // appended, not yet committed or spilled
  std::uint64_t persistedSeq_;  // every seq up to it is committed or spilled
  std::uint64_t spilledPending_ = 0;
  std::uint64_t committedTotal_ = 0;
  std::uint64_t spilledTotal_ = 0;
  std::uint64_t droppedTotal_ = 0;
  bool writerWaiting_ = false;
  bool stopping_ = false;
  bool writerExited_ = false;
  bool spillFailing_ = false;  // written by the writer under mu_
  std::string dbError_;
  std::string spillError_;
  std::string lastError_;
  std::atomic<bool> databaseUp_{true};  // written by the writer under mu_
  std::atomic<std::uint64_t> committedSeq_;
  std::atomic<Steady::rep> lastDropLog_{0};

  std::mutex listenerMu_;
  std::function<void(std::uint64_t)> listener_;
  std::mutex stopMu_;

  // Writer thread only.
  std::unique_ptr<detail::EventSink> sink_;  // null while disconnected
  std::unique_ptr<SpillFile> spill_;
  EntryQueue pending_;
  std::vector<Entry> taken_;
  RowBatch batch_;
  std::vector<EventRowView> replayRows_;
  Steady::time_point dbRetryAt_{};
  Steady::time_point spillRetryAt_{};
  Steady::time_point replayRetryAt_{};
  milliseconds dbBackoff_;
  milliseconds spillBackoff_;
  Steady::time_point lastDbLog_{};
  Steady::time_point lastSpillLog_{};
  std::string lastDbLogged_;  // the cause last logged, to log a new one at once
  std::string lastSpillLogged_;
  std::uint64_t replayed_ = 0;
  std::uint64_t replayedDuplicates_ = 0;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace

base::Result<std::unique_ptr<EventLog>> EventLog::start(const Database& db,
                                                        const EventLogConfig& config,
                                                        const base::Clock& clock,
                                                        prometheus::Registry& registry) {
  EventLogConfig cfg = config;
  if (cfg.node.empty()) cfg.node = base::hostName();
  if (cfg.queueCapacity == 0 || cfg.maxBatch == 0 || cfg.spillPath.empty() ||
      cfg.retryMin.count() <= 0 || cfg.retryMax < cfg.retryMin) {
    return base::err(Errc::ValidationFailed,
                     "event log: queue capacity, max batch, spill path and retry bounds must be "
                     "set (see EventLogConfig::parse)");
  }
  auto fail = [&](const base::Error& e) { return base::err(e.code, "event log: " + e.message); };

  auto sink = detail::EventSink::open(db, cfg);
  if (!sink.ok()) return fail(sink.error());
  auto spill = SpillFile::open(cfg.spillPath, clock);
  if (!spill.ok()) return fail(spill.error());
  auto replayed = detail::replayAll(**spill, **sink, cfg.maxBatch, db);
  if (!replayed.ok()) return fail(replayed.error());
  auto lastSeq = detail::lastStoredSeq((*sink)->session());
  if (!lastSeq.ok()) return fail(lastSeq.error());
  auto epoch = detail::newEpoch((*sink)->session(), cfg, clock);
  if (!epoch.ok()) return fail(epoch.error());

  spdlog::info("event log: epoch {} on {}; next seq {}; spill file {}", *epoch, db.describe(),
               *lastSeq + 1, cfg.spillPath.string());
  return std::unique_ptr<EventLog>(new EventLogImpl(db, std::move(cfg), clock,
                                                    Metrics::build(registry), std::move(*sink),
                                                    std::move(*spill), *epoch, *lastSeq));
}

}  // namespace bankcc::store
