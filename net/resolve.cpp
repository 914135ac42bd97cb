// The bounded DNS lookup shared by the HTTPS and the SMTP client (net/detail/resolve.hpp).
#include "net/detail/resolve.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pinwatch::net::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

asio::awaitable<Result<std::vector<tcp::endpoint>, error_code>>
resolve(asio::any_io_executor ex, std::string host, std::uint16_t port,
        std::chrono::steady_clock::time_point until, std::shared_ptr<Lookup>* watch) {
    // IP literals need no resolver.
    error_code literal_ec;
    auto const address = asio::ip::make_address(host, literal_ec);
    if (!literal_ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};

    auto lookup = std::make_shared<Lookup>(ex);
    lookup->done.expires_at(until);
    lookup->resolver.async_resolve(host, std::to_string(port),
                                   [lookup](error_code ec, tcp::resolver::results_type r) {
                                       lookup->ec = ec;
                                       for (auto const& entry : r)
                                           lookup->endpoints.push_back(entry.endpoint());
                                       lookup->finished = true;
                                       lookup->done.cancel();
                                   });
    if (watch) *watch = lookup;
    co_await lookup->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (watch) watch->reset();
    if (!lookup->finished) {
        lookup->resolver.cancel();
        // Our clock ran out, or someone cancelled the wait.
        bool const expired = std::chrono::steady_clock::now() >= until;
        co_return fail(
            error_code(expired ? asio::error::timed_out : asio::error::operation_aborted));
    }
    if (lookup->ec) co_return fail(lookup->ec);
    co_return std::move(lookup->endpoints);
}

} // namespace pinwatch::net::detail
