// Both parsers against the raw-byte corpora: every tests/data/http-bad vector must be an
// error (after its good pipelined prefix, if any) with one of the statuses its README
// allows; every tests/data/http-good vector must parse into the stated number of requests.
// The e2e replay through `rollway proxy` is in tests/e2e/proxy_robustness_test.cc.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rollway/http/request_parser.h"
#include "rollway/http/stream_parser.h"

namespace rollway::http {
namespace {

struct Vector {
  std::string file;
  std::string bytes;
  int goodRequests = 0;            // requests before the bad part (or all, for http-good)
  std::vector<std::string> final;  // allowed outcomes of the bad part: "400", "close"...
};

std::string dataDir(const std::string& name) {
  const char* root = std::getenv("ROLLWAY_SOURCE_DIR");
  return std::string(root != nullptr ? root : ".") + "/tests/data/" + name;
}

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> splitOn(const std::string& text, const std::string& sep) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    size_t at = text.find(sep, start);
    std::string part = text.substr(start, at - start);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    while (!part.empty() && part.back() == ' ') part.pop_back();
    out.push_back(part);
    if (at == std::string::npos) return out;
    start = at + sep.size();
  }
}

// The README.md table rows: | file | outcome-or-count | what |
std::vector<Vector> loadCorpus(const std::string& name, bool good) {
  std::vector<Vector> vectors;
  std::ifstream in(dataDir(name) + "/README.md");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0) continue;
    std::string unescaped;
    std::vector<std::string> cells(1);
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
        cells.back().push_back('|');
        ++i;
      } else if (line[i] == '|') {
        cells.emplace_back();
      } else {
        cells.back().push_back(line[i]);
      }
    }
    if (cells.size() < 4) continue;
    Vector v;
    v.file = splitOn(cells[1], "|")[0];
    if (v.file.size() < 6 || v.file.substr(v.file.size() - 5) != ".http") continue;
    v.bytes = readAll(dataDir(name) + "/" + v.file);
    std::string outcome = splitOn(cells[2], "\n")[0];
    if (good) {
      v.goodRequests = std::atoi(outcome.c_str());
    } else {
      auto steps = splitOn(outcome, " then ");
      v.goodRequests = static_cast<int>(steps.size()) - 1;
      v.final = splitOn(steps.back(), "|");
    }
    vectors.push_back(std::move(v));
  }
  return vectors;
}

struct Outcome {
  int complete = 0;     // whole requests parsed
  bool error = false;
  int status = 0;
  std::string reason;
};

class NullSink : public StreamParser::BodySink {
 public:
  void onBody(const char*, size_t) override {}
};

// The proxy's way: one buffer, fed in pieces of `piece` bytes.
Outcome runStream(const std::string& bytes, size_t piece) {
  StreamParser parser(StreamParser::Kind::kRequest);
  NullSink sink;
  Outcome out;
  size_t begin = 0;
  size_t available = std::min(piece, bytes.size());
  while (true) {
    auto step = parser.execute(bytes.data(), begin, available, &sink);
    begin += step.consumed;
    if (step.event == StreamParser::Event::kError) {
      out.error = true;
      out.status = parser.error().status;
      out.reason = parser.error().reason;
      return out;
    }
    if (step.event == StreamParser::Event::kComplete || step.event == StreamParser::Event::kUpgrade) ++out.complete;
    if (step.event == StreamParser::Event::kNeedMore) {
      if (available == bytes.size()) return out;
      available = std::min(available + piece, bytes.size());
    }
  }
}

Outcome runBuffered(const std::string& bytes, size_t piece) {
  RequestParser parser;
  Outcome out;
  std::string buffer;
  size_t fed = 0;
  while (true) {
    if (buffer.empty()) {
      if (fed == bytes.size()) return out;
      size_t n = std::min(piece, bytes.size() - fed);
      buffer.append(bytes, fed, n);
      fed += n;
    }
    auto r = parser.feed(buffer);
    if (r.status == ParseStatus::kError) {
      out.error = true;
      out.status = parser.error().status;
      out.reason = parser.error().reason;
      return out;
    }
    if (r.status == ParseStatus::kComplete) {
      buffer.erase(0, r.consumed);
      parser.take();
      ++out.complete;
    } else {
      buffer.clear();
    }
  }
}

std::string describe(const Outcome& o) {
  return std::to_string(o.complete) + " complete, " +
         (o.error ? "error " + std::to_string(o.status) + " (" + o.reason + ")" : std::string("no error"));
}

bool badOk(const Vector& v, const Outcome& o) {
  if (o.complete != v.goodRequests) return false;
  if (!o.error) return std::find(v.final.begin(), v.final.end(), "close") != v.final.end();
  return std::find(v.final.begin(), v.final.end(), std::to_string(o.status)) != v.final.end();
}

TEST(HttpCorpus, BadVectorsAreRejectedByBothParsers) {
  auto vectors = loadCorpus("http-bad", false);
  ASSERT_GE(vectors.size(), 150u);
  int failures = 0;
  std::string table;
  for (const auto& v : vectors) {
    for (size_t piece : {v.bytes.size(), size_t{1}, size_t{7}}) {
      if (piece == 0) continue;
      Outcome s = runStream(v.bytes, piece);
      Outcome b = runBuffered(v.bytes, piece);
      if (!badOk(v, s) || !badOk(v, b)) {
        ++failures;
        table += v.file + " [pieces of " + std::to_string(piece) + "]: stream " + describe(s) + "; buffered " +
                 describe(b) + "\n";
      }
    }
  }
  EXPECT_EQ(failures, 0) << "vectors not rejected as their README says:\n" << table;
}

TEST(HttpCorpus, GoodVectorsAreAcceptedByBothParsers) {
  auto vectors = loadCorpus("http-good", true);
  ASSERT_GE(vectors.size(), 20u);
  std::string table;
  for (const auto& v : vectors) {
    for (size_t piece : {v.bytes.size(), size_t{1}, size_t{7}}) {
      Outcome s = runStream(v.bytes, piece);
      Outcome b = runBuffered(v.bytes, piece);
      if (s.error || b.error || s.complete != v.goodRequests || b.complete != v.goodRequests) {
        table += v.file + " [pieces of " + std::to_string(piece) + "]: stream " + describe(s) + "; buffered " +
                 describe(b) + "\n";
      }
    }
  }
  EXPECT_TRUE(table.empty()) << "valid requests refused:\n" << table;
}

}  // namespace
}  // namespace rollway::http
