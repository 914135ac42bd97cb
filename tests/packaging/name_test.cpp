#define BOOST_TEST_MODULE name
#include <boost/test/unit_test.hpp>

#include "packaging/name.hpp"

using pinwatch::packaging::canonicalize_name;
using pinwatch::packaging::is_valid_name;

namespace {

struct Canonical {
    char const* name;
    char const* expected;
};

// packaging.utils.canonicalize_name in 23.0.
Canonical const canonical[] = {
    {"requests", "requests"},
    {"Requests", "requests"},
    {"Django_REST.framework", "django-rest-framework"},
    {"zope.interface", "zope-interface"},
    {"typing-extensions", "typing-extensions"},
    {"Typing__Extensions", "typing-extensions"},
    {"a--b", "a-b"},
    {"a-_.-b", "a-b"},
    {"A.B_c-D", "a-b-c-d"},
    {"-a-", "-a-"},
    {"__init__", "-init-"},
    {"a", "a"},
    {"A1", "a1"},
    {"1", "1"},
    {"foo..bar", "foo-bar"},
    {"Foo-Bar_baz.Qux", "foo-bar-baz-qux"},
    {"ruamel.yaml.clib", "ruamel-yaml-clib"},
    {"", ""},
    {"...", "-"},
    {"x.-_y", "x-y"},
    {"a b", "a b"}, // only separators collapse; other characters pass through
};

struct Validity {
    char const* name;
    bool valid;
};

// ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$ with re.IGNORECASE.
Validity const validity[] = {
    {"a", true},
    {"A", true},
    {"0", true},
    {"requests", true},
    {"Django_REST.framework", true},
    {"a-b", true},
    {"a--b", true},
    {"a._-b", true},
    {"A1.b2", true},
    {"", false},
    {"-a", false},
    {"a-", false},
    {"_a", false},
    {"a_", false},
    {".a", false},
    {"a.", false},
    {"a b", false},
    {"a@b", false},
    {"a+b", false},
    {"caf\xc3\xa9", false},
    {"a\n", false},
    {"-", false},
    {"~a", false},
    {"a/b", false},
};

} // namespace

BOOST_AUTO_TEST_CASE(canonicalizes_like_pep503) {
    for (auto const& row : canonical) {
        BOOST_TEST(canonicalize_name(row.name) == row.expected, "name '" << row.name << "'");
        BOOST_TEST(canonicalize_name(row.expected) == row.expected); // idempotent
    }
}

BOOST_AUTO_TEST_CASE(spellings_of_one_project_meet) {
    for (auto const* name :
         {"Typing_Extensions", "typing.extensions", "TYPING--EXTENSIONS", "typing-_-extensions"})
        BOOST_TEST(canonicalize_name(name) == "typing-extensions", name);
}

BOOST_AUTO_TEST_CASE(validates_names) {
    for (auto const& row : validity)
        BOOST_TEST(is_valid_name(row.name) == row.valid, "name '" << row.name << "'");
}
