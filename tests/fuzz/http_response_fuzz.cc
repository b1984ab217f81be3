// Responses as an upstream sends them: http::StreamParser in response mode (chunked,
// trailers, 1xx, bodyless statuses, responses to HEAD via expectNoBody(), EOF-delimited
// bodies ended by finish()), whole and in pieces derived from the input's hash; then the
// buffered ResponseParser (GET or HEAD) over the same pieces, ended by feedEof().
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.h"
#include "http_stream_driver.h"
#include "rollway/http/response_parser.h"

namespace {

using rollway::fuzz::feedInPieces;
using rollway::fuzz::StreamOptions;
namespace http = rollway::http;

void bufferedParser(const uint8_t* data, size_t size, const std::vector<size_t>& cuts, bool head) {
  http::ResponseParser parser(http::ParseLimits{.maxHeaderBytes = 16 * 1024, .maxBodyBytes = 64 * 1024});
  parser.setRequestMethod(head ? "HEAD" : "GET");
  bool ok = rollway::fuzz::feedBuffered(parser, data, size, cuts, [&](http::Response response) {
    (void)response.body.size();
    parser.setRequestMethod(head ? "HEAD" : "GET");
  });
  if (ok && parser.feedEof() == http::ParseStatus::kComplete) (void)parser.take();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t seed = rollway::fuzz::hashBytes(data, size);
  auto cuts = rollway::fuzz::splitPoints(seed, size);
  size_t maxHeader = (seed >> 40) % 8 == 0 ? 64 + (seed >> 44) % 512 : 64 * 1024;
  for (bool head : {false, true}) {
    StreamOptions options;
    options.responses = true;
    options.headRequests = head;
    {
      http::StreamParser parser(http::StreamParser::Kind::kResponse, maxHeader);
      feedInPieces(parser, options, data, size, {});
    }
    {
      http::StreamParser parser(http::StreamParser::Kind::kResponse, maxHeader);
      feedInPieces(parser, options, data, size, cuts);
    }
    bufferedParser(data, size, cuts, head);
  }
  if (size <= 2048) {
    std::vector<size_t> everyByte;
    for (size_t i = 1; i < size; ++i) everyByte.push_back(i);
    StreamOptions options;
    options.responses = true;
    http::StreamParser parser(http::StreamParser::Kind::kResponse, maxHeader);
    feedInPieces(parser, options, data, size, everyByte);
  }
  return 0;
}
