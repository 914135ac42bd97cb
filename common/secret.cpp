#include "common/secret.hpp"

#include <algorithm>
#include <mutex>

namespace pinwatch {
namespace {

struct Remembered {
    std::mutex mutex;
    std::vector<std::string> values;
};

Remembered& remembered() {
    static Remembered r;
    return r;
}

} // namespace

void remember_secret(std::string_view value) {
    if (value.size() < kMinScrubbed) return;
    auto& r = remembered();
    std::lock_guard lock(r.mutex);
    if (std::find(r.values.begin(), r.values.end(), value) == r.values.end())
        r.values.emplace_back(value);
}

std::vector<std::string> remembered_secrets() {
    auto& r = remembered();
    std::lock_guard lock(r.mutex);
    return r.values;
}

} // namespace pinwatch
