// Helpers shared by omni's own tests (not part of the shipped conformance library).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace omni::testing {

// A per-process scratch folder under the system temp dir, removed when the runner exits.
struct TempDir {
  static const std::filesystem::path& root();
  static std::filesystem::path unique(const std::string& stem);

 private:
  static std::filesystem::path make_root();
};

// The bytes of a file ("" when it cannot be read).
std::string read_file_text(const std::filesystem::path& path);

// `text` as one POSIX shell word, in single quotes.
std::string shell_quote(const std::string& text);

// What a run of a command-line program printed and its exit status (-1: killed by a signal).
struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `binary` with `args` through the shell, standard input from `stdin_path` (default
// /dev/null), and collects standard output, standard error and the exit status.
CliRun run_cli(const std::string& binary, const std::vector<std::string>& args,
               const std::string& stdin_path = "");

}  // namespace omni::testing
