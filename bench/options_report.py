"""One size's table for bench/options.sh: each row's index, file and app
memory, setting, recall, blend error, time per block and build cost, from
the builds' own timings.json and manifest.json (the timed wall/RSS beside
them). Usage: options_report.py RESULTS_DIR N"""
import json
import os
import sys

d, n = sys.argv[1], int(sys.argv[2])
MIB = 1024 * 1024


def load(name, kind):
    return json.load(open(os.path.join(d, f"{name}.{kind}.json")))


def cells(factory, file_b, app_b, s, p50, p99):
    kf = s["k_factor"] if "PQ" in factory else "-"  # IVF-Flat has no refine step
    return (f"{factory} | {file_b / MIB:,.1f} | {app_b / MIB:,.1f} | {s['nprobe']} / {kf} | "
            f"{s['recall_k']:.4f} | {100 * s['blend_error_mean']:.2f}% ({100 * s['blend_error_p95']:.1f}%) | "
            f"{p50:.1f} / {p99:.1f}")


print(f"## {n:,} vectors (4 speakers; the held-out one's 1,000 frames as queries)")
print()
print("| options | index | file MiB | app MiB | nprobe / k_factor | 8-recall@8 | blend error mean (p95) | "
      "ms per 16-frame block p50 / p99 | build wall s | build peak RSS MiB |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
t = load("auto", "time")
auto = load("auto", "timings")["index_auto"]
for c in auto["candidates"]:
    label = "`--index auto`" + (" (shipped)" if c["chosen"] else " (candidate)")
    if not c["built"]:
        print(f"| {label} | {c['factory']} | {c['file_bytes'] / MIB:,.1f} | {c['app_memory_bytes'] / MIB:,.1f} | "
              "not built | | | | | |")
        continue
    cost = f"{t['wall_s']:.1f} | {t['rss_kib'] / 1024:,.0f}" if c["chosen"] else "(in the shipped row) | "
    print(f"| {label} | {cells(c['factory'], c['file_bytes'], c['app_memory_bytes'], c, c['block_ms_p50'], c['block_ms_p99'])}"
          f" | {cost} |")
for name in ("fp16", "sq8", "size", "block"):
    if not os.path.exists(os.path.join(d, f"{name}.time.json")):
        continue
    missed = os.path.join(d, f"{name}.missed")
    if os.path.exists(missed):  # the build exited 7: no setting reached the target
        print(f"| `{load(name, 'time')['options']}` | {open(missed).read().strip()} | | | | | | | | |")
        continue
    t, tm, m = load(name, "time"), load(name, "timings"), load(name, "manifest")["indexes"][0]
    s = tm["chosen_setting"]
    print(f"| `{t['options']}` | {cells(m['factory'], m['index_bytes'], m['app_memory_bytes'], s, s['block_ms_p50_1_thread'], s['block_ms_p99_1_thread'])}"
          f" | {t['wall_s']:.1f} | {t['rss_kib'] / 1024:,.0f} |")
print()
print(f"auto's rule: {auto['rule']}. Every row: `rvcidx build --gpu off -o OUT TREE` plus its options, TREE = "
      f"`rvcidx demo --speakers 4 --minutes {n / 12000:g} --dim 768`.")
print()
