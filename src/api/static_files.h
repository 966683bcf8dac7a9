// SPDX-License-Identifier: Apache-2.0
#pragma once

// The web client's files (the built single-page app) served from one directory. Paths under
// /api/ are not ours; anything else is a file of the directory, or index.html for paths that
// look like client-side routes (no extension). Requests that try to leave the directory
// (dot segments, encoded slashes, backslashes, NUL, symlinks pointing outside) are refused.
// Threads: immutable after open(); serve() may run on any thread at once.

#include <filesystem>
#include <optional>

#include "api/http.h"
#include "base/result.h"

namespace bankcc::api {

class StaticFiles {
 public:
  /// Serves `root`, which must be an existing directory: NotFound when it does not exist,
  /// ValidationFailed when it is not a directory.
  static base::Result<StaticFiles> open(std::filesystem::path root);

  /// Serves GET/HEAD for paths not under /api/: the exact file, or the root index.html for paths
  /// without an extension (SPA fallback); nullopt when the request is not for static files
  /// (another method, or /api/). 400 bad_request for paths that try to leave the root, 404
  /// not_found for missing, hidden (dot) or oversized (over 32 MiB) files, 304 when
  /// If-None-Match holds the file's ETag. Reads the file on each call. Any thread.
  std::optional<Response> serve(const Request& request) const;

  /// The canonical root directory.
  const std::filesystem::path& root() const { return root_; }

 private:
  explicit StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}

  Response serveFile(const std::filesystem::path& file, bool immutable,
                     const Request& request) const;

  std::filesystem::path root_;  ///< canonical, no symlinks
};

}  // namespace bankcc::api
