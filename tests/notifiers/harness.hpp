// Runs a notifier's deliver() on an io_context driven by the test thread, with a real HTTPS
// client, against fakes on loopback. Waits on the result; durations only bound failures.
#pragma once

#include "net/client.hpp"
#include "notifiers/notifier.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace pinwatch::test {

struct DeliverHarness {
    boost::asio::io_context ioc;
    std::unique_ptr<net::Client> client;

    explicit DeliverHarness(std::string const& ca_file = "") {
        net::ClientOptions o;
        o.proxy = {}; // never the environment's proxies in tests
        o.deadline = std::chrono::seconds(10);
        o.connect_timeout = std::chrono::seconds(5);
        if (!ca_file.empty()) o.extra_ca_file = ca_file;
        client = std::make_unique<net::Client>(ioc.get_executor(), o);
    }
    ~DeliverHarness() { client.reset(); } // before its io_context

    notifiers::Delivery deliver(notifiers::Notifier& n, std::span<model::Event const> events) {
        std::optional<notifiers::Delivery> out;
        std::exception_ptr failure;
        boost::asio::co_spawn(ioc, n.deliver(events),
                              [&](std::exception_ptr e, notifiers::Delivery d) {
                                  failure = e;
                                  out = std::move(d);
                              });
        if (ioc.stopped()) ioc.restart();
        auto const give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!out && std::chrono::steady_clock::now() < give_up)
            if (ioc.run_one_until(give_up) == 0 && ioc.stopped()) break;
        if (failure) std::rethrow_exception(failure);
        BOOST_REQUIRE_MESSAGE(out.has_value(), "deliver() did not finish within the bound");
        return std::move(*out);
    }
    notifiers::Delivery deliver(notifiers::Notifier& n, std::vector<model::Event> const& events) {
        return deliver(n, std::span<model::Event const>(events));
    }
};

} // namespace pinwatch::test

namespace pinwatch::notifiers {

// For Boost.Test's messages (found by ADL).
inline std::ostream& operator<<(std::ostream& os, Delivery::Status s) {
    switch (s) {
    case Delivery::Status::delivered:
        return os << "delivered";
    case Delivery::Status::retry:
        return os << "retry";
    case Delivery::Status::failed:
        return os << "failed";
    }
    return os << "?";
}

} // namespace pinwatch::notifiers
