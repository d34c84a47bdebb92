#include "commands.h"

// `stepflow serve ARGS` execs this program with the same ARGS.
int main(int argc, char** argv) { return stepflow::server::RunServeCommand(argc, argv); }
