// pinwatch::Result<T, E>: an expected value or the reason it is missing.
// Expected failures (a bad line, a 404, a timeout) travel as values through every layer;
// exceptions are kept for start-up errors and bugs. C++20 has no std::expected, so this is
// the small subset pinwatch needs. Standard library only: every layer may include it.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace pinwatch {

template <class E> struct Unexpected { E error; };

template <class E> Unexpected<std::decay_t<E>> fail(E&& e) {
    return Unexpected<std::decay_t<E>>{std::forward<E>(e)};
}
inline Unexpected<std::string> fail(char const* e) {
    return Unexpected<std::string>{e};
}

template <class T, class E = std::string> class [[nodiscard]] Result {
  public:
    using value_type = T;
    using error_type = E;

    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                !std::is_same_v<std::decay_t<U>, Result> &&
                                                !std::is_same_v<std::decay_t<U>, T>>>
    Result(U&& value) : v_(std::in_place_index<0>, T(std::forward<U>(value))) {}
    template <class G>
    Result(Unexpected<G> u) : v_(std::in_place_index<1>, E(std::move(u.error))) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    T const& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    T const& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    T const* operator->() const { return &value(); }

    E& error() & { return std::get<1>(v_); }
    E const& error() const& { return std::get<1>(v_); }
    E&& error() && { return std::get<1>(std::move(v_)); }

    template <class U> T value_or(U&& other) const& {
        return has_value() ? value() : T(std::forward<U>(other));
    }

  private:
    std::variant<T, E> v_;
};

// Result<void>: success or an error.
template <class E> class [[nodiscard]] Result<void, E> {
  public:
    Result() = default;
    template <class G> Result(Unexpected<G> u) : err_(E(std::move(u.error))), ok_(false) {}
    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    E const& error() const& { return err_; }

  private:
    E err_{};
    bool ok_ = true;
};

} // namespace pinwatch
