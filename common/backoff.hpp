// Backoff: how long to wait after the n-th failure in a row. One formula for every retry in
// pinwatch (polls, deliveries, storage errors): initial * 2^(n-1), capped, with optional
// jitter so that many failures at once do not retry in lockstep. Standard library only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace pinwatch {

struct Backoff {
    std::chrono::seconds initial{30};
    std::chrono::seconds cap{3600};
    double jitter = 0.0; // +/- this fraction of the delay

    // Delay after `failures` failures in a row (1 = the first). Never below one second.
    std::chrono::seconds after(int failures) const {
        auto const shift = std::clamp(failures - 1, 0, 30);
        auto const raw =
            std::min<std::int64_t>(cap.count(), initial.count() << std::min(shift, 20));
        return std::chrono::seconds(std::max<std::int64_t>(1, raw));
    }
    template <class Rng> std::chrono::seconds after(int failures, Rng& rng) const {
        auto const base = static_cast<double>(after(failures).count());
        if (jitter <= 0) return std::chrono::seconds(static_cast<std::int64_t>(base));
        std::uniform_real_distribution<double> spread(-jitter, jitter);
        return std::chrono::seconds(
            std::max<std::int64_t>(1, static_cast<std::int64_t>(base * (1.0 + spread(rng)))));
    }
};

} // namespace pinwatch
