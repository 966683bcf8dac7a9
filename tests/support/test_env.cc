// SPDX-License-Identifier: Apache-2.0
#include "support/test_env.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#ifndef BANKCC_TEST_TMP
#error "BANKCC_TEST_TMP must name the build tree's scratch directory"
#endif

namespace bankcc::testing {

std::optional<std::string> postgresUrl() {
  if (const char* env = std::getenv("BANKCC_TEST_PG_URL"); env && *env) return std::string(env);
  std::ifstream in(std::string(BANKCC_TEST_TMP) + "/pg/url");
  std::string url;
  if (in && std::getline(in, url) && !url.empty()) return url;
  return std::nullopt;
}

bool requirePostgres() {
  const char* env = std::getenv("BANKCC_REQUIRE_PG");
  return env && std::string(env) == "1";
}

std::filesystem::path writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TempDir::TempDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::path(BANKCC_TEST_TMP) /
          (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(rd() % 100000));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::optional<std::string> freshPostgresDatabase(const std::string& tag) {
  auto url = postgresUrl();
  if (!url) return std::nullopt;
  const std::string prefix = "postgresql:";
  std::string conninfo = url->rfind(prefix, 0) == 0 ? url->substr(prefix.size()) : *url;
  static std::atomic<int> counter{0};
  std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_";
  for (char c : tag) name += (std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_');
  name = name.substr(0, 60);

  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach the test PostgreSQL: " + msg);
  }
  PGresult* r = PQexec(conn, ("DROP DATABASE IF EXISTS " + name).c_str());
  PQclear(r);
  r = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("CREATE DATABASE " + name + " failed: " + msg);

  // Replace dbname=bankcc_test with the new database.
  auto pos = conninfo.find("dbname=");
  if (pos != std::string::npos) {
    auto end = conninfo.find(' ', pos);
    conninfo.replace(pos, end == std::string::npos ? std::string::npos : end - pos,
                     "dbname=" + name);
  } else {
    conninfo += " dbname=" + name;
  }
  return prefix + conninfo;
}

}  // namespace bankcc::testing
