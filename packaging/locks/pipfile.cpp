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

} // namespace

LockRead read_pipfile(std::string_view bytes, std::string const& path,
                      std::optional<Manifest> const& manifest, Environment const& env) {
    LockRead out;
    auto names = direct_names(manifest, true, out);

    KeyOffsets keys;
    rapidjson::MemoryStream stream(bytes.data(), bytes.size());
    keys.stream = &stream;
    rapidjson::Reader reader;
    if (!reader.Parse(stream, keys)) {
        error(out, path, line_at(bytes, reader.GetErrorOffset()),
              std::string("not valid JSON: ") +
                  rapidjson::GetParseError_En(reader.GetParseErrorCode()));
        return out;
    }
    rapidjson::Document doc;
    doc.Parse(bytes.data(), bytes.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        error(out, path, 1, "not valid JSON: expected an object at the top");
        return out;
    }

    // _meta.sources: name -> url.
    std::map<std::string, std::string> sources;
    std::optional<std::string> only_source;
    if (auto meta = doc.FindMember("_meta"); meta != doc.MemberEnd() && meta->value.IsObject()) {
        auto src = meta->value.FindMember("sources");
        if (src != meta->value.MemberEnd() && src->value.IsArray()) {
            for (auto const& s : src->value.GetArray()) {
                auto name = s.IsObject() ? member_string(s, "name") : std::nullopt;
                auto url = s.IsObject() ? member_string(s, "url") : std::nullopt;
                if (!name || !url) {
                    error(out, path, line_at(bytes, keys.offsets[{"_meta", "sources"}]),
                          "_meta.sources: every source needs a \"name\" and a \"url\"");
                    continue;
                }
                sources.emplace(*name, *url);
            }
            if (sources.size() == 1) only_source = sources.begin()->second;
        }
    }

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
            int const line = line_at(bytes, keys.offsets[{group, name}]);
            RequirementEntry e = package_entry(name, path, line);
            std::string const where = group + "." + name;
            if (!pkg.IsObject()) {
                error(out, path, line, where + ": expected an object");
                continue;
            }
            e.groups.push_back(group);
            auto version = member_string(pkg, "version");
            auto git = member_string(pkg, "git");
            auto local = member_string(pkg, "path");
            auto file = member_string(pkg, "file");
            if (version) {
                std::string v = *version;
                if (v.rfind("===", 0) == 0) {
                    v.erase(0, 3);
                } else if (v.rfind("==", 0) == 0) {
                    v.erase(0, 2);
                } else {
                    error(out, path, line, where + ": version '" + *version + "' is no \"==\" pin");
                    continue;
                }
                if (!pin(e, v, out)) continue;
            } else if (!git && !local && !file) {
                error(out, path, line, where + ": no \"version\" and no git, path or file source");
                continue;
            }
            if (auto extras = pkg.FindMember("extras");
                extras != pkg.MemberEnd() && extras->value.IsArray())
                for (auto const& x : extras->value.GetArray())
                    if (x.IsString()) e.extras.emplace_back(x.GetString(), x.GetStringLength());
            std::sort(e.extras.begin(), e.extras.end());
            if (auto markers = member_string(pkg, "markers")) judge_marker(e, *markers, env, out);
            if (auto index = member_string(pkg, "index")) {
                if (auto it = sources.find(*index); it != sources.end()) {
                    e.index = it->second;
                } else {
                    error(out, path, line,
                          where + ": index '" + *index + "' is not one of _meta.sources");
                }
            } else {
                e.index = only_source;
            }
            auto editable = pkg.FindMember("editable");
            e.editable = editable != pkg.MemberEnd() && editable->value.IsBool() &&
                         editable->value.GetBool();
            if (git) {
                std::string target = "git+" + *git;
                if (auto ref = member_string(pkg, "ref")) target += "@" + *ref;
                not_polled(e, target, "git source");
            } else if (local) {
                not_polled(e, *local, e.editable ? "editable local project" : "local path");
            } else if (file) {
                not_polled(e, *file, "direct URL");
            }
            if (!e.watchable) e.index.reset();
            set_direct(e, names);
            auto id = std::pair{e.name, e.pinned.value_or(e.url.value_or(""))};
            if (auto it = seen.find(id); it != seen.end()) {
                auto& kept = out.entries[it->second];
                kept.groups.push_back(group);
                kept.applies = kept.applies || e.applies;
                continue;
            }
            seen.emplace(id, out.entries.size());
            out.entries.push_back(std::move(e));
        }
    }
    return out;
}

} // namespace pinwatch::packaging::locks::detail
