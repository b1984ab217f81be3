// Requests as a client sends them: http::StreamParser (the proxy's parser) in request
// mode, the input cut into pieces at points derived from its hash, once whole, once in
// those pieces and (for small inputs) byte by byte; then the buffered RequestParser
// over the same pieces, with pipelined requests taken one by one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "http_stream_driver.h"
#include "rollway/http/request_parser.h"

namespace {

using rollway::fuzz::feedInPieces;
using rollway::fuzz::StreamOptions;
namespace http = rollway::http;

void bufferedParser(const uint8_t* data, size_t size, const std::vector<size_t>& cuts, size_t maxHeader) {
  http::RequestParser parser(http::ParseLimits{.maxHeaderBytes = maxHeader, .maxBodyBytes = 64 * 1024});
  bool ok = rollway::fuzz::feedBuffered(parser, data, size, cuts, [](http::Request request) {
    (void)request.path();
    (void)request.queryParam("filename");
  });
  if (ok) (void)parser.feedEof();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t seed = rollway::fuzz::hashBytes(data, size);
  auto cuts = rollway::fuzz::splitPoints(seed, size);
  // A small header limit now and then, so that 431 and its edges are reached too.
  size_t maxHeader = (seed >> 40) % 8 == 0 ? 64 + (seed >> 44) % 512 : 64 * 1024;
  StreamOptions options;
  options.resumeAfterUpgrade = (seed >> 48) & 1;
  {
    http::StreamParser parser(http::StreamParser::Kind::kRequest, maxHeader);
    feedInPieces(parser, options, data, size, {});
  }
  {
    http::StreamParser parser(http::StreamParser::Kind::kRequest, maxHeader);
    feedInPieces(parser, options, data, size, cuts);
  }
  if (size <= 2048) {
    std::vector<size_t> everyByte;
    for (size_t i = 1; i < size; ++i) everyByte.push_back(i);
    http::StreamParser parser(http::StreamParser::Kind::kRequest, maxHeader);
    feedInPieces(parser, options, data, size, everyByte);
  }
  bufferedParser(data, size, cuts, maxHeader);
  return 0;
}
