#define BOOST_TEST_MODULE backoff
#include <boost/test/unit_test.hpp>

#include "common/backoff.hpp"

#include <random>

using namespace pinwatch;
using std::chrono::seconds;

BOOST_AUTO_TEST_CASE(doubles_from_initial_up_to_the_cap) {
    Backoff b{seconds(30), seconds(3600)};
    BOOST_TEST(b.after(1).count() == 30);
    BOOST_TEST(b.after(2).count() == 60);
    BOOST_TEST(b.after(3).count() == 120);
    BOOST_TEST(b.after(8).count() == 3600);
    BOOST_TEST(b.after(1000).count() == 3600); // no overflow however long the run
    BOOST_TEST(b.after(0).count() == 30);
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_its_fraction) {
    Backoff b{seconds(100), seconds(1000), 0.2};
    std::mt19937 rng(7);
    for (int i = 0; i < 200; ++i) {
        auto const d = b.after(1, rng).count();
        BOOST_TEST(d >= 80);
        BOOST_TEST(d <= 120);
    }
}
