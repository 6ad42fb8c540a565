#!/usr/bin/env bash
# tests/wheel/run.sh — the pip wheel, installed as a user would: built from a
# clean clone of HEAD by `scripts/build-wheel.sh --root bullseye` (the
# release wheel: manylinux_2_31, cached by its inputs), then installed by a
# non-root user into a fresh venv inside two other Debian releases' root
# filesystems, made with debootstrap (no compiler, no build tree, no Debian
# package of faiss, HDF5 or BLAS): trixie (glibc 2.41, Python 3.13) and
# bullseye (glibc 2.31, the oldest the wheel claims; Python 3.9). In each:
# `rvcidx --version`, `rvcidx demo`, `rvcidx build`, the Python API
# (rvcidx.build on paths, without numpy installed), the index loaded and
# searched under faiss-cpu from PyPI (trixie: 1.15.1 with numpy 2.3.5, RVC
# main's pins; bullseye: 1.7.3 with numpy 1.23.5, RVC 20240604's), then
# rvcidx.build on numpy arrays (the same index as from the paths).
#
# Caches under ~/.cache/rvcidx (RVCIDX_CACHE_DIR moves it): the wheel (by
# the hash of the tracked files it is built from), the build root, the two
# install roots (made once, copied per run) and the PyPI wheels installed.
# Skips, saying why, in the sanitized pass (the wheel is one Release build),
# without root (debootstrap and chroot need it), or without debootstrap or
# network on first use (not under CI=true, where those are failures).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
T=${TEST_TMP:-/tmp}/wheel top_T=${TEST_TMP:-/tmp}/wheel
cache="${RVCIDX_CACHE_DIR:-$HOME/.cache/rvcidx}"
fail() { echo "FAIL: $*"; exit 1; }
skip() { [[ "${CI:-}" == "true" ]] && fail "$* (a failure under CI)"; echo "SKIP: $*"; exit 77; }
[[ "${RVCIDX_SANITIZED:-0}" == "1" ]] && { echo "SKIP: the wheel is one Release build, tested in the plain pass"; exit 77; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: debootstrap and chroot need root"; exit 77; }
command -v debootstrap >/dev/null || skip "no debootstrap (scripts/install-deps.sh installs it)"

unmount_under() { awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null; }
unmount_under "$T"
rm -rf "$T"
mkdir -p "$T"
trap 'unmount_under "$top_T"' EXIT

# --- the wheel, from a clean clone of HEAD, cached by what it is built from
key=$(cd "$top" && git ls-tree -r HEAD -- CMakeLists.txt cmake include src cuda python patches \
        scripts/bootstrap.sh scripts/build-faiss.sh scripts/install-deps.sh scripts/build-wheel.sh |
      sha256sum | cut -c1-16)
wheels="$cache/wheels/bullseye-$key"
if ! ls "$wheels"/rvcidx-*.whl >/dev/null 2>&1; then
  git clone -q "$top" "$T/src" || fail "git clone"
  bash "$T/src/scripts/build-wheel.sh" --root bullseye --out "$T/dist" > "$T/wheel.log" 2>&1 ||
    fail "build-wheel.sh: $(tail -5 "$T/wheel.log")"
  mkdir -p "$cache/wheels"
  rm -rf "$wheels.tmp.$$" && mkdir -p "$wheels.tmp.$$" && cp "$T"/dist/rvcidx-*.whl "$wheels.tmp.$$/" &&
    rm -rf "$wheels" && mv "$wheels.tmp.$$" "$wheels" || fail "caching the wheel in $wheels"
  rm -rf "$T/src" "$T/build-wheel"
fi
wheel=$(ls "$wheels"/rvcidx-*.whl | head -1)
name=$(basename "$wheel")
[[ "$name" =~ ^rvcidx-[0-9.]+-py3-none-manylinux_2_31_x86_64\.whl$ ]] || fail "wheel name $name is not manylinux_2_31's"
echo "wheel: $name, $(stat -c %s "$wheel" | awk '{printf "%.1f MiB", $1 / 1048576}')"
# everything is inside: the command, the library, faiss and its BLAS, HDF5
listing=$(/usr/bin/python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$wheel")
for want in 'rvcidx/_native/bin/rvcidx' 'rvcidx/_native/lib/librvcidx\.so' 'rvcidx\.libs/libfaiss-' \
            'rvcidx\.libs/libfaiss_c-' 'rvcidx\.libs/libhdf5_serial-' 'rvcidx\.libs/libopenblas' \
            'rvcidx\.libs/libgomp-' 'rvcidx\.libs/libjansson-' 'rvcidx\.libs/libcrypto-' 'entry_points\.txt'; do
  grep -qE "^$want|/$want" <<<"$listing" || fail "the wheel lacks $want"
done

# --- in another Debian release's root filesystem, made once: install and use
in_suite() {
  local suite=$1 py_pins=$2
  T=$top_T/$suite
  mkdir -p "$T"
root_cache="$cache/roots/$suite-minbase-python3"
if [[ ! -x "$root_cache/usr/bin/python3" ]]; then
  mkdir -p "$cache/roots"
  rm -rf "$root_cache.tmp"
  echo "debootstrap: $suite (minbase, python3, python3-venv) into $root_cache"
  if ! debootstrap --variant=minbase --include=python3,python3-venv "$suite" "$root_cache.tmp" \
       http://deb.debian.org/debian > "$T/debootstrap.log" 2>&1; then
    rm -rf "$root_cache.tmp"
    skip "debootstrap $suite failed (no network to deb.debian.org?): $(tail -2 "$T/debootstrap.log" | tr '\n' ' ')"
  fi
  mv "$root_cache.tmp" "$root_cache"
fi
root="$T/root"
cp -a "$root_cache" "$root" || fail "copying $root_cache"
for tool in cc gcc c++ g++ cmake; do
  [[ -e "$root/usr/bin/$tool" ]] && fail "the $suite root has $tool: it must hold no compiler"
done
mount --bind /proc "$root/proc" && mount --bind /dev "$root/dev" || fail "bind-mounting /proc and /dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
uid=4321
mkdir -p "$root/home/user" "$root/wheelhouse"
cp "$wheel" "$root/wheelhouse/"
chown -R $uid:$uid "$root/home/user"

# PyPI's wheels for the check, for the root's Python, downloaded once on this
# machine (its pip has the network's certificates) into the cache
pyver=$(chroot "$root" /usr/bin/python3 -c 'import sys; print("%d%d" % sys.version_info[:2])') || fail "python3 in the $suite root"
pypi="$cache/wheels/pypi-cp$pyver-$(echo "$py_pins" | sha256sum | cut -c1-8)"
if [[ ! -f "$pypi/.complete" ]]; then
  plats=()
  for n in 17 27 28 31 34; do plats+=(--platform "manylinux_2_${n}_x86_64"); done
  rm -rf "$pypi" && mkdir -p "$pypi"
  /usr/bin/python3 -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
    --python-version "$pyver" --implementation cp --abi "cp$pyver" "${plats[@]}" -d "$pypi" $py_pins > "$T/dl.log" 2>&1 ||
    skip "pip download $py_pins for cp$pyver failed: $(tail -2 "$T/dl.log" | tr '\n' ' ')"
  touch "$pypi/.complete"
fi
cp "$pypi"/*.whl "$root/wheelhouse/"

# --- as the user, in the other root: install and use
chroot_bin=$(command -v chroot) || fail "no chroot command"
as_user() {
  env -i HOME=/home/user PATH=/home/user/v/bin:/usr/bin:/bin LANG=C.UTF-8 \
    "$chroot_bin" --userspec=$uid:$uid "$root" "$@"
}
as_user /bin/sh -c 'cd /home/user && python3 -m venv v' > "$T/venv.log" 2>&1 || fail "venv: $(tail -3 "$T/venv.log")"
as_user /home/user/v/bin/pip install --quiet --disable-pip-version-check --no-index --find-links /wheelhouse \
  "/wheelhouse/$name" > "$T/install.log" 2>&1 || fail "pip install $name: $(tail -3 "$T/install.log")"
as_user /bin/sh -c 'cd /home/user && python3 -c "import numpy"' 2>/dev/null && fail "numpy got installed with the wheel"
as_user rvcidx --version > "$T/version.txt" 2>&1 || fail "rvcidx --version: $(cat "$T/version.txt")"
head -1 "$T/version.txt"
as_user rvcidx demo -q --no-progress -o /home/user/data --speakers 3 --minutes 0.4 || fail "rvcidx demo"
as_user rvcidx build --no-progress -o /home/user/out /home/user/data > "$T/build.txt" 2>&1 ||
  fail "rvcidx build: $(tail -3 "$T/build.txt")"
grep -E '^(index|8-recall)' "$T/build.txt" | head -3
as_user /home/user/v/bin/python - > "$T/api.txt" 2>&1 <<'EOF' || fail "the Python API: $(tail -5 "$T/api.txt")"
import os, rvcidx
assert "/home/user/v/" in rvcidx.library_path(), rvcidx.library_path()
seen = []
result = rvcidx.build(["/home/user/data"], "/home/user/out-api", progress=lambda stage, done, total: seen.append(stage))
ix = result["indexes"][0]
assert os.path.exists(ix["index_path"]) and seen, (ix, seen)
try:
    rvcidx.build(["/home/user/nothing-here"], "/home/user/out-bad")
    raise SystemExit("a missing source did not raise")
except rvcidx.BadInput as e:
    assert "nothing-here" in str(e), str(e)
print("python api:", rvcidx.version(), os.path.basename(ix["index_path"]), "nprobe", ix["nprobe"], len(set(seen)), "stages")
EOF
cat "$T/api.txt"
as_user /home/user/v/bin/pip install --quiet --disable-pip-version-check --no-index --find-links /wheelhouse \
  $py_pins > "$T/faiss.log" 2>&1 || fail "pip install $py_pins: $(tail -3 "$T/faiss.log")"
as_user /home/user/v/bin/python - > "$T/load.txt" 2>&1 <<'EOF' || fail "loading under faiss-cpu: $(tail -5 "$T/load.txt")"
import glob, faiss, numpy as np
for out in ("/home/user/out", "/home/user/out-api"):
    path, = glob.glob(out + "/added_*.index")
    index = faiss.read_index(path)
    x = index.reconstruct_n(0, index.ntotal)
    assert x.shape == (index.ntotal, 768) and np.isfinite(x).all(), x.shape
    _, ids = index.search(x[:64], 8)
    hit = float((ids[:, 0] == np.arange(64)).mean())
    assert hit > 0.9, hit
    print(f"faiss-cpu {faiss.__version__}: {path.split('/')[-1]} ntotal {index.ntotal}, self-hit {hit:.2f}")
EOF
cat "$T/load.txt"
# the array path, now that numpy is there: the same index as from the paths
as_user /home/user/v/bin/python - > "$T/arrays.txt" 2>&1 <<'EOF' || fail "the Python API on arrays: $(tail -5 "$T/arrays.txt")"
import filecmp, glob, os, numpy as np, rvcidx
data = "/home/user/data"
arrays = {s: np.concatenate([np.load(f) for f in sorted(glob.glob(f"{data}/{s}/3_feature768/*.npy"))])
          for s in sorted(os.listdir(data))}
ix = rvcidx.build(arrays, "/home/user/out-arrays", name="data")["indexes"][0]["index_path"]
by_path, = glob.glob("/home/user/out/added_*.index")
assert os.path.basename(ix) == os.path.basename(by_path) and filecmp.cmp(ix, by_path, shallow=False), (ix, by_path)
print(f"python api on arrays ({', '.join(f'{s} {a.shape}' for s, a in arrays.items())}): {os.path.basename(ix)} "
      "byte-identical to the build from paths")
EOF
cat "$T/arrays.txt"
echo "PASS in $suite: the wheel installed and ran as a non-root user"
}

in_suite trixie "faiss-cpu==1.15.1 numpy==2.3.5"
in_suite bullseye "faiss-cpu==1.7.3 numpy==1.23.5"
echo "PASS: the wheel installed and ran as a non-root user in trixie and bullseye"
