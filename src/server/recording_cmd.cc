// SPDX-License-Identifier: Apache-2.0
// `bankcc recording …`: exporting an encrypted call recording to a WAV file (decision 0008).

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <soci/soci.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "media/audio_file.h"
#include "media/recording_file.h"
#include "server/commands.h"
#include "server/master_key.h"
#include "server/runtime.h"
#include "store/audit_log.h"

namespace bankcc::server {
namespace {

namespace fs = std::filesystem;

/// Wipes the master key when the command is done with it.
struct KeyHolder {
  MasterKey key{};
  ~KeyHolder() { sodium_memzero(key.data(), key.size()); }
};

/// Writes `bytes` to `out` through `out`.tmp (mode 0600: it is plaintext audio). Without
/// `replace`, an `out` that appeared meanwhile is not overwritten (link() refuses).
base::Status writeAtomically(const fs::path& out, std::span<const std::uint8_t> bytes,
                             bool replace) {
  using base::Errc;
  const fs::path tmp = out.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return base::err(Errc::Io, fmt::format("cannot create {}: {}", tmp, strerror(errno)));
  std::size_t done = 0;
  int error = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(tmp.c_str());
    return base::err(Errc::Io, fmt::format("cannot write {}: {}", tmp, strerror(error)));
  }
  if (replace) {
    if (::rename(tmp.c_str(), out.c_str()) != 0) {
      error = errno;
      ::unlink(tmp.c_str());
      return base::err(Errc::Io,
                       fmt::format("cannot rename {} to {}: {}", tmp, out, strerror(error)));
    }
    return {};
  }
  if (::link(tmp.c_str(), out.c_str()) != 0) {
    error = errno;
    ::unlink(tmp.c_str());
    if (error == EEXIST) {
      return base::err(Errc::Conflict,
                       fmt::format("{} already exists; pass --force to replace it", out));
    }
    return base::err(Errc::Io, fmt::format("cannot create {}: {}", out, strerror(error)));
  }
  ::unlink(tmp.c_str());
  return {};
}

std::string seconds(std::uint64_t frames, int rate) {
  return fmt::format("{:.1f} s", static_cast<double>(frames) / rate);
}

}  // namespace

int runRecordingExport(const Overrides& overrides, const std::optional<fs::path>& keyFile,
                       const RecordingExportOptions& options) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  auto path = media::recordingPath(settings->recordingDir, options.recordingId);
  if (!path.ok()) {
    std::cerr << "bankcc: " << path.error().message << "\n";
    return kExitUsage;
  }
  const fs::path out = fs::absolute(options.out).lexically_normal();
  std::error_code ec;
  if (!options.force && fs::exists(fs::symlink_status(out, ec))) {
    return fail(base::err(base::Errc::Conflict,
                          fmt::format("{} already exists; pass --force to replace it", out)));
  }
  if (!fs::is_directory(out.parent_path(), ec)) {
    return fail(
        base::err(base::Errc::Io, fmt::format("directory {} does not exist", out.parent_path())));
  }

  KeyHolder master;
  {
    auto loaded = loadMasterKey(keyFile ? *keyFile : settings->masterKeyFile);
    if (!loaded.ok()) return fail(loaded.error());
    master.key = *loaded;
    sodium_memzero(loaded->data(), loaded->size());
  }
  auto contents = media::readRecording(*path, master.key);
  if (!contents.ok()) {
    if (contents.error().code == base::Errc::NotFound) {
      return fail(base::err(base::Errc::NotFound, fmt::format("no recording {} (looked for {})",
                                                              options.recordingId, *path)));
    }
    return fail(contents.error());
  }
  const media::RecordingContents& rec = *contents;
  const int rate = rec.info.sampleRate;
  const auto frames = rec.interleaved.size() / static_cast<std::size_t>(rec.info.channels);

  // The audit record comes first: no plaintext copy leaves without a trace.
  const store::AuditKey auditKey = store::deriveAuditKey(master.key);
  auto db = openAndMigrate(*settings);
  if (!db.ok()) return fail(db.error());
  auto session = (*db)->connect();
  if (!session.ok()) return fail(session.error());
  base::RealClock clock;
  store::AuditRecord record;
  record.at = clock.now();
  record.actor = cliActor();
  record.sourceAddress = "cli";
  record.action = "recording.exported";
  record.targetType = "recording";
  record.targetId = rec.info.recordingId;
  record.outcome = "success";
  const auto durationMs = static_cast<std::int64_t>(frames * 1000 / static_cast<std::size_t>(rate));
  record.details =
      nlohmann::json{{"file", out.string()},
                     {"duration_ms", durationMs},
                     {"complete", rec.complete},
                     {"missing_ms", static_cast<std::int64_t>(rec.gapFrames * 1000 /
                                                              static_cast<std::uint64_t>(rate))}}
          .dump();
  auto audited = store::appendAudit(**session, auditKey, record);
  if (!audited.ok()) return fail(audited.error());

  auto wav = media::encodeWavPcm16(rec.interleaved, rec.info.channels, rate);
  auto written = writeAtomically(out, wav, options.force);
  sodium_memzero(wav.data(), wav.size());
  if (!written.ok()) {
    // Best effort: the record above says an export happened; this one says it did not land.
    record.action = "recording.export_failed";
    record.outcome = "failure";
    record.at = clock.now();
    record.id.clear();
    record.details =
        nlohmann::json{{"file", out.string()}, {"error", written.error().message}}.dump();
    (void)store::appendAudit(**session, auditKey, std::move(record));
    return fail(written.error());
  }

  if (!rec.finalChunk) {
    std::cerr << fmt::format(
        "bankcc: warning: recording {} is incomplete: its end is missing (the call was still "
        "being recorded, or the server stopped while writing it); exported the {} there are\n",
        rec.info.recordingId, seconds(frames, rate));
  }
  if (rec.gapFrames > 0) {
    std::cerr << fmt::format(
        "bankcc: warning: recording {} is incomplete: {} were lost while recording (the disk "
        "could not keep up) and are silence in the export\n",
        rec.info.recordingId, seconds(rec.gapFrames, rate));
  }
  std::cout << fmt::format("exported recording {} to {}: {}, {}\n", rec.info.recordingId, out,
                           seconds(frames, rate), rec.complete ? "complete" : "incomplete");
  return kExitOk;
}

}  // namespace bankcc::server
