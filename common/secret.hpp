// Secret: a credential (a webhook URL whose path is the token, a signing key) that must never
// reach a log line, an error message or a report by accident. It has no operator<<, no
// formatter and no conversion to string: code that needs the value says so with reveal().
// Standard library only, so config/ can hand secrets to notifiers/ without either knowing the
// other.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinwatch {

class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(Secret const&) = default;
    Secret(Secret&&) noexcept = default;
    Secret& operator=(Secret const&) = default;
    Secret& operator=(Secret&&) noexcept = default;
    ~Secret() { wipe(); }

    // The value, for the one place that uses it (a request URL, an HMAC key). Never log it.
    std::string const& reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }

    // Streaming a Secret is a compile error rather than a leak.
    template <class Stream> friend Stream& operator<<(Stream&, Secret const&) = delete;

  private:
    // Best effort: the bytes of this copy do not outlive it. (Copies made by callers of
    // reveal() are theirs to mind.)
    void wipe() noexcept {
        for (auto& c : value_)
            static_cast<char volatile&>(c) = 0;
    }
    std::string value_;
};

// Every secret value this process has read (config/secrets.cpp remembers each one it resolves),
// so text from outside — a receiver's error body quoting a token — can be scrubbed of all of
// them before it is logged or shown, not only of the URL at hand. Values shorter than
// kMinScrubbed are not remembered: replacing "ab" everywhere would garble text and hide nothing.
inline constexpr std::size_t kMinScrubbed = 4;
void remember_secret(std::string_view value);
std::vector<std::string> remembered_secrets();

} // namespace pinwatch
