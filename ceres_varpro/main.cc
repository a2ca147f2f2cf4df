// ceres_varpro: command-line runner. `ceres_varpro <command> [--flags]`.

#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "command.h"
#include "gflags/gflags.h"
#include "glog/logging.h"

namespace ceres_varpro::tools {

std::vector<Command>& CommandRegistry() {
  static std::vector<Command> registry;
  return registry;
}

namespace {

void PrintCommands(std::ostream& out) {
  out << "usage: ceres_varpro <command> [--flag=value ...]\n\ncommands:\n";
  std::vector<Command> commands = CommandRegistry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  for (const Command& c : commands) {
    out << "  " << c.name
        << std::string(12 - std::min<size_t>(11, c.name.size()), ' ')
        << c.summary << "\n";
  }
  out << "\n`ceres_varpro <command> --help` lists the command's flags.\n";
}

void PrintCommandHelp(const Command& command) {
  std::cout << "usage: ceres_varpro " << command.name << " " << command.usage
            << "\n\nflags:\n";
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  for (const auto& flag : flags) {
    const bool common = EndsWith(flag.filename, "common_flags.cc");
    const bool shared =
        common &&
        std::find(command.shared_flags.begin(), command.shared_flags.end(),
                  flag.name) != command.shared_flags.end();
    if (!EndsWith(flag.filename, command.source_file) &&
        !(command.uses_common_flags && common) && !shared) {
      continue;
    }
    std::cout << "  --" << flag.name << " (" << flag.description
              << ")\n      type: " << flag.type << "  default: "
              << (flag.type == "string" ? "\"" + flag.default_value + "\""
                                        : flag.default_value)
              << "\n";
  }
}

}  // namespace
}  // namespace ceres_varpro::tools

int main(int argc, char** argv) {
  using ceres_varpro::tools::Command;
  using ceres_varpro::tools::CommandRegistry;
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "help") == 0) {
    ceres_varpro::tools::PrintCommands(std::cout);
    return argc < 2 ? 1 : 0;
  }
  const std::string name = argv[1];
  const Command* command = nullptr;
  for (const Command& c : CommandRegistry()) {
    if (c.name == name) command = &c;
  }
  if (command == nullptr) {
    std::cerr << "ceres_varpro: unknown command '" << name << "'\n\n";
    ceres_varpro::tools::PrintCommands(std::cerr);
    return 2;
  }
  // Drop the command name and handle --help ourselves, so that the listing
  // shows this command's flags only.
  std::vector<char*> args = {argv[0]};
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "-help") == 0) {
      ceres_varpro::tools::PrintCommandHelp(*command);
      return 0;
    }
    args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  char** p = args.data();
  gflags::SetUsageMessage("ceres_varpro " + name + " " + command->usage);
  gflags::ParseCommandLineFlags(&n, &p, /*remove_flags=*/true);
  if (n > 1) {
    std::cerr << "ceres_varpro " << name << ": unexpected argument '" << p[1]
              << "' (flags are written --name=value)\n";
    return 2;
  }
  return command->run();
}
