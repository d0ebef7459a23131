// Helpers shared by omni's own tests (not part of the shipped conformance library).
#pragma once

#include <filesystem>
#include <string>

namespace omni::testing {

// A per-process scratch folder under the system temp dir, removed when the runner exits.
struct TempDir {
  static const std::filesystem::path& root();
  static std::filesystem::path unique(const std::string& stem);

 private:
  static std::filesystem::path make_root();
};

}  // namespace omni::testing
