#!/usr/bin/env python3
"""tests/layering/check.py — the architecture docs/library.md claims, checked
against the code, so the two cannot drift apart.

1. Stage includes. docs/library.md's sentence "Stages depend downwards only
   ...: `a` → `b`, `c`; ..." is read as the rule: a file under src/<stage>/
   includes private headers ("<other>/x.h") only of its own stage and the
   stages the rule lists for it (`base` for all); `cli` includes only the
   public API ("rvcidx/...") and its own headers. cuda/ counts as `backend`.
2. No call circles between files: from the object files' symbols (nm), file
   A calling a function of file B and B (directly or through others) calling
   back into A is a circle.
3. The command calls the public API only: the CLI's objects reference no
   rvcidx__* internal and no rvcidx_faiss_* shim symbol.
4. The library exports only the public API: `nm -D` of librvcidx.so shows
   only rvcidx_* symbols declared in include/rvcidx/ (no rvcidx__*,
   rvcidx_faiss_*, or anything else of its own).

Usage: check.py SOURCE_DIR BUILD_DIR. Prints what it checked; exit 1 with
every violation listed.
"""
import os
import re
import subprocess
import sys

src_dir, build_dir = sys.argv[1], sys.argv[2]
problems = []


def stage_rules():
    text = open(os.path.join(src_dir, "docs", "library.md"), encoding="utf-8").read()
    m = re.search(r"Stages depend downwards only[^:]*:(.*?)Private headers", text, re.S)
    if not m:
        sys.exit("docs/library.md has no 'Stages depend downwards only ...:' sentence to check against")
    rules = {}
    for part in m.group(1).replace("\n", " ").split(";"):
        names = re.findall(r"`([a-z_]+)`", part)
        if "→" not in part or not names:
            continue
        left = re.findall(r"`([a-z_]+)`", part.split("→")[0])
        right = re.findall(r"`([a-z_]+)`", part.split("→")[1])
        if part.strip().startswith("all"):
            rules["*all*"] = set(right)
        for name in left:
            rules[name] = set(right)
    return rules


def check_includes(rules):
    stages = sorted(d for d in os.listdir(os.path.join(src_dir, "src"))
                    if os.path.isdir(os.path.join(src_dir, "src", d)))
    documented = (set(rules) - {"*all*"}).union(*rules.values())
    for stage in stages:
        if stage not in documented:
            problems.append(f"src/{stage}/: a stage docs/library.md's layering sentence does not name")
    common = rules.get("*all*", set())
    checked = 0
    for top, own_default in (("src", None), ("cuda", "backend")):
        for root, _, files in os.walk(os.path.join(src_dir, top)):
            for f in files:
                if not f.endswith((".c", ".h", ".cpp", ".cu")):
                    continue
                path = os.path.join(root, f)
                rel = os.path.relpath(path, src_dir)
                own = own_default or rel.split("/")[1]
                if own not in stages:
                    continue
                allowed = {own} | (rules.get(own, set()) if own != "cli" else set())
                if own not in ("base", "cli"):
                    allowed |= common
                for n, line in enumerate(open(path, encoding="utf-8"), 1):
                    inc = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not inc:
                        continue
                    target = inc.group(1)
                    checked += 1
                    if "/" not in target or target.startswith("rvcidx/"):
                        continue
                    stage = target.split("/")[0]
                    if stage == "public" and own == "cli":
                        continue
                    if stage not in allowed:
                        problems.append(f"{rel}:{n}: includes \"{target}\", but docs/library.md lets `{own}` "
                                        f"depend on {', '.join(sorted(allowed - {own})) or 'nothing'}")
    return checked


def nm(path, *flags):
    out = subprocess.run(["nm", *flags, path], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVWGSi":
            defined.add(parts[2])
    return defined, undefined


def object_files():
    objs = {}
    for target in ("rvcidx_objects.dir", "rvcidx_cli.dir", "rvcidx_bin.dir"):
        base = os.path.join(build_dir, "src", "CMakeFiles", target)
        for root, _, files in os.walk(base):
            for f in files:
                if f.endswith(".o"):
                    path = os.path.join(root, f)
                    rel = os.path.relpath(path, base)[:-2]  # "pipeline/build.c"
                    if not os.path.exists(os.path.join(src_dir, "src", rel)):
                        continue  # generated (the voice model's bytes), or left by a source since moved
                    objs[rel.rsplit(".", 1)[0]] = path
    cuda = os.path.join(build_dir, "cuda")
    for root, _, files in os.walk(cuda):
        for f in files:
            if f.endswith(".o"):
                objs["cuda/" + f[:-2]] = os.path.join(root, f)
    return objs


def circles(graph):
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def check_symbols():
    objs = object_files()
    if not objs:
        problems.append(f"no object files under {build_dir}/src/CMakeFiles: build first")
        return 0
    defs, undefs = {}, {}
    for name, path in objs.items():
        defs[name], undefs[name] = nm(path)
    owner = {}
    for name, symbols in defs.items():
        for s in symbols:
            owner.setdefault(s, name)
    graph, why = {}, {}
    for name, symbols in undefs.items():
        for s in symbols:
            target = owner.get(s)
            if target and target != name:
                graph.setdefault(name, set()).add(target)
                why.setdefault((name, target), s)
    for comp in circles(graph):
        edges = [f"{a} -> {b} ({why[(a, b)]})" for a in comp for b in sorted(graph.get(a, ())) if b in comp]
        problems.append("call circle between " + ", ".join(comp) + ": " + "; ".join(edges))
    for name, symbols in undefs.items():
        if not name.startswith("cli/"):
            continue
        for s in sorted(symbols):
            if s.startswith("rvcidx__") or s.startswith("rvcidx_faiss_"):
                problems.append(f"src/{name}.c calls {s}, which is not public API")
    return len(objs)


def check_exports():
    lib = os.path.join(build_dir, "src", "librvcidx.so")
    if not os.path.exists(lib):
        problems.append(f"{lib}: not built")
        return 0
    exported, _ = nm(lib, "-D", "--defined-only")
    headers = ""
    inc = os.path.join(src_dir, "include", "rvcidx")
    for f in sorted(os.listdir(inc)):
        headers += open(os.path.join(inc, f), encoding="utf-8").read()
    declared = set(re.findall(r"\b(rvcidx_[a-z0-9_]+)\s*\(", headers))
    own = sorted(s for s in exported if "rvcidx" in s or not s.startswith(("_", "H5", "faiss")))
    for s in own:
        if s.startswith("rvcidx__") or s.startswith("rvcidx_faiss_"):
            problems.append(f"librvcidx.so exports {s}: internal (hidden visibility expected)")
        elif s.startswith("rvcidx_") and s not in declared:
            problems.append(f"librvcidx.so exports {s}, which no header in include/rvcidx/ declares")
        elif not s.startswith("rvcidx_"):
            problems.append(f"librvcidx.so exports {s}, which is not rvcidx_-prefixed")
    return len(own)


rules = stage_rules()
n_includes = check_includes(rules)
n_objects = check_symbols()
n_exports = check_exports()
print(f"layering: {len(rules)} stage rules from docs/library.md; {n_includes} #include lines, "
      f"{n_objects} object files, {n_exports} exported symbols checked")
if problems:
    print(f"FAIL: {len(problems)} violation(s):")
    for p in problems:
        print("  " + p)
    sys.exit(1)
print("PASS: stages include downwards only, no call circles between files, the command uses the public API, "
      "the library exports only it")
