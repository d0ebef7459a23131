// cli/cli.h — the `omni` command line: argument parsing and the commands. docs/cli.md is
// the reference.
//
// Thread-safety: run() uses getopt_long, which keeps global state; call it from one thread.
#pragma once

#include <cstdio>

namespace omni::cli {

// The exit statuses of `omni`.
enum ExitStatus : int {
  kExitOk = 0,        // everything done; every record stored or recognized as a duplicate
  kExitFailed = 1,    // a record was rejected, an input could not be read, or a read failed
  kExitUsage = 2,     // bad command line: unknown command or option, missing or bad argument
  kExitDatabase = 3,  // the database could not be opened (or, for a read command, is missing)
};

// Runs the command line; results go to `out`, diagnostics to `err`. Returns the exit status.
int run(int argc, char** argv, std::FILE* out, std::FILE* err);

}  // namespace omni::cli
