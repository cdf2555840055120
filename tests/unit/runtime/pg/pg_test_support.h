// A fresh database per test on the PostgreSQL cluster the ctest fixture `pg` started
// (tests/e2e/pg_support.py; its DSN in the file named by WRIT_TEST_PG_DSN_FILE), dropped after.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "runtime/pg/connection.h"

namespace writ::runtime::pg::test {

inline std::string cluster_dsn() {
  const char* file = std::getenv("WRIT_TEST_PG_DSN_FILE");
  REQUIRE(file != nullptr);
  std::ifstream in(file);
  std::string dsn;
  std::getline(in, dsn);
  REQUIRE(is_dsn(dsn));
  return dsn;
}

// postgresql://writ@127.0.0.1:PORT/writ -> .../NAME
inline std::string with_database(const std::string& dsn, const std::string& name) {
  return dsn.substr(0, dsn.rfind('/') + 1) + name;
}

class TempDatabase {
 public:
  TempDatabase() : admin_(cluster_dsn()) {
    static std::atomic<int> counter{0};
    name_ = fmt::format("writ_test_{}_{}", ::getpid(), counter++);
    admin_.exec("CREATE DATABASE " + name_);
    dsn_ = with_database(cluster_dsn(), name_);
  }
  ~TempDatabase() {
    try {
      admin_.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const PgError&) {
    }
  }
  const std::string& dsn() const { return dsn_; }
  // A separate connection, as another party (an operator, an attacker with SQL access).
  Connection connect() const { return Connection(dsn_); }

 private:
  Connection admin_;
  std::string name_;
  std::string dsn_;
};

}  // namespace writ::runtime::pg::test
