// Runs the libFuzzer entry point without libFuzzer, so every build (g++ included) can smoke-test
// the parsers in CTest: a fixed seed corpus, then deterministic random mutations of it, then a
// few very large inputs that would expose quadratic behaviour. Files given on the command line
// are run instead (to replay a crash found by the real fuzzer).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

namespace {

void run(std::string const& input) {
    LLVMFuzzerTestOneInput(reinterpret_cast<std::uint8_t const*>(input.data()), input.size());
}

// splitmix64: tiny, deterministic on every platform.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

std::vector<std::string> const seeds = {
    "1.0",
    "v1.0.post1.dev2+local.7",
    " 1!2.3.4rc5.post6.dev7+ubuntu-1_2 ",
    "1.0a-1",
    "1.0-1",
    "1.0PREVIEW2",
    "1.0+abc.5",
    "184467440737095516161844674407370955161.0",
    ">=1.0, <2, !=1.5.*",
    "~=2.2.c1\n2.2rc1\n2.3\n2.2.post1",
    "==1.0.*\n1.0a1\n1.0.5+local\n1!1.0",
    "===foo\n1.0",
    ">1.0\n1.0.post1\n1.0+x\n1.1",
    "<1.0\n1.0a1\n0.9\n0.9.dev1",
    "\n1.0\n1.1a1",
    "Django_REST.framework",
    "1.0+\xc4\xb0", // İ in a local label
    "1.0prev\xc4\xb1"
    "ew1",                       // ı in "preview"
    "1.0.po\xc5\xbft1",          // ſ in "post"
    "\xc2\xa0==1.0\xe3\x80\x80", // Unicode whitespace around a specifier
    // Lock files (read as every format): uv, poetry, pylock, Pipfile.lock.
    "version = 1\n[manifest]\nmembers = [\"a\"]\n[[package]]\nname = \"a\"\nversion = \"0.1\"\n"
    "source = { virtual = \".\" }\ndependencies = [{ name = \"b\", marker = \"os_name == 'nt'\" "
    "}]\n[package.dev-dependencies]\ndev = [{ name = \"b\", extra = [\"x\"] }]\n[[package]]\n"
    "name = \"b\"\nversion = \"1.0\"\nsource = { registry = \"https://i.example/simple\" }\n"
    "resolution-markers = [\"python_version < '3.12'\"]\n",
    "[[package]]\nname = \"b\"\nversion = \" 1.0 \"\ngroups = [\"main\", \"dev\"]\n"
    "markers = {main = \"os_name == 'nt'\"}\n[package.source]\ntype = \"legacy\"\nurl = \"u\"\n",
    "lock-version = \"1.0\"\ndefault-groups = [\"dev\"]\n[[packages]]\nname = \"b\"\n"
    "version = \"1.0\"\nmarker = \"'dev' in dependency_groups\"\nindex = \"https://i.example\"\n"
    "[[packages]]\nname = \"c\"\n[packages.vcs]\ntype = \"git\"\nurl = \"https://g.example/c\"\n",
    "{\"_meta\": {\"sources\": [{\"name\": \"p\", \"url\": \"https://i.example\"}]}, \"default\": "
    "{\"b\": {\"version\": \"==1.0\", \"index\": \"p\"}, \"c\": {\"git\": \"https://g\"}}}",
};

std::vector<std::string> const tokens = {
    "0",        "1",
    "9",        "00",
    "10",       ".",
    "-",        "_",
    "+",        "!",
    "*",        ".*",
    "v",        "V",
    "a",        "b",
    "c",        "rc",
    "alpha",    "beta",
    "pre",      "preview",
    "post",     "rev",
    "r",        "dev",
    "DEV",      "==",
    "===",      "!=",
    "~=",       "<=",
    ">=",       "<",
    ">",        ",",
    " ",        "\t",
    "\n",       ";",
    ")",        "(",
    "\xc5\xbf", "\xe2\x84\xaa",
    "\xff",     "18446744073709551616",
};

std::string mutate(std::string s, Rng& rng) {
    auto const steps = 1 + rng.below(6);
    for (std::size_t k = 0; k < steps; ++k) {
        auto const pos = rng.below(s.size() + 1);
        switch (rng.below(6)) {
        case 0: // insert a token
            s.insert(pos, tokens[rng.below(tokens.size())]);
            break;
        case 1: // delete a run
            if (!s.empty()) s.erase(std::min(pos, s.size() - 1), 1 + rng.below(4));
            break;
        case 2: // overwrite one byte
            if (!s.empty()) s[std::min(pos, s.size() - 1)] = static_cast<char>(rng.next());
            break;
        case 3: // duplicate a slice
            if (!s.empty()) {
                auto const from = rng.below(s.size());
                s.insert(pos, s.substr(from, 1 + rng.below(8)));
            }
            break;
        case 4: // splice in another seed
            s.insert(pos, seeds[rng.below(seeds.size())]);
            break;
        default: // random bytes
            for (std::size_t n = rng.below(5); n > 0; --n)
                s.insert(s.begin() + static_cast<std::ptrdiff_t>(std::min(pos, s.size())),
                         static_cast<char>(rng.next()));
            break;
        }
    }
    return s;
}

std::string repeat(std::string const& unit, std::size_t times) {
    std::string out;
    out.reserve(unit.size() * times);
    for (std::size_t i = 0; i < times; ++i)
        out += unit;
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1) {
        for (int i = 1; i < argc; ++i) {
            std::ifstream in(argv[i], std::ios::binary);
            std::string data((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            run(data);
        }
        std::printf("ran %d file(s)\n", argc - 1);
        return 0;
    }

    auto const start = std::chrono::steady_clock::now();
    std::size_t count = 0;
    for (auto const& seed : seeds) {
        run(seed);
        ++count;
    }
    Rng rng{20240601};
    for (int i = 0; i < 60000; ++i) {
        run(mutate(seeds[rng.below(seeds.size())], rng));
        ++count;
    }
    // Inputs that would take seconds if any parser were quadratic or backtracked.
    std::vector<std::string> const large = {
        "1" + repeat(".0", 200000),
        repeat("9", 5000) + ".0",
        "1.0+" + repeat("a.", 200000) + "b",
        "1.0+" + repeat("a-", 200000),
        "===" + repeat("x", 400000),
        repeat(">=1.0,", 50000),
        repeat(",", 400000),
        "~=" + repeat("1.", 100000) + "0",
        "==" + repeat("1.", 100000) + "*",
        repeat(" ", 400000) + "1.0" + repeat(" ", 400000),
        repeat("\xc2\xa0", 200000),
        ">=1\n" + repeat("1.0a1\n", 20000),
    };
    for (auto const& input : large) {
        run(input);
        ++count;
    }
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    std::printf("packaging fuzz smoke: %zu inputs in %lld ms, no invariant broken\n", count,
                static_cast<long long>(ms));
    return 0;
}
