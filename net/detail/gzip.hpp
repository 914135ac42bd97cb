// Streaming gzip decoder for response bodies: inflates chunk by chunk as the body arrives and
// stops as soon as the decoded size would pass a cap. Internal to net/; zlib only, no I/O.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace pinwatch::net::detail {

class GzipDecoder {
  public:
    enum class Status { ok, too_large, corrupt };

    GzipDecoder();
    ~GzipDecoder();
    GzipDecoder(GzipDecoder const&) = delete;
    GzipDecoder& operator=(GzipDecoder const&) = delete;

    // Inflates `in` and appends the result to `out`; too_large (with `out` unchanged past
    // `limit`) as soon as `out` would grow beyond `limit` bytes.
    Status feed(std::string_view in, std::string& out, std::size_t limit);
    // Called after the last chunk: corrupt when the stream stopped inside a gzip member.
    Status finish();
    // zlib's reason for the last `corrupt`.
    std::string const& message() const noexcept { return message_; }

  private:
    struct State;
    std::unique_ptr<State> state_;
    std::string message_;
};

} // namespace pinwatch::net::detail
