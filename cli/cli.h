#pragma once

// What every `vpvm` command shares: the global options, the connection to vpvmd (opened on the
// first call), the terminal, and where output goes. Each command registers itself on the
// CLI11 app and sets, when it is the one chosen, the action that Run() carries out.

#include <functional>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/client/connection.h"
#include "cli/client/connection_settings.h"
#include "common/status_macros.h"
#include "google/protobuf/message.h"

namespace vpvm::cli {

// Documented in the README; distinct for what scripts need to tell apart.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitUnauthenticated = 3,
  kExitNotFound = 4,
  kExitPermissionDenied = 5,
  kExitUnreachable = 6,
  kExitUntrusted = 7,
  kExitThrottled = 8,
};

int ExitCodeFor(const absl::Status& status);

// The one line printed for `status` (without the "vpvm: " prefix).
std::string ErrorMessage(const absl::Status& status);

class Cli {
 public:
  // The global options, on `app` (and, by fallthrough, after any command).
  void AddGlobalOptions(CLI::App& app);

  // Called from a command's callback: what runs once the whole line is parsed.
  void SetAction(std::function<absl::Status()> action) { action_ = std::move(action); }
  bool HasAction() const { return static_cast<bool>(action_); }
  absl::Status RunAction() { return action_(); }

  absl::StatusOr<client::ConnectionSettings> Settings() const;
  absl::StatusOr<client::Connection*> Connect();

  // One unary call to the daemon.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request) {
    VPVM_ASSIGN_OR_RETURN(client::Connection * connection, Connect());
    Stub stub(connection->channel());
    return connection->Call(stub, method, request);
  }

  // Calls a list `method` page after page, from `request`'s page on, and returns one response
  // holding every item (its repeated fields appended, its next_page_token empty).
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> CallAllPages(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                     const Request&, Response*),
                                        Request request) {
    Response all;
    do {
      VPVM_ASSIGN_OR_RETURN(Response page, Call(method, request));
      request.set_page_token(page.next_page_token());
      page.clear_next_page_token();
      all.MergeFrom(page);
    } while (!request.page_token().empty());
    return all;
  }

  bool json() const { return output_ == "json"; }
  // Prints `message` as JSON when -o json was asked for, else `human`.
  void Show(const google::protobuf::Message& message, const std::string& human) const;
  void Print(const std::string& text) const;
  // A remark for the user on stderr, kept out of what scripts read.
  void Note(const std::string& text) const;
  bool colour() const { return colour_; }

  // On a terminal asks `question`; Cancelled when declined. Without a terminal InvalidArgument
  // telling to pass --yes, unless `yes`.
  absl::Status Confirm(const std::string& question, bool yes) const;

  absl::Time Now() const { return absl::Now(); }
  const absl::TimeZone& zone() const { return zone_; }

 private:
  client::SettingsLayer flags_;
  std::string config_file_;
  std::string output_ = "table";
  int port_ = 0;
  bool insecure_ = false;
  bool colour_ = false;
  absl::TimeZone zone_;

  std::function<absl::Status()> action_;
  std::unique_ptr<client::Connection> connection_;

  friend int Run(int argc, char** argv);
  void Init();
};

// Parses `argv`, runs the chosen command and returns the process's exit code.
int Run(int argc, char** argv);

}  // namespace vpvm::cli
