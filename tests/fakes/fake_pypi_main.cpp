// pinwatch-fake-pypi: the fake PyPI as a program, for the offline demo and the benchmark.
// Serves a few well-known projects (the demo) or a generated mirror (the benchmark) on
// loopback, and with --demo keeps publishing and yanking releases so there is something to see.
#include "tests/fakes/fake_osv.hpp"
#include "tests/fakes/fake_pypi.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

using namespace pinwatch::test;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
    g_stop = true;
}

constexpr char const* kUsage =
    R"(usage: pinwatch-fake-pypi [--tls] [--projects N] [--seed S] [--demo SECONDS]

Serves a fake PyPI on 127.0.0.1 (an ephemeral port) until SIGINT/SIGTERM.
  --tls            HTTPS with a throwaway CA; its PEM path is printed as "ca_file: ..."
  --projects N     a generated mirror of N projects (pkg-00000 ...) instead of the demo set
  --seed S         seed for the generated mirror (default 1)
  --demo SECONDS   every SECONDS, publish a new release or yank one in the demo set
  --pins FILE      with --projects: write a requirements file pinning every project (its first
                   release) to FILE, and serve a fake OSV (printed as "osv_url: ...") with an
                   advisory against every 50th pin
Prints "index_url: <url>" once it is listening (and, for a generated mirror, a "mirror: ..."
line with its size first).
)";

// The demo's pinned requests 2.31.0 carries the advisory PyPI lists for it (GHSA-9wx4-h78v-vm56).
FakeAdvisory requests_advisory() {
    FakeAdvisory a;
    a.id = "GHSA-9wx4-h78v-vm56";
    a.aliases = {"CVE-2024-35195"};
    a.summary = "Requests Session object does not verify requests after making first request "
                "with verify=False";
    a.details = "When making requests through a Requests Session, if the first request is made "
                "with verify=False to disable cert verification, all subsequent requests to the "
                "same origin will continue to ignore cert verification regardless of changes to "
                "the value of verify.";
    a.fixed_in = {"2.32.0"};
    return a;
}

std::vector<FakeProject> demo_projects(std::int64_t now) {
    auto history = [&](std::vector<std::string> versions) {
        std::vector<FakeRelease> out;
        std::int64_t t = now - static_cast<std::int64_t>(versions.size()) * 30 * 86400;
        for (auto& v : versions) {
            out.push_back(FakeRelease{v, t, false, "", 2});
            t += 30 * 86400;
        }
        return out;
    };
    std::vector<FakeProject> out = {
        {"requests",
         "Python HTTP for Humans.",
         {{"Source", "https://github.com/psf/requests"}},
         history({"2.28.0", "2.28.1", "2.28.2", "2.29.0", "2.30.0", "2.31.0"})},
        {"Django",
         "A high-level Python web framework.",
         {{"Source", "https://github.com/django/django"}},
         history({"4.1.0", "4.2.0", "4.2.1", "4.2.7", "5.0a1"})},
        {"urllib3",
         "HTTP library with thread-safe connection pooling.",
         {{"Code", "https://github.com/urllib3/urllib3"}},
         history({"1.26.17", "1.26.18", "2.0.7", "2.1.0"})},
        {"Flask",
         "A simple framework for building complex web applications.",
         {{"Source Code", "https://github.com/pallets/flask/"}},
         history({"2.2.5", "2.3.3", "3.0.0"})},
        {"numpy",
         "Fundamental package for array computing in Python",
         {{"Source", "https://github.com/numpy/numpy"}},
         history({"1.24.4", "1.25.2", "1.26.0", "1.26.1"})},
    };
    for (auto& r : out[0].releases)
        if (r.version == "2.31.0") r.vulnerabilities.push_back(requests_advisory());
    return out;
}

// One demo change: mostly new releases of every kind, sometimes a yank.
void demo_step(FakePypi& pypi, std::mt19937& rng, std::int64_t now) {
    static int counter = 0;
    ++counter;
    struct Step {
        char const* project;
        char const* version;
        bool yank;
        char const* requires_python = ">=3.9";
        bool advisory = false; // publish an advisory against the version (then withdraw it)
    };
    static Step const steps[] = {
        {"requests", "2.31.1", false},
        {"django", "4.2.8", false},
        {"urllib3", "2.1.0", true},
        {"flask", "3.0.1", false, ">=3.12"}, // drops the demo's Python 3.11
        {"numpy", "1.26.1", false, "", true},
        {"numpy", "2.0.0rc1", false},
        {"requests", "3.0.0", false},
        {"numpy", "1.26.1", false, "", true},
        {"django", "5.0", false},
        {"numpy", "2.0.0", false},
        {"requests", "2.31.1", true},
    };
    auto const& s = steps[(counter - 1) % std::size(steps)];
    static bool advisory_out = false;
    if (s.advisory) {
        if (!advisory_out) {
            FakeAdvisory a;
            a.id = "PYSEC-DEMO-1";
            a.aliases = {"CVE-2099-0001"};
            a.summary = "demo: buffer overflow in numpy.frombuffer";
            a.fixed_in = {"1.26.2"};
            pypi.add_vulnerability(s.project, s.version, a);
            std::cout << "fake-pypi: advisory PYSEC-DEMO-1 against " << s.project << " "
                      << s.version << std::endl;
        } else {
            pypi.withdraw_vulnerability(s.project, s.version, "PYSEC-DEMO-1",
                                        "2026-11-25T10:00:00Z");
            std::cout << "fake-pypi: withdrew PYSEC-DEMO-1" << std::endl;
        }
        advisory_out = !advisory_out;
    } else if (s.yank) {
        pypi.yank(s.project, s.version, "demo: a broken release");
        std::cout << "fake-pypi: yanked " << s.project << " " << s.version << std::endl;
    } else {
        // Past the scripted list, keep publishing patch releases so the demo never runs dry.
        std::string version = s.version;
        if (counter > static_cast<int>(std::size(steps)))
            version = std::string(s.version) + ".post" + std::to_string(counter);
        FakeRelease r{version, now, false, "", 2};
        r.requires_python = s.requires_python;
        pypi.add_release(s.project, std::move(r));
        std::cout << "fake-pypi: published " << s.project << " " << version << std::endl;
    }
    (void)rng;
}

} // namespace

int main(int argc, char** argv) {
    bool tls = false;
    std::size_t projects = 0;
    unsigned seed = 1;
    int demo_every = 0;
    std::string pins_file;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "pinwatch-fake-pypi: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--tls")
            tls = true;
        else if (a == "--projects")
            projects = std::stoul(next());
        else if (a == "--seed")
            seed = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--demo")
            demo_every = std::stoi(next());
        else if (a == "--pins")
            pins_file = next();
        else if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else {
            std::cerr << "pinwatch-fake-pypi: unknown argument '" << a << "'\n" << kUsage;
            return 2;
        }
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    TestServerOptions opts;
    opts.tls = tls;
    opts.record = false; // a long-running server must not keep every request
    FakePypi pypi(opts);
    std::int64_t const now = std::time(nullptr);
    std::unique_ptr<FakeOsv> osv;
    if (projects > 0) {
        std::size_t releases = 0;
        std::ofstream pins;
        if (!pins_file.empty()) {
            pins.open(pins_file);
            osv = std::make_unique<FakeOsv>();
        }
        std::size_t k = 0;
        for (auto& p : FakePypi::generate(projects, seed, now)) {
            releases += p.releases.size();
            if (osv && !p.releases.empty()) {
                auto const& pinned = p.releases.front().version;
                pins << p.name << "==" << pinned << "\n";
                if (k++ % 50 == 0) {
                    FakeVuln v;
                    v.id = "PYSEC-BENCH-" + std::to_string(k);
                    v.package = p.name;
                    v.summary = "an advisory of the benchmark";
                    v.versions = {pinned};
                    osv->add(std::move(v));
                }
            }
            pypi.add_project(std::move(p));
        }
        pypi.prerender();
        auto const size = pypi.rendered_size();
        std::cout << "mirror: " << projects << " projects, " << releases << " releases, "
                  << size.json << " bytes of Simple JSON, " << size.json_gz << " gzipped"
                  << std::endl;
    } else {
        for (auto& p : demo_projects(now))
            pypi.add_project(std::move(p));
    }
    std::cout << "index_url: " << pypi.index_url() << std::endl;
    if (osv) std::cout << "osv_url: " << osv->url() << std::endl;
    if (tls) std::cout << "ca_file: " << pypi.server().ca_file() << std::endl;

    std::mt19937 rng(seed);
    auto next_step = std::chrono::steady_clock::now() + std::chrono::seconds(demo_every);
    while (!g_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (demo_every > 0 && std::chrono::steady_clock::now() >= next_step) {
            demo_step(pypi, rng, std::time(nullptr));
            next_step += std::chrono::seconds(demo_every);
        }
    }
    auto const s = pypi.stats();
    std::cout << "fake-pypi: served " << s.simple_json << " JSON pages, " << s.simple_html
              << " HTML pages, " << s.json_api << " JSON API pages, " << s.not_modified << " 304s"
              << std::endl;
    return 0;
}
