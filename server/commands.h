#pragma once

namespace stepflow::server {

// Each `stepflow <command>` entry point. argv[0] is the command name; the return
// value is the process exit code.
int RunValidateCommand(int argc, char** argv);
int RunRunCommand(int argc, char** argv);
int RunJsonataCommand(int argc, char** argv);
int RunStartCommand(int argc, char** argv);
int RunResumeCommand(int argc, char** argv);
int RunExecutionsCommand(int argc, char** argv);
int RunHistoryCommand(int argc, char** argv);
// In the program stepflow-serve, which `stepflow serve` execs.
int RunServeCommand(int argc, char** argv);

}  // namespace stepflow::server
