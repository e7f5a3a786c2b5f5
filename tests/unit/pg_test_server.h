// A real PostgreSQL server for unit tests, driven through tests/integration/postgres.sh (the
// same initdb-as-an-unprivileged-user setup the integration tests use): started once per test
// suite, stopped exactly at its end, one fresh database per test. Tests skip with a loud
// message only when the postgres binaries are missing.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "fcgi/store/pg_connection.h"
#include "fcgi/store/pg_schema.h"

namespace deepgate::testing {

class PgTestServer {
 public:
  // nullptr (after printing why) when the binaries are missing; a failed start fails the test.
  static std::unique_ptr<PgTestServer> Start() {
    if (Shell("pg_available") != 0) {
      std::fprintf(stderr, "\n*** SKIP: PostgreSQL binaries missing (scripts/install-deps.sh installs postgresql); "
                           "the PostgreSQL key store tests did NOT run ***\n\n");
      return nullptr;
    }
    std::string t = (std::filesystem::temp_directory_path() / "dg-pgtest-XXXXXX").string();
    if (mkdtemp(t.data()) == nullptr) return nullptr;
    std::filesystem::permissions(t, std::filesystem::perms(0711));  // the server's user must reach DIR
    std::unique_ptr<PgTestServer> s(new PgTestServer(t));
    if (Shell("pg_start " + s->dir_) != 0) {
      ADD_FAILURE() << "could not start PostgreSQL in " << s->dir_;
      return nullptr;
    }
    return s;
  }
  ~PgTestServer() {
    (void)Shell("pg_stop " + dir_);
    std::filesystem::remove_all(root_);
  }

  std::string Dsn(const std::string& db) const { return Output("pg_dsn " + dir_ + " " + db); }
  std::string password() const { return Output("cat " + dir_ + "/password"); }
  void Kill() const { ASSERT_EQ(Shell("pg_kill " + dir_), 0); }
  void Restart() const { ASSERT_EQ(Shell("pg_restart " + dir_), 0); }
  // SIGSTOP / SIGCONT every server process: a hung server (connections open, no answers).
  void Freeze() const { ASSERT_EQ(Shell("for p in $(pg_server_pids " + dir_ + "); do kill -STOP $p; done"), 0); }
  void Thaw() const { ASSERT_EQ(Shell("for p in $(pg_server_pids " + dir_ + "); do kill -CONT $p; done"), 0); }

  // A new, empty database; with_schema: `deepgate store init` done.
  std::string NewDatabase(bool with_schema) {
    const std::string db = "t" + std::to_string(++databases_);
    auto admin = fcgi::store::PgConnection::Connect(Dsn("postgres"), {});
    EXPECT_TRUE(admin.ok()) << admin.status().message();
    if (!admin.ok()) return "";
    EXPECT_TRUE((*admin)->Script("CREATE DATABASE " + db).ok());
    if (with_schema) {
      auto c = fcgi::store::PgConnection::Connect(Dsn(db), {});
      EXPECT_TRUE(c.ok());
      if (c.ok()) {
        EXPECT_TRUE(fcgi::store::PgMigrate(**c).ok());
      }
    }
    return Dsn(db);
  }

 private:
  explicit PgTestServer(std::string root) : root_(root), dir_(root + "/pg") {}
  static std::string Script() { return std::string(DEEPGATE_TEST_SOURCE_DIR) + "/tests/integration/postgres.sh"; }
  static int Shell(const std::string& cmd) {
    const std::string full = "bash -c 'source " + Script() + " && " + cmd + "'";
    const int rc = std::system(full.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  std::string Output(const std::string& cmd) const {
    const std::string out = root_ + "/out";
    if (Shell(cmd + " > " + out) != 0) return "";
    std::ifstream f(out);
    std::string line;
    std::getline(f, line);
    return line;
  }

  std::string root_, dir_;
  int databases_ = 0;
};

}  // namespace deepgate::testing
