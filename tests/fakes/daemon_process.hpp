// The real `pinwatch` binary run by a test: `run` in the background with its [metrics]
// listener (the port read from its log line), one-shot commands, and a plain HTTP/1.1 client
// for the listener. Header-only; every wait is for an event, bounded by a generous limit.
#pragma once

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace pinwatch::test {

inline bool wait_for(std::function<bool()> const& done,
                     std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto const until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

inline std::string slurp(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs argv with stdout and stderr to files; kills it (SIGKILL) if still running at the end.
class Process {
  public:
    Process(std::vector<std::string> argv, std::filesystem::path const& out,
            std::filesystem::path const& err) {
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0600);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0600);
        int const rc =
            posix_spawnp(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0] << ": " << std::strerror(rc));
    }
    ~Process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Process(Process const&) = delete;
    Process& operator=(Process const&) = delete;
    // Waits for the exit; the exit status, or -1 when it did not end in time.
    int wait(std::chrono::seconds limit = std::chrono::seconds(120)) {
        int status = 0;
        pid_t done = 0;
        if (!wait_for([&] { return (done = ::waitpid(pid_, &status, WNOHANG)) != 0; }, limit))
            return -1;
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    int stop() {
        ::kill(pid_, SIGTERM);
        return wait();
    }

  private:
    pid_t pid_ = 0;
};

struct HttpAnswer {
    int status = 0;
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;
};

// One request to 127.0.0.1:port; the answer as the server sent it.
inline HttpAnswer http_request(std::uint16_t port, std::string const& target,
                               std::string const& method = "GET") {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd >= 0);
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string const req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    BOOST_REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size()));
    std::string resp;
    char buf[8192];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        resp.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    auto const end = resp.find("\r\n\r\n");
    BOOST_REQUIRE_MESSAGE(end != std::string::npos && resp.rfind("HTTP/1.1 ", 0) == 0, resp);
    HttpAnswer a;
    a.status = std::stoi(resp.substr(9, 3));
    std::istringstream head(resp.substr(0, end));
    std::string line;
    std::getline(head, line); // the status line
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto const colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        a.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    a.body = resp.substr(end + 4);
    return a;
}

// `pinwatch run --config FILE` with its [metrics] listener on 127.0.0.1:0; port() is the one
// it logged.
class Daemon {
  public:
    Daemon(std::string const& binary, std::filesystem::path const& config,
           std::filesystem::path const& dir)
        : log_(dir / "daemon.log"),
          process_({binary, "run", "--config", config.string()}, dir / "daemon.out", log_) {
        std::smatch m;
        std::string log;
        std::regex const line("metrics on http://127\\.0\\.0\\.1:([0-9]+)/");
        BOOST_REQUIRE_MESSAGE(wait_for([&] {
                                  log = slurp(log_);
                                  return std::regex_search(log, m, line);
                              }),
                              "the daemon did not start its listener:\n"
                                  << slurp(log_));
        port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
    }
    std::uint16_t port() const { return port_; }
    std::string log() const { return slurp(log_); }
    int stop() { return process_.stop(); }

  private:
    std::filesystem::path log_;
    Process process_;
    std::uint16_t port_ = 0;
};

} // namespace pinwatch::test
