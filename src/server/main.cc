// SPDX-License-Identifier: Apache-2.0
// bankcc: the composition root. Parses the command line and runs a subcommand.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "server/commands.h"
#include "server/version.h"

int main(int argc, char** argv) {
  using namespace bankcc::server;
  CLI::App app{"bankcc: contact-center platform for banks"};
  app.set_version_flag("--version", std::string("bankcc ") + kVersion);
  app.require_subcommand(1);

  std::string configFile, dataDir, http, sip, masterKey, seedFile, outFile;
  auto addCommon = [&](CLI::App* cmd) {
    cmd->add_option("--config", configFile, "configuration file (bankcc.toml)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--data-dir", dataDir, "data directory (overrides [server] data_dir)");
  };

  auto* serve = app.add_subcommand("serve", "run the server");
  auto* demo = app.add_subcommand(
      "demo", "run the server and load the demo organisation from --seed on first start");
  for (auto* cmd : {serve, demo}) {
    addCommon(cmd);
    cmd->add_option("--http", http, "HTTP listen address ADDR:PORT (port 0 picks one)");
    cmd->add_option("--sip", sip, "SIP listen address ADDR:PORT, UDP and TCP (port 0 picks one)");
    cmd->add_option("--master-key", masterKey,
                    "master key file (overrides [keys] master_key_file)");
  }
  demo->add_option("--seed", seedFile, "organisation seed file")
      ->required()
      ->check(CLI::ExistingFile);

  auto* admin = app.add_subcommand("admin", "administration commands");
  admin->require_subcommand(1);
  auto* initKeys = admin->add_subcommand("init-keys", "create the master key file");
  addCommon(initKeys);
  initKeys->add_option("--master-key", masterKey, "where to create it");
  auto* migrate = admin->add_subcommand("migrate", "apply pending database migrations");
  addCommon(migrate);
  auto* backup = admin->add_subcommand("backup", "copy the database to a file (SQLite)");
  addCommon(backup);
  backup->add_option("--out", outFile, "backup file to create")->required();
  auto* checkConfig = admin->add_subcommand(
      "check-config", "validate the configuration and print the effective settings");
  addCommon(checkConfig);
  checkConfig->add_option("--http", http, "HTTP listen address ADDR:PORT");
  checkConfig->add_option("--sip", sip, "SIP listen address ADDR:PORT");
  auto* seed =
      admin->add_subcommand("seed", "load an organisation seed file into an empty database");
  addCommon(seed);
  seed->add_option("--file", seedFile, "seed file (e.g. config/seed.toml)")
      ->required()
      ->check(CLI::ExistingFile);

  std::string username, displayName;
  std::vector<std::string> roles;
  bool passwordStdin = false;
  auto* createUser = admin->add_subcommand(
      "create-user", "create a user with a password read from stdin (not forced to change)");
  addCommon(createUser);
  createUser->add_option("--master-key", masterKey, "master key file (for the audit record)");
  createUser->add_option("--username", username, "login name (a-z, 0-9, . _ -)")->required();
  createUser->add_option("--display-name", displayName, "name shown (default: the username)");
  createUser
      ->add_option("--role", roles,
                   "role (repeatable): agent, supervisor, qa, planner, "
                   "marketing, admin, auditor")
      ->required();
  createUser->add_flag("--password-stdin", passwordStdin, "read the password from stdin")
      ->required();
  PhonePasswordOptions phoneOptions;
  auto* setPhonePassword = admin->add_subcommand(
      "set-phone-password",
      "let an agent phone (SIP extension) register with a password read from stdin");
  addCommon(setPhonePassword);
  setPhonePassword->add_option("--master-key", masterKey, "master key file");
  setPhonePassword->add_option("--extension", phoneOptions.extension, "extension, e.g. 8001")
      ->required();
  setPhonePassword->add_flag("--auto-answer", phoneOptions.autoAnswer,
                             "the phone answers when the INVITE says answer-after=0");
  bool phonePasswordStdin = false;
  setPhonePassword->add_flag("--password-stdin", phonePasswordStdin, "read the password from stdin")
      ->required();
  auto* verifyAudit =
      admin->add_subcommand("verify-audit", "check the audit log's hash chain and signatures");
  addCommon(verifyAudit);
  verifyAudit->add_option("--master-key", masterKey, "master key file");

  auto* recording = app.add_subcommand("recording", "call recordings");
  recording->require_subcommand(1);
  RecordingExportOptions exportOptions;
  std::string exportOut;
  auto* recordingExport = recording->add_subcommand(
      "export", "decrypt a recording into a stereo WAV file (customer left, agent right)");
  addCommon(recordingExport);
  recordingExport->add_option("ID", exportOptions.recordingId, "the recording's id (UUIDv7)")
      ->required();
  recordingExport->add_option("--out", exportOut, "WAV file to write")->required();
  recordingExport->add_flag("--force", exportOptions.force, "replace an existing --out file");
  recordingExport->add_option("--master-key", masterKey,
                              "master key file (overrides [keys] master_key_file)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  Overrides overrides;
  if (!configFile.empty()) overrides.configFile = configFile;
  if (!dataDir.empty()) overrides.dataDir = dataDir;
  if (!http.empty()) overrides.http = http;
  if (!sip.empty()) overrides.sip = sip;
  std::optional<std::filesystem::path> keyFile;
  if (!masterKey.empty()) keyFile = masterKey;

  if (serve->parsed() || demo->parsed()) {
    ServeOptions options{overrides, keyFile, std::nullopt};
    if (demo->parsed()) options.seedFile = seedFile;
    return runServe(options);
  }
  if (initKeys->parsed()) return runInitKeys(overrides, keyFile);
  if (migrate->parsed()) return runMigrate(overrides);
  if (backup->parsed()) return runBackup(overrides, outFile);
  if (seed->parsed()) return runSeed(overrides, seedFile);
  if (checkConfig->parsed()) return runCheckConfig(overrides);
  if (createUser->parsed()) {
    return runCreateUser(
        overrides, keyFile,
        CreateUserOptions{username, displayName.empty() ? username : displayName, roles});
  }
  if (verifyAudit->parsed()) return runVerifyAudit(overrides, keyFile);
  if (setPhonePassword->parsed()) return runSetPhonePassword(overrides, keyFile, phoneOptions);
  if (recordingExport->parsed()) {
    exportOptions.out = exportOut;
    return runRecordingExport(overrides, keyFile, exportOptions);
  }
  std::cerr << app.help();
  return kExitUsage;
}
