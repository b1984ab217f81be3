#include "rollway/http/request_parser.h"

#include "http/buffered_parser.h"

namespace rollway::http {

RequestParser::RequestParser(ParseLimits limits)
    : core_(std::make_unique<detail::BufferedParser>(StreamParser::Kind::kRequest, limits)) {}
RequestParser::~RequestParser() = default;
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;

FeedResult RequestParser::feed(std::string_view bytes) { return core_->feed(bytes); }
ParseStatus RequestParser::feedEof() { return core_->feedEof(); }
Request RequestParser::take() { return core_->takeRequest(); }
bool RequestParser::inProgress() const { return core_->inProgress(); }
const ParseError& RequestParser::error() const { return core_->error(); }

}  // namespace rollway::http
