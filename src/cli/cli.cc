#include "rollway/cli/cli.h"

#include <iostream>

#include "verbs.h"

namespace rollway::cli {

int run(int argc, char** argv, const ExtraVerbs& extraVerbs) {
  CLI::App app{
      "rollway ships new versions of HTTP services with zero failed requests: it runs a\n"
      "service's instances, probes them, fronts them with its own reverse proxy and moves\n"
      "traffic from the old version to the new one.\n"};
  app.name("rollway");
  app.require_subcommand(1);
  app.fallthrough();

  Context ctx;
  app.add_option("--server", ctx.server,
                 "Where the daemon listens: unix:PATH or HOST:PORT (default: $ROLLWAY_SERVER, else the default socket)");
  app.add_option("--token-file", ctx.tokenFile,
                 "File holding the bearer token for a TCP --server (default: $ROLLWAY_TOKEN_FILE or $ROLLWAY_TOKEN)");
  app.add_option("-o,--output", ctx.output, "Output format: table, json or yaml")->capture_default_str();

  int exitCode = 0;
  for (const auto& add : extraVerbs.first) add(app, exitCode);
  addApply(app, ctx, exitCode);
  addValidate(app, exitCode);
  addExport(app, exitCode);
  addGet(app, ctx, exitCode);
  addDescribe(app, ctx, exitCode);
  addDelete(app, ctx, exitCode);
  addEvents(app, ctx, exitCode);
  addRollout(app, ctx, exitCode);
  addSet(app, ctx, exitCode);
  addScale(app, ctx, exitCode);
  addLogs(app, ctx, exitCode);
  addEvict(app, ctx, exitCode);
  addNodeVerbs(app, ctx, exitCode);
  addDown(app, ctx, exitCode);
  addVersion(app, ctx, exitCode);
  for (const auto& add : extraVerbs.last) add(app, exitCode);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const nlohmann::json::exception& e) {
    // A reply field of an unexpected type (verbs read replies with json::value()).
    std::cerr << "error: unexpected reply from the daemon: " << e.what() << '\n';
    return 1;
  }
  return exitCode;
}

}  // namespace rollway::cli
