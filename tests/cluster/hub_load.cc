#include "hub_load.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace rollway::cluster_test {

namespace {

// One wrk thread per target (setup() runs in wrk's main Lua state, once per thread);
// response() counts in each thread's own state; done() reads those counts back.
std::string script(const std::vector<std::string>& targets) {
  std::string list;
  for (const auto& t : targets) {
    auto colon = t.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("runLoadFromHub: target without a port: " + t);
    list += "  {\"" + t.substr(0, colon) + "\", \"" + t.substr(colon + 1) + "\"},\n";
  }
  return "local targets = {\n" + list +
         "}\n"
         "local threads = {}\n"
         "local n = 0\n"
         "function setup(thread)\n"
         "  n = n + 1\n"
         "  local t = targets[(n - 1) % #targets + 1]\n"
         "  thread.addr = wrk.lookup(t[1], t[2])[1]\n"
         "  thread:set(\"target\", t[1] .. \":\" .. t[2])\n"
         "  table.insert(threads, thread)\n"
         "end\n"
         "ok = 0\n"
         "bad = 0\n"
         "function response(status, headers, body)\n"
         "  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end\n"
         "end\n"
         "function done(summary, latency, requests)\n"
         "  local e = summary.errors\n"
         "  io.write(string.format(\"rollway-wrk responses=%d connect=%d read=%d write=%d timeout=%d\\n\",\n"
         "    summary.requests, e.connect, e.read, e.write, e.timeout))\n"
         "  for _, t in ipairs(threads) do\n"
         "    io.write(string.format(\"rollway-wrk-target %s ok=%d bad=%d\\n\", t:get(\"target\"), t:get(\"ok\"),\n"
         "      t:get(\"bad\")))\n"
         "  end\n"
         "end\n";
}

uint64_t number(const std::smatch& m, size_t i) { return std::stoull(m[i].str()); }

}  // namespace

HubLoadResult runLoadFromHub(const NetnsHosts& hosts, const HubLoadOptions& options, const std::string& scratchDir) {
  if (options.targets.empty()) throw std::invalid_argument("runLoadFromHub: no targets");
  static std::atomic<int> scripts{0};
  std::string path = scratchDir + "/hub-load-" + std::to_string(::getpid()) + "-" + std::to_string(scripts++) + ".lua";
  {
    std::ofstream out(path);
    out << script(options.targets);
  }
  int threads = static_cast<int>(options.targets.size());
  auto r = hosts.exec(NetnsHosts::kHub,
                      {"wrk", "-t" + std::to_string(threads), "-c" + std::to_string(threads * options.connectionsPerTarget),
                       "-d" + std::to_string(options.duration.count()) + "s", "--timeout",
                       std::to_string(options.requestTimeout.count()) + "s", "-s", path,
                       "http://" + options.targets.front() + options.path},
                      options.duration + std::chrono::seconds(15));
  ::unlink(path.c_str());
  HubLoadResult out;
  out.output = r.out + r.err;
  std::smatch m;
  if (!r.ok() || !std::regex_search(out.output, m,
                                    std::regex("rollway-wrk responses=(\\d+) connect=(\\d+) read=(\\d+) write=(\\d+) "
                                               "timeout=(\\d+)"))) {
    return out;
  }
  out.ran = true;
  out.responses = number(m, 1);
  out.connectErrors = number(m, 2);
  out.readErrors = number(m, 3);
  out.writeErrors = number(m, 4);
  out.timeouts = number(m, 5);
  std::regex perTarget("rollway-wrk-target (\\S+) ok=(\\d+) bad=(\\d+)");
  for (auto it = std::sregex_iterator(out.output.begin(), out.output.end(), perTarget); it != std::sregex_iterator();
       ++it) {
    uint64_t ok = std::stoull((*it)[2].str());
    out.okByTarget[(*it)[1].str()] += ok;
    out.ok += ok;
    out.non2xx += std::stoull((*it)[3].str());
  }
  return out;
}

}  // namespace rollway::cluster_test
