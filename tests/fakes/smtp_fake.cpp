#include "tests/fakes/smtp_fake.hpp"

#include "common/text.hpp"
#include "tests/fakes/test_certs.hpp"

#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace pinwatch::test {
namespace {

namespace fs = std::filesystem;

void write_file(fs::path const& path, std::string const& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string string_or_empty(rapidjson::Value const& v) {
    return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

} // namespace

std::optional<std::string> ReceivedMail::header(std::string_view name) const {
    for (auto const& [k, v] : headers)
        if (iequals(k, name)) return v;
    return std::nullopt;
}

std::size_t ReceivedMail::count(std::string_view name) const {
    return static_cast<std::size_t>(std::count_if(
        headers.begin(), headers.end(), [&](auto const& h) { return iequals(h.first, name); }));
}

SmtpFake::SmtpFake(SmtpFakeOptions o) {
    std::random_device rd;
    fs::path const dir = fs::temp_directory_path() /
                         ("pinwatch-smtp-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir / "out");
    dir_ = dir.string();
    certificates_ = o.certificates ? *o.certificates
                    : o.wrong_name ? make_test_certificates({"wrong.invalid"}, {})
                                   : make_test_certificates({"localhost"}, {"127.0.0.1"});
    auto const& certs = certificates_;
    ca_file_ = (dir / "ca.pem").string();
    write_file(ca_file_, certs.ca_cert_pem);
    write_file(dir / "cert.pem", certs.leaf_cert_pem);
    write_file(dir / "key.pem", certs.leaf_key_pem);

    std::vector<std::string> args = {"/usr/bin/python3",
                                     PINWATCH_SMTP_SERVER,
                                     "--mode",
                                     o.mode == SmtpFakeOptions::Mode::starttls       ? "starttls"
                                     : o.mode == SmtpFakeOptions::Mode::implicit_tls ? "implicit"
                                                                                     : "plain",
                                     "--cert",
                                     (dir / "cert.pem").string(),
                                     "--key",
                                     (dir / "key.pem").string(),
                                     "--outdir",
                                     (dir / "out").string(),
                                     "--mechanisms",
                                     o.mechanisms,
                                     "--port",
                                     std::to_string(o.port)};
    if (!o.user.empty()) {
        args.insert(args.end(), {"--user", o.user, "--password", o.password});
    }
    if (o.echo_credentials) args.push_back("--echo-credentials");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // Its stdin (closing it stops the server) and its stdout (the READY line). Our ends are
    // close-on-exec, so no other child keeps them open.
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    int const spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(in[1]);
        ::close(out[0]);
        throw std::runtime_error("cannot start /usr/bin/python3");
    }
    stdin_fd_ = in[1];

    // Wait for "READY <port>\n" (or the end of its output, if it failed to start). The bound
    // only turns a hang into a failure.
    std::string line;
    auto const give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              give_up - std::chrono::steady_clock::now())
                              .count();
        pollfd p{out[0], POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char buf[256];
        auto const n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    if (!line.starts_with("READY ")) {
        stop();
        throw std::runtime_error("the SMTP test server did not start (is python3-aiosmtpd "
                                 "installed? scripts/setup-debian.sh installs it)");
    }
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(6)));
}

SmtpFake::~SmtpFake() {
    stop();
}

void SmtpFake::stop() {
    if (stdin_fd_ >= 0) ::close(stdin_fd_); // it stops when its stdin closes...
    stdin_fd_ = -1;
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM); // ...and at once when told to
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
    }
    if (!dir_.empty()) {
        std::error_code ec;
        fs::remove_all(dir_, ec);
        dir_.clear();
    }
}

std::vector<ReceivedMail> SmtpFake::messages() const {
    std::vector<ReceivedMail> out;
    fs::path const dir = fs::path(dir_) / "out";
    for (int n = 1;; ++n) {
        auto const json_path = dir / (std::to_string(n) + ".json");
        if (!fs::exists(json_path)) break;
        rapidjson::Document d;
        auto const text = read_file(json_path);
        d.Parse(text.c_str(), text.size());
        if (d.HasParseError() || !d.IsObject())
            throw std::runtime_error("bad summary " + json_path.string());
        ReceivedMail m;
        m.raw = read_file(dir / (std::to_string(n) + ".eml"));
        m.mail_from = string_or_empty(d["mail_from"]);
        for (auto const& r : d["rcpt_tos"].GetArray())
            m.rcpt_tos.push_back(string_or_empty(r));
        if (d["login"].IsString()) m.login = string_or_empty(d["login"]);
        m.tls = d["tls"].IsBool() && d["tls"].GetBool();
        auto const& msg = d["message"];
        for (auto const& h : msg["headers"].GetArray())
            m.headers.emplace_back(string_or_empty(h[0]), string_or_empty(h[1]));
        for (auto const& x : msg["defects"].GetArray())
            m.defects.push_back(string_or_empty(x));
        m.content_type = string_or_empty(msg["content_type"]);
        for (auto const& p : msg["parts"].GetObject())
            m.parts[string_or_empty(p.name)] = string_or_empty(p.value);
        out.push_back(std::move(m));
    }
    return out;
}

std::uint16_t unused_port() {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error("cannot find a free loopback port");
    ::close(fd);
    return ntohs(addr.sin_port);
}

} // namespace pinwatch::test
