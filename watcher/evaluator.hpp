// `evaluate`'s reader: one package's health read from its index's JSON API (age, release
// cadence) and from its GitHub repository (open issues and pull requests, time to merge and to
// close, owner, archived), judged by watcher/health. It does the fetching (serially: GitHub
// asks for that) on the client it is given; the composition root (watcher/compose.hpp) builds
// it for the command.
#pragma once

#include "common/result.hpp"
#include "common/secret.hpp"
#include "model/model.hpp"
#include "net/http.hpp"
#include "watcher/health.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace pinwatch::net {
class Client;
}

namespace pinwatch::watcher {

using model::UnixTime;

struct Evaluation {
    std::string name;
    health::Facts facts;
    health::Judgement judgement;
    bool judged = false; // PyPI's figures were read (GitHub's perhaps not: github_error)
    std::optional<std::string> error; // PyPI could not be read: no figures, no verdict
    // Why GitHub's figures are missing (no repository found, a 404, a rate limit, no answer).
    std::optional<std::string> github_error;
};

// Where an evaluation reads: the index (its Simple API root; its JSON API beside it) and
// GitHub's API root with the token ($GITHUB_TOKEN) to ask it with.
struct EvaluatorSetup {
    std::string index_url = "https://pypi.org/simple/";
    std::string github_api_url = "https://api.github.com/";
    Secret github_token;
};

class Evaluator {
  public:
    Evaluator(net::Client& client, EvaluatorSetup setup);
    // The health of one package (by any spelling of its name), judged at `now`.
    boost::asio::awaitable<Evaluation> evaluate(std::string name, UnixTime now);

  private:
    boost::asio::awaitable<Result<net::Response, std::string>> get(std::string const& path);
    boost::asio::awaitable<std::optional<std::string>> github(std::string const& repo,
                                                              health::Facts& f);
    boost::asio::awaitable<Result<std::vector<health::ClosedItem>, std::string>>
    recently_closed(std::string const& repo, char const* endpoint, bool issues_only);

    net::Client& client_;
    std::string api_;
    Secret token_;
    std::string pypi_root_;
};

} // namespace pinwatch::watcher
