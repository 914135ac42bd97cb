#include "tests/fakes/fake_pypi.hpp"

#include "common/text.hpp"

#include "packaging/name.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace pinwatch::test {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string iso_time(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    // Like PyPI: microseconds, except that a zero fraction is omitted.
    int const micros = static_cast<int>((t * 7919) % 1000000);
    std::string out = buf;
    if (micros != 0) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%06d", micros);
        out += frac;
    }
    return out + "Z";
}

std::string hex64(std::uint64_t v) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

void str(Writer& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void key(Writer& w, std::string_view s) {
    w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

struct FileInfo {
    std::string filename, url, sha256;
    std::int64_t size;
};

// Wheel tags of a binary release, in the order PyPI lists them (CPython versions x platforms).
constexpr char const* kWheelTags[] = {
    "cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp39-cp39-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "cp39-cp39-macosx_11_0_arm64",
    "cp39-cp39-win_amd64",
    "cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "cp310-cp310-macosx_11_0_arm64",
    "cp310-cp310-win_amd64",
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "cp311-cp311-macosx_11_0_arm64",
    "cp311-cp311-win_amd64",
    "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-cp312-musllinux_1_1_x86_64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp312-cp312-win_amd64",
};

// An sdist, a pure wheel and, for files > 2, binary wheels (a release of a compiled project).
std::vector<FileInfo> files_of(std::string const& normalised, FakeRelease const& r) {
    std::string stem = normalised;
    std::replace(stem.begin(), stem.end(), '-', '_');
    std::vector<std::string> names;
    if (r.files >= 1) names.push_back(stem + "-" + r.version + ".tar.gz");
    if (r.files == 2) names.push_back(stem + "-" + r.version + "-py3-none-any.whl");
    for (int i = 0; r.files > 2 && i < r.files - 1 && i < static_cast<int>(std::size(kWheelTags));
         ++i)
        names.push_back(stem + "-" + r.version + "-" + kWheelTags[i] + ".whl");
    std::vector<FileInfo> out;
    for (auto const& name : names) {
        auto const h = hex64(fnv1a(name));
        // files.pythonhosted.org's layout: /packages/<2>/<2>/<60 hex digits>/<file>.
        auto const path =
            h + hex64(fnv1a(name + "/1")) + hex64(fnv1a(name + "/2")) + hex64(fnv1a(name + "/3"));
        out.push_back(
            {name,
             "https://files.example/packages/" + path.substr(0, 2) + "/" + path.substr(2, 2) + "/" +
                 path.substr(4, 60) + "/" + name,
             // Digests look random, as real ones do (and compress as badly).
             h + hex64(fnv1a(name + "#1")) + hex64(fnv1a(name + "#2")) + hex64(fnv1a(name + "#3")),
             static_cast<std::int64_t>(10000 + fnv1a(name) % 9000000)});
    }
    return out;
}

void write_json_api_file(Writer& w, FileInfo const& f, FakeRelease const& r) {
    w.StartObject();
    key(w, "filename");
    str(w, f.filename);
    key(w, "packagetype");
    str(w, f.filename.size() > 4 && f.filename.compare(f.filename.size() - 4, 4, ".whl") == 0
               ? "bdist_wheel"
               : "sdist");
    key(w, "python_version");
    str(w, "source");
    key(w, "digests");
    w.StartObject();
    key(w, "sha256");
    str(w, f.sha256);
    w.EndObject();
    key(w, "size");
    w.Int64(f.size);
    key(w, "upload_time_iso_8601");
    str(w, iso_time(r.upload_time));
    key(w, "url");
    str(w, f.url);
    key(w, "yanked");
    w.Bool(r.yanked);
    key(w, "yanked_reason");
    if (r.yanked && !r.yank_reason.empty())
        str(w, r.yank_reason);
    else
        w.Null();
    w.EndObject();
}

bool accepts_gzip(TestRequest const& req) {
    auto ae = req.header("accept-encoding");
    return ae && ae->find("gzip") != std::string_view::npos;
}

bool etag_matches(TestRequest const& req, std::string const& etag) {
    auto inm = req.header("if-none-match");
    return inm && inm->find(etag) != std::string_view::npos;
}

} // namespace

FakePypi::FakePypi(TestServerOptions options) {
    server_ =
        std::make_unique<TestServer>([this](TestRequest const& r) { return handle(r); }, options);
}

FakePypi::~FakePypi() {
    server_->stop();
}

std::string FakePypi::index_url() const {
    return server_->base_url() + "/simple/";
}

void FakePypi::changed(std::string const& key) {
    cache_.erase(key);
    serials_[key] = ++serial_;
}

void FakePypi::add_project(FakeProject p) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(p.name);
    projects_[key] = std::move(p);
    changed(key);
}

void FakePypi::add_release(std::string const& project, FakeRelease r) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    auto& p = projects_[key];
    if (p.name.empty()) p.name = project;
    p.releases.push_back(std::move(r));
    changed(key);
}

void FakePypi::yank(std::string const& project, std::string const& version, std::string reason) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    for (auto& r : projects_.at(key).releases)
        if (r.version == version) {
            r.yanked = true;
            r.yank_reason = reason;
        }
    changed(key);
}

void FakePypi::add_vulnerability(std::string const& project, std::string const& version,
                                 FakeAdvisory advisory) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    for (auto& r : projects_.at(key).releases)
        if (r.version == version) r.vulnerabilities.push_back(advisory);
    changed(key);
}

void FakePypi::withdraw_vulnerability(std::string const& project, std::string const& version,
                                      std::string const& id, std::string when) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    for (auto& r : projects_.at(key).releases)
        if (r.version == version)
            for (auto& a : r.vulnerabilities)
                if (a.id == id) a.withdrawn = when;
    changed(key);
}

void FakePypi::set_requires_python(std::string const& project, std::string const& version,
                                   std::string requires_python) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    for (auto& r : projects_.at(key).releases)
        if (r.version == version) r.requires_python = requires_python;
    changed(key);
}

void FakePypi::set_json_api_fault(std::string const& project, Fault fault) {
    std::lock_guard lock(mutex_);
    json_faults_[project] = fault;
}

void FakePypi::set_project_status(std::string const& project, std::string status,
                                  std::string reason) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    (void)projects_.at(key); // a project the fake serves
    statuses_[key] = {std::move(status), std::move(reason)};
    changed(key);
}

void FakePypi::unyank(std::string const& project, std::string const& version) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    for (auto& r : projects_.at(key).releases)
        if (r.version == version) {
            r.yanked = false;
            r.yank_reason.clear();
        }
    changed(key);
}

void FakePypi::remove_release(std::string const& project, std::string const& version) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    auto& rs = projects_.at(key).releases;
    rs.erase(std::remove_if(rs.begin(), rs.end(),
                            [&](FakeRelease const& r) { return r.version == version; }),
             rs.end());
    changed(key);
}

void FakePypi::remove_project(std::string const& project) {
    std::lock_guard lock(mutex_);
    auto const key = packaging::canonicalize_name(project);
    projects_.erase(key);
    changed(key);
}

void FakePypi::set_fault(std::string const& project, Fault fault) {
    std::lock_guard lock(mutex_);
    faults_[project == "*" ? project : packaging::canonicalize_name(project)] = fault;
}

void FakePypi::set_html_only(bool v) {
    std::lock_guard lock(mutex_);
    html_only_ = v;
}

void FakePypi::set_gzip(bool v) {
    std::lock_guard lock(mutex_);
    gzip_ = v;
}

FakePypi::RenderedSize FakePypi::rendered_size() const {
    std::lock_guard lock(mutex_);
    RenderedSize out;
    for (auto const& [name, r] : cache_) {
        out.json += r.json.size();
        out.json_gz += r.json_gz.size();
    }
    return out;
}

void FakePypi::prerender() {
    std::lock_guard lock(mutex_);
    for (auto const& [name, _] : projects_)
        rendered(name);
}

FakePypiStats FakePypi::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::vector<std::string> FakePypi::project_names() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (auto const& [k, _] : projects_)
        out.push_back(k);
    return out;
}

FakePypi::Rendered const& FakePypi::rendered(std::string const& name) {
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    auto const& p = projects_.at(name);
    auto const marked = statuses_.find(name);
    std::string const status = marked == statuses_.end() ? "" : marked->second.first;
    std::string const status_reason = marked == statuses_.end() ? "" : marked->second.second;
    // PEP 792: a quarantined project offers no files for download.
    std::vector<FakeRelease> const none;
    auto const& releases = status == "quarantined" ? none : p.releases;
    // The API version that brought what is served: 1.4 for project status.
    char const* const api_version = status.empty() ? "1.1" : "1.4";
    Rendered out;
    {
        rapidjson::StringBuffer buf;
        Writer w(buf);
        w.StartObject();
        key(w, "meta");
        w.StartObject();
        key(w, "api-version");
        str(w, api_version);
        key(w, "_last-serial");
        w.Int64(serials_[name]);
        w.EndObject();
        key(w, "name");
        str(w, name);
        if (!status.empty()) {
            key(w, "project-status");
            w.StartObject();
            key(w, "status");
            str(w, status);
            if (!status_reason.empty()) {
                key(w, "reason");
                str(w, status_reason);
            }
            w.EndObject();
        }
        key(w, "versions");
        w.StartArray();
        for (auto const& r : releases)
            str(w, r.version);
        w.EndArray();
        key(w, "files");
        w.StartArray();
        for (auto const& r : releases)
            for (auto const& f : files_of(name, r)) {
                w.StartObject();
                key(w, "filename");
                str(w, f.filename);
                key(w, "url");
                str(w, f.url);
                key(w, "hashes");
                w.StartObject();
                key(w, "sha256");
                str(w, f.sha256);
                w.EndObject();
                if (!r.requires_python.empty()) {
                    key(w, "requires-python");
                    str(w, r.requires_python);
                }
                key(w, "size");
                w.Int64(f.size);
                key(w, "upload-time");
                str(w, iso_time(r.upload_time));
                key(w, "yanked");
                if (!r.yanked)
                    w.Bool(false);
                else if (r.yank_reason.empty())
                    w.Bool(true);
                else
                    str(w, r.yank_reason);
                // PEP 714: PyPI serves both keys with the metadata file's hash.
                key(w, "core-metadata");
                w.StartObject();
                key(w, "sha256");
                str(w, f.sha256);
                w.EndObject();
                key(w, "data-dist-info-metadata");
                w.StartObject();
                key(w, "sha256");
                str(w, f.sha256);
                w.EndObject();
                w.EndObject();
            }
        w.EndArray();
        w.EndObject();
        out.json = buf.GetString();
    }
    {
        std::string h =
            "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" "
            "content=\"" +
            std::string(api_version) + "\">\n";
        if (!status.empty())
            h += "    <meta name=\"pypi:project-status\" content=\"" +
                 pinwatch::html_escape(status) + "\">\n";
        if (!status.empty() && !status_reason.empty())
            h += "    <meta name=\"pypi:project-status-reason\" content=\"" +
                 pinwatch::html_escape(status_reason) + "\">\n";
        h += "    <title>Links for " + pinwatch::html_escape(name) +
             "</title>\n  </head>\n  <body>\n"
             "    <h1>Links for " +
             pinwatch::html_escape(name) + "</h1>\n";
        for (auto const& r : releases)
            for (auto const& f : files_of(name, r)) {
                h += "    <a href=\"" + pinwatch::html_escape(f.url) + "#sha256=" + f.sha256 + "\"";
                if (r.yanked) h += " data-yanked=\"" + pinwatch::html_escape(r.yank_reason) + "\"";
                if (!r.requires_python.empty())
                    h += " data-requires-python=\"" + pinwatch::html_escape(r.requires_python) +
                         "\"";
                h += ">" + pinwatch::html_escape(f.filename) + "</a><br />\n";
            }
        h += "  </body>\n</html>\n";
        out.html = std::move(h);
    }
    out.json_gz = gzip_compress(out.json);
    out.html_gz = gzip_compress(out.html);
    out.json_etag = "\"" + hex64(fnv1a(out.json)) + "j\"";
    out.html_etag = "\"" + hex64(fnv1a(out.html)) + "h\"";
    return cache_.emplace(name, std::move(out)).first->second;
}

TestResponse FakePypi::handle(TestRequest const& req) {
    auto const path = std::string(req.path());
    auto segments = std::vector<std::string>{};
    for (std::size_t pos = 1; pos <= path.size();) {
        auto const next = path.find('/', pos);
        auto const end = next == std::string::npos ? path.size() : next;
        segments.push_back(path.substr(pos, end - pos));
        pos = end + 1;
    }
    if (!segments.empty() && segments.back().empty()) segments.pop_back();

    std::string project;
    if (segments.size() >= 2 && (segments[0] == "simple" || segments[0] == "pypi"))
        project = segments[1];
    Fault fault = Fault::none;
    {
        std::lock_guard lock(mutex_);
        if (!segments.empty() && segments[0] == "pypi") {
            auto j = json_faults_.find(packaging::canonicalize_name(project));
            if (j == json_faults_.end()) j = json_faults_.find("*");
            if (j != json_faults_.end()) fault = j->second;
            if (fault != Fault::none) ++stats_.json_api_faults;
        }
        auto f = faults_.find(packaging::canonicalize_name(project));
        if (f == faults_.end()) f = faults_.find("*");
        if (f != faults_.end() && fault == Fault::none) fault = f->second;
    }
    TestResponse faulty;
    switch (fault) {
    case Fault::none:
        break;
    case Fault::server_error:
        return TestResponse::text("upstream unavailable\n", 503);
    case Fault::not_found:
        return TestResponse::text("Not Found\n", 404);
    case Fault::garbage:
        faulty.garbage = true;
        return faulty;
    case Fault::bad_json:
        return TestResponse::json("{\"meta\": {\"api-version\": \"1.1\"}, \"files\": [tru", 200)
            .header("Content-Type", "application/vnd.pypi.simple.v1+json");
    case Fault::stall:
        faulty.stall = true;
        return faulty;
    case Fault::close:
        faulty.close_before_response = true;
        return faulty;
    case Fault::drip:
        faulty = TestResponse::text(std::string(4096, 'x'));
        faulty.drip = std::chrono::milliseconds(100);
        return faulty;
    }

    if (segments.size() == 2 && segments[0] == "simple" && path.back() == '/')
        return simple(segments[1], req);
    if (segments.size() == 2 && segments[0] == "simple") // PEP 503: add the trailing slash
        return TestResponse::redirect(301, "/simple/" + segments[1] + "/");
    if (segments.size() == 3 && segments[0] == "pypi" && segments[2] == "json")
        return json_api(segments[1], std::nullopt, req);
    if (segments.size() == 4 && segments[0] == "pypi" && segments[3] == "json")
        return json_api(segments[1], segments[2], req);
    std::lock_guard lock(mutex_);
    ++stats_.other;
    return TestResponse::text("Not Found\n", 404);
}

TestResponse FakePypi::simple(std::string const& name, TestRequest const& req) {
    auto const canonical = packaging::canonicalize_name(name);
    if (canonical != name) return TestResponse::redirect(301, "/simple/" + canonical + "/");
    std::lock_guard lock(mutex_);
    if (!projects_.count(name)) {
        ++stats_.other;
        return TestResponse::text("Not Found\n", 404);
    }
    auto const& r = rendered(name);
    auto const accept = req.header("accept").value_or("");
    bool const json =
        !html_only_ && accept.find("application/vnd.pypi.simple.v1+json") != std::string_view::npos;
    auto const& etag = json ? r.json_etag : r.html_etag;
    TestResponse res;
    res.header("Vary", "Accept, Accept-Encoding");
    res.header("ETag", etag);
    res.header("X-PyPI-Last-Serial", std::to_string(serials_[name]));
    res.header("Cache-Control", "max-age=600, public");
    if (etag_matches(req, etag)) {
        ++stats_.not_modified;
        res.status = 304;
        return res;
    }
    (json ? stats_.simple_json : stats_.simple_html)++;
    res.header("Content-Type",
               json ? "application/vnd.pypi.simple.v1+json" : "text/html; charset=utf-8");
    if (gzip_ && accepts_gzip(req)) {
        res.header("Content-Encoding", "gzip");
        res.body = json ? r.json_gz : r.html_gz;
    } else {
        res.body = json ? r.json : r.html;
    }
    return res;
}

TestResponse FakePypi::json_api(std::string const& name, std::optional<std::string> const& version,
                                TestRequest const& req) {
    auto const canonical = packaging::canonicalize_name(name);
    if (canonical != name)
        return TestResponse::redirect(301, "/pypi/" + canonical + (version ? "/" + *version : "") +
                                               "/json");
    std::lock_guard lock(mutex_);
    ++stats_.json_api;
    auto it = projects_.find(name);
    if (it == projects_.end() || it->second.releases.empty())
        return TestResponse::text("Not Found\n", 404);
    auto const& p = it->second;
    FakeRelease const* shown = nullptr;
    if (version) {
        for (auto const& r : p.releases)
            if (r.version == *version) shown = &r;
        if (!shown) return TestResponse::text("Not Found\n", 404);
    } else {
        for (auto const& r : p.releases)
            if (!r.yanked) shown = &r; // the fake's "latest": the newest upload not yanked
        if (!shown) shown = &p.releases.back();
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    key(w, "info");
    w.StartObject();
    key(w, "name");
    str(w, p.name);
    key(w, "version");
    str(w, shown->version);
    key(w, "summary");
    str(w, p.summary);
    key(w, "home_page");
    str(w, "");
    key(w, "project_urls");
    w.StartObject();
    for (auto const& [k, v] : p.project_urls) {
        key(w, k);
        str(w, v);
    }
    w.EndObject();
    key(w, "yanked");
    w.Bool(shown->yanked);
    key(w, "yanked_reason");
    if (shown->yanked && !shown->yank_reason.empty())
        str(w, shown->yank_reason);
    else
        w.Null();
    w.EndObject();
    key(w, "last_serial");
    w.Int64(serials_[name]);
    if (!version) {
        key(w, "releases");
        w.StartObject();
        for (auto const& r : p.releases) {
            key(w, r.version);
            w.StartArray();
            for (auto const& f : files_of(name, r))
                write_json_api_file(w, f, r);
            w.EndArray();
        }
        w.EndObject();
    }
    key(w, "urls");
    w.StartArray();
    for (auto const& f : files_of(name, *shown))
        write_json_api_file(w, f, *shown);
    w.EndArray();
    key(w, "vulnerabilities");
    w.StartArray();
    for (auto const& a : shown->vulnerabilities) {
        w.StartObject();
        key(w, "aliases");
        w.StartArray();
        for (auto const& x : a.aliases)
            str(w, x);
        w.EndArray();
        key(w, "details");
        str(w, a.details);
        key(w, "fixed_in");
        w.StartArray();
        for (auto const& x : a.fixed_in)
            str(w, x);
        w.EndArray();
        key(w, "id");
        str(w, a.id);
        key(w, "link");
        str(w, "https://osv.dev/vulnerability/" + a.id);
        key(w, "source");
        str(w, "osv");
        key(w, "summary");
        str(w, a.summary);
        key(w, "withdrawn");
        if (a.withdrawn)
            str(w, *a.withdrawn);
        else
            w.Null();
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    std::string body = buf.GetString();
    // PyPI gives every JSON answer an ETag and answers If-None-Match with 304.
    auto const etag = "\"" + hex64(fnv1a(body)) + "a\"";
    TestResponse res;
    if (etag_matches(req, etag)) {
        ++stats_.json_api_not_modified;
        res.status = 304;
    } else {
        res = TestResponse::json(std::move(body));
    }
    res.header("ETag", etag);
    res.header("X-PyPI-Last-Serial", std::to_string(serials_[name]));
    return res;
}

std::vector<FakeProject> FakePypi::generate(std::size_t count, unsigned seed, std::int64_t now) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<FakeProject> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        FakeProject p;
        char name[32];
        // Mixed spellings, as on PyPI; they all normalise to "pkg-<i>".
        static char const* const kStyles[] = {"pkg-%05zu", "Pkg_%05zu", "pkg.%05zu", "PKG-%05zu"};
        std::snprintf(name, sizeof name, kStyles[i % 4], i);
        p.name = name;
        p.summary = std::string("Generated project ") + name;
        p.project_urls = {{"Source", "https://github.com/example/" + std::string(name)},
                          {"Documentation", "https://docs.example/" + std::string(name)}};
        // Release counts as in a real team's mirror (500 projects pinned by real requirements
        // files held 53k releases): most projects 10-60 releases, some a few hundred, a few
        // boto3-like ones 1,000-3,000. The first project is always the largest.
        double const x = u(rng);
        int releases = x < 0.85   ? 10 + static_cast<int>(u(rng) * 50)
                       : x < 0.98 ? 60 + static_cast<int>(u(rng) * 240)
                                  : 1000 + static_cast<int>(u(rng) * 2000);
        if (i == 0 && count >= 50) releases = 3000;
        // A fifth of projects are compiled: an sdist and a wheel per platform and Python, the
        // newer releases with more of them. The rest ship an sdist and one pure wheel.
        bool const binary = releases < 1000 && u(rng) < 0.2;
        std::int64_t t = now - 6LL * 365 * 86400;
        std::int64_t const step =
            std::max<std::int64_t>(3600, (now - 86400 - t) / std::max(1, releases));
        int major = 0, minor = 1, patch = 0;
        for (int r = 0; r < releases; ++r) {
            FakeRelease rel;
            double const y = u(rng);
            if (y < 0.02) {
                ++major, minor = 0, patch = 0;
            } else if (y < 0.15) {
                ++minor, patch = 0;
            } else {
                ++patch;
            }
            std::string v =
                std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
            double const shape = u(rng);
            if (shape < 0.04)
                v += "rc" + std::to_string(1 + r % 3);
            else if (shape < 0.06)
                v += "b" + std::to_string(1 + r % 2);
            else if (shape < 0.07)
                v += ".post1";
            else if (shape < 0.075)
                v += ".dev" + std::to_string(r);
            rel.version = v;
            rel.files = binary ? 1 + 3 + (10 * r) / std::max(1, releases) : 2;
            t += step;
            rel.upload_time = t;
            if (u(rng) < 0.01) {
                rel.yanked = true;
                rel.yank_reason = u(rng) < 0.5 ? "broken build" : "";
            }
            p.releases.push_back(std::move(rel));
        }
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace pinwatch::test
