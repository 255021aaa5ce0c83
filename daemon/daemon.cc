#include "daemon/daemon.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/access_rules.h"
#include "daemon/dashboard/dashboard_files.h"
#include "daemon/dispatcher.h"
#include "daemon/gateway/gateway.h"
#include "daemon/gateway/http_server.h"
#include "daemon/gateway/openapi.h"
#include "daemon/grpc_services.h"
#include "daemon/logging.h"
#include "daemon/session_handlers.h"
#include "daemon/sessions.h"
#include "daemon/state_dir.h"
#include "daemon/system_handlers.h"
#include "daemon/tls_identity.h"
#include "daemon/token_handlers.h"
#include "daemon/vm_handlers.h"
#include "daemon/vm_manager.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "libauth/clock.h"
#include "libauth/last_used_recorder.h"
#include "libauth/master_token.h"
#include "libauth/token_store.h"
#include "nlohmann/json.hpp"

namespace vpvm::daemon {
namespace {

constexpr char kCertificateFile[] = "cert.pem";
constexpr char kKeyFile[] = "key.pem";

struct TlsMaterial {
  TlsIdentity identity;
  bool generated = false;  // new: to be written to the state folder once started
};

absl::StatusOr<TlsMaterial> ResolveTls(const DaemonOptions& options, const StateDir& state) {
  TlsMaterial tls;
  if (!options.tls_certificate.empty()) {
    VPVM_ASSIGN_OR_RETURN(tls.identity, LoadTlsIdentity(options.tls_certificate, options.tls_key));
    return tls;
  }
  const std::string certificate = state.TlsDir() + "/" + kCertificateFile;
  const std::string key = state.TlsDir() + "/" + kKeyFile;
  if (std::filesystem::exists(certificate) || std::filesystem::exists(key)) {
    VPVM_ASSIGN_OR_RETURN(tls.identity, LoadTlsIdentity(certificate, key));
    return tls;
  }
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  VPVM_ASSIGN_OR_RETURN(tls.identity, GenerateSelfSignedIdentity(host));
  tls.generated = true;
  return tls;
}

absl::Status WriteTls(const TlsMaterial& tls, const StateDir& state) {
  if (!tls.generated) return absl::OkStatus();
  VPVM_RETURN_IF_ERROR(MakePrivateDirs(state.TlsDir()));
  VPVM_RETURN_IF_ERROR(
      WriteFileAtomically(state.TlsDir() + "/" + kKeyFile, tls.identity.private_key_pem));
  return WriteFileAtomically(state.TlsDir() + "/" + kCertificateFile, tls.identity.certificate_pem);
}

// Binds `address` once, without SO_REUSEPORT, to learn whether it is free: gRPC would otherwise
// share a port with another daemon silently, or fail without saying why.
absl::Status CheckPortFree(const std::string& address, const std::string& flag) {
  const size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (port == "0") return absl::OkStatus();
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int error =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
      error != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", address, ": ", ::gai_strerror(error)));
  }
  absl::Status status = absl::OkStatus();
  for (addrinfo* a = found; a != nullptr && status.ok(); a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      status = absl::UnavailableError(
          absl::StrCat("cannot listen on ", address, " (", flag, "): ", std::strerror(errno)));
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return status;
}

// A socket file that answers belongs to a running daemon; one that does not is left over.
absl::Status PrepareSocketPath(const std::string& path) {
  VPVM_RETURN_IF_ERROR(MakePrivateDirs(std::filesystem::path(path).parent_path().string()));
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return absl::OkStatus();
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a socket"));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool answered = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  if (answered) {
    return absl::FailedPreconditionError(
        absl::StrCat("another vpvmd is listening on the socket ", path));
  }
  ::unlink(path.c_str());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<auth::TokenStore>> OpenStore(const StateDir& state,
                                                            const auth::Clock& clock,
                                                            auth::RandomSource& random) {
  VPVM_ASSIGN_OR_RETURN(auto store, auth::TokenStore::Open(state.DatabasePath(), clock, random));
  VPVM_ASSIGN_OR_RETURN(bool created, auth::EnsureMasterToken(*store, state.MasterTokenPath()));
  if (created) {
    Logger("auth")->info("created the master token; its secret is in {}", state.MasterTokenPath());
  }
  return store;
}

// Every VM of the host, its QEMUs reattached; a renamed VM's new name is recorded in the tokens
// that list it.
absl::StatusOr<std::unique_ptr<VmManager>> OpenVms(const DaemonOptions& options,
                                                   const StateDir& state, auth::TokenStore& store,
                                                   const auth::Clock& clock,
                                                   auth::RandomSource& random) {
  VmManager::Options vm_options;
  vm_options.folder = state.VmsDir();
  vm_options.stop_timeout = options.stop_timeout;
  vm_options.on_rename = [&store](absl::string_view id, absl::string_view name) {
    return store.RecordVmName(id, name);
  };
  return VmManager::Open(std::move(vm_options), random, clock);
}

// Blocks SIGTERM and SIGINT in every thread started after it, so that one thread can wait for
// them with sigwait.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// The dashboard's files as the gateway serves them.
absl::flat_hash_map<std::string, std::pair<std::string, std::string>> DashboardStaticFiles() {
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> files;
  for (const DashboardFile& file : DashboardFiles()) {
    files[std::string(file.path)] = {std::string(file.content_type), std::string(file.body)};
  }
  return files;
}

// A state folder that vpvmd did not make keeps the mode it had. Its files are private anyway,
// but others may list them; say so rather than change the mode of a folder the user chose.
void WarnIfOpen(const std::string& state_dir, spdlog::logger& log) {
  std::error_code error;
  const auto permissions = std::filesystem::status(state_dir, error).permissions();
  if (error) return;
  const auto others = std::filesystem::perms::group_all | std::filesystem::perms::others_all;
  if ((permissions & others) != std::filesystem::perms::none) {
    log.warn("the state folder {} is open to other users (mode {:o}); chmod 700 it", state_dir,
             static_cast<unsigned>(permissions & std::filesystem::perms::mask));
  }
}

}  // namespace

absl::Status RunDaemon(const DaemonOptions& options) {
  ::umask(077);
  VPVM_RETURN_IF_ERROR(SetLogLevel(options.log_level));
  Logger("qemu");  // made here, the QEMU backend's logger writes in the daemon's format
  const sigset_t stop_signals = BlockStopSignals();
  auto log = Logger("daemon");

  // 1. Refuse early, writing nothing that was there: the lock, the TLS identity (in memory),
  // the addresses.
  VPVM_ASSIGN_OR_RETURN(auto state, StateDir::OpenAndLock(options.state_dir));
  const bool remote = options.listen != "off";
  const bool http = options.http_listen != "off";
  TlsMaterial tls;
  if ((remote || http) && options.tls) {
    VPVM_ASSIGN_OR_RETURN(tls, ResolveTls(options, *state));
  }
  if (remote) VPVM_RETURN_IF_ERROR(CheckPortFree(options.listen, "--listen"));
  std::unique_ptr<gateway::HttpServer> http_server;
  std::unique_ptr<gateway::Gateway> http_gateway;
  if (http) {
    gateway::HttpServerOptions http_options;
    if (options.tls) {
      http_options.certificate_pem = tls.identity.certificate_pem;
      http_options.private_key_pem = tls.identity.private_key_pem;
    }
    http_options.read_timeout = options.http_read_timeout;
    http_options.error_response = gateway::HttpErrorResponse;
    absl::StatusOr<std::unique_ptr<gateway::HttpServer>> bound =
        gateway::HttpServer::Bind(options.http_listen, std::move(http_options),
                                  [&http_gateway](const gateway::HttpRequest& request) {
                                    return http_gateway->Handle(request);
                                  });
    if (!bound.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--http-listen: ", bound.status().message()));
    }
    http_server = *std::move(bound);
  }
  VPVM_RETURN_IF_ERROR(PrepareSocketPath(options.socket_path));

  // 2. The parts.
  auth::SystemClock clock;
  auth::OsRandom random;
  VPVM_ASSIGN_OR_RETURN(std::unique_ptr<auth::TokenStore> store, OpenStore(*state, clock, random));
  VPVM_RETURN_IF_ERROR(WriteTls(tls, *state));
  auth::LastUsedRecorder recorder(*store);
  FailureThrottle throttle(clock, options.throttle);
  VPVM_ASSIGN_OR_RETURN(std::unique_ptr<VmManager> vms,
                        OpenVms(options, *state, *store, clock, random));
  VPVM_ASSIGN_OR_RETURN(AccessRules rules, AccessRules::Load());
  Dispatcher dispatcher(rules, *store, recorder, throttle, *vms, clock);
  SessionStore sessions(clock, random,
                        SessionStore::Options{.idle_timeout = options.session_idle_timeout});
  TokenHandlers token_handlers(*store, *vms, recorder, clock, sessions, state->MasterTokenPath());
  token_handlers.Register(dispatcher);
  SessionHandlers session_handlers(*store, sessions, throttle, clock);
  session_handlers.Register(dispatcher);
  SystemHandlers system_handlers(clock, *vms);
  system_handlers.Register(dispatcher);
  VmHandlers vm_handlers(*vms);
  vm_handlers.Register(dispatcher);
  if (http) {
    VPVM_ASSIGN_OR_RETURN(gateway::RouteTable routes, gateway::RouteTable::Build(ApiServices()));
    http_gateway = std::make_unique<gateway::Gateway>(
        std::move(routes), dispatcher, throttle, sessions,
        gateway::GatewayOptions{.trusted_proxies = options.trusted_proxies,
                                .documents = {{std::string(gateway::kOpenApiPath),
                                               std::string(gateway::OpenApiDocument())}},
                                .static_files = DashboardStaticFiles()});
  }

  // 3. Listen.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort("unix:" + options.socket_path, grpc::InsecureServerCredentials());
  int tcp_port = 0;
  if (remote) {
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (options.tls) {
      grpc::SslServerCredentialsOptions ssl;
      ssl.pem_key_cert_pairs.push_back(
          {tls.identity.private_key_pem, tls.identity.certificate_pem});
      credentials = grpc::SslServerCredentials(ssl);
    }
    builder.AddListeningPort(options.listen, credentials, &tcp_port);
  }
  VmServiceGrpc vm_service(dispatcher);
  HostServiceGrpc host_service(dispatcher);
  TokenServiceGrpc token_service(dispatcher);
  SessionServiceGrpc session_service(dispatcher);
  SystemServiceGrpc system_service(dispatcher);
  for (grpc::Service* service : std::initializer_list<grpc::Service*>{
           &vm_service, &host_service, &token_service, &session_service, &system_service}) {
    builder.RegisterService(service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (remote && tcp_port == 0)) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.socket_path,
                                               remote ? " or " + options.listen : ""));
  }

  std::string http_address;
  if (http) {
    http_server->Start();
    http_address = absl::StrCat(options.http_listen.substr(0, options.http_listen.rfind(':')), ":",
                                http_server->port());
  }

  // 4. Ready: say where.
  std::string tcp_address;
  if (remote) {
    tcp_address = absl::StrCat(options.listen.substr(0, options.listen.rfind(':')), ":", tcp_port);
  }
  nlohmann::json addresses = {{"pid", ::getpid()},
                              {"socket", options.socket_path},
                              {"grpc", tcp_address},
                              {"http", http_address},
                              {"tls", (remote || http) && options.tls},
                              {"fingerprint", tls.identity.fingerprint}};
  VPVM_RETURN_IF_ERROR(WriteFileAtomically(state->AddressesPath(), addresses.dump(2) + "\n"));
  if ((remote || http) && options.tls) {
    log->info("TLS certificate SHA-256 fingerprint {}", tls.identity.fingerprint);
  }
  log->info("vpvmd {} ready: local {}{}{}{}{}", VPVM_VERSION, options.socket_path,
            remote ? ", remote " : "", tcp_address, http ? ", HTTP " : "", http_address);
  // Warnings wait until start-up succeeded, so that a refused start stays one line.
  WarnIfOpen(options.state_dir, *log);
  if ((remote || http) && !options.tls) {
    log->warn("TLS is off: tokens cross {}{}{} in the clear", tcp_address,
              remote && http ? " and " : "", http_address);
  }

  // 5. Serve until told to stop.
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    log->info("stopping on {}", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  });
  server->Wait();
  stopper.join();
  if (http_server) http_server->Stop();

  absl::Status flushed = recorder.Stop();
  if (!flushed.ok()) log->error("could not save last-used data: {}", flushed.message());
  ::unlink(state->AddressesPath().c_str());
  ::unlink(options.socket_path.c_str());
  log->info("stopped");
  return flushed;
}

absl::Status PrintFingerprint(const DaemonOptions& options) {
  if (!options.tls_certificate.empty()) {
    VPVM_ASSIGN_OR_RETURN(TlsIdentity identity,
                          LoadTlsIdentity(options.tls_certificate, options.tls_key));
    std::printf("%s\n", identity.fingerprint.c_str());
    return absl::OkStatus();
  }
  const std::string certificate = options.state_dir + "/tls/" + kCertificateFile;
  std::error_code error;
  if (!std::filesystem::exists(certificate, error)) {
    return absl::NotFoundError(
        absl::StrCat("no certificate at ", certificate, "; vpvmd makes one on its first start"));
  }
  VPVM_ASSIGN_OR_RETURN(TlsIdentity identity,
                        LoadTlsIdentity(certificate, options.state_dir + "/tls/" + kKeyFile));
  std::printf("%s\n", identity.fingerprint.c_str());
  return absl::OkStatus();
}

absl::Status RotateMaster(const DaemonOptions& options) {
  ::umask(077);
  // A mistyped --state-dir must not quietly become a new, empty store with a master of its own.
  const std::string database = options.state_dir + "/vpvm.db";
  std::error_code error;
  if (!std::filesystem::exists(database, error)) {
    return absl::NotFoundError(absl::StrCat("no token database at ", database,
                                            "; name the state folder of an existing vpvmd with "
                                            "--state-dir"));
  }
  VPVM_ASSIGN_OR_RETURN(auto state, StateDir::OpenAndLock(options.state_dir));
  auth::SystemClock clock;
  auth::OsRandom random;
  VPVM_ASSIGN_OR_RETURN(auto store, auth::TokenStore::Open(state->DatabasePath(), clock, random));
  VPVM_ASSIGN_OR_RETURN(bool created, auth::EnsureMasterToken(*store, state->MasterTokenPath()));
  if (!created) VPVM_RETURN_IF_ERROR(auth::RotateMasterToken(*store, state->MasterTokenPath()));
  std::printf("the new master secret is in %s\n", state->MasterTokenPath().c_str());
  return absl::OkStatus();
}

}  // namespace vpvm::daemon
