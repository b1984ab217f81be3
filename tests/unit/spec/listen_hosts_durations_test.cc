// Issue 10: listen addresses, wildcard hosts and duration bounds in the spec.
#include <gtest/gtest.h>

#include "rollway/spec/parser.h"
#include "unit/spec/spec_test_util.h"

namespace rollway::spec {
namespace {

using testing::minimalSpec;

std::string specErrors(const std::string& text) {
  auto parsed = parseServices(text, "test.yaml");
  return parsed ? "" : parsed.error().str();
}

std::string withListen(const std::string& listen, const std::string& extra = "") {
  std::string text = minimalSpec(extra);
  auto at = text.find("127.0.0.1:8080");
  return text.replace(at, 14, "\"" + listen + "\"");
}

TEST(SpecListen, AcceptsAddressesLocalhostAndEveryInterface) {
  for (const char* ok : {":8080", "0.0.0.0:8080", "127.0.0.1:8080", "localhost:8080", "[::1]:8080", "[::]:8080"}) {
    EXPECT_EQ(specErrors(withListen(ok)), "") << ok;
  }
}

TEST(SpecListen, RefusesHostNamesItWouldHaveToLookUp) {
  std::string err = specErrors(withListen("web.example.com:8080"));
  EXPECT_NE(err.find("spec.listen"), std::string::npos) << err;
  EXPECT_NE(err.find("not an IP address"), std::string::npos) << err;
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.1:8080", "[::1:8080", "[zz]:8080", "::1:8080"}) {
    EXPECT_NE(specErrors(withListen(bad)).find("spec.listen"), std::string::npos) << bad;
  }
}

TEST(SpecListen, DocumentsOfOneFileThatShareASocketClash) {
  auto doc = [](const std::string& name, const std::string& listen, const std::string& hosts) {
    std::string text = withListen(listen, hosts.empty() ? "" : "  hosts: " + hosts + "\n");
    return text.replace(text.find("name: web"), 9, "name: " + name);
  };
  std::string err = specErrors(doc("a", "127.0.0.1:8080", "") + "---\n" + doc("b", "localhost:8080", ""));
  EXPECT_NE(err.find("spec.listen"), std::string::npos) << err;
  err = specErrors(doc("a", "127.0.0.1:8080", "[x.local]") + "---\n" + doc("b", ":8080", "[y.local]"));
  EXPECT_NE(err.find("overlaps"), std::string::npos) << err;
  EXPECT_EQ(specErrors(doc("a", "127.0.0.1:8080", "[x.local]") + "---\n" + doc("b", "localhost:8080", "[y.local]")), "");
  err = specErrors(doc("a", "127.0.0.1:8080", "[x.local]") + "---\n" + doc("b", "localhost:8080", "[X.local.]"));
  EXPECT_NE(err.find("spec.listen"), std::string::npos) << err;
}

TEST(SpecListen, PreviewListenMustBeASocketApart) {
  auto bg = [](const std::string& preview) {
    return "  strategy:\n    type: BlueGreen\n    blueGreen: {previewListen: \"" + preview + "\"}\n";
  };
  for (const char* clash : {"localhost:8080", "0.0.0.0:8080", ":8080", "[::]:8080"}) {
    std::string err = specErrors(minimalSpec(bg(clash)));
    EXPECT_NE(err.find("spec.strategy.blueGreen.previewListen"), std::string::npos) << clash << ": " << err;
  }
  EXPECT_EQ(specErrors(minimalSpec(bg("127.0.0.1:8081"))), "");
}

TEST(SpecHosts, WildcardOnlyAsALeadingLabel) {
  EXPECT_EQ(specErrors(minimalSpec("  hosts: [\"*.example.com\", example.com, web.local.]\n")), "");
  for (const char* bad : {"*", "*.", "a*.example.com", "*example.com", "example.*.com", "*.*.example.com",
                          "example.com:80", "http://example.com", "-a.example.com"}) {
    std::string err = specErrors(minimalSpec("  hosts: [\"" + std::string(bad) + "\"]\n"));
    EXPECT_NE(err.find("spec.hosts[0]"), std::string::npos) << bad << ": " << err;
  }
}

TEST(SpecHosts, SameHostTwiceIsCaughtWhateverTheSpelling) {
  std::string err = specErrors(minimalSpec("  hosts: [Web.Local, web.local.]\n"));
  EXPECT_NE(err.find("spec.hosts[1]"), std::string::npos) << err;
}

TEST(SpecDurations, EveryDurationHasAnUpperBound) {
  struct Case {
    std::string specExtra, templateExtra, path, bound;
  };
  std::vector<Case> cases = {
      {"  analysis: {interval: 2562047h, metrics: [{name: e, successCondition: '< 1'}]}\n", "",
       "spec.analysis.interval", "too long: at most 87600h"},  // beyond the parser's own limit
      {"  analysis: {interval: 25h, metrics: [{name: e, successCondition: '< 1'}]}\n", "", "spec.analysis.interval",
       "24h"},
      {"  strategy: {type: Canary, canary: {steps: [{pause: {duration: 721h}}]}}\n", "",
       "spec.strategy.canary.steps[0].pause.duration", "720h"},
      {"", "    readinessProbe: {httpGet: {}, periodSeconds: 3601}\n", "spec.template.readinessProbe.periodSeconds",
       "3600"},
      {"", "    livenessProbe: {httpGet: {}, timeoutSeconds: 2147483647}\n",
       "spec.template.livenessProbe.timeoutSeconds", "3600"},
      {"", "    startupProbe: {httpGet: {}, initialDelaySeconds: 86401}\n",
       "spec.template.startupProbe.initialDelaySeconds", "86400"},
      {"", "    terminationGracePeriodSeconds: 2147483647\n", "spec.template.terminationGracePeriodSeconds", "86400"},
      {"", "    lifecycle: {preStop: {sleep: {seconds: 3601}}}\n", "spec.template.lifecycle.preStop.sleep.seconds",
       "3600"},
      {"  minReadySeconds: 86401\n", "", "spec.minReadySeconds", "86400"},
      {"  progressDeadlineSeconds: 2592001\n", "", "spec.progressDeadlineSeconds", "2592000"},
      {"  strategy: {type: BlueGreen, blueGreen: {autoPromotionSeconds: 2592001}}\n", "",
       "spec.strategy.blueGreen.autoPromotionSeconds", "2592000"},
      {"  strategy: {type: BlueGreen, blueGreen: {scaleDownDelaySeconds: 2147483647}}\n", "",
       "spec.strategy.blueGreen.scaleDownDelaySeconds", "2592000"},
  };
  for (const auto& c : cases) {
    std::string err = specErrors(minimalSpec(c.specExtra, c.templateExtra));
    EXPECT_NE(err.find("test.yaml"), std::string::npos) << c.path << ": " << err;
    EXPECT_NE(err.find(c.path), std::string::npos) << c.path << ": " << err;
    EXPECT_NE(err.find(c.bound), std::string::npos) << c.path << ": " << err;
  }
  // At the bound itself: accepted.
  EXPECT_EQ(specErrors(minimalSpec("  analysis: {interval: 24h, metrics: [{name: e, successCondition: '< 1'}]}\n"
                                "  progressDeadlineSeconds: 2592000\n  minReadySeconds: 86400\n",
                                "    readinessProbe: {httpGet: {}, periodSeconds: 3600}\n"
                                "    terminationGracePeriodSeconds: 86400\n")),
            "");
}

TEST(SpecDurations, OverflowInTheParserIsAnErrorWithThePath) {
  std::string err = specErrors(
      minimalSpec("  analysis: {interval: 99999999999999999999s, metrics: [{name: e, successCondition: '< 1'}]}\n"));
  EXPECT_NE(err.find("spec.analysis.interval"), std::string::npos) << err;
  EXPECT_NE(err.find("too long"), std::string::npos) << err;
}

}  // namespace
}  // namespace rollway::spec
