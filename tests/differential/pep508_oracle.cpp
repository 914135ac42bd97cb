// The C++ side of the PEP 508 / requirements-file differential tests: reads cases as JSON lines
// on stdin and prints what pinwatch's parsers make of them as JSON lines on stdout, for
// pep508_diff.py to compare against packaging 23.0 and pip 23.0.1. No judgement happens here.
//
//   pep508_oracle requirements   first line: environment object; then one JSON string per line
//   pep508_oracle markers        same, parsed with Marker::parse
//   pep508_oracle files          one JSON object per line: {"dir", "files", "env", "vars"}
#include "packaging/marker.hpp"
#include "packaging/requirement.hpp"
#include "packaging/requirements_file.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace {

using namespace pinwatch;
using namespace pinwatch::packaging;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, std::string const& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void put_opt(Writer& w, std::optional<std::string> const& s) {
    if (s) {
        put(w, *s);
    } else {
        w.Null();
    }
}

Environment env_from(rapidjson::Value const& obj) {
    Environment env;
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
        if (std::string* field = env.find(it->name.GetString()))
            *field = std::string(it->value.GetString(), it->value.GetStringLength());
    }
    return env;
}

void put_eval(Writer& w, Marker const& m, Environment const& env) {
    Result<bool> r = m.evaluate(env);
    if (r) {
        w.Bool(*r);
    } else {
        put(w, "error");
    }
}

int run_requirements(bool markers_only) {
    std::string line;
    if (!std::getline(std::cin, line)) return 2;
    rapidjson::Document envdoc;
    envdoc.Parse(line.c_str());
    Environment env = env_from(envdoc);
    Environment env_extra = env;
    env_extra.extra = "Sec_Urity";
    while (std::getline(std::cin, line)) {
        rapidjson::Document doc;
        doc.Parse(line.c_str(), line.size());
        std::string text(doc.GetString(), doc.GetStringLength());
        rapidjson::StringBuffer buf;
        Writer w(buf);
        w.StartObject();
        if (markers_only) {
            Result<Marker> m = Marker::parse(text);
            w.Key("ok");
            w.Bool(m.has_value());
            if (m) {
                w.Key("marker");
                put(w, m->str());
                w.Key("eval");
                put_eval(w, *m, env);
                w.Key("eval_extra");
                put_eval(w, *m, env_extra);
            } else {
                w.Key("error");
                put(w, m.error());
            }
        } else {
            Result<Requirement> r = Requirement::parse(text);
            w.Key("ok");
            w.Bool(r.has_value());
            if (r) {
                w.Key("name");
                put(w, r->name);
                w.Key("extras");
                w.StartArray();
                for (auto const& e : r->extras)
                    put(w, e);
                w.EndArray();
                w.Key("specifier");
                put(w, r->specifier.str());
                w.Key("url");
                put_opt(w, r->url);
                w.Key("marker");
                put_opt(w, r->marker ? std::optional(r->marker->str()) : std::nullopt);
                w.Key("str");
                put(w, r->str());
                if (r->marker) {
                    w.Key("eval");
                    put_eval(w, *r->marker, env);
                    w.Key("eval_extra");
                    put_eval(w, *r->marker, env_extra);
                }
            } else {
                w.Key("error");
                put(w, r.error());
            }
        }
        w.EndObject();
        std::cout << buf.GetString() << '\n';
    }
    return 0;
}

int run_files() {
    std::string line;
    while (std::getline(std::cin, line)) {
        rapidjson::Document doc;
        doc.Parse(line.c_str(), line.size());
        std::filesystem::path dir = doc["dir"].GetString();
        std::map<std::string, std::string> vars;
        for (auto it = doc["vars"].MemberBegin(); it != doc["vars"].MemberEnd(); ++it)
            vars[it->name.GetString()] = it->value.GetString();
        ParseOptions opts;
        opts.environment = env_from(doc["env"]);
        opts.getenv = [&](std::string const& name) -> std::optional<std::string> {
            auto it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        };
        opts.read_file = [&](std::string const& path) -> Result<FileContent> {
            std::filesystem::path full = dir / path;
            std::ifstream in(full, std::ios::binary);
            if (!in) return fail("No such file or directory");
            std::ostringstream ss;
            ss << in.rdbuf();
            std::error_code ec;
            auto canonical = std::filesystem::weakly_canonical(full, ec);
            return FileContent{ss.str(), ec ? full.string() : canonical.string()};
        };
        // pip runs with the case's directory as its working directory.
        opts.working_directory = dir.string();
        opts.exists = [&](std::string const& path) {
            std::error_code ec;
            auto st = std::filesystem::status(dir / path, ec);
            if (ec || !std::filesystem::exists(st)) return PathKind::missing;
            if (std::filesystem::is_directory(st)) return PathKind::directory;
            if (std::filesystem::is_regular_file(st)) return PathKind::file;
            return PathKind::other;
        };
        std::vector<std::string> files;
        for (auto const& f : doc["files"].GetArray())
            files.emplace_back(f.GetString());
        RequirementsSet set = parse_requirements_files(files, opts);

        rapidjson::StringBuffer buf;
        Writer w(buf);
        w.StartObject();
        w.Key("entries");
        w.StartArray();
        for (auto const& e : set.entries) {
            w.StartObject();
            w.Key("name");
            put(w, e.name);
            w.Key("text");
            put(w, e.text);
            w.Key("specifier");
            put(w, e.specifier);
            w.Key("extras");
            w.StartArray();
            for (auto const& x : e.extras)
                put(w, x);
            w.EndArray();
            w.Key("marker");
            put_opt(w, e.marker);
            w.Key("url");
            put_opt(w, e.url);
            w.Key("editable");
            w.Bool(e.editable);
            w.Key("pinned");
            put_opt(w, e.pinned);
            w.Key("applies");
            w.Bool(e.applies);
            w.Key("file");
            put(w, e.file);
            w.Key("line");
            w.Int(e.line);
            w.Key("constraint");
            w.Bool(e.constraint);
            w.Key("hashes");
            w.StartObject();
            for (auto const& [algo, digests] : e.hashes) {
                put(w, algo);
                w.StartArray();
                for (auto const& d : digests)
                    put(w, d);
                w.EndArray();
            }
            w.EndObject();
            w.Key("install_options");
            w.StartArray();
            for (auto const& x : e.install_options)
                put(w, x);
            w.EndArray();
            w.Key("global_options");
            w.StartArray();
            for (auto const& x : e.global_options)
                put(w, x);
            w.EndArray();
            w.Key("watchable");
            w.Bool(e.watchable);
            w.Key("reason");
            put(w, e.reason);
            w.EndObject();
        }
        w.EndArray();
        auto const& o = set.options;
        auto list = [&](char const* key, std::vector<std::string> const& v) {
            w.Key(key);
            w.StartArray();
            for (auto const& x : v)
                put(w, x);
            w.EndArray();
        };
        w.Key("options");
        w.StartObject();
        w.Key("index_url");
        put_opt(w, o.index_url);
        list("extra_index_urls", o.extra_index_urls);
        w.Key("no_index");
        w.Bool(o.no_index);
        list("find_links", o.find_links);
        w.Key("pre");
        w.Bool(o.pre);
        w.Key("prefer_binary");
        w.Bool(o.prefer_binary);
        w.Key("require_hashes");
        w.Bool(o.require_hashes);
        list("trusted_hosts", o.trusted_hosts);
        list("features_enabled", o.features_enabled);
        list("no_binary", o.no_binary);
        list("only_binary", o.only_binary);
        w.EndObject();
        w.Key("errors");
        w.StartArray();
        for (auto const& e : set.errors) {
            w.StartObject();
            w.Key("file");
            put(w, e.file);
            w.Key("line");
            w.Int(e.line);
            w.Key("kind");
            put(w, std::string(to_string(e.kind)));
            w.Key("message");
            put(w, e.message);
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        std::cout << buf.GetString() << '\n';
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "requirements") return run_requirements(false);
    if (mode == "markers") return run_requirements(true);
    if (mode == "files") return run_files();
    std::cerr << "usage: pep508_oracle requirements|markers|files < cases\n";
    return 2;
}
