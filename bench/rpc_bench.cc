// Authenticated unary RPCs over loopback TCP beside a bare gRPC server, in one process and one
// run, then the gate's own cost per call in-process.
//
// The reference is a plain grpc++ sync server whose SystemService.GetVersion returns the
// daemon's constants; the subject is the daemon's SystemServiceGrpc forwarding through a real
// Dispatcher (access rules from the proto descriptors, a token store of 100,000 tokens in a
// SQLite file, the last-use recorder, the failure throttle). Both servers are built by the same
// code with the same options, both are driven by the same client load, and every client sends
// its token to both, so that the bytes on the wire are the same and only the gate differs.
//
// Usage: rpc_bench [--clients=N] [--seconds=S] [--warmup=S] [--rounds=N] [--tokens=N] [--tls]
//                  [--loopback_only] [--in_process_only] [--control] [--only=reference|gate]
//                  [--no_deadlock_detection]
//                  [Google Benchmark flags]
// --only=reference|gate runs that variant alone, for a profiler (perf record -g rpc_bench
// --loopback_only --only=gate).
// --control replaces the gated server by a second bare one: the ratio it reports is what this
// machine's noise alone makes of two identical servers.
// --no_deadlock_detection turns off Abseil's lock-order checks (which Debian's Abseil runs on
// every absl::Mutex lock, gRPC's own included) for both variants, to see what they cost.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Transaction.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "daemon/access_rules.h"
#include "daemon/dispatcher.h"
#include "daemon/grpc_services.h"
#include "daemon/peer.h"
#include "daemon/status.h"
#include "daemon/system_handlers.h"
#include "daemon/throttle.h"
#include "daemon/tls_identity.h"
#include "daemon/vm_directory.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "libauth/clock.h"
#include "libauth/last_used_recorder.h"
#include "libauth/random.h"
#include "libauth/secret.h"
#include "libauth/store_schema.h"
#include "libauth/token_store.h"
#include "vpvm/v1/system_service.grpc.pb.h"

namespace vpvm::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// gRPC takes deadlines on the system clock only.
std::chrono::system_clock::time_point In(std::chrono::seconds seconds) {
  return std::chrono::system_clock::now() + seconds;
}

// Each client thread stops after this many calls in one run, whatever the time.
constexpr int64_t kMaxCallsPerThread = 2'000'000;
constexpr auto kCallDeadline = std::chrono::seconds(5);
constexpr auto kConnectDeadline = std::chrono::seconds(10);
constexpr char kPeer[] = "ipv4:127.0.0.1:54321";  // as gRPC names a loopback client
// Rounds in which neither the hypervisor nor other processes took more than these shares of the
// machine's CPU in either run are summarised apart, as calm.
constexpr double kCalmStealPercent = 2.0;
constexpr double kCalmOthersPercent = 5.0;

struct Options {
  int clients = 4;
  double seconds = 0.5;
  double warmup = 0.1;
  int rounds = 20;
  int tokens = 100'000;
  bool tls = false;
  bool loopback = true;
  bool gate = true;
  bool deadlock_detection = true;  // Debian's Abseil checks every absl::Mutex lock by default
  bool control = false;            // the "gate" is a second bare server: measures the noise
  std::string only;                // "reference" or "gate": that variant alone, for a profiler
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "rpc_bench: %s\n", message.c_str());
  std::exit(1);
}

// The reference: the same generated service, answering what the daemon answers, with no gate.
class BareSystemService final : public v1::SystemService::Service {
 public:
  grpc::Status GetVersion(grpc::ServerContext*, const v1::GetVersionRequest*,
                          v1::GetVersionResponse* response) override {
    response->set_daemon_version(VPVM_VERSION);
    response->set_api_version(kApiVersion);
    return grpc::Status::OK;
  }
};

// The two VMs the client tokens name. GetVersion names no VM, so the gate never asks.
class BenchVms final : public VmDirectory {
 public:
  std::optional<auth::VmRef> Find(absl::string_view id_or_name) const override {
    for (const auth::VmRef& vm : All()) {
      if (vm.id == id_or_name || vm.name == id_or_name) return vm;
    }
    return std::nullopt;
  }
  bool Exists(absl::string_view id) const override { return Find(id).has_value(); }

  static const std::vector<auth::VmRef>& All() {
    static const auto* const vms =
        new std::vector<auth::VmRef>{{"vm-bench-1", "bench-one"}, {"vm-bench-2", "bench-two"}};
    return *vms;
  }
};

// Everything the daemon puts in front of a handler, as RunDaemon assembles it, over a store of
// `tokens` tokens written in one transaction (creating them one by one would measure as many
// fsyncs), plus one Operator token per client, scoped to a VM list and created through the
// store as an administrator would.
struct Gate {
  std::string dir;
  auth::SystemClock clock;
  auth::OsRandom random;
  std::unique_ptr<auth::TokenStore> store;
  std::unique_ptr<auth::LastUsedRecorder> recorder;
  std::unique_ptr<FailureThrottle> throttle;
  BenchVms vms;
  std::optional<AccessRules> rules;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<SystemHandlers> handlers;
  std::vector<std::string> secrets;  // one per client
  std::vector<std::string> token_ids;

  Gate(int tokens, int clients) {
    char pattern[] = "/tmp/vpvm-rpc-bench-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) Fail("cannot make a temporary folder");
    dir = pattern;
    const std::string path = dir + "/vpvm.db";
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      if (absl::Status migrated = auth::MigrateTo(db); !migrated.ok()) Fail(migrated.ToString());
      SQLite::Transaction transaction(db);
      SQLite::Statement insert(db,
                               "INSERT INTO tokens (id, label, secret_sha256, access_level, "
                               "all_vms, created_at_us) VALUES (?, ?, ?, 2, 1, 0)");
      for (int i = 0; i < tokens; ++i) {
        auth::SecretDigest digest = *auth::DigestPresentedSecret(*auth::GenerateSecret(random));
        insert.bind(1, *auth::GenerateTokenId(random));
        insert.bind(2, absl::StrCat("bench ", i));
        insert.bind(3, digest.data(), static_cast<int>(digest.size()));
        insert.exec();
        insert.reset();
      }
      transaction.commit();
    }
    auto opened = auth::TokenStore::Open(path, clock, random);
    if (!opened.ok()) Fail(opened.status().ToString());
    store = *std::move(opened);
    for (int i = 0; i < clients; ++i) {
      auth::TokenSpec spec;
      spec.label = absl::StrCat("rpc bench client ", i);
      spec.access_level = auth::AccessLevel::kOperator;
      spec.vm_scope.vms = BenchVms::All();
      auto issued = store->Create(spec);
      if (!issued.ok()) Fail(issued.status().ToString());
      secrets.push_back(issued->secret);
      token_ids.push_back(issued->token.id);
    }
    recorder = std::make_unique<auth::LastUsedRecorder>(*store);
    throttle = std::make_unique<FailureThrottle>(clock, ThrottleOptions{});
    auto loaded = AccessRules::Load();
    if (!loaded.ok()) Fail(loaded.status().ToString());
    rules = *std::move(loaded);
    dispatcher = std::make_unique<Dispatcher>(*rules, *store, *recorder, *throttle, vms, clock);
    handlers = std::make_unique<SystemHandlers>(clock, vms);
    handlers->Register(*dispatcher);
  }
  ~Gate() {
    if (recorder != nullptr) recorder->Stop().IgnoreError();
    std::filesystem::remove_all(dir);
  }
};

Gate* shared_gate = nullptr;

// --- Part 1: loopback TCP -------------------------------------------------------------------

struct Server {
  std::unique_ptr<grpc::Server> server;
  std::string target;
};

// One server per variant, built the same way as the daemon builds its own.
Server StartServer(grpc::Service* service, const std::optional<TlsIdentity>& tls) {
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls.has_value()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({tls->private_key_pem, tls->certificate_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", credentials, &port);
  builder.RegisterService(service);
  Server started;
  started.server = builder.BuildAndStart();
  if (started.server == nullptr || port == 0) Fail("cannot listen on 127.0.0.1");
  started.target = absl::StrCat("127.0.0.1:", port);
  return started;
}

// Its own channel, and with it its own TCP connection (gRPC would otherwise share one
// connection among channels with equal arguments).
std::shared_ptr<grpc::Channel> Connect(const std::string& target,
                                       const std::optional<TlsIdentity>& tls) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls.has_value()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls->certificate_pem;
    credentials = grpc::SslCredentials(ssl);
    args.SetSslTargetNameOverride("localhost");
  }
  auto channel = grpc::CreateCustomChannel(target, credentials, args);
  if (!channel->WaitForConnected(In(kConnectDeadline))) {
    Fail("cannot connect to " + target);
  }
  return channel;
}

grpc::Status CallGetVersion(v1::SystemService::Stub& stub, const std::string& secret) {
  grpc::ClientContext context;
  context.AddMetadata("x-auth-token", secret);
  context.set_deadline(In(kCallDeadline));
  v1::GetVersionRequest request;
  v1::GetVersionResponse response;
  grpc::Status status = stub.GetVersion(&context, request, &response);
  if (status.ok() && response.daemon_version() != VPVM_VERSION) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unexpected answer");
  }
  return status;
}

struct RunResult {
  double calls_per_second = 0;
  double cpu_us_per_call = 0;       // client and server together: one process
  double switches_per_call = 0;     // context switches, client and server together
  double others_percent = 0;        // of the machine's CPU time, used by other processes
  double steal_percent = 0;         // of the machine's CPU time, taken by the hypervisor
  std::vector<int64_t> latency_ns;  // every counted call
};

// This process's CPU time and context switches so far.
struct ProcessCpu {
  double seconds = 0;
  double switches = 0;
};

ProcessCpu ReadProcessCpu() {
  rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  return {usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
              (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
          static_cast<double>(usage.ru_nvcsw + usage.ru_nivcsw)};
}

// The machine's busy and stolen CPU time so far, in seconds, from /proc/stat.
struct MachineCpu {
  double busy = 0;
  double steal = 0;
};

MachineCpu ReadMachineCpu() {
  MachineCpu cpu;
  std::FILE* stat = std::fopen("/proc/stat", "r");
  if (stat == nullptr) return cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  if (std::fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
                  &iowait, &irq, &softirq, &steal) == 8) {
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    cpu.busy = (user + nice + system + irq + softirq) / tick;
    cpu.steal = steal / tick;
  }
  std::fclose(stat);
  return cpu;
}

// The value at quantile `q` of `values`, nearest rank.
template <typename T>
T Quantile(std::vector<T> values, double q) {
  if (values.empty()) return T{};
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(q * values.size()))];
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

using Stubs = std::vector<std::unique_ptr<v1::SystemService::Stub>>;

// One stub per client thread, each on its own channel, connected once and kept for every run.
Stubs ConnectClients(const std::string& target, const std::optional<TlsIdentity>& tls,
                     int clients) {
  Stubs stubs;
  for (int c = 0; c < clients; ++c)
    stubs.push_back(v1::SystemService::NewStub(Connect(target, tls)));
  return stubs;
}

// One thread per stub issues blocking unary calls back to back for `warmup` and then for the
// measured window of `seconds`; only calls that start and end inside the window count.
RunResult RunLoad(const Stubs& stubs, double warmup, double seconds,
                  const std::vector<std::string>& secrets) {
  const int clients = static_cast<int>(stubs.size());
  const Clock::time_point start = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(warmup));
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::vector<int64_t>> latencies(clients);
  std::vector<std::string> errors(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<int64_t>& mine = latencies[c];
      mine.reserve(static_cast<size_t>(seconds * 20'000));
      for (int64_t n = 0; n < kMaxCallsPerThread; ++n) {
        const Clock::time_point before = Clock::now();
        if (before >= end) break;
        grpc::Status status = CallGetVersion(*stubs[c], secrets[c]);
        const Clock::time_point after = Clock::now();
        if (!status.ok()) {
          errors[c] = absl::StrCat(status.error_code(), " ", status.error_message());
          break;
        }
        if (before >= start && after <= end) mine.push_back((after - before).count());
      }
    });
  }
  std::this_thread::sleep_until(start);
  const ProcessCpu process_at_start = ReadProcessCpu();
  const MachineCpu machine_at_start = ReadMachineCpu();
  std::this_thread::sleep_until(end);
  const ProcessCpu process_at_end = ReadProcessCpu();
  const MachineCpu machine_at_end = ReadMachineCpu();
  const double cpu = process_at_end.seconds - process_at_start.seconds;
  for (std::thread& thread : threads) thread.join();
  for (const std::string& error : errors) {
    if (!error.empty()) Fail("a call failed: " + error);
  }

  RunResult result;
  for (const auto& mine : latencies) {
    result.latency_ns.insert(result.latency_ns.end(), mine.begin(), mine.end());
  }
  const double calls = static_cast<double>(result.latency_ns.size());
  result.calls_per_second = calls / seconds;
  result.cpu_us_per_call = calls == 0 ? 0 : cpu * 1e6 / calls;
  result.switches_per_call =
      calls == 0 ? 0 : (process_at_end.switches - process_at_start.switches) / calls;
  const double capacity = seconds * static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
  result.others_percent =
      std::max(0.0, 100 * (machine_at_end.busy - machine_at_start.busy - cpu) / capacity);
  result.steal_percent = 100 * (machine_at_end.steal - machine_at_start.steal) / capacity;
  return result;
}

// Refuses to measure a gate that does not gate: no token must be refused, a client's token
// accepted, and its use recorded.
void CheckGate(const std::string& subject, const std::string& reference,
               const std::optional<TlsIdentity>& tls, Gate& gate) {
  auto subject_stub = v1::SystemService::NewStub(Connect(subject, tls));
  auto reference_stub = v1::SystemService::NewStub(Connect(reference, tls));
  grpc::ClientContext anonymous;
  anonymous.set_deadline(In(kCallDeadline));
  v1::GetVersionResponse response;
  grpc::Status refused = subject_stub->GetVersion(&anonymous, {}, &response);
  if (refused.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
    Fail("the gate let a call without a token through");
  }
  for (const std::string& secret : gate.secrets) {
    if (grpc::Status s = CallGetVersion(*subject_stub, secret); !s.ok()) {
      Fail("the gate refused a valid token: " + s.error_message());
    }
    if (grpc::Status s = CallGetVersion(*reference_stub, secret); !s.ok()) {
      Fail("the reference failed: " + s.error_message());
    }
  }
}

void CheckUseRecorded(Gate& gate) {
  if (absl::Status flushed = gate.recorder->Flush(); !flushed.ok()) Fail(flushed.ToString());
  for (const std::string& id : gate.token_ids) {
    auto token = gate.store->Get(id);
    if (!token.ok() || !token->last_used_at.has_value() || token->last_used_address.empty()) {
      Fail("the gate did not record the last use of token " + id);
    }
  }
}

// Throughput, pooled latency and median CPU per call of one variant over `rounds`.
void PrintVariant(const char* name, const std::vector<RunResult>& runs,
                  const std::vector<int>& rounds) {
  std::vector<double> throughput, cpu, switches;
  std::vector<int64_t> latency;
  for (int round : rounds) {
    const RunResult& r = runs[round];
    throughput.push_back(r.calls_per_second);
    cpu.push_back(r.cpu_us_per_call);
    switches.push_back(r.switches_per_call);
    latency.insert(latency.end(), r.latency_ns.begin(), r.latency_ns.end());
  }
  std::printf("  %-10s %10.0f %9.1f %9.1f %12.1f %10.2f\n", name, Median(throughput),
              Quantile(latency, 0.50) / 1e3, Quantile(latency, 0.99) / 1e3, Median(cpu),
              Median(switches));
}

// The figures over the rounds in `rounds`: each variant's, then the per-round throughput ratios.
void PrintSummary(const char* title, const char* subject_name,
                  const std::vector<RunResult>& references, const std::vector<RunResult>& subjects,
                  const std::vector<int>& rounds) {
  std::printf("\n%s, %zu rounds:\n", title, rounds.size());
  if (rounds.empty()) return;
  std::printf("  %-10s %10s %9s %9s %12s %10s\n", "", "calls/s", "p50 us", "p99 us", "cpu us/call",
              "cs/call");
  PrintVariant("reference", references, rounds);
  PrintVariant(subject_name, subjects, rounds);
  std::vector<double> ratios;
  for (int round : rounds) {
    ratios.push_back(subjects[round].calls_per_second / references[round].calls_per_second);
  }
  std::printf(
      "  throughput %s/reference: median of the per-round ratios %.3f (middle half %.3f to "
      "%.3f); goal >= 0.90\n",
      subject_name, Median(ratios), Quantile(ratios, 0.25), Quantile(ratios, 0.75));
}

// Returns the reference's median CPU time per call, in microseconds.
double RunLoopback(const Options& options, Gate& gate) {
  std::optional<TlsIdentity> tls;
  if (options.tls) {
    auto identity = GenerateSelfSignedIdentity("localhost");
    if (!identity.ok()) Fail(identity.status().ToString());
    tls = *std::move(identity);
  }
  grpc::EnableDefaultHealthCheckService(true);  // as the daemon does, for both servers
  BareSystemService bare, bare_control;
  SystemServiceGrpc gated(*gate.dispatcher);
  Server reference = StartServer(&bare, tls);
  Server subject = StartServer(options.control ? static_cast<grpc::Service*>(&bare_control)
                                               : static_cast<grpc::Service*>(&gated),
                               tls);
  const char* const subject_name = options.control ? "control" : "gate";
  if (!options.control) CheckGate(subject.target, reference.target, tls, gate);
  const Stubs reference_stubs = ConnectClients(reference.target, tls, options.clients);
  const Stubs subject_stubs = ConnectClients(subject.target, tls, options.clients);
  // Both variants warmed up once (connections, thread pools, caches) before anything counts.
  RunLoad(reference_stubs, 0, 1.0, gate.secrets);
  RunLoad(subject_stubs, 0, 1.0, gate.secrets);
  if (!options.only.empty()) {
    const Stubs& stubs = options.only == "gate" ? subject_stubs : reference_stubs;
    std::vector<RunResult> runs;
    std::vector<int> rounds;
    for (int round = 0; round < options.rounds; ++round) {
      runs.push_back(RunLoad(stubs, options.warmup, options.seconds, gate.secrets));
      rounds.push_back(round);
    }
    std::printf("%s alone, %d runs of %.2f s:\n", options.only.c_str(), options.rounds,
                options.seconds);
    std::printf("  %-10s %10s %9s %9s %12s %10s\n", "", "calls/s", "p50 us", "p99 us",
                "cpu us/call", "cs/call");
    PrintVariant(options.only.c_str(), runs, rounds);
    return 0;
  }

  std::printf(
      "Loopback %s, one process, %ld CPUs shared by servers and clients; %d client threads, each "
      "with its own channel and connection to each server, blocking unary "
      "SystemService.GetVersion; %d rounds of one run of each variant (order alternating), each "
      "run %.2f s measured after %.2f s unmeasured.\n\n",
      options.tls ? "TLS" : "plain TCP", ::sysconf(_SC_NPROCESSORS_ONLN), options.clients,
      options.rounds, options.seconds, options.warmup);
  std::printf("%-5s %10s %10s %7s %12s %12s %8s %8s %8s\n", "round", "reference", subject_name,
              "ratio", "ref cpu us", "cpu us", "others%", "steal%", "steal%");
  std::vector<RunResult> references, subjects;
  for (int round = 0; round < options.rounds; ++round) {
    const bool reference_first = round % 2 == 0;
    for (int i = 0; i < 2; ++i) {
      const bool is_reference = (i == 0) == reference_first;
      (is_reference ? references : subjects)
          .push_back(RunLoad(is_reference ? reference_stubs : subject_stubs, options.warmup,
                             options.seconds, gate.secrets));
    }
    const RunResult& r = references.back();
    const RunResult& s = subjects.back();
    std::printf("%-5d %10.0f %10.0f %7.3f %12.1f %12.1f %8.1f %8.1f %8.1f\n", round + 1,
                r.calls_per_second, s.calls_per_second, s.calls_per_second / r.calls_per_second,
                r.cpu_us_per_call, s.cpu_us_per_call, std::max(r.others_percent, s.others_percent),
                r.steal_percent, s.steal_percent);
    std::fflush(stdout);
  }
  if (!options.control) CheckUseRecorded(gate);
  subject.server->Shutdown(In(std::chrono::seconds(2)));
  reference.server->Shutdown(In(std::chrono::seconds(2)));

  std::vector<int> all, calm;
  for (int round = 0; round < options.rounds; ++round) {
    all.push_back(round);
    const RunResult& r = references[round];
    const RunResult& s = subjects[round];
    if (std::max(r.steal_percent, s.steal_percent) < kCalmStealPercent &&
        std::max(r.others_percent, s.others_percent) < kCalmOthersPercent) {
      calm.push_back(round);
    }
  }
  PrintSummary("All rounds", subject_name, references, subjects, all);
  PrintSummary(
      absl::StrCat("Calm rounds (hypervisor under ", kCalmStealPercent,
                   "% and other processes under ", kCalmOthersPercent, "% of the CPU in both runs)")
          .c_str(),
      subject_name, references, subjects, calm);
  std::printf("\n");
  std::fflush(stdout);
  std::vector<double> cpu;
  for (const RunResult& r : references) cpu.push_back(r.cpu_us_per_call);
  return Median(cpu);
}

// --- Part 2: the gate in-process ------------------------------------------------------------

const google::protobuf::MethodDescriptor* GetVersionMethod() {
  static const google::protobuf::MethodDescriptor* const method =
      FindMethod(v1::SystemService::service_full_name(), "GetVersion");
  return method;
}

// The whole gate and the handler, as every transport calls it: verify the token, check the
// throttle, decide, record the use, run the handler.
void BM_DispatcherInvokeGetVersion(benchmark::State& state) {
  Gate& gate = *shared_gate;
  IncomingCall call;
  call.method = GetVersionMethod();
  call.peer = "127.0.0.1";
  call.presented_secret = gate.secrets[state.thread_index() % gate.secrets.size()];
  for (auto _ : state) {
    v1::GetVersionRequest request;
    v1::GetVersionResponse response;
    absl::Status status = gate.dispatcher->Invoke(call, request, &response);
    if (!status.ok()) state.SkipWithError("the gate refused a valid token");
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_DispatcherInvokeGetVersion);
BENCHMARK(BM_DispatcherInvokeGetVersion)->Threads(2)->UseRealTime();

// What Dispatcher::Serve does around Invoke: the peer normalised, the token copied out of the
// metadata, the answer turned into a grpc::Status.
void BM_ServeEdgeWork(benchmark::State& state) {
  Gate& gate = *shared_gate;
  const std::string metadata = gate.secrets[0];
  for (auto _ : state) {
    IncomingCall call;
    call.method = GetVersionMethod();
    call.peer = NormalizePeer(kPeer);
    call.presented_secret = std::string(metadata);
    benchmark::DoNotOptimize(call);
    benchmark::DoNotOptimize(ToGrpcStatus(absl::OkStatus()));
  }
}
BENCHMARK(BM_ServeEdgeWork);

// The reference: the bare handler alone, the same work as the reference server's.
void BM_BareGetVersionHandler(benchmark::State& state) {
  BareSystemService bare;
  for (auto _ : state) {
    v1::GetVersionRequest request;
    v1::GetVersionResponse response;
    benchmark::DoNotOptimize(bare.GetVersion(nullptr, &request, &response));
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_BareGetVersionHandler);

// The parts of the gate one by one, to see where its time goes.
void BM_PartRuleLookup(benchmark::State& state) {
  Gate& gate = *shared_gate;
  for (auto _ : state) {
    benchmark::DoNotOptimize(gate.rules->Find(GetVersionMethod()->full_name()));
  }
}
BENCHMARK(BM_PartRuleLookup);

void BM_PartVerifyToken(benchmark::State& state) {
  Gate& gate = *shared_gate;
  const std::string& secret = gate.secrets[state.thread_index() % gate.secrets.size()];
  for (auto _ : state) benchmark::DoNotOptimize(gate.store->Verify(secret));
}
BENCHMARK(BM_PartVerifyToken);
BENCHMARK(BM_PartVerifyToken)->Threads(2)->UseRealTime();

void BM_PartThrottleCheck(benchmark::State& state) {
  Gate& gate = *shared_gate;
  const std::string peer = "127.0.0.1";
  for (auto _ : state) benchmark::DoNotOptimize(gate.throttle->RetryAfter(peer));
}
BENCHMARK(BM_PartThrottleCheck);
BENCHMARK(BM_PartThrottleCheck)->Threads(2)->UseRealTime();

void BM_PartRecordUse(benchmark::State& state) {
  Gate& gate = *shared_gate;
  const std::string& id = gate.token_ids[state.thread_index() % gate.token_ids.size()];
  for (auto _ : state) gate.recorder->Record(id, gate.clock.Now(), "127.0.0.1");
}
BENCHMARK(BM_PartRecordUse);
BENCHMARK(BM_PartRecordUse)->Threads(2)->UseRealTime();

// Shows only the median of each benchmark (or its only run) and keeps it for the summary.
class SummaryReporter final : public benchmark::ConsoleReporter {
 public:
  SummaryReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_Color : OO_None) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> shown;
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (!median && run.run_type != Run::RT_Iteration) continue;
      shown.push_back(run);
      if (run.error_occurred) continue;
      const double ns =
          run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
      const std::string name = run.run_name.str();
      if (median || !medians_.contains(name)) medians_[name] = ns;
    }
    if (!shown.empty()) ConsoleReporter::ReportRuns(shown);
  }

  std::optional<double> Ns(const std::string& name) const {
    auto it = medians_.find(name);
    if (it == medians_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, double> medians_;
};

// `reference_cpu_us` is the CPU time one loopback call cost the reference, when measured.
void RunGateCost(std::optional<double> reference_cpu_us) {
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto invoke = reporter.Ns("BM_DispatcherInvokeGetVersion");
  const auto edge = reporter.Ns("BM_ServeEdgeWork");
  const auto bare = reporter.Ns("BM_BareGetVersionHandler");
  if (!invoke || !edge || !bare) return;  // filtered out
  const double gate_us = (*invoke + *edge - *bare) / 1e3;
  std::printf(
      "\ngate cost per call: Dispatcher::Invoke %.0f ns + Serve's edge work %.0f ns - bare "
      "handler %.0f ns = %.2f us\n",
      *invoke, *edge, *bare, gate_us);
  if (reference_cpu_us.has_value() && *reference_cpu_us > 0) {
    std::printf(
        "that is %.1f%% of the %.1f us of CPU one loopback call of the reference costs (client "
        "and server together)\n",
        100 * gate_us / *reference_cpu_us, *reference_cpu_us);
  }
}

Options ParseOwnFlags(int* argc, char** argv) {
  Options options;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg = argv[i];
    auto value = [&](absl::string_view name, auto* out) {
      if (!absl::ConsumePrefix(&arg, absl::StrCat("--", name, "="))) return false;
      bool parsed = false;
      if constexpr (std::is_same_v<decltype(out), double*>) {
        parsed = absl::SimpleAtod(arg, out);
      } else {
        parsed = absl::SimpleAtoi(arg, out);
      }
      if (!parsed) {
        Fail(absl::StrCat("bad value for --", name, ": ", arg));
      }
      return true;
    };
    if (value("clients", &options.clients) || value("seconds", &options.seconds) ||
        value("warmup", &options.warmup) || value("rounds", &options.rounds) ||
        value("tokens", &options.tokens)) {
      continue;
    }
    if (arg == "--tls") {
      options.tls = true;
    } else if (arg == "--loopback_only") {
      options.gate = false;
    } else if (arg == "--in_process_only") {
      options.loopback = false;
    } else if (absl::ConsumePrefix(&arg, "--only=")) {
      if (arg != "reference" && arg != "gate") Fail("--only=reference or --only=gate");
      options.only = std::string(arg);
    } else if (arg == "--control") {
      options.control = true;
    } else if (arg == "--no_deadlock_detection") {
      options.deadlock_detection = false;
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  if (options.clients < 1 || options.clients > 64 || options.rounds < 1 || options.rounds > 200 ||
      options.seconds <= 0 || options.seconds > 60 || options.warmup < 0 || options.warmup > 60 ||
      options.tokens < 0 || options.tokens > 1'000'000) {
    Fail("--clients 1..64, --rounds 1..200, --seconds 0..60, --warmup 0..60, --tokens 0..1000000");
  }
  return options;
}

int Main(int argc, char** argv) {
  const Options options = ParseOwnFlags(&argc, argv);
  if (!options.deadlock_detection) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Gate gate(options.tokens, options.clients);
  shared_gate = &gate;
  std::printf(
      "Token store: %zu tokens in SQLite, %d client tokens (Operator on a VM list). Abseil "
      "deadlock detection %s.\n\n",
      gate.store->size(), options.clients, options.deadlock_detection ? "as built" : "off");
  std::optional<double> reference_cpu_us;
  if (options.loopback) reference_cpu_us = RunLoopback(options, gate);
  if (options.gate && options.only.empty()) RunGateCost(reference_cpu_us);
  shared_gate = nullptr;
  return 0;
}

}  // namespace
}  // namespace vpvm::daemon

int main(int argc, char** argv) { return vpvm::daemon::Main(argc, argv); }
