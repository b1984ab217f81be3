// The rollway binary: the only place where the two planes are wired together.
#include "rollway/cli/cli.h"
#include "rollway/proxy/proxy_command.h"

int main(int argc, char** argv) { return rollway::cli::run(argc, argv, {rollway::proxy::addProxyCommand}); }
