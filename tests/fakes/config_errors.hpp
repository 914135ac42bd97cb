// Helpers for tests that read configs: the problems as text, the secrets no message may show,
// and an environment variable set for one test. Shared by the config suites and the sources'
// own config-table suites.
#pragma once

#include "config/config.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

namespace pinwatch::testing {

inline std::string all(std::vector<config::ConfigError> const& errors) {
    std::string out;
    for (auto const& e : errors)
        out += e.str() + "\n";
    return out;
}

inline std::set<std::string> messages(std::vector<config::ConfigError> const& errors) {
    std::set<std::string> out;
    for (auto const& e : errors)
        out.insert(e.str());
    return out;
}

// Secrets used in the configs; none of them may appear in any message.
inline constexpr char const* kSlackUrl = "https://hooks.slack.com/services/T0/B0/s3cr3tSLACK";
inline constexpr char const* kHookUrl = "https://hooks.example.com/pinwatch?token=s3cr3tHOOK";
// A Standard Webhooks test key (standard-webhooks' own test vector).
inline constexpr char const* kWhsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct ScopedEnv {
    std::string name;
    ScopedEnv(std::string n, char const* value) : name(std::move(n)) {
        ::setenv(name.c_str(), value, 1);
    }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

inline void require_no_secrets(std::vector<config::ConfigError> const& errors) {
    for (auto const& e : errors) {
        for (char const* secret : {"s3cr3t", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
            BOOST_TEST(e.str().find(secret) == std::string::npos, e.str());
    }
}

} // namespace pinwatch::testing
