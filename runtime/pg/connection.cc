#include "runtime/pg/connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <regex>

namespace writ::runtime::pg {

namespace {

// libpq's messages end in newlines and continue on tab-indented lines: one line for ours.
std::string one_line(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void ignore_notice(void*, const char*) {}  // "relation ... already exists, skipping" and the like

}  // namespace

bool is_dsn(std::string_view text) { return text.starts_with("postgresql://") || text.starts_with("postgres://"); }

std::string redact_dsn(std::string_view dsn) {
  std::string out(dsn);
  // scheme://user:password@host -> scheme://user:***@host
  static const std::regex userinfo(R"(^(postgres(?:ql)?://[^:/@?]*):[^@/?]*@)");
  out = std::regex_replace(out, userinfo, "$1:***@", std::regex_constants::format_first_only);
  static const std::regex query_password(R"(([?&]password=)[^&]*)");
  return std::regex_replace(out, query_password, "$1***");
}

int Result::rows() const { return PQntuples(result_.get()); }
bool Result::null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
std::string Result::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}
long long Result::integer(int row, int column) const {
  const auto value = text(row, column);
  try {
    std::size_t used = 0;
    const long long n = std::stoll(value, &used);
    if (used == value.size()) return n;
  } catch (const std::exception&) {
  }
  throw PgError(fmt::format("the database returned `{}` where an integer was expected", value), false);
}
void Result::Free::operator()(pg_result* result) const { PQclear(result); }
void Connection::Close::operator()(pg_conn* conn) const { PQfinish(conn); }

Connection::Connection(const std::string& dsn) : dsn_(dsn), name_(redact_dsn(dsn)) { reset(); }

void Connection::reset() {
  // The DSN is expanded in place of `dbname`; keywords after it override it, so the default
  // timeout comes first and a DSN's own connect_timeout wins.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "writ", dsn_.c_str(), nullptr};
  conn_.reset(PQconnectdbParams(keys, values, 1));
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    const std::string why = conn_ ? one_line(PQerrorMessage(conn_.get())) : "out of memory";
    throw PgError(fmt::format("{}: cannot connect: {}", name_, redact_dsn(why)), true);
  }
  PQsetNoticeProcessor(conn_.get(), ignore_notice, nullptr);
}

bool Connection::healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

PgError Connection::error(const std::string& what, pg_result* result) const {
  const std::string why = one_line(PQerrorMessage(conn_.get()));
  PgError e(fmt::format("{}: {}: {}", name_, what, redact_dsn(why)), PQstatus(conn_.get()) != CONNECTION_OK);
  if (result) {
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) e.sqlstate = state;
  }
  return e;
}

Result Connection::exec(const std::string& sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return checked(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                              nullptr, nullptr, 0));
}

void Connection::script(const std::string& sql) { checked(PQexec(conn_.get(), sql.c_str())); }

Result Connection::checked(pg_result* raw) {
  Result result(raw);
  const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  throw error("statement failed", raw);
}

Transaction::Transaction(Connection& connection, const char* begin) : connection_(connection) {
  connection_.exec(begin);
}

Transaction::~Transaction() {
  if (done_ || !connection_.healthy()) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (const PgError&) {
    // The connection is gone or broken: the server rolls the transaction back itself.
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

}  // namespace writ::runtime::pg
