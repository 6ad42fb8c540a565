#!/usr/bin/env python3
"""params-doc.py — docs/parameters.md's reference table, generated from the
library's parameter table (rvcidx/params.h) through the Python package.

Usage: scripts/params-doc.py [--check] [DOC]
  DOC      default docs/parameters.md; the table sits between the lines
           <!-- parameters:start --> and <!-- parameters:end -->
  --check  write nothing; exit 1, saying so, when DOC's table is not the
           generated one (the `params_doc` test runs this)
The library is found as the package finds it (RVCIDX_LIBRARY, ...).
"""
import os
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(top, "python"))
import rvcidx  # noqa: E402

START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def values(r):
    if r["type"] == "choice":
        return " \\| ".join(f"`{c}`" for c in r["choices"])
    words = " or " + " \\| ".join(f"`{c}`" for c in r["choices"]) if r["choices"] else ""
    if r["type"] in ("int", "number") and r["min"] is not None:
        lo, hi = r["min"], r["max"]
        fmt = (lambda v: f"{int(v):,}") if r["type"] == "int" else (lambda v: f"{v:g}")
        return f"{r['type']} {fmt(lo)}..{fmt(hi)}{words}"
    return r["type"] + words


def table():
    lines = ["| parameter | option | group | values | default | what |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rvcidx.parameters():
        default = f"`{r['default']}`" if r["default"] else "—"
        what = cell(r["help"] + (" — " + r["more"] if r["more"] else ""))
        lines.append(f"| `{r['name']}` | `{r['flag']}` | {r['group']} | {values(r)} | {default} | {what} |")
    return "\n".join(lines)


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    doc = args[0] if args else os.path.join(top, "docs", "parameters.md")
    text = open(doc, encoding="utf-8").read()
    if START not in text or END not in text:
        print(f"{doc}: no {START} ... {END} section to hold the table", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + START + "\n" + table() + "\n" + END + tail
    if check:
        if new != text:
            print(f"{doc}: the parameter reference is not the library's table; run scripts/params-doc.py",
                  file=sys.stderr)
            return 1
        print(f"{doc}: the parameter reference matches the library's table ({len(rvcidx.parameters())} rows)")
        return 0
    if new != text:
        with open(doc + ".tmp", "w", encoding="utf-8") as f:
            f.write(new)
        os.replace(doc + ".tmp", doc)
    print(f"{doc}: {len(rvcidx.parameters())} parameters written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
