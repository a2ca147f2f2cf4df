#ifndef CERES_VARPRO_TOOLS_COMMAND_H_
#define CERES_VARPRO_TOOLS_COMMAND_H_

#include <string>
#include <vector>

namespace ceres_varpro::tools {

// A sub-command of the ceres_varpro runner ("slam", "ba", "generate", ...).
// Each command lives in its own <name>_command.cc, defines its gflags there
// and registers itself; `ceres_varpro <name> --help` lists exactly the flags
// defined in that file plus the shared ones in common_flags.cc.
struct Command {
  std::string name;
  std::string summary;
  std::string usage;  // shown by --help, after "usage: ceres_varpro <name> "
  std::string source_file;  // __FILE__ of the command, to filter its flags
  // Runs with gflags already parsed; returns the process exit code.
  int (*run)();
  // Whether the shared solver flags (common_flags.cc) apply and are listed.
  bool uses_common_flags = true;
  // Flags of common_flags.cc listed even without uses_common_flags.
  std::vector<std::string> shared_flags = {};
};

inline bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<Command>& CommandRegistry();

struct CommandRegistrar {
  explicit CommandRegistrar(const Command& command) {
    CommandRegistry().push_back(command);
  }
};

}  // namespace ceres_varpro::tools

#endif  // CERES_VARPRO_TOOLS_COMMAND_H_
