#define BOOST_TEST_MODULE gzip_test
#include <boost/test/unit_test.hpp>

// The gzip decoder: any chunking, several members, the cap, corrupt and cut input, a trailer
// that lies about the size.

#include "net/detail/gzip.hpp"
#include "tests/fakes/test_server.hpp"

#include <random>

using pinwatch::net::detail::GzipDecoder;
using pinwatch::test::gzip_compress;
using Status = GzipDecoder::Status;

namespace {

std::string sample(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; s.size() < n; ++i)
        s += "line " + std::to_string(i % 97) + "\n";
    s.resize(n);
    return s;
}

// Feeds `gz` in chunks of `step` bytes; returns the status of the first non-ok step or finish.
Status decode(std::string_view gz, std::size_t step, std::string& out,
              std::size_t limit = std::string::npos) {
    GzipDecoder decoder;
    for (std::size_t at = 0; at < gz.size(); at += step)
        if (auto s = decoder.feed(gz.substr(at, step)); s != Status::ok) return s;
    return decoder.finish(out, limit);
}

} // namespace

BOOST_AUTO_TEST_CASE(decodes_whatever_the_chunking) {
    auto const text = sample(200'000);
    auto const gz = gzip_compress(text);
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, gz.size()}) {
        std::string out;
        BOOST_TEST((decode(gz, step, out) == Status::ok), "step " << step);
        BOOST_TEST(out == text, "step " << step);
    }
}

BOOST_AUTO_TEST_CASE(concatenated_members) {
    auto const gz = gzip_compress("first part, ") + gzip_compress("second part");
    std::string out;
    BOOST_TEST((decode(gz, 5, out) == Status::ok));
    BOOST_TEST(out == "first part, second part");
}

BOOST_AUTO_TEST_CASE(empty_input_is_an_empty_body) {
    std::string out;
    BOOST_TEST((decode("", 1, out) == Status::ok));
    BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(cap_is_exact) {
    auto const text = sample(100'000);
    auto const gz = gzip_compress(text);
    std::string at_limit;
    BOOST_TEST((decode(gz, 1000, at_limit, text.size()) == Status::ok));
    BOOST_TEST(at_limit.size() == text.size());
    std::string over;
    BOOST_TEST((decode(gz, 1000, over, text.size() - 1) == Status::too_large));
    BOOST_TEST(over.size() <= text.size() - 1);
}

BOOST_AUTO_TEST_CASE(bomb_stops_at_the_cap) {
    auto const gz = gzip_compress(std::string(64u << 20, '\0')); // 64 MiB of zeros, ~64 KiB
    std::string out;
    BOOST_TEST((decode(gz, gz.size(), out, 1u << 20) == Status::too_large));
    BOOST_TEST(out.size() <= (1u << 20));
}

BOOST_AUTO_TEST_CASE(corrupt_and_cut_streams) {
    std::mt19937 gen(7);
    std::string noise(1000, '\0');
    for (auto& c : noise)
        c = static_cast<char>(gen());
    std::string out;
    GzipDecoder noisy;
    BOOST_TEST((noisy.feed(noise) == Status::corrupt));
    BOOST_TEST(!noisy.message().empty());

    auto const gz = gzip_compress(sample(10'000));
    out.clear();
    BOOST_TEST((decode(gz.substr(0, gz.size() - 4), 100, out) == Status::corrupt)); // no trailer

    auto bad_crc = gz;
    bad_crc[bad_crc.size() - 6] ^= 0x55; // inside the CRC32 field
    out.clear();
    BOOST_TEST((decode(bad_crc, 100, out) == Status::corrupt));

    out.clear();
    BOOST_TEST((decode(gz + "trailing junk", 100, out) == Status::corrupt));
}

BOOST_AUTO_TEST_CASE(a_trailer_that_lies_about_the_size_still_respects_the_cap) {
    auto const text = sample(100'000);
    auto gz = gzip_compress(text);
    // ISIZE says 10 bytes: the fast path fails, the streaming fallback decodes it right...
    gz[gz.size() - 4] = 10, gz[gz.size() - 3] = 0, gz[gz.size() - 2] = 0, gz[gz.size() - 1] = 0;
    std::string out;
    BOOST_TEST((decode(gz, 4096, out) == Status::corrupt)); // zlib checks ISIZE too
    // ...and a bomb whose trailer claims it is small is stopped at the cap, not after inflating.
    auto bomb = gzip_compress(std::string(50'000'000, 'a'));
    bomb[bomb.size() - 4] = 1, bomb[bomb.size() - 3] = 0, bomb[bomb.size() - 2] = 0,
                       bomb[bomb.size() - 1] = 0;
    out.clear();
    BOOST_TEST((decode(bomb, 65536, out, 1'000'000) == Status::too_large));
    BOOST_TEST(out.size() <= 1'000'000u);
    // An honest trailer over the cap is refused before anything is allocated.
    out.clear();
    BOOST_TEST((decode(gzip_compress(text), 4096, out, 1000) == Status::too_large));
    BOOST_TEST(out.empty());
}
