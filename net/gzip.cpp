// gzip decoding: libdeflate for the common single-member body, zlib streaming as the fallback
// (see detail/gzip.hpp).
#include "net/detail/gzip.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <cstdint>
#include <new>

namespace pinwatch::net::detail {

namespace {

// One decompressor per thread: allocating one costs ~30 KB and a page fault or two, and the
// client's loop runs on one thread.
libdeflate_decompressor* decompressor() {
    struct Holder {
        libdeflate_decompressor* d = libdeflate_alloc_decompressor();
        ~Holder() { libdeflate_free_decompressor(d); }
    };
    thread_local Holder holder;
    if (!holder.d) throw std::bad_alloc();
    return holder.d;
}

} // namespace

GzipDecoder::GzipDecoder() = default;
GzipDecoder::~GzipDecoder() = default;

GzipDecoder::Status GzipDecoder::feed(std::string_view in) {
    compressed_.append(in);
    // RFC 1952: ID1 ID2 CM = 1f 8b 08. Noise is refused as soon as its first bytes arrive.
    static constexpr unsigned char kMagic[] = {0x1f, 0x8b, 0x08};
    for (std::size_t i = 0; i < compressed_.size() && i < 3; ++i) {
        if (static_cast<unsigned char>(compressed_[i]) != kMagic[i]) {
            message_ = "not a gzip stream (bad header)";
            return Status::corrupt;
        }
    }
    return Status::ok;
}

GzipDecoder::Status GzipDecoder::finish(std::string& out, std::size_t limit) {
    if (compressed_.empty()) return Status::ok; // no body at all (HEAD, 204, an empty answer)
    if (compressed_.size() < 18) { // header 10 + empty deflate block 2 + trailer 8, at least
        message_ = "gzip stream ends before its trailer";
        return Status::corrupt;
    }
    // ISIZE: the decoded size modulo 2^32, the last four bytes (little-endian).
    auto const* tail =
        reinterpret_cast<unsigned char const*>(compressed_.data() + compressed_.size() - 4);
    std::size_t const isize = std::uint32_t(tail[0]) | std::uint32_t(tail[1]) << 8 |
                              std::uint32_t(tail[2]) << 16 | std::uint32_t(tail[3]) << 24;
    if (isize <= limit) {
        std::size_t const before = out.size();
        out.resize(before + isize);
        std::size_t in_used = 0, produced = 0;
        auto const rc =
            libdeflate_gzip_decompress_ex(decompressor(), compressed_.data(), compressed_.size(),
                                          out.data() + before, isize, &in_used, &produced);
        if (rc == LIBDEFLATE_SUCCESS && in_used == compressed_.size() && produced == isize) {
            compressed_.clear();
            return Status::ok;
        }
        out.resize(before);
        if (rc == LIBDEFLATE_BAD_DATA) {
            message_ = "invalid gzip data";
            return Status::corrupt;
        }
        // Several members, or a trailer whose size is wrong: decode as a stream, capped.
    }
    return stream_inflate(out, limit);
}

GzipDecoder::Status GzipDecoder::stream_inflate(std::string& out, std::size_t limit) {
    z_stream zs{};
    // 16 + MAX_WBITS: expect the gzip wrapper (header and CRC trailer), not raw zlib.
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
    struct End {
        z_stream& zs;
        ~End() { inflateEnd(&zs); }
    } end{zs};
    zs.next_in = reinterpret_cast<Bytef*>(compressed_.data());
    zs.avail_in = static_cast<uInt>(compressed_.size());
    unsigned char slice[64 * 1024];
    bool ended = false;
    while (true) {
        zs.next_out = slice;
        zs.avail_out = sizeof slice;
        int const rc = inflate(&zs, Z_NO_FLUSH);
        std::size_t const produced = sizeof slice - zs.avail_out;
        if (out.size() + produced > limit) return Status::too_large;
        out.append(reinterpret_cast<char const*>(slice), produced);
        if (rc == Z_STREAM_END) {
            ended = true;
            if (zs.avail_in == 0) break;
            // A new member starts (gzip allows several back to back; RFC 1952 2.2).
            if (inflateReset(&zs) != Z_OK) {
                message_ = "inflateReset failed";
                return Status::corrupt;
            }
            ended = false;
            continue;
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break; // input used up inside a member
        if (rc != Z_OK) {
            message_ = zs.msg ? zs.msg : "inflate error " + std::to_string(rc);
            return Status::corrupt;
        }
    }
    if (!ended) {
        message_ = "gzip stream ends before its trailer";
        return Status::corrupt;
    }
    compressed_.clear();
    return Status::ok;
}

} // namespace pinwatch::net::detail
