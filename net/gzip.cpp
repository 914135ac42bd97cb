// Streaming gzip decoding with zlib (see detail/gzip.hpp).
#include "net/detail/gzip.hpp"

#include <zlib.h>

#include <stdexcept>

namespace pinwatch::net::detail {

struct GzipDecoder::State {
    z_stream zs{};
    bool started = false; // some input arrived
    bool ended = true;    // between members: the last one finished (or none started)
};

GzipDecoder::GzipDecoder() : state_(std::make_unique<State>()) {
    // 16 + MAX_WBITS: expect the gzip wrapper (header and CRC trailer), not raw zlib.
    if (inflateInit2(&state_->zs, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
}

GzipDecoder::~GzipDecoder() {
    inflateEnd(&state_->zs);
}

GzipDecoder::Status GzipDecoder::feed(std::string_view in, std::string& out, std::size_t limit) {
    auto& zs = state_->zs;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    unsigned char slice[16 * 1024];
    while (zs.avail_in > 0 || (!state_->ended && zs.avail_out == 0)) {
        if (state_->ended) {
            // A new member starts (gzip allows several back to back; RFC 1952 2.2).
            if (state_->started && inflateReset(&zs) != Z_OK) {
                message_ = "inflateReset failed";
                return Status::corrupt;
            }
            state_->started = true;
            state_->ended = false;
        }
        zs.next_out = slice;
        zs.avail_out = sizeof slice;
        int const rc = inflate(&zs, Z_NO_FLUSH);
        std::size_t const produced = sizeof slice - zs.avail_out;
        if (out.size() + produced > limit) return Status::too_large;
        out.append(reinterpret_cast<char const*>(slice), produced);
        if (rc == Z_STREAM_END) {
            state_->ended = true;
            zs.avail_out = 1; // nothing pending in zlib after a member ends
            continue;
        }
        if (rc == Z_BUF_ERROR) break; // needs more input
        if (rc != Z_OK) {
            message_ = zs.msg ? zs.msg : "inflate error " + std::to_string(rc);
            return Status::corrupt;
        }
        if (zs.avail_in == 0 && zs.avail_out != 0) break;
    }
    return Status::ok;
}

GzipDecoder::Status GzipDecoder::finish() {
    if (!state_->ended) {
        message_ = "gzip stream ends before its trailer";
        return Status::corrupt;
    }
    return Status::ok;
}

} // namespace pinwatch::net::detail
