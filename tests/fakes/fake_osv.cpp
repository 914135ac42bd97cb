#include "tests/fakes/fake_osv.hpp"

#include "common/json.hpp"
#include "packaging/name.hpp"

#include <rapidjson/document.h>

#include <algorithm>

namespace pinwatch::test {

FakeOsv::FakeOsv() {
    server_ = std::make_unique<TestServer>([this](TestRequest const& r) { return handle(r); });
}

FakeOsv::~FakeOsv() {
    server_->stop();
}

std::string FakeOsv::url() const {
    return server_->base_url() + "/";
}

void FakeOsv::add(FakeVuln vuln) {
    std::lock_guard lock(mutex_);
    hidden_.erase(vuln.id);
    vulns_[vuln.id] = std::move(vuln);
}

void FakeOsv::withdraw(std::string const& id, std::string when) {
    std::lock_guard lock(mutex_);
    auto& v = vulns_.at(id);
    v.withdrawn = when;
    v.modified = when;
}

void FakeOsv::stop_returning(std::string const& id) {
    std::lock_guard lock(mutex_);
    hidden_.insert(id);
}

void FakeOsv::set_modified(std::string const& id, std::string modified) {
    std::lock_guard lock(mutex_);
    vulns_.at(id).modified = std::move(modified);
}

void FakeOsv::set_page_size(std::size_t n) {
    std::lock_guard lock(mutex_);
    page_size_ = n;
}

void FakeOsv::set_fault(Fault f) {
    std::lock_guard lock(mutex_);
    fault_ = f;
}

FakeOsvStats FakeOsv::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::set<std::string> FakeOsv::names_seen() const {
    std::lock_guard lock(mutex_);
    return names_;
}

std::map<std::string, std::size_t> FakeOsv::record_fetches() const {
    std::lock_guard lock(mutex_);
    return fetches_;
}

std::string FakeOsv::record_json(FakeVuln const& v) const {
    JsonWriter w;
    w.begin_object();
    w.field("id", v.id);
    w.field("modified", v.modified);
    w.field("published", "2025-12-01T00:00:00Z");
    if (v.withdrawn) w.field("withdrawn", *v.withdrawn);
    w.key("aliases").begin_array();
    for (auto const& a : v.aliases)
        w.string(a);
    w.end_array();
    w.field("summary", v.summary);
    w.field("details", v.summary + "\nMore words about it.");
    w.key("affected").begin_array().begin_object();
    w.key("package").begin_object().field("ecosystem", "PyPI").field("name", v.package);
    w.field("purl", "pkg:pypi/" + packaging::canonicalize_name(v.package)).end_object();
    if (!v.events.empty()) {
        w.key("ranges").begin_array().begin_object().field("type", "ECOSYSTEM");
        w.key("events").begin_array();
        for (auto const& [kind, version] : v.events)
            w.begin_object().field(kind, version).end_object();
        w.end_array().end_object().end_array();
    }
    w.key("versions").begin_array();
    for (auto const& x : v.versions)
        w.string(x);
    w.end_array();
    w.end_object().end_array();
    w.key("references").begin_array();
    w.begin_object().field("type", "WEB").field("url", "https://example.org/" + v.id).end_object();
    w.end_array();
    if (v.link) w.key("database_specific").begin_object().field("url", *v.link).end_object();
    w.end_object();
    return w.take();
}

TestResponse FakeOsv::querybatch(TestRequest const& request) {
    rapidjson::Document d;
    d.Parse(request.body.c_str(), request.body.size());
    std::lock_guard lock(mutex_);
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("queries") || !d["queries"].IsArray()) {
        ++stats_.rejected;
        return TestResponse::json(R"({"code":3,"message":"invalid body"})", 400);
    }
    auto const& queries = d["queries"].GetArray();
    // OSV's limit: "Too many queries" beyond 1,000 in one batch.
    if (queries.Size() > 1000) {
        ++stats_.rejected;
        return TestResponse::json(R"({"code":3,"message":"Too many queries."})", 400);
    }
    ++stats_.batches;
    JsonWriter w;
    w.begin_object().key("results").begin_array();
    for (auto const& q : queries) {
        ++stats_.queries;
        std::string name, version;
        std::size_t offset = 0;
        if (q.HasMember("package") && q["package"].IsObject() && q["package"].HasMember("name") &&
            q["package"]["name"].IsString())
            name = q["package"]["name"].GetString();
        if (q.HasMember("version") && q["version"].IsString()) version = q["version"].GetString();
        if (q.HasMember("page_token") && q["page_token"].IsString()) {
            ++stats_.pages;
            offset = std::stoul(std::string(q["page_token"].GetString()).substr(1));
        }
        names_.insert(name);
        std::vector<FakeVuln const*> hits;
        for (auto const& [id, v] : vulns_) {
            if (v.withdrawn || hidden_.count(id)) continue;
            if (packaging::canonicalize_name(v.package) != packaging::canonicalize_name(name))
                continue;
            auto const& listed = v.returned_for.empty() ? v.versions : v.returned_for;
            if (std::find(listed.begin(), listed.end(), version) != listed.end())
                hits.push_back(&v);
        }
        w.begin_object();
        auto const end = page_size_ ? std::min(hits.size(), offset + page_size_) : hits.size();
        if (offset < end) {
            w.key("vulns").begin_array();
            for (auto k = offset; k < end; ++k)
                w.begin_object()
                    .field("id", hits[k]->id)
                    .field("modified", hits[k]->modified)
                    .end_object();
            w.end_array();
        }
        if (end < hits.size()) w.field("next_page_token", "p" + std::to_string(end));
        w.end_object();
    }
    w.end_array().end_object();
    return TestResponse::json(w.take());
}

TestResponse FakeOsv::handle(TestRequest const& request) {
    {
        std::lock_guard lock(mutex_);
        if (fault_ == Fault::down) {
            ++stats_.faults;
            return TestResponse::json(R"({"message":"unavailable"})", 503);
        }
        if (fault_ == Fault::garbage) {
            ++stats_.faults;
            return TestResponse::text("<html>proxy error</html>");
        }
    }
    auto const path = std::string(request.path());
    if (request.method == "POST" && path == "/v1/querybatch") return querybatch(request);
    std::string const prefix = "/v1/vulns/";
    if (request.method == "GET" && path.rfind(prefix, 0) == 0) {
        auto const id = path.substr(prefix.size());
        std::lock_guard lock(mutex_);
        ++stats_.records;
        ++fetches_[id];
        auto const v = vulns_.find(id);
        if (v == vulns_.end()) {
            ++stats_.not_found;
            return TestResponse::json(R"({"code":5,"message":"Bug not found."})", 404);
        }
        return TestResponse::json(record_json(v->second));
    }
    return TestResponse::json(R"({"message":"not found"})", 404);
}

} // namespace pinwatch::test
