#!/usr/bin/python3
"""Differential test: pinwatch_packaging against Debian 12's python3-packaging 23.0.

Generates a deterministic (seeded) corpus of version strings, specifiers, specifier sets,
(specifier, version) pairs, filter inputs and project names; asks packaging 23.0 for the answers
and the C++ oracle (packaging_oracle.cpp) for its answers, and fails on the first disagreement,
printing the first few mismatches with their inputs.

Usage: packaging_differential.py <path to packaging_oracle> [--seed N] [--show N]
"""

import argparse
import random
import re
import subprocess
import sys
import time

import packaging
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

SEED = 4402023

# --------------------------------------------------------------------------------------------
# Corpus generation
# --------------------------------------------------------------------------------------------

ASCII_SPACES = [" ", "\t", "\n", "\r", "\x0b", "\x0c"]
UNICODE_SPACES = ["\x1c", "\x85", "\xa0", "\u1680", "\u2003", "\u2028", "\u202f", "\u3000"]
SEPS = ["", "", "", ".", "-", "_"]
# Letters Python's re.IGNORECASE lets through [a-z] besides ASCII: İ ı ſ K (Kelvin).
EXOTIC_LETTERS = ["\u0130", "\u0131", "\u017f", "\u212a"]

PRE_LABELS = ["a", "b", "c", "rc", "alpha", "beta", "pre", "preview"]
POST_LABELS = ["post", "rev", "r"]


def rand_case(rng, word):
    roll = rng.random()
    if roll < 0.6:
        return word
    if roll < 0.75:
        return word.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in word)


def number(rng, huge_ok=True):
    roll = rng.random()
    if roll < 0.45:
        return str(rng.randint(0, 9))
    if roll < 0.7:
        return str(rng.randint(10, 999))
    if roll < 0.8:
        return "0" * rng.randint(1, 3) + str(rng.randint(0, 99))  # leading zeros
    if roll < 0.9 or not huge_ok:
        return str(rng.randint(1000, 10**6))
    if roll < 0.99:
        # Past 2**64: must compare by value without overflow.
        return str(rng.randint(2**63, 2**200))
    return str(rng.choice([2**64, 2**64 - 1, 2**64 + 1, 10**19, 10**20]))


def label_spelling(rng, labels, exotic_from=None):
    word = rng.choice(labels)
    if exotic_from and rng.random() < 0.04:
        # "preview" with ı/İ, "post" with ſ: valid in 23.0, odd normal forms.
        for plain, fancy in exotic_from:
            if plain in word:
                word = word.replace(plain, fancy, 1)
                break
    return rand_case(rng, word)


def local_label(rng):
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(number(rng, huge_ok=False))
        elif roll < 0.9:
            parts.append(
                "".join(rng.choice("abcxyzABCXYZ019") for _ in range(rng.randint(1, 6)))
            )
        else:
            parts.append(rng.choice(["ubuntu", "deb12u1", "cpu", "cu118", "Git"]) + rng.choice(
                ["", rng.choice(EXOTIC_LETTERS)]
            ))
    out = parts[0]
    for part in parts[1:]:
        out += rng.choice([".", ".", "-", "_"]) + part
    return out


def version_text(rng, allow_local=True, wildcard=False, min_release=1):
    """A version string built from packaging's grammar, in any of its spellings."""
    out = ""
    if rng.random() < 0.1:
        out += rng.choice(["v", "V"])
    if rng.random() < 0.1:
        out += number(rng) + "!"
    release = [number(rng) for _ in range(rng.randint(min_release, max(min_release, 5)))]
    if rng.random() < 0.3:
        release += ["0"] * rng.randint(1, 3)  # trailing zeros: equal for comparison
    out += ".".join(release)
    if wildcard:
        return out + ".*"
    if rng.random() < 0.4:
        out += rng.choice(SEPS) + label_spelling(rng, PRE_LABELS, [("i", "\u0131"), ("i", "\u0130")])
        if rng.random() < 0.2:
            out += rng.choice(SEPS[3:])
        if rng.random() < 0.8:
            out += number(rng)
    if rng.random() < 0.3:
        if rng.random() < 0.25:
            out += "-" + number(rng)  # implicit post-release
        else:
            out += rng.choice(SEPS) + label_spelling(rng, POST_LABELS, [("s", "\u017f")])
            if rng.random() < 0.2:
                out += rng.choice(SEPS[3:])
            if rng.random() < 0.8:
                out += number(rng)
    if rng.random() < 0.3:
        out += rng.choice(SEPS) + rand_case(rng, "dev")
        if rng.random() < 0.2:
            out += rng.choice(SEPS[3:])
        if rng.random() < 0.8:
            out += number(rng)
    if allow_local and rng.random() < 0.25:
        out += "+" + local_label(rng)
    return out


def surround(rng, text):
    if rng.random() < 0.15:
        text = rng.choice(ASCII_SPACES + UNICODE_SPACES) + text
    if rng.random() < 0.15:
        text = text + rng.choice(ASCII_SPACES + UNICODE_SPACES)
    return text


MUTATION_ALPHABET = list("0123456789.-_+!*vVabcdeilmoprstvwxyz ;)=<>~,") + EXOTIC_LETTERS + [
    "\u00e9",
    "\t",
    "\u2003",
]


def mutate(rng, text):
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        pos = rng.randint(0, len(chars))
        if roll < 0.35:
            chars.insert(pos, rng.choice(MUTATION_ALPHABET))
        elif roll < 0.65 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif roll < 0.85 and chars:
            chars[min(pos, len(chars) - 1)] = rng.choice(MUTATION_ALPHABET)
        else:
            # double a character: "..", "--", "++"
            if chars:
                p = min(pos, len(chars) - 1)
                chars.insert(p, chars[p])
    return "".join(chars)


HAND_PICKED_VERSIONS = [
    # the edges called out in the issue
    "1.0.post", "1.0-", "1.0.dev", "1.0a", "1.0c1", "1.0rc.1", "1.0-r4", "v1.0", " 1.0 ",
    "1!1.0", "1.0+abc.5", "1.0+", "1.0a-", "1.0a..post1", "1.0a1.-1", "1.0a.-1", "1.0a--1",
    "1.0-0", "1.0-a1", "1.0a-1", "1.0.-1", "1.0_1", "1.0post-1", "1.0-post-1", "1.0.post-",
    "1.0.dev.+abc", "1.0a.+x", "1.0.+x", "1!", "!1", "1.0+a.", "1.0+a..b", "v", "V1", "",
    " ", "1.0rc", "1.0RC1", "1.0pre.1", "1.0-dev", "1.0dev-1", "1.0.dev-1+a", "1.0-post",
    "1.0..post", "1.0-r", "1.0.rev", "01.02", "1.0+_a", "1.0+a_-b", "1.0+A-b_C", "1.0+05.abc",
    "1.0\n", "\xa01.0\u3000", "1.0+\u0131", "1.0+\u0130", "1.0+\u017f", "1.0+\u212a",
    "1.0prev\u0131ew", "1.0prev\u0130ew", "1.0.po\u017ft1", "1.0\x1c", "1.0\x85", "1.0.0.0.0",
    "0", "0.0", "00", "1.0a0", "1.0b0", "1.0c0", "1.0.post0", "1.0.dev0", "1.0alpha", "1.0beta",
    "1.0preview", "1.0rev", "1.0r", "1.0-1-1", "1.0a1b1", "1.0a1.post1.dev1+x.y.z", "1.0dev1a1",
    "1.0.post1a1", "1.0+x+y", "+1.0", "1.0 +x", "1. 0", "1.0 a1", "1.0*", "1.0.*", "1.*",
    "1.0.x", "1,0", "1;0", "2012.12.21", "1.0-" + "9" * 30, "1" + ".0" * 40,
    "1" * 4300, "1" * 4301, "0" * 4301, "1.0+" + "7" * 4301, "1.0+a" + "7" * 4301,
    "1.0-\u0661", "\u0661.0", "1.0+\u00e9", "1.0\u200b",
    # the ordering chain from the issue
    "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
    "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5",
    "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.1.dev1",
]


def version_corpus(rng, n):
    seen = set()
    out = []

    def add(text):
        if text not in seen:
            seen.add(text)
            out.append(text)

    for text in HAND_PICKED_VERSIONS:
        add(text)
    while len(out) < n:
        text = surround(rng, version_text(rng))
        add(text)
        if rng.random() < 0.35:
            add(mutate(rng, text))
    return out


OPERATORS = ["~=", "==", "!=", "<=", ">=", "<", ">", "==="]
BAD_OPERATORS = ["=", "=>", "=<", "<>", "~", "!", "====", "", " ==", "= =", "~ ="]


def arbitrary_text(rng):
    roll = rng.random()
    if roll < 0.5:
        return version_text(rng)
    if roll < 0.7:
        return rng.choice(["foo", "FOO", "1.0-SNAPSHOT", "1.0", "1.0.0", "", "=", "a;b", "a)b",
                           "x y", "1.0+\u0130", "\u212a", "caf\u00e9", "1.0.*"])
    return "".join(rng.choice("abcXYZ019.-_+!*=;)(\u0130\u017f\u00e9") for _ in range(
        rng.randint(1, 8)))


def spec_text(rng):
    roll = rng.random()
    op = rng.choice(OPERATORS) if roll < 0.93 else rng.choice(BAD_OPERATORS)
    if op == "===":
        version = arbitrary_text(rng)
    else:
        kind = rng.random()
        if kind < 0.15:
            version = version_text(rng, wildcard=True)
        elif kind < 0.3:
            version = version_text(rng, allow_local=True)
        else:
            version = version_text(rng, allow_local=False, min_release=2 if op == "~=" else 1)
        if rng.random() < 0.03:
            version = "1" * 4301
    ws = ["", "", "", " ", "  ", "\t", "\xa0"]
    text = rng.choice(ws) + op + rng.choice(ws) + version + rng.choice(ws)
    if rng.random() < 0.12:
        text = mutate(rng, text)
    return text


def spec_corpus(rng, n):
    seen = set()
    out = []
    fixed = ["~=1", "~=1.0", "==1.0.*", ">=1.0.*", "<=1.0+local", "==1.0+local", "===",
             "===foo", "=== foo", "===foo bar", "===foo;", "===foo)", "== 1.0", ">= 1.0 ",
             "~=1!2", "~=1!2.0", "~=2.2.c1", "~=2.2c1", "~=2.2.post1", "~=2.2.POST1",
             "~=1.2.c.1", "~=1.2.pre.1", "~=v2.2", "==v1.0.*", "!=1.0.*", "==1!1.0.*", "==.*",
             "==1.0a1.*", "<1.0", ">1.0", "<1.0a1", ">1.0.post1", "====", "== =1.0", "<==1",
             "< =1", "==1.0.*a", "!=1.0+x", "~=1.0+x", ">=1.0+x", "<1.0.*"]
    for text in fixed:
        seen.add(text)
        out.append(text)
    while len(out) < n:
        text = spec_text(rng)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def set_text(rng, specs):
    parts = [rng.choice(specs) for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.15 and parts:
        parts.append(parts[0])  # duplicate clause
    if rng.random() < 0.1:
        parts.insert(rng.randint(0, len(parts)), "")  # empty item
    seps = [",", ",", ", ", " , ", ",\t"]
    text = ""
    for i, p in enumerate(parts):
        text += (rng.choice(seps) if i else "") + p
    return text


def related_versions(rng, spec_version):
    """Versions around a spec's version, where boundary rules live."""
    try:
        base = Version(spec_version)
    except (InvalidVersion, ValueError):
        return []
    epoch = f"{base.epoch}!" if base.epoch else ""
    rel = list(base.release)
    out = []
    suffixes = ["", "a1", "b2", "rc1", ".dev0", ".post1", ".post1.dev1", "a1.dev1", "+local",
                ".post1+l.1", "rc1+x", ".0", ".0.1", ".1"]
    for s in suffixes:
        out.append(epoch + ".".join(map(str, rel)) + s)
    bumped = rel[:-1] + [rel[-1] + 1]
    out.append(epoch + ".".join(map(str, bumped)))
    out.append(epoch + ".".join(map(str, bumped)) + "a1")
    if rel[-1] > 0:
        out.append(epoch + ".".join(map(str, rel[:-1] + [rel[-1] - 1])))
    if len(rel) > 1:
        out.append(epoch + ".".join(map(str, rel[:-1])))
        out.append(epoch + ".".join(map(str, rel[:-1] + [rel[-1] + 5])))
        out.append(epoch + ".".join(map(str, rel[:-2] + [rel[-2] + 1])))
    out.append(str(base))
    if base.local is None:
        out.append(str(base) + "+abc")
    return [rng.choice(out) for _ in range(4)]


# --------------------------------------------------------------------------------------------
# What packaging 23.0 says
# --------------------------------------------------------------------------------------------


def tri(p):
    return {None: "N", True: "T", False: "F"}[p]


def flag(b):
    return "1" if b else "0"


def dash(s):
    return s if s else "-"


def py_version(text):
    try:
        v = Version(text)
    except (InvalidVersion, ValueError):  # ValueError: int() refuses > 4300 digits
        return "err", None
    pre = "".join(str(x) for x in v.pre) if v.pre else ""
    fields = [
        "ok", str(v), flag(v.is_prerelease), flag(v.is_postrelease), flag(v.is_devrelease),
        v.base_version, v.public, dash(v.local or ""), str(v.epoch),
        ".".join(str(x) for x in v.release), dash(pre),
        dash("" if v.post is None else str(v.post)), dash("" if v.dev is None else str(v.dev)),
        flag(v.local is not None),
    ]
    return "\t".join(fields), v


def py_spec(text):
    """Specifier as we define validity: 23.0 constructs it and can use it.

    23.0 accepts a clause whose version has a number over Python's 4300-digit int limit, then
    raises ValueError on every use (hash, contains, prereleases); we reject such clauses.
    Specifier.prereleases raises InvalidVersion for "===" with non-version text; the C++ answers
    False there (documented in specifier.cpp), and we compare against that."""
    try:
        s = Specifier(text)
        hash(s)
    except (InvalidSpecifier, ValueError):
        return "err", None, False
    raised = False
    try:
        pre = s.prereleases
    except InvalidVersion:
        pre, raised = False, True
    except ValueError:
        return "err", None, False
    wildcard = s.operator in ("==", "!=") and s.version.endswith(".*")
    return "\t".join(["ok", str(s), s.operator, dash(s.version), flag(pre), flag(wildcard)]), s, raised


def py_set(text):
    try:
        ss = SpecifierSet(text)
        specs = list(ss)
    except (InvalidSpecifier, ValueError):
        return "err", None
    # SpecifierSet.prereleases is any() over the clauses in hash order, so with a "===foo"
    # clause 23.0 raises or not depending on PYTHONHASHSEED; count such a clause as False, as
    # the C++ does.
    pre = None if not specs else any(
        not raises_on_prereleases(s) and s.prereleases for s in specs)
    pinned = ""
    if len(specs) == 1:
        (only,) = specs
        if (only.operator == "==" and not only.version.endswith(".*")) or only.operator == "===":
            pinned = only.version
    return "\t".join(["ok", dash(str(ss)), tri(pre), dash(pinned), str(len(specs))]), ss


def raises_on_prereleases(spec):
    try:
        spec.prereleases
        return False
    except InvalidVersion:
        return True


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def hx(text):
    return text.encode("utf-8").hex()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("oracle")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--show", type=int, default=15)
    args = ap.parse_args()

    if packaging.__version__ != "23.0":
        print(f"expected python3-packaging 23.0, found {packaging.__version__} "
              f"at {packaging.__file__}", file=sys.stderr)
        return 2

    started = time.monotonic()
    rng = random.Random(args.seed)
    cases = []  # (kind, request line, expected answer, description)

    def case(kind, request, expected, what):
        cases.append((kind, "\t".join(request), expected, what))

    # Versions: validity, normal form and every property.
    versions = version_corpus(rng, 6000)
    valid = []
    for text in versions:
        expected, v = py_version(text)
        case("version", ["V", hx(text)], expected, f"Version({text!r})")
        if v is not None:
            valid.append((text, v))

    # Ordering: every neighbour of packaging's sorted order, plus random pairs.
    ordered = sorted(valid, key=lambda tv: tv[1])

    def cmp(a, b):
        return "<" if a < b else (">" if a > b else "=")

    pairs = list(zip(ordered, ordered[1:]))
    pairs += [(rng.choice(valid), rng.choice(valid)) for _ in range(4000)]
    for (ta, va), (tb, vb) in pairs:
        case("order", ["CMP", hx(ta), hx(tb)], cmp(va, vb), f"cmp({ta!r}, {tb!r})")

    # Specifiers and sets.
    spec_texts = spec_corpus(rng, 3000)
    valid_specs = []
    raised_prereleases = 0
    for text in spec_texts:
        expected, spec, raised = py_spec(text)
        raised_prereleases += raised
        case("specifier", ["S", hx(text)], expected, f"Specifier({text!r})")
        if spec is not None:
            valid_specs.append((text, spec))

    set_texts = [set_text(rng, spec_texts) for _ in range(2500)]
    set_texts += ["", " ", ",", " , ,", ">=1,<2", ">=1.0,>=1.0.0", ">=1.0.0,>=1.0",
                  "===1.0,===1.0.0", "~=1.0,~=1.0.0", "==1.0.*,==1.0.0.*", ">=1, <2, !=1.5",
                  "<2,>=1", "==1.0,==1", "===foo", "!=1.0.*,!=1.0", ">=1,,<2", ">=1;<2"]
    valid_sets = []
    for text in set_texts:
        expected, ss = py_set(text)
        case("set", ["SS", hx(text)], expected, f"SpecifierSet({text!r})")
        if ss is not None:
            valid_sets.append((text, ss))

    # Versions for matching: those packaging can re-read (str() of "1.0previ̇ew0" cannot be
    # re-parsed, and 23.0's operators raise on it).
    def matchable(v):
        try:
            Version(str(v))
            return True
        except InvalidVersion:
            return False

    pool = [tv for tv in valid if matchable(tv[1])]

    def readable(text):
        try:
            return matchable(Version(text))
        except (InvalidVersion, ValueError):
            return False

    def candidates(spec_list):
        out = []
        for _, spec in spec_list:
            version = spec.version[:-2] if spec.version.endswith(".*") else spec.version
            out += related_versions(rng, version)
        out += [rng.choice(pool)[0] for _ in range(3)]
        return [t for t in out if readable(t)]

    # Specifier.contains, every prereleases choice. "===" with non-version text raises in 23.0
    # when prereleases is None (Specifier.prereleases calls Version()), so those use T/F only.
    for _ in range(3500):
        text, spec = rng.choice(valid_specs)
        for vt in candidates([(text, spec)])[:3]:
            v = Version(vt)
            for p in (None, True, False):
                if p is None and raises_on_prereleases(spec):
                    continue
                case("spec-contains", ["SC", hx(text), hx(vt), tri(p)],
                     flag(spec.contains(v, prereleases=p)),
                     f"Specifier({text!r}).contains({vt!r}, prereleases={p})")

    # Fixed cases for the quirks of 23.0 that random sampling might not reach.
    quirks = [
        ("~=2.2.c1", ["2.2rc1", "2.2.0", "2.3", "2.2.5", "3.0"]),
        ("~=2.2c1", ["2.2rc1", "2.3", "2.2.5", "3.0"]),
        ("~=1.2.c.1", ["1.2rc1", "1.2.5", "1.2rc0", "1.2rc2"]),
        ("~=1.2.pre.1", ["1.2rc1", "1.2.5", "1.3"]),
        ("~=2.2.POST1", ["2.2.post1", "2.2.5", "2.3"]),
        ("~=1!2.2", ["1!2.3", "2.3", "1!3.0"]),
        ("~=v2.2", ["2.3", "2.2", "3.0"]),
        ("==1!1.0.*", ["1!1.0", "1!1.0.1", "1!1.0.0", "1.0"]),
        ("==1.0.*", ["1.0", "1.0a1", "1.0.5+local", "1.1", "1", "1.0.post1"]),
        ("==1.0.0.*", ["1", "1.0", "1.0.0.0a1", "1.0.1"]),
        ("!=1.0.*", ["1.0", "1.1", "1.0.dev1"]),
        ("==1.0", ["1.0+local", "1.0.0", "1.0+l.1"]),
        ("==1.0+local", ["1.0+local", "1.0", "1.0+LOCAL", "1.0+other"]),
        ("<1.0", ["1.0a1", "1.0.dev1", "0.9", "0.9a1", "1.0+x"]),
        ("<1.0a2", ["1.0a1", "1.0.dev1", "0.9"]),
        (">1.0", ["1.0.post1", "1.0+x", "1.1", "1.0.1+x", "1.0.0.post1"]),
        (">1.0.post1", ["1.0.post2", "1.0.post1+x", "1.0.post2+x"]),
        ("<=1.0", ["1.0+local", "1.0.post1", "1.0"]),
        (">=1.0", ["1.0+local", "1.0.dev1", "1.0a1"]),
        ("===1.0", ["1.0", "1.0.0", "1.0+x"]),
        ("===1.0+\u0130", ["1.0+\u0130"]),
        ("===1.0.po\u017ft1", ["1.0.post1"]),
        (">=1.0.post1", ["1.0.po\u017ft1", "1.0.post1"]),
        (">1.0.post1", ["1.0.po\u017ft1", "1.0.post2"]),
        ("<1.0.po\u017ft1", ["1.0.post1", "1.0.post2"]),
        (">=1.0a1", ["1.0prev\u0131ew1", "1.0a5"]),
        ("==1.0prev\u0131ew1", ["1.0prev\u0131ew1", "1.0rc1"]),
    ]
    for text, vts in quirks:
        spec = Specifier(text)
        for vt in vts:
            v = Version(vt)
            for p in (None, True, False):
                case("spec-contains", ["SC", hx(text), hx(vt), tri(p)],
                     flag(spec.contains(v, prereleases=p)),
                     f"Specifier({text!r}).contains({vt!r}, prereleases={p})")

    def set_raises(ss):
        return any(raises_on_prereleases(s) for s in ss)

    for _ in range(3500):
        text, ss = rng.choice(valid_sets)
        for vt in candidates([(str(s), s) for s in sorted(ss, key=str)])[:3]:
            v = Version(vt)
            for p in (None, True, False):
                if p is None and set_raises(ss):
                    continue
                case("set-contains", ["C", hx(text), hx(vt), tri(p)],
                     flag(ss.contains(v, prereleases=p)),
                     f"SpecifierSet({text!r}).contains({vt!r}, prereleases={p})")

    # filter: lists of distinct versions (distinct normal forms, so results map back exactly).
    def version_list(spec_list):
        seen, texts = set(), []
        cands = candidates(spec_list) + [rng.choice(pool)[0] for _ in range(rng.randint(0, 5))]
        rng.shuffle(cands)
        for vt in cands[: rng.randint(0, 9)]:
            key = str(Version(vt))
            if key not in seen:
                seen.add(key)
                texts.append(vt)
        return texts

    def kept(inputs, result):
        result = list(result)
        idx, j = [], 0
        for i, item in enumerate(inputs):
            if j < len(result) and result[j] is item:
                idx.append(str(i))
                j += 1
        assert j == len(result), "filter returned items out of order"
        return dash(",".join(idx))

    for _ in range(1200):
        text, spec = rng.choice(valid_specs)
        texts = version_list([(text, spec)])
        objs = [Version(t) for t in texts]
        listing = ",".join(hx(t) for t in texts) or "-"
        for p in (None, True, False):
            if raises_on_prereleases(spec) and p is not True:
                continue  # Specifier.filter consults .prereleases unless told True
            case("spec-filter", ["SF", hx(text), tri(p), listing],
                 kept(objs, spec.filter(objs, prereleases=p)),
                 f"Specifier({text!r}).filter({texts!r}, prereleases={p})")

    empty_sets = [t for t, ss in valid_sets if len(ss) == 0]
    for i in range(1500):
        if i % 5 == 0 and empty_sets:
            text = rng.choice(empty_sets)
            ss = SpecifierSet(text)
        else:
            text, ss = rng.choice(valid_sets)
        texts = version_list([(str(s), s) for s in sorted(ss, key=str)])
        if i % 7 == 0:  # only pre-releases: the empty set's fallback
            texts = [t for t in texts if Version(t).is_prerelease]
        objs = [Version(t) for t in texts]
        listing = ",".join(hx(t) for t in texts) or "-"
        for p in (None, True, False):
            if p is None and set_raises(ss):
                continue
            case("set-filter", ["F", hx(text), tri(p), listing],
                 kept(objs, ss.filter(objs, prereleases=p)),
                 f"SpecifierSet({text!r}).filter({texts!r}, prereleases={p})")

    # Names (ASCII: pinwatch lowercases ASCII only; see name.cpp).
    name_chars = "abcXYZ019-_.~ @"
    names = ["", "a", "A", "-a", "a-", "a--b", "A.B_c-D", "Django_REST.framework", "zope.interface",
             "a..b", "1", "_", "a b", "typing-extensions", "Typing__Extensions"]
    names += ["".join(rng.choice(name_chars) for _ in range(rng.randint(1, 12))) for _ in range(1500)]
    for name in names:
        valid_name = re.match(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", name, re.IGNORECASE)
        case("name", ["N", hx(name)], dash(canonicalize_name(name)) + "\t" + flag(valid_name),
             f"canonicalize_name({name!r})")

    generated = time.monotonic()
    request = "".join(line + "\n" for _, line, _, _ in cases)
    proc = subprocess.run([args.oracle], input=request.encode(), capture_output=True)
    if proc.returncode != 0:
        print(f"oracle exited with {proc.returncode}: {proc.stderr.decode(errors='replace')}",
              file=sys.stderr)
        return 1
    answers = proc.stdout.decode("utf-8", errors="replace").split("\n")
    if answers and answers[-1] == "":
        answers.pop()
    if len(answers) != len(cases):
        print(f"oracle answered {len(answers)} of {len(cases)} requests", file=sys.stderr)
        return 1

    counts, mismatches, true_counts = {}, [], {}
    for (kind, _, expected, what), got in zip(cases, answers):
        counts[kind] = counts.get(kind, 0) + 1
        if expected in ("1", "="):
            true_counts[kind] = true_counts.get(kind, 0) + 1
        if got != expected:
            mismatches.append((kind, what, expected, got))

    elapsed = time.monotonic() - started
    summary = ", ".join(
        f"{k} {n}" + (f" ({true_counts[k]} true/equal)" if k in true_counts else "")
        for k, n in counts.items())
    print(f"packaging 23.0 differential (seed {args.seed}): {len(cases)} cases ({summary}); "
          f"{len(valid)} of {len(versions)} versions valid, {len(valid_specs)} of "
          f"{len(spec_texts)} specifiers valid, {len(valid_sets)} of {len(set_texts)} sets valid; "
          f"{raised_prereleases} specifiers where 23.0's .prereleases raises (C++ says False); "
          f"generated in {generated - started:.1f}s, total {elapsed:.1f}s")
    if mismatches:
        print(f"\n{len(mismatches)} MISMATCHES; first {min(args.show, len(mismatches))}:")
        for kind, what, expected, got in mismatches[: args.show]:
            print(f"  [{kind}] {what}\n      packaging 23.0: {expected!r}\n      pinwatch:       {got!r}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
