// The rollway binary: the only place where the client and the two planes are wired together.
#include "rollway/cli/cli.h"
#include "rollway/proxy/proxy_command.h"
#include "serve_command.h"

int main(int argc, char** argv) {
  return rollway::cli::run(argc, argv, {.first = {rollway::daemon::addServeCommand},
                                        .last = {rollway::proxy::addProxyCommand}});
}
