"""lookup.py — does each app find, for model M, the index file rvcidx names for M?

Re-implements (our code, not theirs) each app's own lookup, places the
index file rvcidx wrote where that app's users put it, beside distractors
(RVC's own trained_ file, another model's index), and checks the lookup
picks ours:
  - RVC WebUI: get_index_path_from_model, infer/modules/vc/utils.py (branch
    20240604: walk index_root=logs, first .index without "trained" whose path
    holds the weight's name) and the stricter one of infer/vc/utils.py (main);
  - Applio: match_index, tabs/inference/inference.py (older: same folder,
    name prefix, substring) and tabs/realtime/realtime.py (newer: ranked
    exact/substring/prefix in the model's folder, then elsewhere);
  - ultimate-rvc: _get_rvc_files, src/ultimate_rvc/core/generate/common.py
    (the .index in the voice model's folder).
w-okada has no lookup: the user uploads the file into a model slot.

Usage: lookup.py MODEL INDEX_FILE...   (exit 1 when an app picks another file)
"""
import os
import re
import shutil
import sys
import tempfile


def rvc_20240604(index_root, sid):
    return next((f for f in [os.path.join(root, name)
                             for root, _, files in os.walk(index_root, topdown=False)
                             for name in files if name.endswith(".index") and "trained" not in name]
                 if sid.split(".")[0] in f), "")


def rvc_main(index_root, sid):
    model_stem = os.path.splitext(os.path.basename(sid))[0]
    experiment = re.sub(r"_e\d+_s\d+$", "", model_stem, flags=re.IGNORECASE).lower()
    candidates = []
    for root, _, files in os.walk(index_root, topdown=False):
        for name in files:
            if not name.lower().endswith(".index") or "trained" in name.lower():
                continue
            stem = os.path.splitext(name)[0].lower()
            standard = (stem.startswith(experiment + "_added_") or ("_" + experiment + "_v1") in stem
                        or ("_" + experiment + "_v2") in stem)
            if standard or model_stem.lower() in stem:
                path = os.path.abspath(os.path.join(root, name))
                candidates.append(((0 if standard else 1, -os.path.getmtime(path), path.lower()), path))
    return min(candidates, default=(None, ""), key=lambda c: c[0])[1]


def applio_indexes(model_root):
    return [os.path.join(d, f) for d, _, files in os.walk(model_root) for f in files
            if f.endswith(".index") and "trained" not in f]


def applio_old(model_root, model_file):
    model_folder, model_name = os.path.dirname(model_file), os.path.basename(model_file)
    match = re.match(r"^(.*?)_", model_name)
    for index_file in applio_indexes(model_root):
        if os.path.dirname(index_file) == model_folder:
            return index_file
        if match and match.group(1) in os.path.basename(index_file):
            return index_file
        if model_name in os.path.basename(index_file):
            return index_file
    return ""


def applio_new(model_root, model_file):
    norm = lambda p: os.path.normpath(p).replace("\\", "/")  # noqa: E731
    model_folder = norm(os.path.dirname(model_file))
    base = os.path.splitext(os.path.basename(model_file))[0]
    common = re.sub(r"[_\-\.\+](?:e|s|v|V)\d.*$", "", base)
    pm = re.match(r"^(.*?)[_\-\.\+]", base)
    prefix = pm.group(1) if pm else None
    same_count, last_same, same_substr, same_prefixed = 0, None, None, None
    ext_exact = ext_substr = ext_pref = None
    for idx in applio_indexes(model_root):  # the models/index alias pairing is not exercised: one folder
        idx_base = os.path.splitext(os.path.basename(idx))[0]
        if norm(os.path.dirname(idx)) == model_folder:
            same_count, last_same = same_count + 1, idx
            if idx_base == base:
                return idx
            if common in idx_base and same_substr is None:
                same_substr = idx
            if prefix and idx_base.startswith(prefix) and same_prefixed is None:
                same_prefixed = idx
        else:
            if idx_base == base and ext_exact is None:
                ext_exact = idx
            if common in idx_base and ext_substr is None:
                ext_substr = idx
            if prefix and idx_base.startswith(prefix) and ext_pref is None:
                ext_pref = idx
    if same_count == 1:
        return last_same
    return same_substr or same_prefixed or ext_exact or ext_substr or ext_pref or ""


def ultimate_rvc(model_dir):
    files = {p.suffix: p for p in map(__import__("pathlib").Path, sorted(
        os.path.join(model_dir, n) for n in os.listdir(model_dir))) if p.suffix in (".pth", ".index")}
    return str(files.get(".index", ""))


def touch(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").close()


def check_one(model, index_file, work):
    ours = os.path.basename(index_file)
    failures = []
    os.chdir(work)
    # RVC and Applio: logs/<model>/ holds the training run and, copied there, our index
    touch(f"logs/{model}/trained_IVF256_Flat_nprobe_1_{model}_v2.index")  # RVC's own, from an earlier run
    touch("logs/other/added_IVF256_Flat_nprobe_1_other_v2.index")
    touch(f"logs/{model}/{model}.pth")
    touch("logs/other/other.pth")
    touch(f"assets/weights/{model}.pth")
    shutil.copyfile(index_file, f"logs/{model}/{ours}")
    want = f"logs/{model}/{ours}"
    picks = {
        "rvc (20240604)": rvc_20240604("logs", f"{model}.pth"),
        "rvc (main)": os.path.relpath(rvc_main("logs", f"{model}.pth") or "/", work),
        "applio (older match_index)": applio_old("logs", f"logs/{model}/{model}.pth"),
        "applio (newer match_index)": applio_new("logs", f"logs/{model}/{model}.pth"),
    }
    # ultimate-rvc: voice_models/<model>/ holds the .pth and the .index
    touch(f"voice_models/{model}/{model}.pth")
    shutil.copyfile(index_file, f"voice_models/{model}/{ours}")
    picks["ultimate-rvc"] = os.path.relpath(ultimate_rvc(f"voice_models/{model}") or "/", work)
    for app, got in picks.items():
        want_here = f"voice_models/{model}/{ours}" if app == "ultimate-rvc" else want
        ok = os.path.normpath(got) == os.path.normpath(want_here)
        print("%-28s %s -> %s" % (app, model, got or "(nothing)"))
        if not ok:
            failures.append("%s picks %s for model %s, not %s" % (app, got or "nothing", model, want_here))
    return failures


def main():
    model, files = sys.argv[1], sys.argv[2:]
    failures = []
    for f in files:
        work = tempfile.mkdtemp(prefix="rvcidx-lookup-")
        try:
            failures += check_one(model, os.path.abspath(f), work)
        finally:
            os.chdir("/")
            shutil.rmtree(work)
    for f in failures:
        print("FAIL lookup: " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
