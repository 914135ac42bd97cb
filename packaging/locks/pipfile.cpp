// Pipfile.lock (JSON, pipfile-spec 6): "_meta" with the sources, then one object per category
// ("default", "develop", and pipenv's own categories) mapping a package name to its version
// ("==x"), markers, index, hashes, or its git / path / file / editable source. pipenv writes
// `index` on the packages the Pipfile names only: with a single source, every package comes
// from it.
#include "packaging/locks/detail.hpp"

#include "packaging/name.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <functional>
#include <map>

namespace pinwatch::packaging::locks::detail {

namespace {

int line_at(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// A first pass through the text for where each package's key is (a DOM keeps no positions):
// the offset just after every key two levels deep, by (category, name).
struct KeyOffsets : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, KeyOffsets> {
    rapidjson::MemoryStream* stream = nullptr;
    int depth = 0;
    std::string category;
    std::map<std::pair<std::string, std::string>, std::size_t> offsets;

    bool StartObject() {
        ++depth;
        return true;
    }
    bool EndObject(rapidjson::SizeType) {
        --depth;
        return true;
    }
    bool Key(char const* s, rapidjson::SizeType n, bool) {
        if (depth == 1) category.assign(s, n);
        if (depth == 2) offsets.emplace(std::pair{category, std::string(s, n)}, stream->Tell());
        return true;
    }
};

std::optional<std::string> member_string(rapidjson::Value const& v, char const* key) {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

// Both passes over the text: the keys' offsets, then the document; false after reporting.
bool parse_lock(std::string_view bytes, std::string const& path, KeyOffsets& keys,
                rapidjson::Document& doc, LockRead& out) {
    rapidjson::MemoryStream stream(bytes.data(), bytes.size());
    keys.stream = &stream;
    rapidjson::Reader reader;
    bool const read = reader.Parse(stream, keys);
    keys.stream = nullptr;
    if (!read) {
        error(out, path, line_at(bytes, reader.GetErrorOffset()),
              std::string("not valid JSON: ") +
                  rapidjson::GetParseError_En(reader.GetParseErrorCode()));
        return false;
    }
    doc.Parse(bytes.data(), bytes.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        error(out, path, 1, "not valid JSON: expected an object at the top");
        return false;
    }
    return true;
}

// _meta.sources: name -> url; with a single source, every package comes from it.
struct Sources {
    std::map<std::string, std::string> by_name;
    std::optional<std::string> only;
};

Sources read_sources(rapidjson::Document const& doc, std::string const& path,
                     std::function<int()> const& line, LockRead& out) {
    Sources sources;
    auto meta = doc.FindMember("_meta");
    if (meta == doc.MemberEnd() || !meta->value.IsObject()) return sources;
    auto src = meta->value.FindMember("sources");
    if (src == meta->value.MemberEnd() || !src->value.IsArray()) return sources;
    for (auto const& s : src->value.GetArray()) {
        auto name = s.IsObject() ? member_string(s, "name") : std::nullopt;
        auto url = s.IsObject() ? member_string(s, "url") : std::nullopt;
        if (!name || !url) {
            error(out, path, line(), "_meta.sources: every source needs a \"name\" and a \"url\"");
            continue;
        }
        sources.by_name.emplace(*name, *url);
    }
    if (sources.by_name.size() == 1) sources.only = sources.by_name.begin()->second;
    return sources;
}

// One package's object, for its problems: "default.requests: ..." at the line of its key.
struct PackageAt {
    std::string const& path;
    int line;
    std::string group, name;

    void error(LockRead& out, std::string const& what) const {
        detail::error(out, path, line, group + "." + name + ": " + what);
    }
};

// The version pin ("==x" or "===x"), or a git, path or file source in its place; false after
// reporting.
bool read_version(RequirementEntry& e, rapidjson::Value const& pkg, PackageAt const& at,
                  LockRead& out) {
    if (auto version = member_string(pkg, "version")) {
        std::string v = *version;
        if (v.rfind("===", 0) == 0) {
            v.erase(0, 3);
        } else if (v.rfind("==", 0) == 0) {
            v.erase(0, 2);
        } else {
            at.error(out, "version '" + *version + "' is no \"==\" pin");
            return false;
        }
        return pin(e, v, out);
    }
    if (!member_string(pkg, "git") && !member_string(pkg, "path") && !member_string(pkg, "file")) {
        at.error(out, "no \"version\" and no git, path or file source");
        return false;
    }
    return true;
}

// Where the package comes from: an index (by its name in _meta.sources; the only source when it
// names none), or a git, path or file source, which is not polled.
void read_origin(RequirementEntry& e, rapidjson::Value const& pkg, Sources const& sources,
                 PackageAt const& at, LockRead& out) {
    if (auto index = member_string(pkg, "index")) {
        if (auto it = sources.by_name.find(*index); it != sources.by_name.end())
            e.index = it->second;
        else
            at.error(out, "index '" + *index + "' is not one of _meta.sources");
    } else {
        e.index = sources.only;
    }
    auto editable = pkg.FindMember("editable");
    e.editable =
        editable != pkg.MemberEnd() && editable->value.IsBool() && editable->value.GetBool();
    if (auto git = member_string(pkg, "git")) {
        std::string target = "git+" + *git;
        if (auto ref = member_string(pkg, "ref")) target += "@" + *ref;
        not_polled(e, target, "git source");
    } else if (auto local = member_string(pkg, "path")) {
        not_polled(e, *local, e.editable ? "editable local project" : "local path");
    } else if (auto file = member_string(pkg, "file")) {
        not_polled(e, *file, "direct URL");
    }
    if (!e.watchable) e.index.reset();
}

// One package of a category; nullopt after reporting why it is left out.
std::optional<RequirementEntry> read_package(rapidjson::Value const& pkg, PackageAt const& at,
                                             Sources const& sources, Environment const& env,
                                             LockRead& out) {
    RequirementEntry e = package_entry(at.name, at.path, at.line);
    if (!pkg.IsObject()) {
        at.error(out, "expected an object");
        return std::nullopt;
    }
    e.groups.push_back(at.group);
    if (!read_version(e, pkg, at, out)) return std::nullopt;
    if (auto extras = pkg.FindMember("extras");
        extras != pkg.MemberEnd() && extras->value.IsArray())
        for (auto const& x : extras->value.GetArray())
            if (x.IsString()) e.extras.emplace_back(x.GetString(), x.GetStringLength());
    std::sort(e.extras.begin(), e.extras.end());
    if (auto markers = member_string(pkg, "markers")) judge_marker(e, *markers, env, out);
    read_origin(e, pkg, sources, at, out);
    return e;
}

} // namespace

LockRead read_pipfile(std::string_view bytes, std::string const& path,
                      std::optional<Manifest> const& manifest, Environment const& env) {
    LockRead out;
    auto names = direct_names(manifest, true, out);
    KeyOffsets keys;
    rapidjson::Document doc;
    if (!parse_lock(bytes, path, keys, doc, out)) return out;
    auto const line = [&](std::string const& category, std::string const& name) {
        return line_at(bytes, keys.offsets[{category, name}]);
    };
    auto const sources = read_sources(
        doc, path, [&] { return line("_meta", "sources"); }, out);

    // A package locked in several categories is one entry that lists them all.
    std::map<std::pair<std::string, std::string>, std::size_t> seen; // (name, version) -> entry
    for (auto const& [category, packages] : doc.GetObject()) {
        std::string const group(category.GetString(), category.GetStringLength());
        if (group == "_meta") continue;
        if (!packages.IsObject()) {
            error(out, path, 1, group + ": expected an object of packages");
            continue;
        }
        for (auto const& [key, pkg] : packages.GetObject()) {
            std::string const name(key.GetString(), key.GetStringLength());
            auto e = read_package(pkg, PackageAt{path, line(group, name), group, name}, sources,
                                  env, out);
            if (!e) continue;
            set_direct(*e, names);
            auto id = std::pair{e->name, e->pinned.value_or(e->url.value_or(""))};
            if (auto it = seen.find(id); it != seen.end()) {
                auto& kept = out.entries[it->second];
                kept.groups.push_back(group);
                kept.applies = kept.applies || e->applies;
                continue;
            }
            seen.emplace(id, out.entries.size());
            out.entries.push_back(std::move(*e));
        }
    }
    return out;
}

} // namespace pinwatch::packaging::locks::detail
