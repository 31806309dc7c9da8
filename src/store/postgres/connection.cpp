#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include "store/store.hpp"

namespace livechat::store::postgres {
namespace {

// libpq's own message ends with a newline; the store's errors are one line.
std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "unknown error";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

connection::connection(const std::string& url) {
  // Keywords are read in order and a later one wins, so the URL (expanded from "dbname") may
  // override these defaults.
  const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* const values[] = {"5", "livechat", url.c_str(), nullptr};
  connection_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (connection_ == nullptr) throw store_error("postgres: out of memory");
  if (PQstatus(connection_) != CONNECTION_OK) {
    const std::string message = trimmed(PQerrorMessage(connection_));
    PQfinish(connection_);
    connection_ = nullptr;
    throw store_error("postgres: cannot connect: " + message);
  }
  // libpq prints the server's notices ("relation already exists, skipping") to stderr; the
  // store has nothing to say about them.
  PQsetNoticeProcessor(connection_, [](void*, const char*) {}, nullptr);
  try {
    // A server configured for asynchronous commits would acknowledge what a crash then loses;
    // the store promises the opposite.
    execute("SET synchronous_commit = on");
  } catch (...) {
    PQfinish(connection_);
    throw;
  }
}

connection::~connection() { PQfinish(connection_); }

std::string connection::to_parameter(std::string_view value) {
  // Text parameters end at their first NUL, and PostgreSQL's text type cannot hold one: refuse
  // rather than keep a silently shortened value.
  if (value.find('\0') != std::string_view::npos) {
    throw store_error("postgres: text with a NUL character (U+0000) cannot be stored");
  }
  return std::string(value);
}

void connection::execute(const std::string& sql) {
  PGresult* handle = PQexec(connection_, sql.c_str());
  const ExecStatusType status = PQresultStatus(handle);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(handle, sql);
  PQclear(handle);
}

result connection::run_prepared(std::string_view sql, const std::vector<std::string>& parameters) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = "livechat_" + std::to_string(prepared_.size() + 1);
    const std::string text{sql};
    PGresult* prepared = PQprepare(connection_, name.c_str(), text.c_str(), 0, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) fail(prepared, "prepare '" + text + "'");
    PQclear(prepared);
    found = prepared_.emplace(text, std::move(name)).first;
  }

  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const std::string& parameter : parameters) values.push_back(parameter.c_str());
  PGresult* handle = PQexecPrepared(connection_, found->second.c_str(),
                                    static_cast<int>(values.size()), values.data(), nullptr,
                                    nullptr, /*resultFormat=*/0);
  const ExecStatusType status = PQresultStatus(handle);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(handle, found->first);
  return result{handle};
}

bool connection::reusable() const {
  return PQstatus(connection_) == CONNECTION_OK &&
         PQtransactionStatus(connection_) == PQTRANS_IDLE;
}

void connection::fail(PGresult* handle, std::string_view context) const {
  // A lost connection leaves no result at all; the connection then carries the message.
  std::string message = handle != nullptr ? trimmed(PQresultErrorMessage(handle)) : std::string{};
  if (message.empty()) message = trimmed(PQerrorMessage(connection_));
  PQclear(handle);
  throw store_error("postgres: " + std::string(context) + ": " + message);
}

}  // namespace livechat::store::postgres
