#define BOOST_TEST_MODULE dashboard_browser
#include <boost/test/unit_test.hpp>

// The dashboard in a real browser: headless Chromium (Debian's `chromium`) loads the page of a
// daemon watching the fake PyPI through a recording forwarder (so every request the page makes
// to the listener is counted), with every host name but 127.0.0.1 unresolvable. It finds every
// package row, sorts by libyears (the page's script honours a #sort= fragment, which
// --dump-dom shows applied), opens a package page and finds its chart, shows a hostile yank
// reason as text with nothing run, and opens `report --html` from file:// the same way. The
// screenshot of the demo's data (examples/demo-requirements.txt on the fake PyPI's demo set) is
// written to the build folder, and to $PINWATCH_SCREENSHOT too when set (the README's picture).
//
// Without chromium installed it is skipped with a message, except under CI (CI=true), whose
// set-up installs it.

#include "tests/fakes/daemon_process.hpp"
#include "tests/fakes/fake_pypi.hpp"

#include <atomic>
#include <mutex>
#include <poll.h>
#include <set>

using namespace pinwatch::test;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kYear = 365 * kDay + 6 * 3600;
constexpr char const* kHostile = "<img src=x onerror=alert(1)>";

bool has(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

std::optional<std::string> chromium() {
    if (char const* c = std::getenv("PINWATCH_CHROMIUM"); c && *c) return std::string(c);
    for (auto const* dir : {"/usr/bin", "/usr/local/bin", "/bin"})
        for (auto const* name : {"chromium", "chromium-browser"})
            if (::access((fs::path(dir) / name).c_str(), X_OK) == 0)
                return (fs::path(dir) / name).string();
    return std::nullopt;
}

struct HaveChromium {
    boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
        if (chromium()) return true;
        if (char const* ci = std::getenv("CI"); ci && std::string(ci) == "true") {
            // CI installs it (scripts/setup-debian.sh): missing there is a failure, not a skip.
            BOOST_ERROR("chromium is not installed, and CI must run the browser test");
            return true;
        }
        boost::test_tools::assertion_result r(false);
        r.message() << "chromium is not installed (apt-get install chromium, or run "
                       "scripts/setup-debian.sh): the browser test is skipped";
        return r;
    }
};

// Forwards every connection to the daemon's listener and records each request's line, so the
// test knows every request the browser made to it.
class Recorder {
  public:
    explicit Recorder(std::uint16_t target) : target_(target) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        BOOST_REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        BOOST_REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~Recorder() {
        stop_ = true;
        acceptor_.join();
        for (auto& t : workers_)
            t.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        requests_.clear();
    }

  private:
    static bool readable(int fd, int ms) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, ms) > 0;
    }
    void accept_loop() {
        while (!stop_) {
            if (!readable(fd_, 50)) continue;
            int const c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) workers_.emplace_back([this, c] { serve(c); });
        }
    }
    // One request per connection (Connection: close both ways), answered by the listener.
    void serve(int client) {
        std::string head;
        char buf[8192];
        while (!stop_ && head.find("\r\n\r\n") == std::string::npos) {
            if (!readable(client, 50)) continue;
            auto const n = ::recv(client, buf, sizeof buf, 0);
            if (n <= 0) break;
            head.append(buf, static_cast<std::size_t>(n));
        }
        auto const end = head.find("\r\n\r\n");
        if (end == std::string::npos) {
            ::close(client);
            return; // a preconnect that never asked anything
        }
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(head.substr(0, head.find("\r\n")));
        }
        // The request line and Host only, closing after the answer.
        std::string const req =
            head.substr(0, head.find("\r\n")) + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        int const up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(target_);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::send(up, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size()))
            for (ssize_t n; (n = ::recv(up, buf, sizeof buf, 0)) > 0;)
                ::send(client, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        ::close(up);
        ::shutdown(client, SHUT_RDWR);
        ::close(client);
    }

    std::uint16_t target_, port_ = 0;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread acceptor_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::vector<std::string> requests_;
};

struct Workspace {
    fs::path dir;
    explicit Workspace(std::string const& name) {
        dir = fs::temp_directory_path() / ("pw-browser-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Workspace() { fs::remove_all(dir); }
    void write(std::string const& name, std::string const& text) const {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    fs::path path(std::string const& name) const { return dir / name; }
    void config(std::string const& index) const {
        write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                               "index_url = \"" +
                                   index +
                                   "\"\ninterval = \"1h\"\n[advisories]\nsource = "
                                   "\"index\"\n[http]\ntimeout = \"5s\"\n"
                                   "[metrics]\nlisten = \"127.0.0.1:0\"\n");
    }
};

// Chromium, headless, with its own profile, nothing but 127.0.0.1 resolvable and its own
// background traffic off. Returns what it printed (the DOM for --dump-dom).
std::string browse(Workspace const& w, std::vector<std::string> what) {
    static int runs = 0;
    auto const profile = w.path("profile-" + std::to_string(++runs));
    std::vector<std::string> args = {*chromium(),
                                     "--headless",
                                     "--no-sandbox", // as root in a container; nothing else runs
                                     "--disable-gpu",
                                     "--no-first-run",
                                     "--no-default-browser-check",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-default-apps",
                                     "--disable-extensions",
                                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                                     "--user-data-dir=" + profile.string()};
    args.insert(args.end(), what.begin(), what.end());
    Process p(args, w.path("chromium.out"), w.path("chromium.err"));
    int const code = p.wait(std::chrono::seconds(180));
    BOOST_REQUIRE_MESSAGE(code == 0, "chromium exited " << code << ":\n"
                                                        << slurp(w.path("chromium.err")));
    return slurp(w.path("chromium.out"));
}

// The package of each row, in the order the DOM has them.
std::vector<std::string> rows(std::string const& dom) {
    std::vector<std::string> out;
    std::regex const row(R"re(<tr data-rank="\d+" data-package="([a-z0-9-]+)")re");
    for (std::sregex_iterator it(dom.begin(), dom.end(), row), end; it != end; ++it)
        out.push_back((*it)[1]);
    return out;
}

// The libyears sort keys of the rows, in DOM order.
std::vector<double> libyears(std::string const& dom) {
    std::vector<double> out;
    std::regex const cell(R"re(<td class="n" data-v="(-?[0-9.]+)">)re");
    for (std::sregex_iterator it(dom.begin(), dom.end(), cell), end; it != end; ++it)
        out.push_back(std::stod((*it)[1]));
    return out;
}

// The page loaded whole, sorted by libyears, the hostile text shown and nothing run.
void check_sorted_overview(std::string const& dom, std::set<std::string> const& packages) {
    auto const order = rows(dom);
    BOOST_TEST((std::set<std::string>(order.begin(), order.end()) == packages), dom);
    BOOST_TEST(order.size() == packages.size());
    auto const years = libyears(dom);
    BOOST_REQUIRE(years.size() == order.size());
    BOOST_TEST(std::is_sorted(years.rbegin(), years.rend()), "not sorted by libyears");
    // The script ran (the policy let the page's own script through): buttons in the headers,
    // the libyears column marked as the sort.
    BOOST_TEST(has(dom, "data-col=\"libyears\" data-type=\"num\" aria-sort=\"descending\""));
    BOOST_TEST(has(dom, "<button type=\"button\">libyears</button>"));
    // The yank reason is text: no image element, and the text as it was published.
    BOOST_TEST(has(dom, "&lt;img src=x onerror=alert(1)&gt;"));
    BOOST_TEST(!has(dom, "<img"));
    // Nothing in the page refers to anything to load: no element with a src attribute (the
    // escaped reason holds " src=" as text), no CSS url().
    BOOST_TEST(!std::regex_search(dom, std::regex(R"(<[a-zA-Z][^<>]*\ssrc\s*=)")));
    BOOST_TEST(!has(dom, "url("));
}

} // namespace

BOOST_AUTO_TEST_CASE(dashboard_in_a_real_browser, *utf::precondition(HaveChromium())) {
    if (!chromium()) return; // CI without chromium: failed by the precondition
    Workspace w("live");
    FakePypi pypi;
    auto const now = static_cast<std::int64_t>(std::time(nullptr));
    pypi.add_project(
        {"ancient", "Far behind", {}, {{"1.0", now - 5 * kYear}, {"4.0", now - kYear}}});
    pypi.add_project(
        {"recent", "A little behind", {}, {{"2.0", now - kYear}, {"2.1", now - kYear / 4}}});
    pypi.add_project(
        {"current", "Up to date", {}, {{"1.0", now - 2 * kYear}, {"1.1", now - kDay}}});
    pypi.add_project(
        {"hostile", "Yanked with markup", {}, {{"0.1", now - kYear}, {"0.2", now - kYear / 2}}});
    pypi.yank("hostile", "0.1", kHostile);
    w.write("requirements.txt", "ancient==1.0\nrecent==2.0\ncurrent==1.1\nhostile==0.1\n");
    w.config(pypi.index_url());
    Daemon daemon(PINWATCH_BINARY, w.path("pinwatch.toml"), w.dir);
    std::set<std::string> const packages = {"ancient", "recent", "current", "hostile"};
    BOOST_REQUIRE_MESSAGE(wait_for([&] {
                              auto const a = http_request(daemon.port(), "/");
                              return a.status == 200 && rows(a.body).size() == packages.size() &&
                                     !has(a.body, ">never</td>");
                          }),
                          "the daemon never showed every pin polled");
    Recorder recorder(daemon.port());
    auto const base = "http://127.0.0.1:" + std::to_string(recorder.port());

    // The overview, sorted by libyears through its fragment.
    auto const dom = browse(w, {"--dump-dom", base + "/#sort=libyears"});
    check_sorted_overview(dom, packages);
    // Urgent first without the fragment: the yanked pin leads.
    BOOST_TEST(rows(browse(w, {"--dump-dom", base + "/"})).front() == "hostile");
    // Every request the browser made was for the page itself (a favicon at most).
    for (auto const& line : recorder.requests())
        BOOST_TEST((line == "GET / HTTP/1.1" || line == "GET /favicon.ico HTTP/1.1"), line);
    BOOST_TEST(recorder.requests().size() >= 2u);

    // A package page and its chart.
    recorder.clear();
    auto const page = browse(w, {"--dump-dom", base + "/package/ancient"});
    BOOST_TEST(has(page, "<svg class=\"timeline\""));
    BOOST_TEST(has(page, ">pinned 1.0</text>"));
    BOOST_TEST(has(page, ">latest 4.0</text>"));
    for (auto const& line : recorder.requests())
        BOOST_TEST((line == "GET /package/ancient HTTP/1.1" || line == "GET /favicon.ico HTTP/1.1"),
                   line);
    auto const yanked = browse(w, {"--dump-dom", base + "/package/hostile"});
    BOOST_TEST(has(yanked, "&lt;img src=x onerror=alert(1)&gt;"));
    BOOST_TEST(!has(yanked, "<img"));

    // `report --html`, opened from file://.
    auto const report = w.path("report.html");
    Process r({PINWATCH_BINARY, "report", "--html", report.string(), "--state",
               w.path("state.db").string()},
              w.path("report.out"), w.path("report.err"));
    BOOST_REQUIRE_MESSAGE(r.wait() == 0, slurp(w.path("report.err")));
    recorder.clear();
    auto const file_dom = browse(w, {"--dump-dom", "file://" + report.string() + "#sort=libyears"});
    check_sorted_overview(file_dom, packages);
    BOOST_TEST(recorder.requests().empty());
    BOOST_TEST(daemon.stop() == 0);
}

BOOST_AUTO_TEST_CASE(screenshot_of_the_demo, *utf::precondition(HaveChromium())) {
    if (!chromium()) return;
    Workspace w("demo");
    // The demo's data: the fake PyPI program's demo set and the demo's requirements.
    Process fake({PINWATCH_FAKE_PYPI}, w.path("fake.out"), w.path("fake.err"));
    std::smatch m;
    std::string out;
    BOOST_REQUIRE(wait_for([&] {
        out = slurp(w.path("fake.out"));
        return std::regex_search(out, m, std::regex("index_url: (\\S+)"));
    }));
    fs::copy_file(PINWATCH_SOURCE_DIR "/examples/demo-requirements.txt",
                  w.path("requirements.txt"));
    w.config(m[1]);
    Daemon daemon(PINWATCH_BINARY, w.path("pinwatch.toml"), w.dir);
    BOOST_REQUIRE(wait_for([&] {
        auto const a = http_request(daemon.port(), "/");
        return a.status == 200 && rows(a.body).size() == 5u && !has(a.body, ">never</td>");
    }));
    auto const shot = w.path("dashboard.png");
    browse(w, {"--hide-scrollbars", "--window-size=1280,720", "--screenshot=" + shot.string(),
               "http://127.0.0.1:" + std::to_string(daemon.port()) + "/"});
    BOOST_REQUIRE(fs::exists(shot));
    auto const png = slurp(shot);
    BOOST_TEST(png.rfind("\x89PNG\r\n\x1a\n", 0) == 0u);
    fs::copy_file(shot, PINWATCH_BUILD_DIR "/dashboard.png", fs::copy_options::overwrite_existing);
    if (char const* to = std::getenv("PINWATCH_SCREENSHOT"); to && *to)
        fs::copy_file(shot, to, fs::copy_options::overwrite_existing);
    BOOST_TEST(daemon.stop() == 0);
}
