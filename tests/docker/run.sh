#!/usr/bin/env bash
# tests/docker/run.sh — the CPU image, built from this checkout and used as a
# user would: `--version`, the example build and `verify` inside it with
# --network none as a non-root user, files in the mounted folder owned by
# that user, the index byte-identical to the host build of the same inputs,
# and the image under 250 MB.
#
# Uses a running Docker engine, or starts one (overlay2 storage, vfs where
# overlay mounts are refused; no bridge, no iptables: containers get no
# private-range address) with its data in the test's scratch folder, and
# stops it by PID at the end; the folder goes with the test (vfs copies every
# layer whole: gigabytes CI's disk must not keep). The base image
# debian:bookworm is debootstrapped from this machine's Debian mirror once,
# kept as a tarball under ~/.cache/rvcidx/docker, and imported when absent
# (no registry needed). On an engine it did not start, the test removes the
# image it built and the builder's untagged images when done. Installs docker.io and
# debootstrap with apt-get when missing (root). Skips, saying why, only
# where an engine cannot start; under CI=true that is a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${RVCIDX:?set RVCIDX to the host rvcidx binary}"
T=${TEST_TMP:-/tmp}/docker
cache="${RVCIDX_CACHE_DIR:-$HOME/.cache/rvcidx}/docker"
image=rvcidx:cpu-test
limit_mb=250
if [[ "${RVCIDX_SANITIZED:-0}" == "1" ]]; then
  echo "SKIP: the image is built and run once, in the plain pass (this is the sanitizer pass)"; exit 77
fi
# an engine this test started mounts a network namespace under its exec root
unmount_under() { awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null; }
unmount_under "$T"
rm -rf "$T"
mkdir -p "$T" "$cache"

skip() {
  if [[ "${CI:-}" == "true" ]]; then echo "FAIL (CI): $*"; exit 1; fi
  echo "SKIP: $*"; exit 77
}
fail() { echo "FAIL: $*"; exit 1; }

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  [[ $(id -u) -eq 0 ]] || skip "no dockerd/debootstrap and not root to install them"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io debootstrap \
    > "$T/apt.log" 2>&1 || skip "apt-get install docker.io debootstrap failed (see $T/apt.log)"
fi

engine_pid=""
stop_engine() {
  [[ -n "$engine_pid" ]] || return 0
  kill "$engine_pid" 2>/dev/null
  for _ in $(seq 1 30); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 1; done
  kill -9 "$engine_pid" 2>/dev/null
  wait "$engine_pid" 2>/dev/null
  unmount_under "$T/exec"
}
start_engine() { # DRIVER
  sock="$T/docker.sock"
  dockerd --storage-driver="$1" --bridge=none --iptables=false --ip-masq=false \
    --data-root "$T/engine-$1" --exec-root "$T/exec" --pidfile "$T/dockerd.pid" \
    -H "unix://$sock" > "$T/dockerd-$1.log" 2>&1 &
  engine_pid=$!
  export DOCKER_HOST="unix://$sock"
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; kill -0 "$engine_pid" 2>/dev/null || break; sleep 1; done
  stop_engine; engine_pid=""
  return 1
}
own_engine=0
if ! docker info >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || skip "no Docker engine running and not root to start one"
  start_engine overlay2 || start_engine vfs ||
    skip "the Docker engine did not start: $(tail -2 "$T/dockerd-vfs.log")"
  own_engine=1
  echo "docker: started an engine ($(docker info -f '{{.Driver}}') storage) with its data under $T"
fi
cleanup() {
  if [[ $own_engine -eq 0 ]]; then
    docker rmi -f "$image" >/dev/null 2>&1
    docker image prune -f --filter label=org.opencontainers.image.title=rvcidx >/dev/null 2>&1
  fi
  stop_engine
}
trap cleanup EXIT

base_tar="$cache/debian-bookworm-minbase.tar"
if ! docker image inspect debian:bookworm >/dev/null 2>&1; then
  if [[ ! -s "$base_tar" ]]; then
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1 | awk '{print $1}')
    [[ -n "$mirror" ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    [[ -n "$mirror" ]] || fail "no Debian mirror in /etc/apt to debootstrap from"
    echo "docker: debootstrap bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$T/rootfs" "$mirror" > "$T/debootstrap.log" 2>&1 ||
      fail "debootstrap failed: $(tail -2 "$T/debootstrap.log")"
    # what debootstrap keeps that an image does not need (apt fetches lists again)
    rm -rf "$T"/rootfs/var/cache/apt/* "$T"/rootfs/var/lib/apt/lists/* "$T"/rootfs/usr/share/{doc,man,locale}/*
    tar -C "$T/rootfs" -cf "$base_tar.tmp.$$" . && mv "$base_tar.tmp.$$" "$base_tar" || fail "could not write $base_tar"
    rm -rf "$T/rootfs"
  fi
  docker import - debian:bookworm < "$base_tar" > /dev/null || fail "docker import of $base_tar failed"
fi

start=$(date +%s)
docker build --network host -f "$top/docker/cpu.Dockerfile" -t "$image" "$top" > "$T/build.log" 2>&1 ||
  fail "docker build: $(tail -5 "$T/build.log")"
size=$(docker image inspect -f '{{.Size}}' "$image")
echo "docker: built $image in $(( $(date +%s) - start )) s: $(( size / 1000000 )) MB (limit $limit_mb MB)"
(( size <= limit_mb * 1000000 )) || fail "the image is $(( size / 1000000 )) MB, over $limit_mb MB"

# A user who is not root, as on a cluster: uid/gid 4321 owns the folder.
[[ $(id -u) -eq 0 ]] || skip "giving the data folder to another uid needs root"
mkdir -p "$T/data" && chown 4321:4321 "$T/data"
run() { docker run --rm --network none --user 4321:4321 -v "$T/data:/data" "$image" "$@"; }
run --version > "$T/version.txt" 2>&1 || fail "--version: $(cat "$T/version.txt")"
grep -q "^rvcidx" "$T/version.txt" || fail "--version printed: $(head -2 "$T/version.txt")"
run demo -q --no-progress -o /data/example --speakers 2 --minutes 1 || fail "demo in the container"
run build -q --no-progress -o /data/out /data/example > "$T/build-run.log" 2>&1 ||
  fail "build in the container: $(tail -3 "$T/build-run.log")"
run verify /data/out > "$T/verify.log" 2>&1 || fail "verify in the container: $(tail -3 "$T/verify.log")"
foreign=$(find "$T/data" ! -uid 4321 | head -3)
[[ -z "$foreign" ]] || fail "files not owned by the calling user: $foreign"

"$RVCIDX" build -q --no-progress -o "$T/host" "$T/data/example" > "$T/host.log" 2>&1 || fail "host build: $(tail -3 "$T/host.log")"
for f in store.h5 centroids.h5 "$(cd "$T/host" && ls added_*.index)"; do
  cmp -s "$T/host/$f" "$T/data/out/$f" || fail "$f differs between the container and the host build"
done
echo "docker: --version, demo, build, verify ran as uid 4321 with --network none; store, centroids and index byte-identical to the host build"

exit 0
