// vpvm: the command-line client of vpvmd.

#include "cli/cli.h"

int main(int argc, char** argv) { return vpvm::cli::Run(argc, argv); }
