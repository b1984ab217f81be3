// Issue 2 end to end: the daemon, the store surviving restarts, the CLI, validation of
// the corpus, the API's authentication and socket permissions.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "daemon.h"
#include "harness.h"
#include "http_client.h"
#include "rollway/net/client.h"

namespace rollway::e2e {
namespace {

namespace fs = std::filesystem;

// The bundled example, on a free port and with an absolute demo-app path (written once
// per test process, so that parallel tests never share a listen address).
std::string helloSpec() {
  static TempDir dir;
  static std::string path = [] {
    std::string text = readFile(sourcePath("examples/hello/rollway.yaml"));
    text = std::regex_replace(text, std::regex("127\\.0\\.0\\.1:8080"), "127.0.0.1:" + std::to_string(freePort()));
    text = std::regex_replace(text, std::regex("\\.\\./\\.\\./build/demo-app"),
                              fs::absolute(binary("demo-app")).string());
    std::string p = dir / "hello.yaml";
    writeFile(p, text);
    return p;
  }();
  return path;
}

TEST(Foundation, ApplyGetSurvivesRestart) {
  TempDir tmp;
  std::string data = tmp / "data";
  {
    Daemon daemon(data);
    ASSERT_TRUE(daemon.waitReady()) << daemon.log();

    auto applied = run(daemon.cli({"apply", "-f", helloSpec()}));
    ASSERT_EQ(applied.exitCode, 0) << applied.err;
    EXPECT_NE(applied.out.find("service/hello created"), std::string::npos) << applied.out;

    auto again = run(daemon.cli({"apply", "-f", helloSpec()}));
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_NE(again.out.find("service/hello unchanged"), std::string::npos) << again.out;

    auto got = run(daemon.cli({"get", "services"}));
    ASSERT_EQ(got.exitCode, 0) << got.err;
    EXPECT_NE(got.out.find("NAME"), std::string::npos);
    EXPECT_NE(got.out.find("hello"), std::string::npos) << got.out;
    EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  }
  {
    Daemon daemon(data);
    ASSERT_TRUE(daemon.waitReady()) << daemon.log();
    auto got = run(daemon.cli({"get", "services", "-o", "json"}));
    ASSERT_EQ(got.exitCode, 0) << got.err;
    EXPECT_NE(got.out.find("\"name\": \"hello\""), std::string::npos) << got.out;

    auto described = run(daemon.cli({"describe", "service", "hello"}));
    ASSERT_EQ(described.exitCode, 0) << described.err;
    EXPECT_NE(described.out.find("Name:                hello"), std::string::npos) << described.out;
    EXPECT_NE(described.out.find("ServiceCreated"), std::string::npos) << described.out;

    auto deleted = run(daemon.cli({"delete", "service", "hello"}));
    ASSERT_EQ(deleted.exitCode, 0) << deleted.err;
    auto missing = run(daemon.cli({"describe", "service", "hello"}));
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
  }
}

// `make run` applies the example at start; applying the same file again changes nothing.
TEST(Foundation, ServeFileThenApplyIsUnchanged) {
  TempDir tmp;
  Daemon daemon(tmp / "data", {"-f", helloSpec()});
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();
  auto again = run(daemon.cli({"apply", "-f", helloSpec()}));
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_NE(again.out.find("service/hello unchanged"), std::string::npos) << again.out;
}

TEST(Foundation, SigkillLosesNoCommittedApply) {
  TempDir tmp;
  std::string data = tmp / "data";
  {
    Daemon daemon(data);
    ASSERT_TRUE(daemon.waitReady()) << daemon.log();
    ASSERT_EQ(run(daemon.cli({"apply", "-f", helloSpec()})).exitCode, 0);
    daemon.process().signal(SIGKILL);
    daemon.process().wait(5s);
  }
  Daemon daemon(data);
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();
  auto got = run(daemon.cli({"get", "services"}));
  EXPECT_NE(got.out.find("hello"), std::string::npos) << got.out << got.err;
}

TEST(Foundation, TemplateChangeMakesRevisionReplicasDoNot) {
  TempDir tmp;
  Daemon daemon(tmp / "data");
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();
  std::string base = readFile(helloSpec());
  ASSERT_NE(base.find("replicas: 3"), std::string::npos) << "example changed; update this test";
  ASSERT_NE(base.find("version: v1"), std::string::npos) << "example changed; update this test";
  std::string spec = tmp / "hello.yaml";
  auto apply = [&](const std::string& text) {
    writeFile(spec, text);
    auto r = run(daemon.cli({"apply", "-f", spec}));
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return r.out;
  };
  EXPECT_NE(apply(base).find("created (revision 1, new)"), std::string::npos);
  std::string scaled = std::regex_replace(base, std::regex("replicas: 3"), "replicas: 5");
  EXPECT_NE(apply(scaled).find("configured (revision 1)"), std::string::npos);
  std::string v2 = std::regex_replace(scaled, std::regex("version: v1"), "version: v2");
  EXPECT_NE(apply(v2).find("configured (revision 2, new)"), std::string::npos);
  // Back to the v1 template: Kubernetes re-uses the old ReplicaSet with the next number.
  EXPECT_NE(apply(scaled).find("configured (revision 3"), std::string::npos);

  auto revisions = run(daemon.cli({"get", "revisions", "hello", "-o", "json"}));
  ASSERT_EQ(revisions.exitCode, 0) << revisions.err;
  EXPECT_NE(revisions.out.find("\"number\": 3"), std::string::npos) << revisions.out;
  EXPECT_NE(revisions.out.find("\"number\": 2"), std::string::npos) << revisions.out;
  EXPECT_EQ(revisions.out.find("\"number\": 1"), std::string::npos) << revisions.out;
}

TEST(Foundation, InvalidApplyChangesNothing) {
  TempDir tmp;
  Daemon daemon(tmp / "data");
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();
  std::string good = readFile(helloSpec());
  // Two documents: the first valid, the second not. Nothing may be applied.
  std::string second = std::regex_replace(good, std::regex("name: hello"), "name: second");
  second = std::regex_replace(second, std::regex("replicas: 3"), "replicas: -2");
  second = std::regex_replace(second, std::regex("listen: 127\\.0\\.0\\.1:[0-9]+"),
                              "listen: 127.0.0.1:" + std::to_string(freePort()));
  writeFile(tmp / "two.yaml", good + "\n---\n" + second);
  auto r = run(daemon.cli({"apply", "-f", tmp / "two.yaml"}));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("spec.replicas"), std::string::npos) << r.err;
  auto got = run(daemon.cli({"get", "services", "-o", "json"}));
  EXPECT_EQ(got.out.find("hello"), std::string::npos) << got.out;
}

TEST(Foundation, ListenConflictIs409) {
  TempDir tmp;
  Daemon daemon(tmp / "data");
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();
  ASSERT_EQ(run(daemon.cli({"apply", "-f", helloSpec()})).exitCode, 0);
  std::string other = std::regex_replace(readFile(helloSpec()), std::regex("name: hello"), "name: other");
  writeFile(tmp / "other.yaml", other);
  auto r = run(daemon.cli({"apply", "-f", tmp / "other.yaml"}));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("already serves"), std::string::npos) << r.err;
}

// `listen: ":PORT"` means every IPv4 interface: the proxy binds 0.0.0.0:PORT and a
// request to 127.0.0.1:PORT is answered by the service (issue 10).
TEST(Foundation, ListenOnEveryInterfaceServesRequests) {
  TempDir tmp;
  Daemon daemon(tmp / "data");
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();
  DemoService service;
  service.name = "anywhere";
  service.replicas = 1;
  service.port = freePort();
  std::string yaml = std::regex_replace(demoServiceYaml(service), std::regex("listen: 127\\.0\\.0\\.1:([0-9]+)"),
                                        "listen: \":$1\"");
  ASSERT_NE(yaml.find("listen: \":" + std::to_string(service.port) + "\""), std::string::npos) << yaml;
  writeFile(tmp / "anywhere.yaml", yaml);
  auto applied = run(daemon.cli({"apply", "-f", tmp / "anywhere.yaml"}));
  ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
  auto status = daemon.run({"rollout", "status", "anywhere", "--timeout", "60s"}, 90s);
  EXPECT_EQ(status.exitCode, 0) << status.out << status.err;
  std::optional<http::Response> answer;
  EXPECT_TRUE(waitFor(
      [&] {
        answer = httpGet(service.port, "/");
        return answer && answer->status == 200;
      },
      10s))
      << (answer ? std::to_string(answer->status) + " " + answer->body : "no answer") << "\n"
      << daemon.log();
}

TEST(Foundation, OneDaemonPerDataDir) {
  TempDir tmp;
  Daemon first(tmp / "data");
  ASSERT_TRUE(first.waitReady()) << first.log();
  auto second = run({binary("rollway"), "serve", "--data-dir", tmp / "data"}, 10s);
  EXPECT_EQ(second.exitCode, 1);
  EXPECT_NE(second.err.find("already using"), std::string::npos) << second.err;
  // The first one still answers.
  EXPECT_EQ(run(first.cli({"get", "services"})).exitCode, 0);
}

TEST(Foundation, CliSaysWhenDaemonIsDown) {
  TempDir tmp;
  auto r = run({binary("rollway"), "--server", "unix:" + (tmp / "none.sock"), "get", "services"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("cannot reach rollway"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Foundation, SocketIs0600AndTcpNeedsToken) {
  TempDir tmp;
  std::string data = tmp / "data";
  Daemon daemon(data, {"--api", "127.0.0.1:0"});
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();

  struct stat st {};
  ASSERT_EQ(::stat(daemon.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::smatch m;
  std::string log = daemon.log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("and 127\\.0\\.0\\.1:(\\d+)"))) << log;
  net::Endpoint tcp{net::Endpoint::Kind::kTcp, "", "127.0.0.1", static_cast<uint16_t>(std::stoi(m[1]))};
  std::string token = readFile(data + "/api-token");
  token.erase(token.find_last_not_of("\n") + 1);
  ASSERT_GE(token.size(), 16u);

  auto noToken = net::Client(tcp).call("GET", "/v1/services");
  ASSERT_TRUE(noToken) << noToken.error().message;
  EXPECT_EQ(noToken->status, 401);
  auto wrong = net::Client(tcp, token + "x").call("GET", "/v1/services");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = net::Client(tcp, token).call("GET", "/v1/services");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200) << right->body;

  // The CLI over TCP with the token file.
  auto cli = run({binary("rollway"), "--server", tcp.str(), "--token-file", data + "/api-token", "get", "services"});
  EXPECT_EQ(cli.exitCode, 0) << cli.err;
  auto cliNoToken = run({binary("rollway"), "--server", tcp.str(), "get", "services"});
  EXPECT_EQ(cliNoToken.exitCode, 1);
}

// Every file of the invalid corpus is refused with the field path its first line names;
// no input crashes the binary. Every valid file and every example passes.
TEST(Foundation, ValidateCorpus) {
  int invalid = 0;
  for (const auto& entry : fs::directory_iterator(sourcePath("tests/data/invalid"))) {
    std::string file = entry.path().string();
    std::string text = readFile(file);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(text, m, std::regex("# expect: (\\S+)"))) << file << " has no '# expect:' line";
    auto r = run({binary("rollway"), "validate", "-f", file}, 10s);
    EXPECT_EQ(r.exitCode, 1) << file << " signal=" << r.signal << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(m[1].str()), std::string::npos) << file << ": expected " << m[1] << " in:\n" << r.err;
    ++invalid;
  }
  EXPECT_GE(invalid, 25);
  std::vector<std::string> valid;
  for (const auto& entry : fs::directory_iterator(sourcePath("tests/data/valid"))) valid.push_back(entry.path());
  for (const auto& entry : fs::recursive_directory_iterator(sourcePath("examples"))) {
    if (entry.path().filename() == "rollway.yaml") valid.push_back(entry.path());
  }
  EXPECT_GE(valid.size(), 3u);
  for (const auto& file : valid) {
    auto r = run({binary("rollway"), "validate", "-f", file}, 10s);
    EXPECT_EQ(r.exitCode, 0) << file << "\n" << r.err;
  }
}

TEST(Foundation, HelpEverywhere) {
  for (std::string verb : {"serve", "apply", "validate", "get", "describe", "delete", "events", "version"}) {
    auto r = run({binary("rollway"), verb, "--help"}, 5s);
    EXPECT_EQ(r.exitCode, 0) << verb;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << verb << r.out;
  }
  auto r = run({binary("rollway"), "--help"}, 5s);
  EXPECT_EQ(r.exitCode, 0);
  auto bad = run({binary("rollway"), "frobnicate"}, 5s);
  EXPECT_EQ(bad.exitCode, 2);
}

}  // namespace
}  // namespace rollway::e2e
