// The `omni` command-line tool. See docs/cli.md.
#include <cstdio>

#include "cli/cli.h"

int main(int argc, char** argv) {
  return omni::cli::run(argc, argv, stdout, stderr);
}
