#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: stepflow <validate|run|jsonata> ...\n");
    return 2;
  }
  std::fprintf(stderr, "stepflow: unknown command '%s'\n", argv[1]);
  return 2;
}
