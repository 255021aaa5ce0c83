// vpvm: the command-line client of vpvmd.

#include <grpc/support/log.h>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // gRPC's own log lines (a TLS handshake that failed, say) would break the one-line errors;
  // what went wrong reaches the user as the call's status.
  gpr_set_log_function([](gpr_log_func_args*) {});
  return vpvm::cli::Run(argc, argv);
}
