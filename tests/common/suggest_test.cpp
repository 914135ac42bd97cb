#define BOOST_TEST_MODULE suggest
#include <boost/test/unit_test.hpp>

#include "common/suggest.hpp"

using namespace pinwatch;

BOOST_AUTO_TEST_CASE(edit_distance_counts_insertions_deletions_replacements_and_swaps) {
    BOOST_TEST(edit_distance("", "") == 0u);
    BOOST_TEST(edit_distance("abc", "") == 3u);
    BOOST_TEST(edit_distance("", "abc") == 3u);
    BOOST_TEST(edit_distance("webhook_ur1", "webhook_url") == 1u);  // replace
    BOOST_TEST(edit_distance("webhookurl", "webhook_url") == 1u);   // insert
    BOOST_TEST(edit_distance("webhook__url", "webhook_url") == 1u); // delete
    BOOST_TEST(edit_distance("tiemout", "timeout") == 1u);          // swap
    BOOST_TEST(edit_distance("Timeout", "timeout") == 0u);          // case does not count
    BOOST_TEST(edit_distance("kitten", "sitting") == 3u);
    BOOST_TEST(edit_distance("ca", "abc") == 3u); // no re-editing of a swapped pair
}

BOOST_AUTO_TEST_CASE(only_a_close_name_is_suggested) {
    std::vector<std::string_view> const keys{"type", "events", "webhook_url", "url", "secret"};
    BOOST_TEST(did_you_mean("webhook_ur1", keys) == " (did you mean 'webhook_url'?)");
    BOOST_TEST(did_you_mean("webhok_url", keys) == " (did you mean 'webhook_url'?)");
    BOOST_TEST(did_you_mean("Type", keys) == " (did you mean 'type'?)");
    BOOST_TEST(did_you_mean("evnets", keys) == " (did you mean 'events'?)");
    // Too far to be a typo of anything known: no guess.
    BOOST_TEST(did_you_mean("channel", keys) == "");
    BOOST_TEST(did_you_mean("x", keys) == "");
    BOOST_TEST(did_you_mean("webhook", keys) == "");
    BOOST_TEST(did_you_mean("anything", {}) == "");
    // A name that is known is not a typo of another.
    BOOST_TEST(!nearest_name("url", keys));
}

BOOST_AUTO_TEST_CASE(the_nearest_wins_and_the_first_breaks_a_tie) {
    BOOST_TEST(nearest_name("timeot", {"connect_timeout", "timeout"}).value_or("-") == "timeout");
    BOOST_TEST(nearest_name("ab", {"ac", "ad"}).value_or("-") == "ac");
}
