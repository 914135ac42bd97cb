#include "tests/fakes/fake_github.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "common/time.hpp"

#include <algorithm>
#include <ctime>

namespace pinwatch::test {
namespace {

std::int64_t now_seconds() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::string etag_of(std::string_view body) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "W/\"%016llx\"", static_cast<unsigned long long>(fnv1a(body)));
    return buf;
}

std::string iso(std::int64_t t) {
    return rfc3339(t);
}

std::int64_t parse_iso(std::string_view s) {
    std::tm tm{};
    if (s.size() < 19) return 0;
    tm.tm_year = std::atoi(std::string(s.substr(0, 4)).c_str()) - 1900;
    tm.tm_mon = std::atoi(std::string(s.substr(5, 2)).c_str()) - 1;
    tm.tm_mday = std::atoi(std::string(s.substr(8, 2)).c_str());
    tm.tm_hour = std::atoi(std::string(s.substr(11, 2)).c_str());
    tm.tm_min = std::atoi(std::string(s.substr(14, 2)).c_str());
    tm.tm_sec = std::atoi(std::string(s.substr(17, 2)).c_str());
    return static_cast<std::int64_t>(timegm(&tm));
}

std::string lower(std::string_view s) {
    return ascii_lower(s);
}

using Query = std::vector<std::pair<std::string, std::string>>;

Query parse_query(std::string_view target) {
    Query q;
    auto const mark = target.find('?');
    if (mark == std::string_view::npos) return q;
    auto rest = target.substr(mark + 1);
    while (!rest.empty()) {
        auto const amp = rest.find('&');
        auto part = rest.substr(0, amp);
        auto const eq = part.find('=');
        q.emplace_back(std::string(part.substr(0, eq)),
                       eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1)));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return q;
}

std::string param(Query const& q, std::string_view name, std::string fallback = "") {
    for (auto const& [k, v] : q)
        if (k == name) return v;
    return fallback;
}

std::string with_page(std::string const& base, std::string_view path, Query q, int page) {
    bool set = false;
    for (auto& [k, v] : q)
        if (k == "page") v = std::to_string(page), set = true;
    if (!set) q.emplace_back("page", std::to_string(page));
    std::string out = base + std::string(path) + "?";
    for (std::size_t i = 0; i < q.size(); ++i)
        out += (i ? "&" : "") + q[i].first + "=" + q[i].second;
    return out;
}

// Base64 with GitHub's line breaks every 60 characters.
std::string base64_encode_for_test(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t line = 0;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
        char quad[4] = {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63],
                        i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=',
                        i + 2 < bytes.size() ? kAlphabet[n & 63] : '='};
        out.append(quad, 4);
        if ((line += 4) == 60) out += '\n', line = 0;
    }
    return out;
}

std::int64_t updated_at(FakeGithubIssue const& i) {
    return std::max(
        {i.created, i.closed.value_or(0), i.merged.value_or(0), i.commented.value_or(0)});
}

} // namespace

FakeGithub::FakeGithub(TestServerOptions options) {
    server_ =
        std::make_unique<TestServer>([this](TestRequest const& r) { return handle(r); }, options);
}

FakeGithub::~FakeGithub() {
    server_->stop();
}

std::string FakeGithub::api_url() const {
    return server_->base_url() + "/";
}

void FakeGithub::add_repo(FakeGithubRepo repo) {
    std::lock_guard lock(mutex_);
    auto key = lower(repo.full_name);
    repos_[key] = std::move(repo);
}

void FakeGithub::add_release(std::string const& repo, FakeGithubRelease release) {
    std::lock_guard lock(mutex_);
    repos_.at(lower(repo)).releases.push_back(std::move(release));
}

void FakeGithub::add_tag(std::string const& repo, std::string tag) {
    std::lock_guard lock(mutex_);
    auto& tags = repos_.at(lower(repo)).tags;
    tags.insert(tags.begin(), std::move(tag));
}

void FakeGithub::add_issue(std::string const& repo, FakeGithubIssue issue) {
    std::lock_guard lock(mutex_);
    repos_.at(lower(repo)).issues.push_back(std::move(issue));
}

std::int64_t FakeGithub::next_number(std::string const& repo) const {
    std::lock_guard lock(mutex_);
    std::int64_t n = 0;
    for (auto const& i : repos_.at(lower(repo)).issues)
        n = std::max(n, i.number);
    return n + 1;
}

void FakeGithub::rename(std::string const& from, std::string const& to) {
    std::lock_guard lock(mutex_);
    auto node = repos_.extract(lower(from));
    node.mapped().full_name = to;
    node.key() = lower(to);
    repos_.insert(std::move(node));
    renamed_[lower(from)] = to;
}

void FakeGithub::set_fault(std::string const& repo, GithubFault fault, int times) {
    std::lock_guard lock(mutex_);
    faults_[lower(repo)] = {fault, times};
}

void FakeGithub::set_file(std::string const& repo, std::string const& ref, std::string const& path,
                          std::string content) {
    std::lock_guard lock(mutex_);
    repos_.at(lower(repo)).files[{ref, path}] = std::move(content);
}

void FakeGithub::set_token(std::string token) {
    std::lock_guard lock(mutex_);
    token_ = std::move(token);
}

void FakeGithub::set_quota(std::int64_t unauthenticated, std::int64_t authenticated,
                           std::int64_t window_seconds) {
    std::lock_guard lock(mutex_);
    quota_anon_ = unauthenticated;
    quota_auth_ = authenticated;
    window_ = window_seconds;
    reset_ = 0;
}

void FakeGithub::set_per_page_cap(int cap) {
    std::lock_guard lock(mutex_);
    per_page_cap_ = cap;
}

FakeGithubStats FakeGithub::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void FakeGithub::reset_stats() {
    std::lock_guard lock(mutex_);
    stats_ = {};
}

TestResponse FakeGithub::handle(TestRequest const& req) {
    std::lock_guard lock(mutex_);
    ++stats_.requests;
    std::int64_t const now = now_seconds();
    if (reset_ == 0 || now >= reset_) {
        reset_ = now + window_;
        used_anon_ = used_auth_ = 0;
    }
    auto const auth = req.header("authorization");
    if (auth && (token_.empty() || *auth != "Bearer " + token_))
        return TestResponse::json(R"({"message":"Bad credentials"})", 401);
    bool const authenticated = auth.has_value();
    auto& used = authenticated ? used_auth_ : used_anon_;
    std::int64_t const limit = authenticated ? quota_auth_ : quota_anon_;
    auto quota_headers = [&](TestResponse& r) {
        r.header("x-ratelimit-limit", std::to_string(limit));
        r.header("x-ratelimit-remaining", std::to_string(std::max<std::int64_t>(0, limit - used)));
        r.header("x-ratelimit-used", std::to_string(used));
        r.header("x-ratelimit-reset", std::to_string(reset_));
        r.header("x-ratelimit-resource", "core");
    };
    if (req.header("user-agent").value_or("").empty())
        return TestResponse::json(R"({"message":"Request forbidden: no User-Agent"})", 403);

    // /repos/{owner}/{name}[/{what}]
    auto const path = std::string(req.path());
    std::vector<std::string> seg;
    for (std::size_t pos = 1; pos <= path.size();) {
        auto const slash = path.find('/', pos);
        auto const end = slash == std::string::npos ? path.size() : slash;
        if (end > pos) seg.push_back(path.substr(pos, end - pos));
        pos = end + 1;
    }
    if (seg.size() < 3 || seg[0] != "repos")
        return TestResponse::json(R"({"message":"Not Found"})", 404);
    std::string const key = lower(seg[1] + "/" + seg[2]);
    std::string const what = seg.size() > 3 ? seg[3] : "repo";
    ++stats_.by_endpoint[what];

    if (auto r = renamed_.find(key); r != renamed_.end()) {
        ++stats_.redirects;
        auto const target = std::string(req.target);
        auto const rest =
            target.substr(std::string("/repos/").size() + seg[1].size() + 1 + seg[2].size());
        auto res = TestResponse::redirect(301, server_->base_url() + "/repos/" + r->second + rest);
        quota_headers(res);
        return res;
    }
    if (auto f = faults_.find(key);
        f != faults_.end() && f->second.second > 0 && f->second.first != GithubFault::none) {
        --f->second.second;
        TestResponse res;
        switch (f->second.first) {
        case GithubFault::server_error:
            res = TestResponse::json(R"({"message":"Server Error"})", 502);
            break;
        case GithubFault::retry_after_403:
            ++stats_.rate_limited;
            res = TestResponse::json(
                R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})",
                403);
            res.header("retry-after", "1");
            break;
        case GithubFault::retry_after_429:
            ++stats_.rate_limited;
            res = TestResponse::json(R"({"message":"Too many requests"})", 429);
            res.header("retry-after", "1");
            break;
        case GithubFault::secondary_no_hint:
            ++stats_.rate_limited;
            res = TestResponse::json(
                R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})",
                403);
            break;
        case GithubFault::none:
            break;
        }
        quota_headers(res);
        return res;
    }
    if (used >= limit) {
        ++stats_.rate_limited;
        auto res = TestResponse::json(
            R"j({"message":"API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit.)"})j",
            403);
        quota_headers(res);
        return res;
    }

    auto it = repos_.find(key);
    TestResponse res;
    // GitHub does not tell a private repository from a missing one to a stranger.
    if (it != repos_.end() && it->second.private_repo && !authenticated) it = repos_.end();
    if (it == repos_.end()) {
        res = TestResponse::json(R"({"message":"Not Found"})", 404);
    } else {
        auto const& repo = it->second;
        auto const q = parse_query(req.target);
        std::string const html = server_->base_url() + "/" + repo.full_name;
        int const per_page =
            std::clamp(std::atoi(param(q, "per_page", "30").c_str()), 1, per_page_cap_);
        int const page = std::max(1, std::atoi(param(q, "page", "1").c_str()));
        std::size_t total = 0;
        // Writes items [from, to) of a list through `one`, as one page.
        auto paged = [&](std::size_t count, auto&& one) {
            total = count;
            JsonWriter w;
            w.begin_array();
            std::size_t const from = static_cast<std::size_t>(page - 1) * per_page;
            for (std::size_t i = from; i < count && i < from + per_page; ++i)
                one(w, i);
            w.end_array();
            return w.take();
        };
        std::string body;
        if (what == "repo") {
            std::int64_t open = 0;
            for (auto const& i : repo.issues)
                if (!i.closed) ++open;
            JsonWriter w;
            w.begin_object()
                .field("full_name", repo.full_name)
                .field("html_url", html)
                .field("open_issues_count", open)
                .field("archived", repo.archived)
                .field("created_at", iso(repo.created))
                .key("owner")
                .begin_object()
                .field("login", repo.full_name.substr(0, repo.full_name.find('/')))
                .field("type", repo.owner_type)
                .end_object()
                .end_object();
            body = w.take();
        } else if (what == "releases") {
            auto list = repo.releases;
            std::stable_sort(list.begin(), list.end(), [](auto const& a, auto const& b) {
                return a.published > b.published;
            });
            body = paged(list.size(), [&](JsonWriter& w, std::size_t i) {
                auto const& r = list[i];
                w.begin_object()
                    .field("tag_name", r.tag)
                    .field("name", r.name)
                    .field("body", r.body)
                    .field("draft", r.draft)
                    .field("prerelease", r.prerelease)
                    .field("created_at", iso(r.published))
                    .field("published_at", iso(r.published))
                    .field("html_url", html + "/releases/tag/" + r.tag)
                    .end_object();
            });
        } else if (what == "tags") {
            body = paged(repo.tags.size(), [&](JsonWriter& w, std::size_t i) {
                w.begin_object()
                    .field("name", repo.tags[i])
                    .key("commit")
                    .begin_object()
                    .field("sha", std::to_string(fnv1a(repo.tags[i])))
                    .end_object()
                    .end_object();
            });
        } else if (what == "issues" || what == "pulls") {
            bool const pulls = what == "pulls";
            auto const state = param(q, "state", "open");
            auto const since = parse_iso(param(q, "since"));
            auto const sort = param(q, "sort", pulls ? "created" : "created");
            bool const asc = param(q, "direction", "desc") == "asc";
            std::vector<FakeGithubIssue> list;
            for (auto const& i : repo.issues) {
                if (pulls && !i.pull_request) continue;
                if (state == "open" && i.closed) continue;
                if (state == "closed" && !i.closed) continue;
                if (since && updated_at(i) < since) continue; // `since` filters updated_at
                list.push_back(i);
            }
            std::stable_sort(list.begin(), list.end(), [&](auto const& a, auto const& b) {
                auto const ka = sort == "updated" ? updated_at(a) : a.created;
                auto const kb = sort == "updated" ? updated_at(b) : b.created;
                if (ka != kb) return asc ? ka < kb : ka > kb;
                return asc ? a.number < b.number : a.number > b.number;
            });
            body = paged(list.size(), [&](JsonWriter& w, std::size_t k) {
                auto const& i = list[k];
                w.begin_object()
                    .field("number", i.number)
                    .field("title", i.title)
                    .field("state", i.closed ? "closed" : "open")
                    .field("created_at", iso(i.created))
                    .field("updated_at", iso(updated_at(i)));
                w.key("closed_at");
                i.closed ? w.string(iso(*i.closed)) : w.null();
                if (pulls) {
                    w.key("merged_at");
                    i.merged ? w.string(iso(*i.merged)) : w.null();
                } else if (i.pull_request) {
                    w.key("pull_request")
                        .begin_object()
                        .field("url", html + "/pull/" + std::to_string(i.number));
                    w.key("merged_at");
                    i.merged ? w.string(iso(*i.merged)) : w.null();
                    w.end_object();
                } else if (i.null_pull_request) {
                    w.key("pull_request").null();
                }
                w.end_object();
            });
        } else if (what == "contents") {
            // /repos/o/r/contents/{path}?ref=REF: the raw file with the raw media type, else
            // GitHub's JSON object with the content in base64.
            std::string file_path;
            for (std::size_t i = 4; i < seg.size(); ++i)
                file_path += (i > 4 ? "/" : "") + seg[i];
            auto const ref = param(q, "ref");
            auto const file = repo.files.find({ref, file_path});
            if (file == repo.files.end()) {
                res = TestResponse::json(R"({"message":"Not Found"})", 404);
            } else {
                auto const etag = etag_of(file->second);
                bool const raw =
                    req.header("accept").value_or("").find("vnd.github.raw") != std::string::npos;
                if (raw) {
                    res = TestResponse::text(file->second);
                    res.headers.clear();
                    res.header("Content-Type", "application/vnd.github.raw+json; charset=utf-8");
                } else {
                    JsonWriter w;
                    w.begin_object()
                        .field("type", "file")
                        .field("path", file_path)
                        .field("encoding", "base64")
                        .field("content", base64_encode_for_test(file->second))
                        .end_object();
                    res = TestResponse::json(w.take());
                }
                res.header("ETag", etag);
                if (req.header("if-none-match") == std::string_view(etag)) {
                    TestResponse nm;
                    nm.status = 304;
                    nm.header("ETag", etag);
                    res = std::move(nm);
                } else {
                    ++stats_.contents_sent;
                }
            }
            if (res.status == 304) ++stats_.not_modified;
            if (res.status != 304 || !authenticated) {
                ++used;
                ++stats_.charged;
            }
            quota_headers(res);
            return res;
        } else {
            res = TestResponse::json(R"({"message":"Not Found"})", 404);
        }
        if (res.status != 404) {
            res = TestResponse::json(body);
            auto const etag = etag_of(body);
            res.header("ETag", etag);
            std::size_t const from = static_cast<std::size_t>(page - 1) * per_page;
            if (total > from + per_page) {
                int const last = static_cast<int>((total + per_page - 1) / per_page);
                res.header("Link", "<" + with_page(server_->base_url(), path, q, page + 1) +
                                       ">; rel=\"next\", <" +
                                       with_page(server_->base_url(), path, q, last) +
                                       ">; rel=\"last\"");
            }
            if (req.header("if-none-match") == std::string_view(etag)) {
                TestResponse nm;
                nm.status = 304;
                nm.header("ETag", etag);
                res = std::move(nm);
            }
        }
    }
    if (res.status == 304) ++stats_.not_modified;
    // GitHub: "a 304 ... does not count against your primary rate limit" only when the request
    // was correctly authorised.
    if (res.status != 304 || !authenticated) {
        ++used;
        ++stats_.charged;
    }
    quota_headers(res);
    return res;
}

} // namespace pinwatch::test
