#!/usr/bin/env bash
# Keeps the design-document citations in the code honest: lists every citation of the contract and of the upstream
# notes in Sources/, Tests/, scripts/, firmware/ and docs/, and fails when a cited section has no heading in
# docs/CONTRACT.md or docs/UPSTREAM.md.
#
# A citation is the word CONTRACT or UPSTREAM followed by a section sign and a number; the older spellings of the
# upstream notes (upstream-spec, or the lower-case word upstream, each followed by the section sign) count as
# UPSTREAM until the rename. Lists and ranges are read too: "§5.6, §11", "§1 and §9", "§7.3–7.4", "§20.1–3".
# A section exists when its document has a heading that starts with it ("## §5 Endpoints", "### §5.1 Routes") or a
# table row whose first cell is it ("| §20.7 | …", used for the numbered items of UPSTREAM §20).
#
# Usage: scripts/check-doc-citations.sh [-v]     (-v: every citation with file and line)
# Only bash and python3's standard library; run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PYTHON'
import os, re, signal, subprocess, sys
from collections import defaultdict

signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head

verbose = "-v" in sys.argv[1:]
SCANNED = ["Sources", "Tests", "scripts", "firmware", "docs"]
DOCS = {"CONTRACT": "docs/CONTRACT.md", "UPSTREAM": "docs/UPSTREAM.md"}

# The keyword, then the first reference; further references follow after a comma, "and" or "&".
KEYWORD = re.compile(r"\b(CONTRACT|UPSTREAM|upstream-spec|[Uu]pstream)\s*(?=§)")
NUMBER = r"\d+(?:\.\d+)*"
REFERENCE = re.compile(r"§\s*(" + NUMBER + r")(?:\s*[–—-]\s*§?\s*(" + NUMBER + r"))?")
SEPARATOR = re.compile(r"\s*(?:,|;?\s*and|&)\s*(?=§)")


def files():
    """Tracked and new (not ignored) files under the scanned folders; a plain walk outside git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *SCANNED],
            check=True, capture_output=True, text=True).stdout
        return sorted(set(p for p in out.splitlines() if os.path.isfile(p)))
    except (OSError, subprocess.CalledProcessError):
        found = []
        for top in SCANNED:
            for root, dirs, names in os.walk(top):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [os.path.join(root, n) for n in names]
        return sorted(found)


def expand(first, last):
    """The sections a range names: §7.3–7.4 → 7.3, 7.4; §20.1–3 → 20.1, 20.2, 20.3; §3–4 → 3, 4."""
    if last is None:
        return [first]
    a, b = first.split("."), last.split(".")
    if len(b) < len(a):
        b = a[: len(a) - len(b)] + b
    if len(a) == len(b) and a[:-1] == b[:-1] and int(a[-1]) <= int(b[-1]) and int(b[-1]) - int(a[-1]) < 50:
        return [".".join(a[:-1] + [str(n)]) for n in range(int(a[-1]), int(b[-1]) + 1)]
    return [first, ".".join(b)]


def citations(text):
    """(document, section, old spelling?, line) for every citation in a text."""
    for match in KEYWORD.finditer(text):
        word = match.group(1)
        document = "CONTRACT" if word == "CONTRACT" else "UPSTREAM"
        old = word not in ("CONTRACT", "UPSTREAM")
        line = text.count("\n", 0, match.start()) + 1
        position = match.end()
        while True:
            ref = REFERENCE.match(text, position)
            if not ref:
                break
            for section in expand(ref.group(1), ref.group(2)):
                yield document, section, old, line
            position = ref.end()
            sep = SEPARATOR.match(text, position)
            if not sep:
                break
            position = sep.end()


def sections(path):
    heading = re.compile(r"^#{1,6}\s+§(" + NUMBER + r")(?![\d.]*\d)")
    row = re.compile(r"^\|\s*§(" + NUMBER + r")\s*\|")
    found = set()
    with open(path, encoding="utf-8") as handle:
        for text in handle:
            m = heading.match(text) or row.match(text)
            if m:
                found.add(m.group(1))
    return found


known = {}
for document, path in DOCS.items():
    if not os.path.isfile(path):
        sys.exit(f"check-doc-citations: {path} is missing")
    known[document] = sections(path)

cited = defaultdict(list)  # (document, section) -> [(file, line)]
old_spelling = 0
for path in files():
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (UnicodeDecodeError, OSError):
        continue
    for document, section, old, line in citations(text):
        cited[(document, section)].append((path, line))
        old_spelling += old

def order(key):
    return (key[0], [int(p) for p in key[1].split(".")])

total = sum(len(v) for v in cited.values())
print(f"{total} citations of {len(cited)} sections in {len({p for v in cited.values() for p, _ in v})} files")
missing = []
for key in sorted(cited, key=order):
    document, section = key
    places = cited[key]
    ok = section in known[document]
    print(f"  {document} §{section:<8} {len(places):>3}×  {'ok' if ok else 'NO HEADING'}")
    if verbose or not ok:
        for path, line in places:
            print(f"      {path}:{line}")
    if not ok:
        missing.append(key)
if old_spelling:
    print(f"{old_spelling} citations still use the old spelling of UPSTREAM (rename pending)")
if missing:
    names = ", ".join(f"{d} §{s}" for d, s in missing)
    print(f"FAIL: no heading in docs/ for {names}", file=sys.stderr)
    sys.exit(1)
print("every cited section has a heading")
PYTHON
