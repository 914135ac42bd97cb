// gzip decoder for response bodies. Compressed bytes are collected as they arrive (the client
// caps them on the wire) and inflated in one go at the end with libdeflate, about three times
// faster than zlib's streaming inflate, into a buffer sized from the gzip trailer: the decoded
// cap is checked before anything is allocated. Several members, or a trailer that lies about
// the size, fall back to zlib's streaming inflate, which stops as soon as the cap is passed.
// Internal to net/; no I/O.
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

    // Takes the next piece of the compressed body. `corrupt` at once when the stream does not
    // start like gzip.
    Status feed(std::string_view in);
    // After the last piece: inflates everything and appends it to `out`; too_large when the
    // decoded body would pass `limit` bytes (`out` then holds at most `limit` more bytes),
    // corrupt when the data or its trailer is wrong.
    Status finish(std::string& out, std::size_t limit);
    // The reason for the last `corrupt`.
    std::string const& message() const noexcept { return message_; }

  private:
    Status stream_inflate(std::string& out, std::size_t limit); // zlib, member by member
    std::string compressed_;
    std::string message_;
};

} // namespace pinwatch::net::detail
