// PyPI source: request building and response parsing, no I/O.
#include "watcher/sources/pypi/pypi.hpp"
#include "common/json_read.hpp"
#include "watcher/sources/registry.hpp"

#include "common/backoff.hpp"
#include "common/text.hpp"

#include "packaging/name.hpp"
#include "packaging/version.hpp"

#include <rapidjson/document.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <unordered_map>

namespace pinwatch::watcher {
namespace {

// The spec-recommended Accept header: JSON first, HTML as the fallback (PEP 691).
constexpr char const* kSimpleAccept = "application/vnd.pypi.simple.v1+json, "
                                      "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

// A large project's Simple JSON is a few MB; allow generous headroom without letting a broken
// server fill memory.
constexpr std::size_t kSimpleBodyLimit = 64u << 20;
constexpr std::size_t kMetadataBodyLimit = 16u << 20;

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};
using StringIndex = std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>>;

// Collects releases by normalised version while preserving the index's spelling.
// At most pypi_detail::kMaxReleases releases: past that, get() returns nullptr and the table
// says it overflowed, so a hostile or broken page costs bounded memory.
class ReleaseTable {
  public:
    Release* get(std::string_view version) {
        // Most files spell the version exactly as the `versions` list does: a lookup of the raw
        // text spares a PEP 440 parse per file.
        if (auto raw = raw_index_.find(version); raw != raw_index_.end())
            return &releases_[raw->second];
        // Spellings are remembered only up to a bound too (many spellings of one version).
        bool const remember = raw_index_.size() < 2 * pypi_detail::kMaxReleases;
        auto key = release_key(version); // files and `versions` matched by it
        auto it = index_.find(key);
        if (it != index_.end()) {
            if (remember) raw_index_.emplace(std::string(version), it->second);
            return &releases_[it->second];
        }
        if (releases_.size() >= pypi_detail::kMaxReleases) {
            overflowed_ = true;
            return nullptr;
        }
        if (remember) raw_index_.emplace(std::string(version), releases_.size());
        index_.emplace(key, releases_.size());
        Release r;
        r.version = std::string(version);
        r.key = std::move(key);
        releases_.push_back(std::move(r));
        files_.push_back(0);
        yanked_files_.push_back(0);
        return &releases_.back();
    }
    // False once the table is full and the file names a release it does not hold.
    bool add_file(std::string_view version, std::optional<UnixTime> uploaded, bool yanked,
                  std::optional<std::string> reason,
                  std::optional<std::string_view> requires_python = std::nullopt) {
        auto* found = get(version);
        if (!found) return false;
        auto& r = *found;
        auto const i = static_cast<std::size_t>(&r - releases_.data());
        ++files_[i];
        if (uploaded && (!r.upload_time || *uploaded < *r.upload_time)) r.upload_time = uploaded;
        // Requires-Python is a release's metadata, copied to each file (PEP 691/503).
        if (requires_python && !requires_python->empty() && !r.requires_python)
            r.requires_python = std::string(*requires_python);
        if (yanked) {
            ++yanked_files_[i];
            if (reason && !reason->empty() && !r.yank_reason) r.yank_reason = std::move(reason);
        }
        return true;
    }
    bool overflowed() const { return overflowed_; }
    std::vector<Release> finish() && {
        // PEP 592: a release counts as yanked when all of its files are yanked.
        for (std::size_t i = 0; i < releases_.size(); ++i) {
            releases_[i].yanked = files_[i] > 0 && yanked_files_[i] == files_[i];
            if (!releases_[i].yanked) releases_[i].yank_reason.reset();
        }
        return std::move(releases_);
    }

  private:
    StringIndex index_;     // normalised version -> release
    StringIndex raw_index_; // spelling seen -> release
    std::vector<Release> releases_;
    std::vector<int> files_, yanked_files_;
    bool overflowed_ = false;
};

// "pypi:<name>: " is prefixed by the caller.
std::string too_many_releases() {
    auto const n = pypi_detail::with_thousands(pypi_detail::kMaxReleases);
    return "more than " + n + " releases; pinwatch reads at most " + n;
}

// SAX handler for a PEP 691 project page. It keeps only the few fields pinwatch needs, so a
// 10 MB page costs the release table, not a DOM.
struct SimpleJsonHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, SimpleJsonHandler> {
    std::string_view project;
    ReleaseTable table;
    std::optional<std::int64_t> last_serial;
    std::string api_version;
    std::optional<std::string_view> status, status_reason; // PEP 792 "project-status"
    bool saw_versions = false;
    bool top_is_object = false; // a PEP 691 project page is one JSON object ...
    bool saw_files = false;     // ... with a "files" list

    int depth = 0;
    // Keys are classified once, when read; values then switch on the class instead of
    // comparing strings (a large page has hundreds of thousands of them).
    enum class Top { other, meta, versions, files, project_status } top = Top::other;
    enum class Meta { other, api_version, last_serial } meta = Meta::other;
    enum class Status { other, status, reason } status_key = Status::other;
    enum class File { other, filename, upload_time, yanked, requires_python } file = File::other;
    // The file being read. Views point into the parse buffer (in-situ parsing: no copies).
    std::string_view filename;
    std::optional<UnixTime> uploaded;
    bool yanked = false;
    std::optional<std::string_view> yank_reason;
    std::optional<std::string_view> requires_python;

    bool in_meta() const { return depth == 2 && top == Top::meta; }
    bool in_status() const { return depth == 2 && top == Top::project_status; }
    bool in_versions() const { return depth == 2 && top == Top::versions; }
    bool in_file() const { return depth == 3 && top == Top::files; }

    bool scalar_string(char const* s, std::size_t n) {
        if (in_file()) {
            switch (file) {
            case File::filename:
                filename = std::string_view(s, n);
                break;
            case File::upload_time:
                uploaded = pypi_detail::parse_upload_time({s, n});
                break;
            case File::yanked:
                // PEP 592: a string means yanked with that reason.
                yanked = true;
                yank_reason = std::string_view(s, n);
                break;
            case File::requires_python:
                requires_python = std::string_view(s, n);
                break;
            case File::other:
                break;
            }
        } else if (in_versions()) {
            saw_versions = true;
            if (!table.get(std::string_view(s, n))) return false; // too many: stop reading
        } else if (in_meta() && meta == Meta::api_version) {
            api_version.assign(s, n);
        } else if (in_status() && status_key == Status::status) {
            status = std::string_view(s, n);
        } else if (in_status() && status_key == Status::reason) {
            status_reason = std::string_view(s, n);
        }
        return true;
    }
    bool Default() { return true; }
    bool String(char const* s, rapidjson::SizeType n, bool) { return scalar_string(s, n); }
    bool Bool(bool b) {
        if (in_file() && file == File::yanked) yanked = b;
        return true;
    }
    bool Int64(std::int64_t v) {
        if (in_meta() && meta == Meta::last_serial) last_serial = v;
        return true;
    }
    bool Int(int v) { return Int64(v); }
    bool Uint(unsigned v) { return Int64(v); }
    bool Uint64(std::uint64_t v) { return Int64(static_cast<std::int64_t>(v)); }
    bool Key(char const* s, rapidjson::SizeType n, bool) {
        std::string_view const k(s, n);
        if (depth == 1) {
            top = k == "files"            ? Top::files
                  : k == "versions"       ? Top::versions
                  : k == "meta"           ? Top::meta
                  : k == "project-status" ? Top::project_status
                                          : Top::other;
            saw_files = saw_files || top == Top::files;
        } else if (in_meta()) {
            meta = k == "api-version"    ? Meta::api_version
                   : k == "_last-serial" ? Meta::last_serial
                                         : Meta::other;
        } else if (in_status()) {
            status_key = k == "status"   ? Status::status
                         : k == "reason" ? Status::reason
                                         : Status::other;
        } else if (in_file()) {
            file = k == "filename"          ? File::filename
                   : k == "upload-time"     ? File::upload_time
                   : k == "yanked"          ? File::yanked
                   : k == "requires-python" ? File::requires_python
                                            : File::other;
        }
        return true;
    }
    bool StartObject() {
        if (depth == 0) top_is_object = true;
        ++depth;
        if (in_file()) {
            filename = {};
            uploaded.reset();
            yanked = false;
            yank_reason.reset();
            requires_python.reset();
            file = File::other;
        }
        return true;
    }
    bool EndObject(rapidjson::SizeType) {
        if (in_file()) {
            auto v = pypi_detail::version_from_filename(filename, project);
            if (!v.empty() && !table.add_file(v, uploaded, yanked,
                                              yank_reason ? std::optional<std::string>(*yank_reason)
                                                          : std::nullopt,
                                              requires_python))
                return false; // too many releases: stop reading
        }
        --depth;
        return true;
    }
    bool StartArray() {
        ++depth;
        return true;
    }
    bool EndArray(rapidjson::SizeType) {
        --depth;
        return true;
    }
};

// --- HTML (PEP 503) ---------------------------------------------------------------------

std::string html_unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        auto const semi = s.find(';', i);
        if (semi == std::string_view::npos || semi - i > 10) {
            out += s[i];
            continue;
        }
        auto const ent = s.substr(i + 1, semi - i - 1);
        if (ent == "amp")
            out += '&';
        else if (ent == "lt")
            out += '<';
        else if (ent == "gt")
            out += '>';
        else if (ent == "quot")
            out += '"';
        else if (ent == "apos")
            out += '\'';
        else if (!ent.empty() && ent[0] == '#') {
            unsigned long code = 0;
            bool const hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
            auto digits = ent.substr(hex ? 2 : 1);
            auto [p, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
            if (ec != std::errc{} || p != digits.data() + digits.size() || code > 0x10FFFF) {
                out.append(s.substr(i, semi - i + 1));
            } else if (code < 0x80) {
                out += static_cast<char>(code);
            } else if (code < 0x800) {
                out += static_cast<char>(0xC0 | (code >> 6));
                out += static_cast<char>(0x80 | (code & 0x3F));
            } else if (code < 0x10000) {
                out += static_cast<char>(0xE0 | (code >> 12));
                out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (code & 0x3F));
            } else {
                out += static_cast<char>(0xF0 | (code >> 18));
                out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
                out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (code & 0x3F));
            }
        } else {
            out.append(s.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            unsigned v = 0;
            std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            out += static_cast<char>(v);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

struct Anchor {
    std::optional<std::string> href;
    std::optional<std::string> yanked; // present (possibly empty) when data-yanked is there
    std::optional<std::string> requires_python; // data-requires-python
    std::string text;
    std::optional<std::string> name, content; // a <meta> tag's (read with the same code)
};

// Reads the attributes of one start tag; `s` is the text between "<a" and ">".
void read_attributes(std::string_view s, Anchor& a) {
    std::size_t i = 0;
    auto skip_ws = [&] {
        while (i < s.size() && is_blank(s[i]))
            ++i;
    };
    while (i < s.size()) {
        skip_ws();
        std::size_t const name_start = i;
        while (i < s.size() && !is_blank(s[i]) && s[i] != '=' && s[i] != '/')
            ++i;
        if (i == name_start) {
            ++i;
            continue;
        }
        std::string const name = ascii_lower(s.substr(name_start, i - name_start));
        skip_ws();
        std::string value;
        if (i < s.size() && s[i] == '=') {
            ++i;
            skip_ws();
            if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
                char const q = s[i++];
                auto const end = s.find(q, i);
                auto const stop = end == std::string_view::npos ? s.size() : end;
                value = html_unescape(s.substr(i, stop - i));
                i = stop + 1;
            } else {
                std::size_t const vs = i;
                while (i < s.size() && !is_blank(s[i]))
                    ++i;
                value = html_unescape(s.substr(vs, i - vs));
            }
        }
        if (name == "href")
            a.href = value;
        else if (name == "data-yanked")
            a.yanked = value;
        else if (name == "data-requires-python")
            a.requires_python = value;
        else if (name == "name")
            a.name = value;
        else if (name == "content")
            a.content = value;
    }
}

// PEP 792: what the index says about the project, from the JSON's "project-status" object or
// the HTML's meta tags. No status (or an empty one) is `active`, as the standard says; a value
// it does not define is kept (lower-cased, cut short) and counts as not active, so a status a
// later standard adds is shown rather than taken for "all is well". The reason is the index's
// free text: cut at kMaxStatusReason bytes on a UTF-8 boundary, escaped where it is shown.
constexpr std::size_t kMaxStatusChars = 40;
constexpr std::size_t kMaxStatusReason = 1000;

ProjectStatus project_status_of(std::optional<std::string_view> status,
                                std::optional<std::string_view> reason) {
    ProjectStatus out;
    auto const word = status ? ascii_lower(trim_blanks(*status)) : std::string();
    if (!word.empty()) out.status = valid_utf8(std::string_view(word).substr(0, kMaxStatusChars));
    if (reason && !trim_blanks(*reason).empty()) {
        auto text = valid_utf8(*reason);
        if (text.size() > kMaxStatusReason) {
            std::size_t cut = kMaxStatusReason;
            while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
                --cut;
            text = text.substr(0, cut) + "…";
        }
        out.reason = std::move(text);
    }
    return out;
}

} // namespace

namespace pypi_detail {

std::string with_thousands(std::size_t n) {
    auto digits = std::to_string(n);
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return digits;
}

std::string normalise_index_url(std::string_view url) {
    std::string out = url_identity(url);
    if (out.empty() || out.back() != '/') out += '/';
    return out;
}

std::string version_from_filename(std::string_view filename, std::string_view project) {
    if (iends_with(filename, ".whl") || iends_with(filename, ".egg")) {
        // Wheel: {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl, name escaped with '_'.
        // Egg: {name}-{version}(-py{X.Y}(-{platform})?)?.egg
        auto stem = filename.substr(0, filename.size() - 4);
        auto const first = stem.find('-');
        if (first == std::string_view::npos) return "";
        auto rest = stem.substr(first + 1);
        return std::string(rest.substr(0, rest.find('-')));
    }
    static constexpr std::string_view kSdistExtensions[] = {
        ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.z", ".tar", ".tgz", ".tbz", ".zip"};
    for (auto ext : kSdistExtensions) {
        if (!iends_with(filename, ext)) continue;
        auto const canon_project = packaging::canonicalize_name(project);
        auto stem = filename.substr(0, filename.size() - ext.size());
        // Old sdists keep the project's own spelling, which may contain '-': find the split
        // where the left part is the project name.
        for (auto pos = stem.find('-'); pos != std::string_view::npos;
             pos = stem.find('-', pos + 1))
            if (packaging::canonicalize_name(stem.substr(0, pos)) == canon_project)
                return std::string(stem.substr(pos + 1));
        auto const last = stem.rfind('-');
        if (last == std::string_view::npos) return "";
        return std::string(stem.substr(last + 1));
    }
    return "";
}

std::optional<UnixTime> parse_upload_time(std::string_view t) {
    // yyyy-mm-ddThh:mm:ss[.ffffff]Z (PyPI omits the fraction when it is zero)
    if (t.size() < 20) return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
        int v = 0;
        auto [p, ec] = std::from_chars(t.data() + pos, t.data() + pos + len, v);
        if (ec != std::errc{} || p != t.data() + pos + len) return std::nullopt;
        return v;
    };
    if (t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') || t[13] != ':' ||
        t[16] != ':')
        return std::nullopt;
    auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
         s = num(17, 2);
    if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
    std::size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        ++i;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])))
            ++i;
    }
    if (i + 1 != t.size() || (t[i] != 'Z' && t[i] != 'z')) return std::nullopt;
    if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *s > 60)
        return std::nullopt;
    std::tm tm{};
    tm.tm_year = *y - 1900;
    tm.tm_mon = *mo - 1;
    tm.tm_mday = *d;
    tm.tm_hour = *h;
    tm.tm_min = *mi;
    tm.tm_sec = *s;
    return static_cast<UnixTime>(timegm(&tm));
}

Result<Observation, std::string> parse_simple_json(std::string const& body,
                                                   std::string_view project) {
    SimpleJsonHandler h;
    h.project = project;
    rapidjson::Reader reader;
    // In-situ parsing decodes strings in place, so the handler gets views instead of copies.
    std::string buffer = body;
    rapidjson::InsituStringStream in(buffer.data());
    auto const ok =
        reader.Parse<rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseInsituFlag>(in, h);
    if (h.table.overflowed()) return fail(too_many_releases());
    if (!ok) {
        return fail("invalid Simple API JSON at offset " + std::to_string(reader.GetErrorOffset()));
    }
    if (!h.top_is_object || !h.saw_files)
        return fail(std::string("not a Simple API project page (a JSON ") +
                    (h.top_is_object ? "object without \"files\"" : "value that is not an object") +
                    ")");
    if (!h.api_version.empty()) {
        // Clients must refuse a greater major version (PEP 691, "Clients").
        auto const major = h.api_version.substr(0, h.api_version.find('.'));
        if (major != "1") return fail("unsupported Simple API version " + h.api_version);
    }
    Observation obs;
    obs.sequence = h.last_serial;
    obs.releases = std::move(h.table).finish();
    obs.project_status = project_status_of(h.status, h.status_reason);
    return obs;
}

Result<Observation, std::string> parse_simple_html(std::string const& body,
                                                   std::string_view project) {
    ReleaseTable table;
    std::size_t pos = 0, anchors = 0;
    auto const lbody = ascii_lower(body);
    // PEP 792's meta tags: <meta name="pypi:project-status" content="..."> and
    // <meta name="pypi:project-status-reason" content="...">, in the page's head.
    std::optional<std::string> status, reason;
    for (auto at = lbody.find("<meta"); at != std::string::npos; at = lbody.find("<meta", at + 5)) {
        auto const after = at + 5;
        auto const close = lbody.find('>', after);
        if (close == std::string::npos) break;
        if (after < lbody.size() && !is_blank(lbody[after])) continue; // <metadata>, ...
        Anchor m;
        read_attributes(std::string_view(body).substr(after, close - after), m);
        if (!m.name || !m.content) continue;
        auto const name = ascii_lower(*m.name);
        if (name == "pypi:project-status")
            status = std::move(m.content);
        else if (name == "pypi:project-status-reason")
            reason = std::move(m.content);
    }
    while (true) {
        auto const open = lbody.find("<a", pos);
        if (open == std::string::npos) break;
        auto const after = open + 2;
        if (after < lbody.size() && !is_blank(lbody[after]) && lbody[after] != '>') {
            pos = after; // <abbr>, <area>, ...
            continue;
        }
        auto const close = lbody.find('>', after);
        if (close == std::string::npos) break;
        ++anchors;
        Anchor a;
        read_attributes(std::string_view(body).substr(after, close - after), a);
        auto const end = lbody.find("</a", close + 1);
        auto const text_end = end == std::string::npos ? lbody.size() : end;
        a.text = html_unescape(std::string_view(body).substr(close + 1, text_end - close - 1));
        pos = text_end;

        std::string filename;
        auto const trimmed = trim_blanks(a.text);
        if (a.href) {
            std::string_view h = *a.href;
            h = h.substr(0, h.find_first_of("#?"));
            auto const slash = h.rfind('/');
            filename = percent_decode(slash == std::string_view::npos ? h : h.substr(slash + 1));
        }
        if (filename.empty()) filename = std::string(trimmed);
        auto v = version_from_filename(filename, project);
        if (v.empty()) continue;
        std::optional<std::string> reason;
        if (a.yanked && !a.yanked->empty()) reason = *a.yanked;
        std::optional<std::string_view> rp;
        if (a.requires_python) rp = *a.requires_python;
        if (!table.add_file(v, std::nullopt, a.yanked.has_value(), std::move(reason), rp))
            return fail(too_many_releases());
    }
    // A project page links its files; a page without a single link is an error page, a login
    // wall or a proxy's answer, not "no releases" (PyPI answers 404 for a project without any).
    // Unless it says the project's status: a quarantined project's page lists no files.
    if (anchors == 0 && !status)
        return fail("not a Simple API project page (an HTML page without links)");
    Observation obs;
    obs.releases = std::move(table).finish();
    obs.project_status = project_status_of(status, reason);
    return obs;
}

} // namespace pypi_detail

namespace pypi_detail {

std::optional<std::string> metadata_url(std::string_view locator, std::string_view version) {
    // locator: <root>/simple/<name>/
    std::string_view page = locator;
    if (!page.empty() && page.back() == '/') page.remove_suffix(1);
    auto const slash = page.rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto const name = page.substr(slash + 1);
    auto root = page.substr(0, slash + 1); // ".../simple/"
    constexpr std::string_view kSimple = "/simple/";
    if (root.size() < kSimple.size() || root.substr(root.size() - kSimple.size()) != kSimple)
        return std::nullopt;
    root.remove_suffix(kSimple.size() - 1);
    return std::string(root) + "pypi/" + std::string(name) + "/" + std::string(version) + "/json";
}

Result<ProjectMetadata, std::string> parse_metadata(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return fail("metadata: invalid JSON");
    ProjectMetadata m;
    auto info = d.FindMember("info");
    if (info == d.MemberEnd() || !info->value.IsObject()) return m;
    auto const& i = info->value;
    if (auto s = i.FindMember("summary"); s != i.MemberEnd() && s->value.IsString())
        m.summary = s->value.GetString();
    if (auto s = i.FindMember("home_page"); s != i.MemberEnd() && s->value.IsString())
        m.home_page = s->value.GetString();
    if (auto u = i.FindMember("project_urls"); u != i.MemberEnd() && u->value.IsObject())
        for (auto const& kv : u->value.GetObject())
            if (kv.value.IsString()) m.project_urls[kv.name.GetString()] = kv.value.GetString();
    return m;
}

Result<std::vector<Advisory>, std::string> parse_vulnerabilities(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return fail("vulnerabilities: invalid JSON");
    auto list = d.FindMember("vulnerabilities");
    if (list == d.MemberEnd() || !list->value.IsArray())
        return fail("vulnerabilities: the answer has no \"vulnerabilities\" list");
    std::vector<Advisory> out;
    for (auto const& v : list->value.GetArray()) {
        // Only `id` is never null (warehouse's model); an entry without one cannot be told.
        if (!v.IsObject()) return fail("vulnerabilities: an entry is not an object");
        auto id = json::optional_string(v, "id");
        if (!id || id->empty()) return fail("vulnerabilities: an entry has no \"id\"");
        if (out.size() >= kMaxAdvisories)
            return fail("vulnerabilities: more than " + with_thousands(kMaxAdvisories) +
                        " entries");
        Advisory a;
        a.id = std::move(*id);
        a.aliases = json::strings(v, "aliases", 100);
        a.summary = json::optional_string(v, "summary").value_or("");
        // Long advisories are summarised by their first 1,000 bytes (cut on a UTF-8 boundary).
        if (a.summary.size() > 1000) {
            std::size_t cut = 1000;
            while (cut > 0 && (static_cast<unsigned char>(a.summary[cut]) & 0xC0) == 0x80)
                --cut;
            a.summary = a.summary.substr(0, cut) + "…";
        }
        a.link = json::optional_string(v, "link").value_or("");
        a.fixed_in = json::strings(v, "fixed_in", 100);
        a.withdrawn = json::optional_string(v, "withdrawn");
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace pypi_detail

namespace {

constexpr std::string_view kListingStep = "simple";
constexpr std::string_view kVulnerabilityStep = "vulnerabilities";
constexpr std::string_view kMetadataStep = "metadata";

// The release metadata is read for: the newest non-yanked final, else the newest non-yanked.
std::optional<std::string> newest_release(std::vector<Release> const& releases) {
    std::optional<packaging::Version> best_final, best_any;
    std::string final_text, any_text;
    for (auto const& r : releases) {
        if (r.yanked) continue;
        auto v = packaging::Version::parse(r.version);
        if (!v) continue;
        if (!best_any || *v > *best_any) best_any = *v, any_text = r.version;
        if (!v->is_prerelease() && (!best_final || *v > *best_final))
            best_final = *v, final_text = r.version;
    }
    if (best_final) return final_text;
    if (best_any) return any_text;
    return std::nullopt;
}

std::optional<SourceRequest> metadata_request(Subscription const& sub, PypiSource::Asks const& ctx,
                                              Observation const& obs) {
    if (!ctx.want_metadata || obs.status != Observation::Status::ok) return std::nullopt;
    auto const newest = newest_release(obs.releases);
    if (!newest || newest == ctx.metadata_version) return std::nullopt;
    auto url = pypi_detail::metadata_url(sub.locator, *newest);
    if (!url) return std::nullopt;
    SourceRequest next;
    next.step = std::string(kMetadataStep);
    next.argument = *newest;
    next.optional = true;
    next.http.url = std::move(*url);
    with_index_credentials(sub, next.http);
    next.http.header("Accept", "application/json");
    next.http.body_limit = kMetadataBodyLimit;
    return next;
}

// A failed poll's error, named "pypi:<name>: ..."; a rate limit waits as Retry-After says, else
// a minute.
Unexpected<SourceError> poll_error(Subscription const& sub, net::Response const& res,
                                   SourceError::Kind k, std::string msg) {
    return fail(SourceError{k, std::string(PypiSource::kKind) + ":" + sub.name + ": " + msg,
                            k == SourceError::Kind::rate_limited
                                ? net::parse_retry_after(res).value_or(std::chrono::seconds(60))
                                : net::parse_retry_after(res)});
}

// The answer of the metadata step. Metadata is a nicety: any failure leaves the listing as it
// is. A permanent one is remembered for this release, so a missing JSON API is not asked after
// every poll.
Result<SourceStep, SourceError> read_metadata(Subscription const& sub, SourceRequest const& request,
                                              net::Response const& res, Observation& obs) {
    if (net::is_temporary(net::classify_status(res.status)))
        return poll_error(sub, res, SourceError::Kind::temporary,
                          "metadata: http " + std::to_string(res.status));
    auto meta = res.status == 200 ? pypi_detail::parse_metadata(res.body)
                                  : Result<ProjectMetadata, std::string>(
                                        fail("metadata: http " + std::to_string(res.status)));
    obs.metadata = meta ? std::move(*meta) : ProjectMetadata{};
    obs.metadata_version = request.argument;
    if (!meta) return poll_error(sub, res, SourceError::Kind::permanent, meta.error());
    return SourceStep{};
}

// A listing of the Simple API in JSON (PEP 691) rather than HTML: by its Content-Type, or by
// its first character when it has none.
bool json_listing(net::Response const& res) {
    auto const type = ascii_lower(res.header("content-type").value_or(""));
    if (!type.empty()) return type.find("json") != std::string::npos;
    auto const first = res.body.find_first_not_of(" \t\r\n");
    return first != std::string::npos && (res.body[first] == '{' || res.body[first] == '[');
}

} // namespace

Subscription pypi_subscription(std::string_view index_url, std::string_view name) {
    Subscription s;
    s.source = std::string(PypiSource::kKind);
    s.origin = pypi_detail::normalise_index_url(index_url);
    s.name = packaging::canonicalize_name(name);
    s.locator = s.origin + s.name + "/";
    if (auto info = url_userinfo(index_url))
        s.authorization = Secret(net::basic_authorization(info->user, info->password));
    return s;
}

std::string PypiSource::host(Subscription const& sub) const {
    // scheme://authority of the locator: one budget per index host.
    auto const scheme = sub.locator.find("://");
    if (scheme == std::string::npos) return sub.locator;
    auto const end = sub.locator.find('/', scheme + 3);
    return ascii_lower(sub.locator.substr(0, end));
}

SourceRequest PypiSource::first_request(Subscription const& sub, PollContext const& ctx) const {
    SourceRequest r;
    r.step = std::string(kListingStep);
    r.http.url = sub.locator;
    with_index_credentials(sub, r.http);
    r.http.header("Accept", kSimpleAccept);
    if (ctx.validator) r.http.header("If-None-Match", *ctx.validator);
    r.http.body_limit = kSimpleBodyLimit;
    return r;
}

std::optional<SourceRequest>
PypiSource::pin_request(Subscription const& sub, PollContext const& poll, Observation& obs) const {
    auto const* asked = std::any_cast<Asks>(&poll.asks);
    if (!asked) return std::nullopt;
    auto next = vulnerability_request(sub, *asked, obs);
    if (obs.vulnerabilities) advisories_read(sub, *asked, *obs.vulnerabilities);
    return next;
}

bool vulnerabilities_due(PollHistory const& h, std::optional<std::chrono::seconds> interval) {
    if (!h.sub.pinned || !interval) return false;
    // A new pin, a reading that failed, or one older than the interval.
    if (!h.vulns_checked || h.vulns_version != h.sub.pinned || h.vulns_error) return true;
    return h.now >= *h.vulns_checked + interval->count();
}

std::any PypiSource::prepare(PollHistory const& h) const {
    Asks asks;
    asks.want_metadata = settings_.want_metadata;
    asks.metadata_version = h.metadata_version;
    asks.now = h.now;
    asks.interval = h.interval;
    auto const retry = advisory_retry_.find(h.sub.locator);
    bool const backing_off =
        h.vulns_error && retry != advisory_retry_.end() && h.now < retry->second.second;
    if (!backing_off && vulnerabilities_due(h, settings_.vulnerability_interval) &&
        !settings_.private_names.matches(h.sub.name)) {
        asks.vulnerabilities_for = h.sub.pinned;
        // The stored ETag belongs to the stored reading, of the stored version.
        if (h.vulns_version == h.sub.pinned) asks.vulnerability_validator = h.vulns_validator;
    }
    return asks;
}

void PypiSource::advisories_read(Subscription const& sub, Asks const& asks,
                                 VulnerabilityReading const& reading) const {
    if (!reading.error) {
        advisory_retry_.erase(sub.locator);
        return;
    }
    // Backoff from the poll interval, doubling, up to the advisories' own interval.
    auto& [failures, next] = advisory_retry_[sub.locator];
    Backoff b{asks.interval, settings_.vulnerability_interval.value_or(asks.interval)};
    b.cap = std::max(b.cap, b.initial);
    next = asks.now + b.after(++failures).count();
}

// The pinned version's JSON, for its advisories, when they are due.
std::optional<SourceRequest> PypiSource::vulnerability_request(Subscription const& sub,
                                                               Asks const& ctx,
                                                               Observation& obs) const {
    if (!ctx.vulnerabilities_for) return std::nullopt;
    if (auto known = no_json_api_.find(sub.origin); known != no_json_api_.end()) {
        // Asked once for this index already: its answer stands for every pin on it.
        VulnerabilityReading reading;
        reading.version = *ctx.vulnerabilities_for;
        reading.error = known->second;
        obs.vulnerabilities = std::move(reading);
        return std::nullopt;
    }
    SourceRequest next;
    next.step = std::string(kVulnerabilityStep);
    next.argument = *ctx.vulnerabilities_for;
    next.optional = true;
    auto url = pypi_detail::metadata_url(sub.locator, *ctx.vulnerabilities_for);
    if (!url) {
        // An index without a /simple/ root has no JSON API to ask: said, not silently skipped.
        VulnerabilityReading reading;
        reading.version = *ctx.vulnerabilities_for;
        reading.error = "vulnerabilities: the index has no /simple/ root, so no JSON API to ask";
        obs.vulnerabilities = std::move(reading);
        return std::nullopt;
    }
    next.http.url = std::move(*url);
    with_index_credentials(sub, next.http);
    next.http.header("Accept", "application/json");
    if (ctx.vulnerability_validator)
        next.http.header("If-None-Match", *ctx.vulnerability_validator);
    next.http.body_limit = kMetadataBodyLimit;
    return next;
}

Result<SourceStep, SourceError> PypiSource::parse(Subscription const& sub, PollContext const& poll,
                                                  SourceRequest const& request,
                                                  net::Response const& res,
                                                  Observation& obs) const {
    auto const* asked = std::any_cast<Asks>(&poll.asks);
    Asks const ctx = asked ? *asked : Asks{};
    if (request.step == kVulnerabilityStep) {
        // Advisories are read on their own: whatever happens here, the listing stands and the
        // reason is kept with the reading (check shows it; the daemon tries again next poll).
        auto reading = vulnerability_reading(sub, request, res, obs);
        advisories_read(sub, ctx, reading);
        obs.vulnerabilities = std::move(reading);
        SourceStep step;
        step.next = metadata_request(sub, ctx, obs);
        return step;
    }
    if (request.step == kMetadataStep) return read_metadata(sub, request, res, obs);
    return read_listing(sub, ctx, res, obs);
}

// The answer of the vulnerability step, as a reading (its error says what went wrong).
VulnerabilityReading PypiSource::vulnerability_reading(Subscription const& sub,
                                                       SourceRequest const& request,
                                                       net::Response const& res,
                                                       Observation const& obs) const {
    VulnerabilityReading reading;
    reading.version = request.argument;
    if (res.status == 304) {
        reading.not_modified = true;
    } else if (res.status != 200) {
        reading.error = "vulnerabilities: http " + std::to_string(res.status);
        if (res.status == 404) {
            *reading.error += " (the index has no JSON API page for " + request.argument + ")";
            // The listing of this poll has the version: the 404 is the API's, not the
            // version's, and every other pin on this index would get the same.
            bool listed = false;
            for (auto const& r : obs.releases)
                listed = listed || r.version == request.argument;
            if (listed)
                no_json_api_[sub.origin] =
                    "vulnerabilities: the index has no JSON API (http 404 for " + request.argument +
                    "); set [advisories] source = \"osv\" to read them";
        }
    } else if (auto list = pypi_detail::parse_vulnerabilities(res.body); !list) {
        reading.error = list.error();
    } else {
        reading.advisories = std::move(*list);
        if (auto etag = res.header("etag")) reading.validator = std::string(*etag);
    }
    return reading;
}

// The answer of the listing step: the releases (or unchanged, or gone), then the pin's
// advisories or the metadata to ask for.
Result<SourceStep, SourceError> PypiSource::read_listing(Subscription const& sub, Asks const& ctx,
                                                         net::Response const& res,
                                                         Observation& obs) const {
    if (res.status == 304) {
        obs.status = Observation::Status::not_modified;
        SourceStep step;
        step.next = vulnerability_request(sub, ctx, obs);
        if (obs.vulnerabilities) advisories_read(sub, ctx, *obs.vulnerabilities);
        return step;
    }
    if (net::classify_status(res.status) == net::StatusClass::gone) {
        obs.status = Observation::Status::gone;
        return SourceStep{};
    }
    if (net::classify_status(res.status) == net::StatusClass::rate_limited)
        return poll_error(sub, res, SourceError::Kind::rate_limited, "http 429 too many requests");
    if (net::classify_status(res.status) == net::StatusClass::server_error)
        return poll_error(sub, res, SourceError::Kind::temporary,
                          "http " + std::to_string(res.status));
    if (res.status != 200)
        return poll_error(sub, res, SourceError::Kind::permanent,
                          "http " + std::to_string(res.status));

    auto parsed = json_listing(res) ? pypi_detail::parse_simple_json(res.body, sub.name)
                                    : pypi_detail::parse_simple_html(res.body, sub.name);
    if (!parsed) return poll_error(sub, res, SourceError::Kind::permanent, parsed.error());
    obs.status = Observation::Status::ok;
    obs.releases = std::move(parsed->releases);
    obs.sequence = parsed->sequence;
    obs.project_status = std::move(parsed->project_status);
    if (auto etag = res.header("etag")) obs.validator = std::string(*etag);
    if (auto serial = res.header("x-pypi-last-serial")) {
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(serial->data(), serial->data() + serial->size(), v);
        if (ec == std::errc{} && p == serial->data() + serial->size()) obs.sequence = v;
    }

    SourceStep step;
    step.next = vulnerability_request(sub, ctx, obs);
    if (obs.vulnerabilities) advisories_read(sub, ctx, *obs.vulnerabilities);
    if (!step.next) step.next = metadata_request(sub, ctx, obs);
    return step;
}

void PypiSource::optional_step_failed(Subscription const& sub, PollContext const& poll,
                                      SourceRequest const& request, std::string const& message,
                                      Observation& obs) const {
    if (request.step != kVulnerabilityStep) return;
    VulnerabilityReading reading;
    reading.version = request.argument;
    reading.error = message;
    auto const* asked = std::any_cast<Asks>(&poll.asks);
    advisories_read(sub, asked ? *asked : Asks{}, reading);
    obs.vulnerabilities = std::move(reading);
}

SourceEntry pypi_entry() {
    SourceEntry e;
    e.kind = PypiSource::kKind;
    e.make = [](SourceSetup const& setup) -> Result<SourceBuild, std::string> {
        PypiSettings settings;
        auto const advisories = advisory_settings(setup);
        if (setup.mode == SourceSetup::Mode::check)
            settings.want_metadata = false; // versions only: metadata would double the requests
        settings.vulnerability_interval = advisories.interval;
        // The per-version JSON API is read for advisories only when they come from the index.
        if (advisories.from != AdvisorySettings::From::index)
            settings.vulnerability_interval.reset();
        settings.private_names = PrivateNames(advisories.private_names);
        SourceBuild b;
        b.source = std::make_unique<PypiSource>(settings);
        return b;
    };
    // Every requirement is a project on its index: the Simple API page of `name` there.
    e.watch = pypi_subscription;
    return e;
}

} // namespace pinwatch::watcher
