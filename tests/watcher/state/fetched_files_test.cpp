#define BOOST_TEST_MODULE fetched_files
#include <boost/test/unit_test.hpp>

// What the state file keeps of each requirements file that lives elsewhere: written and read
// back as it is, replaced, and forgotten when no longer named.

#include "watcher/state/fetched_files.hpp"

using namespace pinwatch::watcher;

BOOST_AUTO_TEST_CASE(a_file_is_kept_replaced_and_forgotten) {
    StateStore store(":memory:");
    FetchedFiles files(store);
    BOOST_TEST(files.all().empty());
    BOOST_TEST(!files.find("github:a/b/r.txt@main"));

    FetchedFile f;
    f.name = "github:a/b/r.txt@main";
    f.content = "requests==2.31.0\n";
    f.etag = "W/\"abc\"";
    f.fetched_at = 100;
    f.checked_at = 100;
    f.outcome = "fetched";
    files.put(f);
    FetchedFile g;
    g.name = "https://files.example/r.txt";
    g.checked_at = 200;
    g.outcome = "error";
    g.error = "http 503";
    files.put(g);

    auto back = files.find(f.name);
    BOOST_REQUIRE(back);
    BOOST_TEST(*back->content == "requests==2.31.0\n");
    BOOST_TEST(*back->etag == "W/\"abc\"");
    BOOST_TEST(!back->last_modified);
    BOOST_TEST(*back->fetched_at == 100);
    BOOST_TEST(back->outcome == "fetched");
    BOOST_TEST(!files.find(g.name)->content);
    BOOST_TEST(*files.find(g.name)->error == "http 503");

    f.outcome = "not_modified";
    f.checked_at = 300;
    files.put(f);
    BOOST_TEST(files.find(f.name)->outcome == "not_modified");
    BOOST_TEST(*files.find(f.name)->checked_at == 300);
    BOOST_TEST(files.all().size() == 2u);

    BOOST_TEST(files.forget_others({f.name}) == 1);
    BOOST_TEST(files.all().size() == 1u);
    BOOST_TEST(files.all()[0].name == f.name);
}
