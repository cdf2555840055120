// A libpq connection for the PostgreSQL run store (DESIGN §15): parameterised statements in
// text format, results owned by RAII, and every failure a PgError whose message never holds
// the DSN's password. Thread-safety: none; one connection per thread at a time (callers lock).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace writ::runtime::pg {

struct PgError : std::runtime_error {
  PgError(const std::string& what, bool lost) : std::runtime_error(what), connection_lost(lost) {}
  bool connection_lost;  // the server is unreachable (vs. a statement the server refused)
  std::string sqlstate;  // "23505" unique violation, ... ("" when none)
};

// "postgresql://..." or "postgres://..." (libpq's URI forms).
bool is_dsn(std::string_view text);
// The DSN for messages: the password (user:PASSWORD@ and password=...) replaced by "***".
std::string redact_dsn(std::string_view dsn);

class Result {
 public:
  explicit Result(pg_result* result) : result_(result) {}
  int rows() const;
  bool null(int row, int column) const;
  std::string text(int row, int column) const;
  long long integer(int row, int column) const;  // throws PgError when not an integer

 private:
  struct Free {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Free> result_;
};

using Params = std::vector<std::optional<std::string>>;  // nullopt: SQL NULL

class Connection {
 public:
  // Connects (connect_timeout 10 s unless the DSN says otherwise). Throws PgError.
  explicit Connection(const std::string& dsn);
  // Runs one statement with $1.. parameters; throws PgError (the server's message, redacted).
  Result exec(const std::string& sql, const Params& params = {});
  // Runs `sql` with no parameters (several statements allowed: schema scripts).
  void script(const std::string& sql);
  bool healthy() const;
  // Reconnects after a lost connection (throws PgError when still unreachable).
  void reset();
  const std::string& name() const { return name_; }

 private:
  struct Close {
    void operator()(pg_conn* conn) const;
  };
  PgError error(const std::string& what, pg_result* result) const;
  Result checked(pg_result* raw);

  std::string dsn_;
  std::string name_;  // redacted
  std::unique_ptr<pg_conn, Close> conn_;
};

// BEGIN ... COMMIT on `connection`; rolled back when destroyed uncommitted.
class Transaction {
 public:
  explicit Transaction(Connection& connection, const char* begin = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

}  // namespace writ::runtime::pg
