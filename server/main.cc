#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: stepflow <validate|run|jsonata> ...\n");
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "jsonata") return stepflow::server::RunJsonataCommand(argc - 1, argv + 1);
  std::fprintf(stderr, "stepflow: unknown command '%s'\n", argv[1]);
  return 2;
}
