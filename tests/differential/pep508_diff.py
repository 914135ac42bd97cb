#!/usr/bin/python3
"""Differential tests of pinwatch's PEP 508 and requirements-file parsers.

Run with Debian 12's /usr/bin/python3, whose python3-packaging (23.0) and python3-pip (23.0.1)
are the reference implementations:

    pep508_diff.py ORACLE requirements [--count N] [--seed S]
    pep508_diff.py ORACLE files [--count N] [--seed S]

A deterministic generated corpus is fed to ORACLE (tests/differential/pep508_oracle.cpp) and to
the reference; the first mismatches are printed and the exit status is 1 when there are any.
"""

import argparse
import contextlib
import io
import json
import optparse
import os
import random
import re
import subprocess
import sys
import tempfile
import warnings

import packaging
from packaging.markers import Marker
from packaging.requirements import Requirement

if packaging.__version__ != "23.0":
    sys.exit(f"expected packaging 23.0 (Debian 12), found {packaging.__version__}")

ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.2",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_release": "6.1.0-13-amd64",
    "platform_system": "Linux",
    "platform_version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)",
    "python_full_version": "3.11.2",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
    "sys_platform": "linux",
    "extra": "",
}
ENV_EXTRA = dict(ENV, extra="Sec_Urity")

MAX_REPORTED = 15


# ---------------------------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------------------------

NAMES = ["requests", "Foo_Bar", "a", "A.b-C", "x1", "zope.interface", "foo_", "1abc", "na_me",
         "a..b", "Django", "foo__bar", "pkg123", "9"]
ODD_NAMES = ["foo-", "foo.", "-foo", "é", "_x", "", "foo-.", "a\u00e9"]
EXTRAS = ["", "[]", "[a]", "[a,b]", "[ a , b ]", "[a b]", "[a,]", "[a", "[A_b,c.d]", "[,a]",
          "[sec-urity]", "[b,a,b]", "[x]y", "[ ]", "[a-]", "[a_]", "[a,\tb]"]
OPS = ["~=", "==", "!=", "<=", ">=", "<", ">", "==="]
BAD_OPS = ["=", "<>", "=>", "=<", "!", "~", "=~", "== ="]
VERSIONS = ["1", "1.0", "1.0.*", "2.0a1", "1.0.post1", "1.0.dev3", "1.0+local", "v1.2",
            "1!2.0", "1.0-1", "1.0rc", "abc", "1.*", "01.02", "1.0.0.0", "", "1.0a.1",
            "1.0.post", "2.0b2.dev1", "1.0+Ubuntu-1", "3.11", "1.0preview2", "1.0-r1",
            "1.0c1", "1.0.*.1", "1.0_rc1", "1.0a1+x", "1.0.DEV1", "1.0 ", "1.0)", "1;0",
            "1.0poſt1", "V1", "1.0.0a", "1.0a1.post2.dev3", "1.0rev", "0!0"]
URLS = ["https://example.com/pkg.zip", "file:///tmp/x", "file:/tmp/x", "file://host/x;p",
        "git+https://github.com/a/b.git@v1#egg=b", "http://[::1]/x", "http://[::1/x",
        "http://[1.2.3.4]/", "http://[v1.x]/", "http://[vz.x]/", "http://[fe80::1%eth0]:80/",
        "ftp://h/p", "/abs/path", "relative", "https://host", "https:///nohost", "FILE:///x",
        "file:///x?", "file:///x#", "http://ex.com/a;b?c#d", "http://\uff20h/", "http://ex\u2100.com/",
        "http://u:p@host:8080/x", "http://[::1]x/", "http://a]b/", "x:y", "HTTPS://EX.COM/A",
        "file:///a/b/../c", "http://h/x;python_version<'3'", "\x01http://h/", "file:x", "file:"]
VARIABLES = ["python_version", "python_full_version", "os_name", "os.name", "sys_platform",
             "sys.platform", "platform_release", "platform_system", "platform_version",
             "platform.version", "platform_machine", "platform.machine",
             "platform_python_implementation", "platform.python_implementation",
             "python_implementation", "implementation_name", "implementation_version", "extra"]
BAD_VARIABLES = ["platform.release", "extras", "dependency_groups", "python_versionx",
                 "os_nameX", "Python_version", "sys-platform"]
MARKER_OPS = ["<=", "<", "!=", "==", ">=", ">", "~=", "===", "in", "not in"]
BAD_MARKER_OPS = ["=", "<>", "notin", "not  in", "isnot", "is"]
VALUES = ["3.11", "3.8", "2.7", "3", "3.11.2", "3.11.*", "posix", "nt", "linux", "win32",
          "Linux", "x86_64", "CPython", "cpython", "6.1", "6.1.0-13-amd64", "", "Sec-Urity",
          "sec_urity", "a b", "3.11a1", "1.0+local", "li", "#1", "SMP", "3.11.2rc1",
          "posix\\n", "\\x41B", "\\u00e9", "\\101", "it's", 'say "hi"', "tab\\there", "\\d",
          "os_name", "python_version", "é", "===", ")", ";", "x\\\\", "\\x4",
          "\\U00110000", "3.11 ", " 3.11"]


def quote(rng, value):
    if "'" in value and '"' in value:
        return rng.choice(["'", '"']) + value + rng.choice(["'", '"'])
    if "'" in value:
        return '"' + value + '"'
    if '"' in value:
        return "'" + value + "'"
    q = rng.choice(["'", '"', '"', "'", "'"])
    return q + value + q


def gen_ws(rng, allow_empty=True):
    return rng.choice(([""] * 4 if allow_empty else []) + [" ", " ", "\t", "  ", " \t "])


def gen_marker_var(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(VARIABLES)
    if r < 0.5:
        return rng.choice(BAD_VARIABLES)
    return quote(rng, rng.choice(VALUES))


def gen_marker_item(rng):
    op = rng.choice(MARKER_OPS) if rng.random() > 0.05 else rng.choice(BAD_MARKER_OPS)
    lhs = gen_marker_var(rng)
    rhs = gen_marker_var(rng)
    if rng.random() < 0.7:  # most items compare a variable with a string
        lhs, rhs = rng.choice(VARIABLES), quote(rng, rng.choice(VALUES))
        if rng.random() < 0.3:
            lhs, rhs = rhs, lhs
    sep1 = gen_ws(rng, op not in ("in", "not in"))
    sep2 = gen_ws(rng, op not in ("in", "not in"))
    if rng.random() < 0.05:
        sep1 = sep2 = ""
    return lhs + sep1 + op + sep2 + rhs


def gen_marker(rng, depth=0):
    parts = []
    for i in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        if i:
            parts.append(gen_ws(rng, False) + rng.choice(["and", "or", "or", "and", "AND", "&&"][: 4 if rng.random() > 0.03 else 6]) + gen_ws(rng, False))
        if depth < 4 and rng.random() < 0.25:
            inner = gen_marker(rng, depth + 1)
            opens = rng.choice([1, 1, 1, 2])
            closes = opens if rng.random() > 0.05 else opens - 1
            parts.append("(" * opens + gen_ws(rng) + inner + gen_ws(rng) + ")" * closes)
        else:
            parts.append(gen_marker_item(rng))
    return "".join(parts)


def gen_specifier(rng):
    clauses = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.choice(OPS) if rng.random() > 0.04 else rng.choice(BAD_OPS)
        version = rng.choice(VERSIONS if rng.random() < 0.6 else VERSIONS[:12])
        clauses.append(op + gen_ws(rng) + version)
    seps = [gen_ws(rng) + "," + gen_ws(rng) for _ in clauses]
    text = clauses[0]
    for sep, clause in zip(seps[1:], clauses[1:]):
        text += sep + clause
    if rng.random() < 0.08:
        text += ","
    if rng.random() < 0.25:
        text = "(" + gen_ws(rng) + text + gen_ws(rng) + ("" if rng.random() < 0.05 else ")")
    return text


def gen_requirement(rng):
    text = gen_ws(rng) + rng.choice(NAMES if rng.random() > 0.1 else ODD_NAMES)
    if rng.random() < 0.3:
        text += gen_ws(rng) + rng.choice(EXTRAS)
    r = rng.random()
    if r < 0.55:
        text += gen_ws(rng) + gen_specifier(rng)
    elif r < 0.75:
        text += gen_ws(rng) + "@" + gen_ws(rng) + rng.choice(URLS)
    if rng.random() < 0.5:
        text += gen_ws(rng) + ";" + gen_ws(rng) + gen_marker(rng)
    text += rng.choice(["", "", "", "", "", "", " ", "\t", "\n", "\n\n", " \n", " #c", ";"])
    if rng.random() < 0.08:  # one random mutation
        pos = rng.randrange(len(text) + 1)
        ch = rng.choice(list(" \t()[];,@'\"<=>!~.*-_#\\abz09é\u00a0\n"))
        if rng.random() < 0.5 and pos < len(text):
            text = text[:pos] + text[pos + 1:]
        else:
            text = text[:pos] + ch + text[pos:]
    return text


def fixed_requirements():
    """Hand-picked cases for every rule, tried before the generated ones."""
    return [
        "requests", "requests>=2", "requests >= 2.8.1, == 2.8.* ; python_version < '2.7'",
        "name (>=1.0)", "name ()", "name(>=1,<2)", "name>=1,", "name>=1,,<2", "name ,>=1",
        "name\n", "name\n\n", "name; os_name=='a'\n", "name @ http://x/y;python_version<'3'",
        "name @ http://x/y ;python_version<'3'", "name@http://x/y", "name @ http://x/y ",
        "name @ ", "name @", "foo_ >=1", "foo.bar-", "foo[bar]>=1", "foo [bar] >=1",
        "foo[bar,baz]", "foo[bar baz]", "foo[bar,]", "foo[]", "foo[", "foo]", "foo===1,<",
        "foo===1.0", "foo === 1.0", "foo===", "foo==1.0.*", "foo~=1", "foo~=1.0", "foo>=1.0.*",
        "foo<>1", "foo=1", "foo; extra == 'Sec_Urity'", "foo; 'posix' == os_name",
        "foo; os_name == os_name", "foo; 'a' == 'os_name'", "foo; 'a' == 'b'",
        "foo; platform_release >= '5'", "foo; python_version ~= 'x'",
        "foo; sys_platform == 'darwin' and platform_release >= '20.0'",
        "foo; platform_release >= '20.0' and sys_platform == 'darwin'",
        "foo; sys_platform == 'linux' or platform_release >= '20.0'",
        "foo; os_name == 'nt' and 'a' == 'b' or python_version >= '3'",
        "foo; (os_name == 'nt' and os_name ~= 'x') or (python_version > '3' or 'a' == 'b')",
        "foo; python_version === '3.11'", "foo; os_name === 'posix'",
        "foo; (os_name == 'a' or os_name == 'b') and python_version > '3'",
        "foo; ((os_name == 'a' or os_name == 'b')) and python_version > '3'",
        "foo; os_name == 'a' garbage", "foo; os_name=='a'and python_version>'3'",
        "foo; python_version>'3'andos_name=='a'", "foo; 'linux' in sys_platform",
        "foo; 'lin' not in sys_platform", "foo; os_name not  in 'posix'",
        "foo; os_name notin 'posix'", "foo; os.name == 'posix'", "foo; platform.release == 'x'",
        "foo; python_implementation == 'CPython'", "foo; extras == 'a'", "foo; os_name == '\\x4'",
        "foo; os_name == 'a\\\nb'", "foo; os_name == 'a\nb'", "foo; os_name == \"it's\"",
        "foo; os_name == 'x\\'", "foo; (os_name == 'a'", "foo; os_name == 'a')",
        "foo; " + "(" * 50 + "os_name == 'a'" + ")" * 50, "foo; " + "(" * 150 + "os_name == 'a'" + ")" * 150,
        "foo; " + "(" * 600 + "os_name == 'a'" + ")" * 600,
        "foo @ file:///tmp/x", "foo @ file:/tmp/x", "foo @ FILE:///tmp/x", "foo @ https://host",
        "foo @ https:///nohost", "foo @ http://[::1/x", "foo @ http://[1.2.3.4]/",
        "foo @ http://ex\u2100.com/", "foo @ http://[fe80::1%25eth0]/", " \tfoo", "é", "1abc",
        "_x", "foo==1.0poſt1", "foo==1.0+Kelvin\u212a", "foo>=1.0\u00a0", "foo==\u00a01.0",
    ]


def gen_marker_text(rng):
    text = gen_ws(rng) + gen_marker(rng) + rng.choice(["", "", " ", " junk", ")", "\n"])
    return text


# ---------------------------------------------------------------------------------------------
# Reference results
# ---------------------------------------------------------------------------------------------

def evaluate(marker, env):
    """Marker.evaluate of packaging 23.0, except where pinwatch deliberately differs: packaging
    evaluates every item and raises for one it cannot evaluate even when the result is decided
    without it; pinwatch short-circuits "and"/"or" left to right like Python."""
    try:
        return marker.evaluate(env)
    except Exception:
        pass
    try:
        return short_circuit_evaluate(marker._markers, env)
    except Exception:
        return "error"


def short_circuit_evaluate(markers, environment):
    """packaging 23.0's _evaluate_markers with Python's short-circuiting and/or."""
    from packaging.markers import Variable, _eval_op, _normalize
    group = True
    for marker in markers:
        if isinstance(marker, str):
            if marker == "or":
                if group:
                    return True
                group = True
            continue
        if not group:
            continue
        if isinstance(marker, list):
            group = short_circuit_evaluate(marker, environment)
            continue
        lhs, op, rhs = marker
        if isinstance(lhs, Variable):
            key, lhs_value, rhs_value = lhs.value, environment[lhs.value], rhs.value
        else:
            key, lhs_value, rhs_value = rhs.value, lhs.value, environment[rhs.value]
        lhs_value, rhs_value = _normalize(lhs_value, rhs_value, key=key)
        group = _eval_op(lhs_value, op, rhs_value)
    return group


def reference_requirement(text):
    try:
        r = Requirement(text)
    except Exception:  # InvalidRequirement, InvalidSpecifier, ValueError, SyntaxError
        return {"ok": False}
    out = {
        "ok": True,
        "name": r.name,
        "extras": sorted(r.extras),
        "specifier": str(r.specifier),
        "url": r.url,
        "marker": str(r.marker) if r.marker else None,
        "str": str(r),
    }
    if r.marker:
        out["eval"] = evaluate(r.marker, ENV)
        out["eval_extra"] = evaluate(r.marker, ENV_EXTRA)
    return out


def reference_marker(text):
    try:
        m = Marker(text)
    except Exception:
        return {"ok": False}
    return {"ok": True, "marker": str(m), "eval": evaluate(m, ENV), "eval_extra": evaluate(m, ENV_EXTRA)}


def run_oracle(oracle, mode, lines):
    proc = subprocess.run([oracle, mode], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, encoding="utf-8", check=False)
    if proc.returncode != 0:
        sys.exit(f"oracle failed ({proc.returncode}): {proc.stderr}")
    # JSON lines end in "\n" only: a value may hold U+2028 or U+0085 raw, which splitlines() cuts.
    return [json.loads(l) for l in proc.stdout.split("\n") if l]


def compare_cases(oracle, mode, cases, reference):
    lines = [json.dumps(ENV)] + [json.dumps(c) for c in cases]
    got = run_oracle(oracle, mode, lines)
    if len(got) != len(cases):
        sys.exit(f"oracle answered {len(got)} of {len(cases)} cases")
    mismatches = 0
    stats = {"valid": 0, "invalid": 0}
    for case, ours in zip(cases, got):
        ref = reference(case)
        stats["valid" if ref["ok"] else "invalid"] += 1
        ours_cmp = dict(ours)
        ours_cmp.pop("error", None)
        if ours_cmp != ref:
            mismatches += 1
            if mismatches <= MAX_REPORTED:
                print(f"MISMATCH {mode} {case!r}\n  packaging: {ref}\n  pinwatch:  {ours}")
    return mismatches, stats


# ---------------------------------------------------------------------------------------------
# Requirements files against pip 23.0.1
# ---------------------------------------------------------------------------------------------

GOOD_REQ_LINES = [
    "requests>=2.8", "Django==4.2.1", "foo[bar]==1.0 ; python_version >= '3.8'",
    "Foo_Bar ~= 1.4.2", "numpy; sys_platform == 'win32'", "six", "attrs (>=20,<23)",
    "pkg @ https://example.com/pkg-1.0.zip", "pkg @ https://example.com/pkg.zip ; os_name == 'nt'",
    "./local/project", "../sibling", "dist/pkg-1.0-py3-none-any.whl", "archive.tar.gz",
    "https://example.com/other-2.0.tar.gz#egg=other", "git+https://github.com/a/b.git@v1#egg=b",
    "https://example.com/w/thing-1.0-py3-none-any.whl", "foo==${PW_VERSION}", "${PW_NAME}>=1",
    "bar==${PW_UNSET}", "baz; extra == 'x'", "name_with.dots==1.0.*", "x==1.0 --hash=sha256:abcd",
    "y --hash sha256:ab --hash=sha512:cd --hash=sha256:ef",
    "z --global-option=--quiet --install-option='--prefix=/x'", "q>=1 -i https://ignored/",
    "w --pre", "file:///tmp/pkg#egg=pkgname", "v==1 ; python_version < '3' ",
    "foo==${PW_EMPTY}", "tabbed\t--hash=sha256:aa", "dbl  --hash=sha256:aa",
    "quoted --global-option='a b' --install-option=\"c d\"",
    "${PW_NAME}[extra]==${PW_VERSION} ; python_version >= '3'", "pkgz==1 #comment ${PW_VERSION}",
    "  leading-space==1", "trailing-space==1   ", "pkgnb==1\u00a0# nbsp comment",
    "pkgq --hash=sha384:'quoted'", "url-marker @ https://h.example/x.zip;os_name=='posix'",
    "name-with-feature==1 --use-feature truststore", "pkgr==1 --no-binary pkgr",
    "https://h.example/a.zip ; python_version >= '3'", "../up/two[x] ; os_name == 'posix'",
    "./proj", "./proj[extra1]", "./notinstallable", "./a-file.txt", "../../core/azure-core",
    "dist/other-2.0-py3-none-any.whl", "./missing-1.0.tar.gz", "pkg @ ./missing.zip",
    "git+https://github.com/o/cli.git@v2#egg=extras_pkg[cli]",
    "git+https://github.com/edx/codejail.git@3.1.3#egg=codejail==3.1.3",
    "https://example.com/x.tar.gz#egg=Other_Name[a,b]>=1,<2",
    "https://files.example/w/remote_pkg-3.1-py2.py3-none-any.whl#sha256=ab",
    "https://files.example/w/quoted%5Fname-1.0-py3-none-any.whl/",
    "https://files.example/w/UPPER-1.0-py3-none-any.WHL",
    "https://files.example/w/thing-1.0-py3-none-any.whl#egg=ignored",
    "https://example.com/y.zip#egg=marked;python_version<'3'",
]
BAD_REQ_LINES = ["foo>=", "foo bar", "foo; os_name ==", "==1.0", "foo[bar", "foo @ https:///x",
                 "foo; os_name ~= 'posix'"]
OPTION_LINES = [
    "-i https://mirror.example/simple", "--index-url=https://mirror2.example/simple",
    "--pypi-url https://pypi-alias.example/simple", "--extra-index-url https://extra.example/simple",
    "--extra-index-url=https://extra2.example/simple", "--no-index", "-f https://links.example/",
    "--find-links ./wheels -f ./second", "--pre", "--trusted-host host.example",
    "--prefer-binary", "--require-hashes", "--use-feature fast-deps", "--use-feature=truststore",
    "--no-binary :all:", "--only-binary foo,Bar_baz", "--no-binary :none:", "--no-binary=x",
    "--only-binary :all: --no-binary y", "-ihttps://clustered.example/simple", "--pre --no-index",
    "--hash=sha256:dead", "--ind https://abbrev.example/", "--extra https://abbrev-extra.example/",
    "--pref", "-e ./editable/project", "-e git+https://github.com/o/r.git#egg=r",
    "--editable=hg+https://hg.example/r#egg=hgr", "-e svn+https://svn.example/r#egg=svnr",
    "-e ./proj[extra1,extra2]", "-e git:git.example/r#egg=gitcolon", "--pre extra positional",
    "-e ./first -e ./second", "-- --pre", "--pre # comment", "--index-url ${PW_INDEX}",
    "-f file:///tmp/links", "--only-binary=:none:", "--no-binary :all:,foo",
    "--trusted-host=h1 --trusted-host h2", "--extra-index-url 'https://quoted.example/x y'",
    "-e .", "-e file:///tmp/proj#egg=proj", "--use-feature no-binary-enable-wheel-cache",
    "--hash=sha256:optionline", "- lone-dash", "-e ./x -r ignored.txt",
    "-f wheels", "--find-links=../wheels", "-f sub/wheels", "-e ./does-not-exist",
    "-e ./a-file.txt", "-e ./notinstallable", "-e ./proj[extra1]",
    "--extra-index-url https://before.example/ -i https://same-line.example/",
    "--no-index -i https://with-no-index.example/", "--index-url=",
]
BAD_OPTION_LINES = ["--unknown-flag", "--use-feature bogus", "--hash=md5:abc", "--hash nocolon",
                    "-x", "--index-url", "--pre=1", "--no-binary -x", "--req x", "--no",
                    "--trusted-host 'unterminated", "--extra-index-url a\\",
                    "-e ./proj --config-settings x", "-C x", "--install-option",
                    "pkg==1 --hash=sha1:abc"]
BAD_EDITABLES = ["-e https://example.com/x.zip", "-e git+https://github.com/o/r.git"]
# Lines pip's req_file reads but its constructors reject (the parse goes on).
BAD_LINK_LINES = ["https://example.com/empty.zip#egg=", "https://example.com/b.zip#egg=bad name",
                  "https://files.example/not-a-wheel.whl", "-e git+https://g.example/r#egg=not/valid",
                  "https://files.example/noversion--py3-none-any.whl"]
LINK_EDITABLES = ["-e git+https://github.com/o/r.git#egg=edit_pkg[dev]==2.0",
                  "-e file:///tmp/proj#egg=filed[x]"]


def gen_file_tree(rng, root, case_no, allow_fatal):
    """Writes a small tree of requirements files; returns (top-level names, env vars)."""
    case_dir = os.path.join(os.path.realpath(root), f"case{case_no}")
    os.makedirs(os.path.join(case_dir, "sub"), exist_ok=True)
    # Some of the paths the lines name exist (pip looks at the disk, relative to the working
    # directory, which is the case's; --find-links relative to the requirements file).
    for name, content in [("local/project/setup.py", ""), ("proj/pyproject.toml", ""),
                          ("editable/project/setup.py", ""), ("first/setup.py", ""),
                          ("x/pyproject.toml", ""), ("notinstallable/README", ""),
                          ("a-file.txt", "requests>=2\n"), ("dist/pkg-1.0-py3-none-any.whl", ""),
                          ("archive.tar.gz", ""), ("wheels/", None), ("sub/wheels/", None)]:
        if rng.random() < 0.5:
            path = os.path.join(case_dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if content is not None:
                with open(path, "w") as f:
                    f.write(content)
    names = ["requirements.txt", "sub/other.txt", "constraints.txt", "sub/deeper.txt"]
    fatal_budget = 1 if allow_fatal else 0
    contents = {}
    for idx, name in enumerate(names):
        lines = []
        for _ in range(rng.randint(2, 9)):
            r = rng.random()
            if r < 0.45:
                line = rng.choice(GOOD_REQ_LINES)
            elif r < 0.52:
                line = rng.choice(BAD_REQ_LINES + BAD_LINK_LINES + LINK_EDITABLES)
            elif r < 0.77:
                line = rng.choice(OPTION_LINES)
            elif r < 0.82 and fatal_budget:
                line = rng.choice(BAD_OPTION_LINES + BAD_EDITABLES)
                fatal_budget -= 1
            elif r < 0.88:
                line = rng.choice(["# a comment", "", "   ", "pkgx>=1 # trailing comment",
                                   "pkgy#notacomment==1", "\t# indented comment"])
            else:
                line = rng.choice(GOOD_REQ_LINES)
                cut = rng.randrange(1, max(2, len(line)))
                line = line[:cut] + "\\\n" + rng.choice(["", "  "]) + line[cut:]
            lines.append(line)
        # Includes only point down the list, so there are no cycles (pip 23.0.1 would recurse
        # forever on one); the cycle rule is covered by the unit tests.
        if idx == 0:
            if rng.random() < 0.8:
                lines.insert(rng.randrange(len(lines) + 1), rng.choice(["-r sub/other.txt", "--requirement=sub/other.txt", "-rsub/other.txt"]))
            if rng.random() < 0.6:
                lines.insert(rng.randrange(len(lines) + 1), rng.choice(["-c constraints.txt", "--constraint constraints.txt"]))
            if rng.random() < 0.1 and fatal_budget:
                lines.append("-r missing.txt")
                fatal_budget -= 1
        elif idx == 1 and rng.random() < 0.7:
            lines.insert(rng.randrange(len(lines) + 1), "-r deeper.txt")
        elif idx == 2 and rng.random() < 0.3:
            lines.append("-r sub/deeper.txt")
        text = "\n".join(lines) + rng.choice(["\n", "", "\n\n"])
        if rng.random() < 0.15:
            text = text.replace("\n", "\r\n")
        if rng.random() < 0.05:
            text = text.replace("\n", rng.choice(["\x0c", "\x0b", "\x85", "\u2028", "\x1e"]), 1)
        elif rng.random() < 0.05:
            text = text.replace("\n", "\r")
        data = text.encode("utf-8")
        if idx == 0 and rng.random() < 0.1:
            data = b"\xef\xbb\xbf" + data
        contents[name] = data
        with open(os.path.join(case_dir, name), "wb") as f:
            f.write(data)
    env_vars = {"PW_VERSION": "1.2.3", "PW_NAME": "envpkg", "PW_EMPTY": "",
                "PW_INDEX": "https://env-index.example/simple"}
    return case_dir, ["requirements.txt"], env_vars


_SESSION = []


def pip_session():
    """One PipSession for every case: building one costs more than parsing a tree."""
    if not _SESSION:
        from pip._internal.network.session import PipSession
        _SESSION.append(PipSession())
    return _SESSION[0]


def pip_reference(case_dir, tops, env_vars):
    """Runs pip 23.0.1's requirements-file parser; returns what it yielded and where it failed."""
    from pip._internal.models.format_control import FormatControl
    from pip._internal.req import req_file

    stack = []
    failed = []
    orig_parse_file = req_file.RequirementsFileParser._parse_file
    orig_preprocess = req_file.preprocess

    def parse_file(self, filename, constraint):
        stack.append([filename, 0])
        try:
            yield from orig_parse_file(self, filename, constraint)
        except Exception as exc:
            if not failed:
                # A nested file that cannot be opened fails before its first line: pinwatch
                # reports that at the including line.
                where = stack[-2] if stack[-1][1] == 0 and len(stack) > 1 else stack[-1]
                failed.append((where[0], where[1], f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            stack.pop()

    def preprocess(content):
        for number, line in orig_preprocess(content):
            stack[-1][1] = number
            yield number, line

    class Finder:
        """What pip's handle_option_line and get_line_parser use of a PackageFinder."""

        def __init__(self):
            from pip._internal.models.search_scope import SearchScope
            self.format_control = FormatControl(set(), set())
            # pip starts from its command line's index list: the default index.
            self.search_scope = SearchScope(find_links=[], index_urls=[PIP_DEFAULT_INDEX],
                                            no_index=False)
            self.pre = False
            self.prefer_binary = False

        find_links = property(lambda self: self.search_scope.find_links)
        index_urls = property(lambda self: self.search_scope.index_urls)

        def set_allow_all_prereleases(self):
            self.pre = True

        def set_prefer_binary(self):
            self.prefer_binary = True

    class Session:
        def __init__(self):
            self.trusted_hosts = []

        def update_index_urls(self, urls):
            pass

        def add_trusted_host(self, host, source=None):
            self.trusted_hosts.append(host)

    # pip's --use-feature default list is shared by every parser it builds; start each case
    # with it empty so one case does not leak into the next.
    from pip._internal.cli import cmdoptions
    features = cmdoptions.use_new_feature.keywords["default"]
    features.clear()

    old_env = dict(os.environ)
    old_cwd = os.getcwd()
    req_file.RequirementsFileParser._parse_file = parse_file
    req_file.preprocess = preprocess
    os.environ.update(env_vars)
    os.environ.pop("PW_UNSET", None)
    os.chdir(case_dir)
    lines = []
    constructed = {}
    finder = Finder()
    session = Session()
    cli_options = optparse.Values({"require_hashes": False, "features_enabled": []})
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # optparse prints usage on errors
            parser = req_file.RequirementsFileParser(pip_session(), req_file.get_line_parser(finder))
            for top in tops:
                for parsed in parser.parse(top, constraint=False):
                    lines.append(parsed)
                    if parsed.is_requirement:
                        constructed[(parsed.filename, parsed.lineno)] = pip_construct(parsed)
                    else:
                        # What pip's parse_requirements does with an option line (here, while
                        # the working directory is the case's, as pip's would be).
                        req_file.handle_option_line(parsed.opts, parsed.filename, parsed.lineno,
                                                    finder, cli_options, session)
    except Exception:
        pass
    finally:
        req_file.RequirementsFileParser._parse_file = orig_parse_file
        req_file.preprocess = orig_preprocess
        os.environ.clear()
        os.environ.update(old_env)
        os.chdir(old_cwd)
    options = options_from_pip(finder, session, cli_options, list(dict.fromkeys(features)))
    return lines, (failed[0] if failed else None), options, constructed


def pip_construct(line):
    """What pip's constructors (install_req_from_parsed_requirement) make of a requirement line:
    the name, specifier, extras and marker, or the error. Runs in the case's directory, since
    pip looks at local paths relative to the working directory."""
    from pip._internal.req.constructors import install_req_from_parsed_requirement
    from pip._internal.req.req_file import handle_requirement_line
    from pip._vendor.pkg_resources import safe_extra

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pip deprecates odd #egg= fragments
            ireq = install_req_from_parsed_requirement(handle_requirement_line(line))
    except Exception as exc:  # InstallationError, InvalidWheelFilename, ...
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    req = ireq.req
    return {"ok": True, "text": line.requirement, "name": canonical(req.name) if req else "",
            "specifier": str(req.specifier) if req else "",
            "extras": sorted(safe_extra(x) for x in ireq.extras),
            "marker": str(ireq.markers) if ireq.markers else None,
            "link": ireq.link is not None and not (req and req.url)}


PIP_DEFAULT_INDEX = "<pip's default index>"


def options_from_pip(finder, session, cli_options, features):
    """The option record pinwatch keeps, read off the finder pip's handle_option_line filled."""
    scope = finder.search_scope
    urls = list(scope.index_urls)
    index_url = None
    if urls and urls[0] != PIP_DEFAULT_INDEX:
        index_url = urls[0]
    return {"index_url": index_url, "extra_index_urls": urls[1:], "no_index": scope.no_index,
            "find_links": list(scope.find_links), "pre": finder.pre,
            "prefer_binary": finder.prefer_binary, "require_hashes": cli_options.require_hashes,
            "trusted_hosts": session.trusted_hosts, "features_enabled": features,
            "no_binary": sorted(finder.format_control.no_binary),
            "only_binary": sorted(finder.format_control.only_binary)}


def entry_from_pip(line):
    """The fields of a pinwatch entry that pip's req_file decides."""
    from pip._internal.req.req_file import handle_requirement_line

    parsed = handle_requirement_line(line)
    opts = parsed.options or {}
    return {
        "text": parsed.requirement,
        "editable": parsed.is_editable,
        "file": line.filename,
        "line": line.lineno,
        "constraint": parsed.constraint,
        "hashes": opts.get("hashes", {}),
        "install_options": opts.get("install_options", []),
        "global_options": opts.get("global_options", []),
    }


def compare_files(oracle, count, seed):
    rng = random.Random(seed)
    mismatches = 0
    stats = {"files": 0, "entries": 0, "pip_failures": 0, "checked_requirements": 0,
             "checked_url_lines": 0, "constructed": 0}
    with tempfile.TemporaryDirectory(prefix="pinwatch-reqfiles-") as root:
        cases = []
        for i in range(count):
            case_dir, tops, env_vars = gen_file_tree(rng, root, i, allow_fatal=rng.random() < 0.3)
            cases.append((case_dir, tops, env_vars))
        requests = [json.dumps({"dir": d, "files": t, "env": ENV, "vars": v}) for d, t, v in cases]
        got = run_oracle(oracle, "files", requests)
        for (case_dir, tops, env_vars), ours in zip(cases, got):
            stats["files"] += 1
            pip_lines, failure, pip_options, constructed = pip_reference(case_dir, tops, env_vars)
            pip_entries = [entry_from_pip(l) for l in pip_lines if l.is_requirement]
            # pinwatch drops lines it rejects (bad requirement strings, which pip's req_file
            # does not look at); line up its entries with pip's by (file, line).
            rejected = {(e["file"], e["line"]) for e in ours["errors"]
                        if e["kind"] in ("requirement", "marker")}
            expected = [e for e in pip_entries if (e["file"], e["line"]) not in rejected]
            keys = ("text", "editable", "file", "line", "constraint", "hashes", "install_options",
                    "global_options")
            ours_entries = [{k: e[k] for k in keys} for e in ours["entries"]]
            if failure:
                stats["pip_failures"] += 1
                fatal = [e for e in ours["errors"] if e["kind"] in ("options", "unreadable")]
                where = (fatal[0]["file"], fatal[0]["line"]) if fatal else None
                if where != (failure[0], failure[1]):
                    mismatches += 1
                    if mismatches <= MAX_REPORTED:
                        print(f"MISMATCH files {case_dir}: pip stopped at {failure}, "
                              f"pinwatch's first fatal error is {fatal[:1]}")
                ours_entries = ours_entries[: len(expected)]
            else:
                options = pip_options
                if options != ours["options"]:
                    mismatches += 1
                    if mismatches <= MAX_REPORTED:
                        print(f"MISMATCH files {case_dir} options\n  pip:      {options}\n"
                              f"  pinwatch: {ours['options']}")
                fatal = [e for e in ours["errors"] if e["kind"] in ("options", "unreadable", "cycle")]
                if fatal:
                    mismatches += 1
                    if mismatches <= MAX_REPORTED:
                        print(f"MISMATCH files {case_dir}: pip read everything, pinwatch reports {fatal}")
            if ours_entries != expected:
                mismatches += 1
                if mismatches <= MAX_REPORTED:
                    for a, b in zip(expected + [None] * 99, ours_entries + [None] * 99):
                        if a != b:
                            print(f"MISMATCH files {case_dir} entry\n  pip:      {a}\n  pinwatch: {b}")
                            break
            stats["entries"] += len(expected)
            bad, checked = compare_constructed(case_dir, constructed, ours)
            mismatches += bad
            stats["constructed"] += checked
            # Each requirement pinwatch kept must read the same through packaging 23.0.
            for e in ours["entries"]:
                if e["editable"]:
                    continue
                if e["reason"] not in ("", "direct URL (name @ URL)"):
                    # A URL or path line: pip splits the marker off at "; " (URLs) or ";"
                    # (paths) before anything else; the marker then reads as packaging's.
                    stats["checked_url_lines"] += 1
                    want_marker = url_line_marker(e["text"], constructed.get((e["file"], e["line"])))
                    if want_marker != (e["marker"], e["applies"]):
                        mismatches += 1
                        if mismatches <= MAX_REPORTED:
                            print(f"MISMATCH files URL/path line {e['text']!r}: want (marker, "
                                  f"applies) {want_marker}, pinwatch {(e['marker'], e['applies'])}")
                    continue
                stats["checked_requirements"] += 1
                ref = reference_requirement(e["text"])
                mine = {"ok": True, "name": canonical(ref.get("name", "")), "specifier": e["specifier"],
                        "extras": e["extras"], "marker": e["marker"], "url": e["url"]}
                want = {"ok": ref["ok"], "name": canonical(ref.get("name", "")),
                        "specifier": ref.get("specifier"), "extras": ref.get("extras"),
                        "marker": ref.get("marker"), "url": ref.get("url")}
                if mine != want or (ref["ok"] and ref.get("marker") and ref["eval"] != e["applies"]):
                    mismatches += 1
                    if mismatches <= MAX_REPORTED:
                        print(f"MISMATCH files requirement {e['text']!r}\n  packaging: {ref}\n  pinwatch:  {e}")
    return mismatches, stats


def compare_constructed(case_dir, constructed, ours):
    """pip's constructors against pinwatch's entries: a line pip rejects must be rejected, and a
    line it accepts must get the same name, specifier and extras. Lines whose requirement string
    packaging 23.0 rejects are a deliberate difference (pinwatch reads them with 23.0, pip with
    its vendored 21.3), as are marker errors (pip does not evaluate markers here)."""
    from pip._internal.vcs import is_url
    from pip._vendor.pkg_resources import safe_extra

    by_line = {(e["file"], e["line"]): e for e in ours["entries"]}
    errors = {}
    for e in ours["errors"]:
        errors.setdefault((e["file"], e["line"]), e)
    bad = checked = 0
    for where, pip in constructed.items():
        entry = by_line.get(where)
        error = errors.get(where)
        text = entry["text"] if entry else None
        if entry is None and error is None:
            continue  # a line pip's req_file already failed on, compared elsewhere
        checked += 1
        if not pip["ok"]:
            if entry is not None:
                bad += 1
                if bad <= MAX_REPORTED:
                    print(f"MISMATCH files {case_dir} {where}: pip rejects ({pip['error']}), "
                          f"pinwatch accepts {entry}")
            continue
        if entry is None:
            if error["kind"] == "marker":
                continue
            if not pip["link"] and not reads_in_23(pip["text"]):
                continue  # pinwatch reads the whole line with packaging 23.0
            # A link's requirement string (#egg=, a wheel's name==version) that 23.0 rejects.
            m = re.match(r"invalid requirement '(.*)' \(from the ", error["message"], re.S)
            if pip["link"] and m and not reads_in_23(m.group(1)):
                continue
            bad += 1
            if bad <= MAX_REPORTED:
                print(f"MISMATCH files {case_dir} {where}: pip accepts {pip}, pinwatch rejects: "
                      f"{error['message']}")
            continue
        mine = {"name": entry["name"], "specifier": entry["specifier"],
                "extras": sorted(safe_extra(x) for x in entry["extras"])}
        want = {k: pip[k] for k in ("name", "specifier", "extras")}
        if entry["reason"] in ("", "direct URL (name @ URL)"):
            # A PEP 508 line: pinwatch reads it whole with packaging 23.0 (checked below).
            want["specifier"] = mine["specifier"]
        if mine != want:
            bad += 1
            if bad <= MAX_REPORTED:
                print(f"MISMATCH files {case_dir} {where} {text!r}\n  pip:      {want}\n"
                      f"  pinwatch: {mine}")
    return bad, checked


def reads_in_23(text):
    try:
        Requirement(text)
    except Exception:
        return False
    return True


def url_line_marker(text, pip):
    """The (marker, applies) of a URL or path line: the marker pip splits off, else the one of
    the requirement pip built for the link (an #egg= fragment may carry one), read with
    packaging 23.0."""
    from pip._internal.vcs import is_url
    sep = "; " if is_url(text) else ";"
    marker_text = text.split(sep, 1)[1].strip() if sep in text else ""
    if not marker_text and pip is None:  # a line after the one pip stopped at
        from pip._internal.req.constructors import install_req_from_line
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                ireq = install_req_from_line(text)
            pip = {"ok": True, "marker": str(ireq.markers) if ireq.markers else None}
        except Exception:
            pass
    if not marker_text and pip and pip["ok"] and pip["marker"]:
        marker_text = pip["marker"]
    if not marker_text:
        return (None, True)
    marker = Requirement("placeholder; " + marker_text).marker
    return (str(marker), evaluate(marker, ENV))


def canonical(name):
    from packaging.utils import canonicalize_name
    return canonicalize_name(name)


# ---------------------------------------------------------------------------------------------
# \N{NAME} escapes in marker strings against Python 3.11's own string literals
# ---------------------------------------------------------------------------------------------


def name_markers(rng, count):
    """Markers whose string holds a \\N{NAME} escape: every name Python 3.11's unicodedata gives
    a character outside the CJK and Hangul ranges, a sample of those made up by rule, lower-case
    spellings, every alias of the Unicode database pinwatch was built with (Python takes all of
    them; those newer than Python's Unicode 14 are left out, as Python cannot know them), and
    malformed escapes. pinwatch's table may be a newer Unicode than Python's: names Python does
    not know are only compared where both must reject them."""
    import unicodedata
    names = []
    for cp in range(0x110000):
        n = unicodedata.name(chr(cp), None)
        if n is not None:
            names.append(n)
    plain = [n for n in names if not n.startswith(("CJK UNIFIED IDEOGRAPH-", "HANGUL SYLLABLE "))]
    ruled = [n for n in names if n.startswith(("CJK UNIFIED IDEOGRAPH-", "HANGUL SYLLABLE "))]
    aliases = []
    try:
        with open("/usr/share/unicode/NameAliases.txt", encoding="utf-8") as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    aliases.append(line.split(";")[1])
    except OSError:
        pass
    known = []
    for a in aliases:  # only those Python's own database has
        try:
            unicodedata.lookup(a)
            known.append(a)
        except KeyError:
            pass
    chosen = plain + rng.sample(ruled, min(count, len(ruled))) + known
    chosen += [n.lower() for n in rng.sample(plain, min(count, len(plain)))]
    chosen += [n.title() for n in rng.sample(known, min(count, len(known)))]
    chosen += ["hangul syllable ga", "CJK UNIFIED IDEOGRAPH-4e00", "CJK UNIFIED IDEOGRAPH-E000",
               "HANGUL SYLLABLE GAX", "KEYCAP NUMBER SIGN", " LATIN SMALL LETTER A", "", "NO SUCH"]
    texts = [f"os_name == '\\N{{{n}}}'" for n in chosen]
    texts += ["os_name == '\\N'", "os_name == '\\NBULLET'", "os_name == '\\N{BULLET'",
              "os_name == 'a\\N{BULLET}b\\N{LATIN SMALL LETTER P}'"]
    return texts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("oracle")
    parser.add_argument("mode", choices=["requirements", "files", "names"])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20230)
    args = parser.parse_args()

    if args.mode == "requirements":
        rng = random.Random(args.seed)
        reqs = fixed_requirements() + [gen_requirement(rng) for _ in range(args.count)]
        markers = [gen_marker_text(rng) for _ in range(args.count // 2)]
        bad, stats = compare_cases(args.oracle, "requirements", reqs, reference_requirement)
        bad_m, stats_m = compare_cases(args.oracle, "markers", markers, reference_marker)
        print(f"requirements: {len(reqs)} cases ({stats['valid']} valid, {stats['invalid']} invalid), "
              f"{bad} mismatches; markers: {len(markers)} cases ({stats_m['valid']} valid, "
              f"{stats_m['invalid']} invalid), {bad_m} mismatches")
        return 1 if bad or bad_m else 0

    if args.mode == "names":
        rng = random.Random(args.seed)
        markers = name_markers(rng, args.count)
        bad, stats = compare_cases(args.oracle, "markers", markers, reference_marker)
        print(f"\\N{{NAME}} markers: {len(markers)} cases ({stats['valid']} valid, "
              f"{stats['invalid']} invalid), {bad} mismatches")
        return 1 if bad else 0

    bad, stats = compare_files(args.oracle, args.count, args.seed)
    print(f"requirements files: {stats['files']} trees, {stats['entries']} pip entries compared, "
          f"{stats['pip_failures']} trees where pip stopped at a bad line, "
          f"{stats['checked_requirements']} requirements and {stats['checked_url_lines']} URL/path "
          f"lines re-read with packaging, {stats['constructed']} lines compared with pip's "
          f"constructors, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
