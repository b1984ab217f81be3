#include "rollway/http/response_parser.h"

#include "http/buffered_parser.h"

namespace rollway::http {

ResponseParser::ResponseParser(ParseLimits limits)
    : core_(std::make_unique<detail::BufferedParser>(StreamParser::Kind::kResponse, limits)) {}
ResponseParser::~ResponseParser() = default;
ResponseParser::ResponseParser(ResponseParser&&) noexcept = default;
ResponseParser& ResponseParser::operator=(ResponseParser&&) noexcept = default;

void ResponseParser::setRequestMethod(std::string_view method) {
  core_->setSkipBody(equalsIgnoreCase(method, "HEAD"));
}
FeedResult ResponseParser::feed(std::string_view bytes) { return core_->feed(bytes); }
ParseStatus ResponseParser::feedEof() { return core_->feedEof(); }
Response ResponseParser::take() { return core_->takeResponse(); }
bool ResponseParser::inProgress() const { return core_->inProgress(); }
const ParseError& ResponseParser::error() const { return core_->error(); }

}  // namespace rollway::http
