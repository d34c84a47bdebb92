#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"

namespace {

constexpr char kUsage[] =
    "usage: stepflow <command> [args]\n"
    "  run FILE        run one execution of a state machine and print its result\n"
    "  start FILE      record an execution for `resume` to run\n"
    "  resume          run every RUNNING execution of a database to its end\n"
    "  executions      list the executions of a database\n"
    "  history NAME    print an execution's history events\n"
    "  validate FILE   check a definition and print every problem found\n"
    "  jsonata EXPR    evaluate a JSONata expression\n"
    "  serve           serve the AWS Step Functions API over HTTP\n";

// `stepflow serve` is the program `stepflow-serve` beside this one (see
// server/CMakeLists.txt); it replaces this process, so pid and signals stay.
int ExecServe(char** argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    std::fprintf(stderr, "stepflow serve: cannot find this program's path: %s\n", std::strerror(errno));
    return 2;
  }
  std::string path(self, static_cast<size_t>(n));
  path = path.substr(0, path.rfind('/') + 1) + "stepflow-serve";
  argv[0] = const_cast<char*>("stepflow-serve");
  execv(path.c_str(), argv);
  std::fprintf(stderr, "stepflow serve: cannot run %s: %s (it is installed beside stepflow)\n", path.c_str(),
               std::strerror(errno));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "validate") return stepflow::server::RunValidateCommand(argc - 1, argv + 1);
  if (cmd == "run") return stepflow::server::RunRunCommand(argc - 1, argv + 1);
  if (cmd == "jsonata") return stepflow::server::RunJsonataCommand(argc - 1, argv + 1);
  if (cmd == "start") return stepflow::server::RunStartCommand(argc - 1, argv + 1);
  if (cmd == "resume") return stepflow::server::RunResumeCommand(argc - 1, argv + 1);
  if (cmd == "executions") return stepflow::server::RunExecutionsCommand(argc - 1, argv + 1);
  if (cmd == "history") return stepflow::server::RunHistoryCommand(argc - 1, argv + 1);
  if (cmd == "serve") return ExecServe(argv + 1);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "stepflow: unknown command '%s'\n%s", cmd.c_str(), kUsage);
  return 2;
}
