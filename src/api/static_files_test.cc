// SPDX-License-Identifier: Apache-2.0
#include "api/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/test_env.h"

namespace bankcc::api {
namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string headerOf(const Response& response, std::string_view name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return {};
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "dist";
    writeFile(root_ / "index.html", "<!doctype html><title>bankcc</title>");
    writeFile(root_ / "assets" / "app.1234.js", "console.log(1)");
    writeFile(root_ / "assets" / "app.1234.css", "body{}");
    writeFile(root_ / "assets" / "app.1234.js.map", "{}");
    writeFile(root_ / "assets" / "logo.svg", "<svg/>");
    writeFile(root_ / "favicon.ico", "ico");
    writeFile(root_ / "robots.txt", "User-agent: *");
    writeFile(root_ / "data" / "x.json", "{}");
    writeFile(root_ / "blob.bin", "\x01\x02");
    writeFile(root_ / ".env", "SECRET=1");
    writeFile(dir_.path() / "secret.txt", "outside the root");
    fs::create_directories(dir_.path() / "outside-dir");
    writeFile(dir_.path() / "outside-dir" / "file.txt", "outside too");
    fs::create_symlink(dir_.path() / "secret.txt", root_ / "escape.txt");
    fs::create_symlink(dir_.path() / "outside-dir", root_ / "linked");
    fs::create_symlink(root_ / "robots.txt", root_ / "inside-link.txt");
    auto files = StaticFiles::open(root_);
    ASSERT_TRUE(files.ok()) << files.error().describe();
    files_.emplace(std::move(files).value());
  }

  std::optional<Response> get(const std::string& path, const std::string& method = "GET",
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request;
    request.method = method;
    request.path = path;
    request.target = path;
    request.headers = std::move(headers);
    return files_->serve(request);
  }

  testing::TempDir dir_{"static-files"};
  fs::path root_;
  std::optional<StaticFiles> files_;
};

TEST_F(StaticFilesTest, OpenRequiresADirectory) {
  auto missing = StaticFiles::open(dir_.path() / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::NotFound);
  auto file = StaticFiles::open(dir_.path() / "secret.txt");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, base::Errc::ValidationFailed);
  EXPECT_EQ(files_->root(), fs::canonical(root_));
}

TEST_F(StaticFilesTest, ServesFilesWithTheirContentType) {
  struct Case {
    std::string path, type;
  };
  for (const auto& [path, type] : std::vector<Case>{
           {"/index.html", "text/html; charset=utf-8"},
           {"/assets/app.1234.js", "text/javascript; charset=utf-8"},
           {"/assets/app.1234.css", "text/css; charset=utf-8"},
           {"/assets/app.1234.js.map", "application/json"},
           {"/assets/logo.svg", "image/svg+xml"},
           {"/favicon.ico", "image/x-icon"},
           {"/robots.txt", "text/plain; charset=utf-8"},
           {"/data/x.json", "application/json"},
           {"/blob.bin", "application/octet-stream"},
           {"/inside-link.txt", "text/plain; charset=utf-8"},
       }) {
    auto response = get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 200) << path;
    EXPECT_EQ(response->contentType, type) << path;
  }
  EXPECT_EQ(get("/assets/app.1234.js")->body, "console.log(1)");
}

TEST_F(StaticFilesTest, CachingHeaders) {
  auto asset = get("/assets/app.1234.js");
  EXPECT_EQ(headerOf(*asset, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(headerOf(*asset, "Content-Security-Policy"), "");
  auto index = get("/");
  EXPECT_EQ(headerOf(*index, "Cache-Control"), "no-cache");
  EXPECT_EQ(headerOf(*index, "Content-Security-Policy"),
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'");
  EXPECT_EQ(headerOf(*get("/robots.txt"), "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, SpaFallbackForPathsWithoutExtension) {
  for (const char* path : {"/", "/agents", "/queues/retail/members", "/assets", "/data"}) {
    auto response = get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 200) << path;
    EXPECT_EQ(response->body, "<!doctype html><title>bankcc</title>") << path;
    EXPECT_EQ(headerOf(*response, "Cache-Control"), "no-cache") << path;
  }
  // With an extension it is a file or nothing.
  EXPECT_EQ(get("/assets/missing.js")->status, 404);
  EXPECT_EQ(get("/nope.png")->status, 404);
  EXPECT_EQ(get("/nope.png")->contentType, "application/json");
}

TEST_F(StaticFilesTest, NotOursForApiPathsAndOtherMethods) {
  EXPECT_FALSE(get("/api/v1/agents"));
  EXPECT_FALSE(get("/api"));
  EXPECT_FALSE(get("/index.html", "POST"));
  EXPECT_FALSE(get("/", "DELETE"));
  EXPECT_TRUE(get("/apiary"));  // only the /api/ prefix
}

TEST_F(StaticFilesTest, RefusesTraversal) {
  for (const char* path : {"/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/a/..%2f..%2fx",
                           "/..\\x", "/assets/%00.js", "/%2E%2E/secret.txt", "/./index.html",
                           "/assets/..", "/x%2fy", "/x%5cy", "/bad%zzescape", "/trailing%2"}) {
    auto response = get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 400) << path;
    EXPECT_NE(response->body.find(R"("code":"bad_request")"), std::string::npos) << path;
  }
  auto nul = get(std::string("/index.html\0x", 13));
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->status, 400);
  // A doubled slash does not make the path absolute: a file in the root or nothing.
  auto absolute = get("//etc/hostname.txt");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->status, 404);
  auto absoluteRoute = get("//etc/passwd");  // no extension: the app's index
  ASSERT_TRUE(absoluteRoute);
  EXPECT_EQ(absoluteRoute->body, "<!doctype html><title>bankcc</title>");
}

TEST_F(StaticFilesTest, SymlinksLeavingTheRootAreRefused) {
  auto escape = get("/escape.txt");
  ASSERT_TRUE(escape);
  EXPECT_EQ(escape->status, 404);
  EXPECT_EQ(escape->body.find("outside"), std::string::npos);
  auto viaDir = get("/linked/file.txt");
  ASSERT_TRUE(viaDir);
  EXPECT_EQ(viaDir->status, 404);
}

TEST_F(StaticFilesTest, HiddenFilesAreNotServed) {
  EXPECT_EQ(get("/.env")->status, 404);
  EXPECT_EQ(get("/%2eenv")->status, 404);
}

TEST_F(StaticFilesTest, EtagAndNotModified) {
  auto first = get("/assets/app.1234.js");
  const std::string etag = headerOf(*first, "ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(headerOf(*get("/assets/app.1234.js"), "ETag"), etag);  // stable

  auto notModified = get("/assets/app.1234.js", "GET", {{"if-none-match", etag}});
  EXPECT_EQ(notModified->status, 304);
  EXPECT_TRUE(notModified->body.empty());
  EXPECT_EQ(headerOf(*notModified, "ETag"), etag);
  EXPECT_EQ(get("/assets/app.1234.js", "GET", {{"if-none-match", "\"other\", W/" + etag}})->status,
            304);
  EXPECT_EQ(get("/assets/app.1234.js", "GET", {{"if-none-match", "*"}})->status, 304);
  EXPECT_EQ(get("/assets/app.1234.js", "GET", {{"if-none-match", "\"other\""}})->status, 200);

  // A new deploy changes the tag.
  writeFile(root_ / "assets" / "app.1234.js", "console.log(22)");
  EXPECT_NE(headerOf(*get("/assets/app.1234.js"), "ETag"), etag);
  EXPECT_EQ(get("/assets/app.1234.js", "GET", {{"if-none-match", etag}})->status, 200);
}

TEST_F(StaticFilesTest, HeadLooksLikeGet) {
  auto head = get("/robots.txt", "HEAD");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  // The transport drops the body of a HEAD response but sends its length.
  EXPECT_EQ(head->body, "User-agent: *");
  EXPECT_EQ(head->contentType, "text/plain; charset=utf-8");
}

TEST_F(StaticFilesTest, FilesOver32MiBAreNotServed) {
  {
    std::ofstream big(root_ / "big.bin", std::ios::binary);
    big.seekp((32 << 20) + 1);
    big.put('x');
  }
  EXPECT_EQ(get("/big.bin")->status, 404);
}

}  // namespace
}  // namespace bankcc::api
