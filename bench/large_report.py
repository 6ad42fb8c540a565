"""large_report.py RESULTS FRAMES BUDGET — bench/large.sh's table from its results directory.

One row per mode run: the plan's peak memory and disk beside the measured
peak RSS and the disk OUTDIR took (measured / planned), wall time, stage
times, and the index searched with an unseen speaker's frames. RVC's recipe
gets its wall, peak RSS and how it ended.
"""
import json
import os
import re
import sys

GIB = 1024.0 ** 3


def load(path):
    try:
        with open(path) as fp:
            return json.load(fp)
    except (OSError, ValueError):
        return None


def plan_figures(path):
    """(peak GiB, disk GiB) the plan printed, None where it printed none."""
    try:
        text = open(path).read()
    except OSError:
        return None, None
    peak = re.search(r"^memory\s+peak ([0-9.]+) GiB", text, re.M)
    disk = re.search(r"^disk\s+([0-9.]+) GiB needed", text, re.M)
    return (float(peak.group(1)) if peak else None, float(disk.group(1)) if disk else None)


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def stages(run, report):
    if not run:
        return "-"
    idx = run.get("indexes", [])
    parts = [f"ingest {run['ingest_s']:.0f}"]
    red = sum(i.get("reduce_s", 0) for i in idx)
    if red:
        parts.append(f"reduce {red:.0f}")
    for key, name in (("kmeans_s", "k-means"), ("encode_s", "encode"), ("eval_s", "tune")):
        parts.append(f"{name} {sum(i.get(key, 0) for i in idx):.0f}")
    if len(idx) > 1:
        parts.append(f"({len(idx)} indexes)")
    return ", ".join(parts)


def main():
    res, frames, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    tree = load(os.path.join(res, "tree_bytes"))
    print(f"{frames:,} frames x 768 ({tree / GIB:.2f} GiB of .npy); budget {budget:,}; "
          "quality: 1,200 frames of a speaker no build saw")
    print()
    print("| mode | exit | wall s (other CPU %) | peak RSS GiB (plan, measured/plan) | peak disk GiB (plan, measured/plan; at the end) "
          "| stages s | 8-recall@8 | blend error mean (p95) | empty |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    names = {"budget": f"`--max-vectors {budget}`", "perspeaker": "`--per-speaker`", "permodel": "`--per-model`",
             "one": "one index",
             "fp16": "`--refine fp16`", "sq8": "`--refine sq8`", "auto": "`--index auto`", "split": "`--split 4`", "rvc": "RVC's recipe"}
    for mode in ("budget", "perspeaker", "permodel", "one", "fp16", "sq8", "auto", "split", "rvc"):
        t = load(os.path.join(res, mode + ".time"))
        if not t:
            continue
        rss = t["rss_kib"] * 1024 / GIB
        if mode == "rvc":
            err = open(os.path.join(res, "rvc.err")).read().strip().splitlines()
            how = "completed" if t["rc"] == 0 else f"exit {t['rc']}: {err[-1][:120] if err else 'no message'}"
            print(f"| {names[mode]} | {t['rc']} | {t['wall_s']:.0f} | {rss:.2f} | - | {how} | | | |")
            continue
        peak, disk = plan_figures(os.path.join(res, mode + ".plan"))
        used = t.get("disk_peak_bytes", t.get("disk_bytes", 0)) / GIB
        end = t.get("disk_bytes", 0) / GIB
        run = load(os.path.join(res, mode + ".run.json"))
        ev = load(os.path.join(res, mode + ".eval.json")) or {}
        q = (f"{ev['recall_8_8']:.4f} | {100 * ev['blend_error_mean']:.2f}% ({100 * ev['blend_error_p95']:.2f}%) "
             f"| {ev['empty_slots']}") if ev else "- | - | -"
        print(f"| {names[mode]} | {t['rc']} | {t['wall_s']:.0f} ({t.get('other_cpu_pct', '-')}) | {rss:.2f} ({peak}, {ratio(rss, peak)}) "
              f"| {used:.2f} ({disk}, {ratio(used, disk)}; {end:.2f} at the end) | {stages(run, None)} | {q} |")
    print()
    for mode in ("budget", "perspeaker", "permodel", "one", "fp16", "sq8", "auto", "split"):  # what shipped, at which setting
        rep = load(os.path.join(res, mode + ".report.json"))
        c = (rep or {}).get("chosen_setting")
        if c:
            print(f"- {names[mode]}: shipped {rep['factory']}, nprobe {c['nprobe']}, k_factor {c['k_factor']} "
                  f"({c['recall_k']:.4f} on its tuning queries)")


if __name__ == "__main__":
    main()
