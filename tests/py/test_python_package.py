"""The Python package (python/, ctypes over librvcidx) as a user installs it:
pip-installed into a scratch venv without network, rvcidx.build() run on a
small demo input against the build tree's library, its outputs byte-identical
to `rvcidx build`'s with the same options, the returned dict, the progress
callback, and the exceptions: a bad parameter (BadParameter, exit 2, naming
it), a missing source (BadInput, exit 3), a progress callback that raises
(the build stops and the callback's exception comes out)."""
import glob
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))


def outer():
    """Here, under Debian's python3: the venv, the package, the inputs."""
    if os.environ.get("RVCIDX_SANITIZED") == "1":
        print("SKIP: python cannot load an AddressSanitizer library without preloading its runtime (the plain build runs this test)")
        sys.exit(77)
    tmp = os.path.join(os.environ["TEST_TMP"], "py_python_package")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    # pip builds in the source folder it is given: give it a copy
    src = os.path.join(tmp, "python")
    shutil.copytree(os.path.join(top, "python"), src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = os.path.join(tmp, "venv")
    py = os.path.join(venv, "bin", "python")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    r = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], capture_output=True, text=True)
    if r.returncode == 0:
        r = subprocess.run([py, "-m", "pip", "install", "--no-index", "--no-build-isolation", src],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, ("pip install --no-index --no-build-isolation ./python", r.stdout[-2000:], r.stderr[-2000:])
        site = None
    else:  # no python3-venv: a target folder instead
        print(f"no venv ({r.stderr.strip()[-200:]}): pip install --target")
        site = os.path.join(tmp, "site")
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--no-build-isolation",
                            "--target", site, src], capture_output=True, text=True, env=env)
        assert r.returncode == 0, ("pip install --target", r.stdout[-2000:], r.stderr[-2000:])
        py = sys.executable
    print("ok   pip installed ./python" + (f" into {site}" if site else " into a venv"))

    rvcidx = os.environ["RVCIDX"]
    subprocess.run([rvcidx, "demo", "-o", os.path.join(tmp, "data"), "--speakers", "2", "--minutes", "0.5", "--quiet"],
                   check=True)
    child_env = {**env, "RVCIDX_LIBRARY": os.environ["RVCIDX_LIB"], "PKG_TMP": tmp}
    if site:
        child_env["PYTHONPATH"] = site
    # run from tmp, so that `import rvcidx` cannot find the source tree's package
    r = subprocess.run([py, os.path.abspath(__file__), "--inside"], cwd=tmp, env=child_env)
    sys.exit(r.returncode)


def inside():
    """In the venv: the installed package against the build tree's library."""
    import rvcidx
    tmp = os.environ["PKG_TMP"]
    cli = os.environ["RVCIDX"]
    P = lambda *a: os.path.join(tmp, *a)
    assert not rvcidx.__file__.startswith(os.path.join(top, "python") + os.sep), f"imported the source tree's package: {rvcidx.__file__}"
    assert rvcidx.library_path() == os.environ["RVCIDX_LIB"], rvcidx.library_path()
    cli_version = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    assert rvcidx.version() == cli_version, (rvcidx.version(), cli_version)
    print(f"ok   rvcidx {rvcidx.version()} from {rvcidx.__file__}, library {rvcidx.library_path()}")

    # --- the build, byte-identical to the command's ---------------------------
    reports = []
    result = rvcidx.build([P("data")], P("out1"), threads=1, eval_queries=200, check_fit=True,
                          progress=lambda stage, done, total: reports.append((stage, done, total)))
    r = subprocess.run([cli, "build", "-o", P("out2"), P("data"), "--threads", "1", "--eval-queries", "200",
                        "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout[-1500:], r.stderr[-1500:])
    names = [os.path.basename(p) for p in glob.glob(P("out1", "added_*.index"))]
    assert len(names) == 1 and os.path.exists(P("out2", names[0])), (names, os.listdir(P("out2")))
    differ = [n for n in names + ["centroids.h5", "store.h5", "report.json", "manifest.json"]
              if open(P("out1", n), "rb").read() != open(P("out2", n), "rb").read()]
    assert not differ, f"rvcidx.build and rvcidx build wrote different {differ}"
    print(f"ok   byte-identical to rvcidx build: {names[0]} centroids.h5 store.h5 report.json manifest.json")

    # --- the returned dict: the index path, recall figures --------------------
    print("     result: " + json.dumps(result)[:600])
    assert isinstance(result, dict) and len(result["indexes"]) == 1 and result["unchanged"] is False, result
    ix = result["indexes"][0]
    assert ix["index_path"] == P("out1", names[0]) and os.path.exists(ix["index_path"]), ix["index_path"]
    recall = ix["recall"]
    manifest = json.load(open(P("out1", "manifest.json")))
    assert recall["recall_k"] == manifest["indexes"][0]["recall"]["recall_k"] >= 0.95, (recall, manifest["indexes"][0]["recall"])
    assert 0 < recall["recall_1"] <= 1 and recall["k"] == 8 and recall["nprobe"] == ix["nprobe"], recall
    assert result["manifest_path"] == P("out1", "manifest.json"), result["manifest_path"]
    print(f"ok   result dict: index {ix['index_path']}, nprobe {ix['nprobe']}, "
          f"8-recall@8 {recall['recall_k']}, 1-recall@1 {recall['recall_1']}")
    assert reports and all(isinstance(s, str) and s for s, _, _ in reports), reports[:5]
    assert all(total == 0 or done <= total for _, done, total in reports), [x for x in reports if x[2] and x[1] > x[2]][:5]
    print(f"ok   progress: {len(reports)} reports, stages {sorted({s for s, _, _ in reports})}")

    # --- errors -----------------------------------------------------------------
    for params, name in [({"nlist": "lots"}, "nlist"), ({"target_recall": 2}, "target_recall"),
                         ({"bogus_option": True}, "bogus_option")]:
        try:
            rvcidx.build([P("data")], P("bad"), **params)
            raise AssertionError(f"{params}: no exception")
        except rvcidx.BadParameter as e:
            assert e.exit_code == 2 and e.status < 0 and isinstance(e, ValueError), (e.exit_code, e.status)
            assert name in e.message or name.replace("_", "-") in e.message, e.message
            print(f"ok   {params}: BadParameter, exit 2: {e.message}")
    # a check between parameters does not depend on the order they were set in
    for order in ([("index", "ivfpq4fs"), ("for", "applio-realtime")], [("for", "applio-realtime"), ("index", "ivfpq4fs")],
                  [("k", 8), ("for", "w-okada")], [("for", "w-okada"), ("k", 8)]):
        try:
            rvcidx.build([P("data")], P("crossed"), **dict(order))
            raise AssertionError(f"{order}: no exception")
        except rvcidx.BadParameter as e:
            assert e.exit_code == 2 and "for" in e.message and order[0][0] in e.message, e.message
            assert not os.path.exists(P("crossed")), order
            print(f"ok   {order}: BadParameter, exit 2: {e.message}")
    # exceptions by the library's status, not the exit code: ENOMEM and ETOOBIG share exit 8
    lib = rvcidx._lib.load()
    for status, cls in [(-4, rvcidx.OutOfMemory), (-12, rvcidx.TooBig), (-3, rvcidx.IOFailure), (-6, rvcidx.IOFailure),
                        (-5, rvcidx.FaissError), (-9, rvcidx.Interrupted)]:
        e = rvcidx._error(lib, status, message="x")
        assert type(e) is cls and e.status == status and e.exit_code == lib.rvcidx_exit_code(status), (status, e)
    assert isinstance(rvcidx._error(lib, -4, message="x"), MemoryError)
    names = {lib.rvcidx_err_name(s).decode() for s in range(-13, 0)}
    assert names == set(rvcidx.errors.BY_STATUS), names ^ set(rvcidx.errors.BY_STATUS)
    print("ok   exceptions by status: ENOMEM -> OutOfMemory, ETOOBIG -> TooBig (both exit 8); every status has its class")
    # the parameter table, as rvcidx.parameters() and help() show it
    table = rvcidx.parameters()
    by_name = {r["name"]: r for r in table}
    assert by_name["nlist"]["flag"] == "--nlist" and by_name["nlist"]["default"] == "auto", by_name["nlist"]
    assert by_name["gpu"]["group"] == "run" and by_name["gpu"]["choices"] == ["auto", "on", "off"], by_name["gpu"]
    assert by_name["k"]["min"] == 1 and by_name["k"]["max"] == 1024, by_name["k"]
    assert "max_vectors" in rvcidx.build.__doc__ and "--max-vectors" in rvcidx.build.__doc__
    print(f"ok   rvcidx.parameters(): {len(table)} rows, shown by help(rvcidx.build)")
    try:
        rvcidx.build([P("data", "no-such-model")], P("missing"))
        raise AssertionError("a missing source: no exception")
    except rvcidx.BadInput as e:
        assert e.exit_code == 3 and isinstance(e, rvcidx.Error), e.exit_code
        assert "no-such-model" in e.message, e.message
        print(f"ok   missing source: BadInput, exit 3: {e.message}")

    class Stop(Exception):
        pass

    def stop(stage, done, total):
        raise Stop(stage)
    try:
        rvcidx.build([P("data")], P("stopped"), threads=1, progress=stop)
        raise AssertionError("a raising progress callback did not stop the build")
    except Stop as e:
        print(f"ok   a progress callback that raised stopped the build at stage {e}")
    assert not glob.glob(P("stopped", "added_*.index")) and not os.path.exists(P("stopped", "manifest.json"))
    print("python package: all passed")


if __name__ == "__main__":
    inside() if sys.argv[1:] == ["--inside"] else outer()
