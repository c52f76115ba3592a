#!/usr/bin/env bash
# `npm run demo`: zfsync end to end on real ZFS (zfs-fuse), as root. Makes two throwaway pools,
# sample datasets and data, a spec; then plan, apply, and a final plan that must say "No changes".
# Cleans up on exit unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$PATH:/usr/sbin:/sbin"

hdr() { printf '\n==== %s\n' "$*"; }
zfsync() { printf '$ zfsync %s\n' "$*"; node "$ROOT/bin/zfsync.js" "$@"; }
retry() { local i; for i in 1 2 3 4 5 6 7 8 9; do "$@" 2>/dev/null && return 0; sleep 0.3; done; "$@"; }
mp() { zfs get -H -o value mountpoint "$1"; }

bash scripts/zfs-up.sh
[[ -f dist/cli/main.js ]] || { echo "demo: dist/cli/main.js is missing: run 'npm ci' (or 'npm run build') first" >&2; exit 1; }

# One zfs-fuse user at a time: concurrent pool creation can wedge it (same lock as the tests).
exec 9>"${ZFSYNC_ZFS_LOCK:-${TMPDIR:-/tmp}/zfsync-zfs-tests.lock}"
flock -w 900 9 || { echo "demo: another zfs test or demo holds the lock" >&2; exit 1; }

rand=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
SRC=demosrc$rand DST=demodst$rand
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zfsync-demo.XXXXXX")
SPEC=$TMP/zfsync.yaml

cleanup() {
  local rc=$?
  trap '' INT TERM # finish cleaning up even if interrupted again
  if [[ ${KEEP:-} == 1 ]]; then
    echo "KEEP=1: kept pools $SRC and $DST, spec and pool files in $TMP"
  else
    for p in "$SRC" "$DST"; do
      if zpool list "$p" >/dev/null 2>&1; then retry zpool destroy -f "$p" || echo "demo: could not destroy pool $p" >&2; fi
    done
    rm -rf "$TMP"
    # apply's lock files (they name their dataset on the first line) outlive it by design.
    for f in /run/lock/zfsync-*.lock /var/lock/zfsync-*.lock /tmp/zfsync-*.lock; do
      [[ -f $f ]] || continue
      case $(head -n 1 "$f") in "dataset=$SRC"|"dataset=$SRC/"*|"dataset=$DST"|"dataset=$DST/"*) rm -f "$f" "${f%.lock}.info" ;; esac
    done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hdr "Pools $SRC and $DST on 1 GiB sparse files in $TMP"
for p in "$SRC" "$DST"; do
  truncate -s 1G "$TMP/$p.img"
  out=$(zpool create "$p" "$TMP/$p.img" 2>&1) || { echo "$out" >&2; exit 1; }
done
for ds in "$SRC/vm/vm1" "$SRC/vm/vm2" "$SRC/vm/scratch" "$SRC/home/alice files"; do zfs create -p "$ds"; done
head -c 3M /dev/urandom >"$(mp "$SRC/vm/vm1")/disk.img"
head -c 2M /dev/urandom >"$(mp "$SRC/vm/vm2")/disk.img"
head -c 4M /dev/urandom >"$(mp "$SRC/vm/scratch")/tmp.bin"
echo "hello from alice" >"$(mp "$SRC/home/alice files")/notes.txt"
zfs list -r -o name,used,mountpoint "$SRC"

cat >"$SPEC" <<EOF
version: 1
snapshots: { prefix: zfsync }
sources:
  vms: { host: local, datasets: ["$SRC/vm", "$SRC/home"], exclude: ["$SRC/vm/scratch"], snapshot_every: 1h }
targets:
  backup: { host: local, dataset: "$DST/replica", strip_path: 0 }
replicate:
  - { from: vms, to: backup }
EOF
hdr "Spec $SPEC"
cat "$SPEC"

hdr "Plan"
zfsync plan -c "$SPEC"

hdr "Apply"
zfsync apply -c "$SPEC" --auto-approve

hdr "Target after apply"
zfs list -t all -r -o name,used,readonly,mounted "$DST"

hdr "More data in the sources; no new snapshot is due within 1h, so the plan must be empty"
head -c 2M /dev/urandom >"$(mp "$SRC/vm/vm1")/disk2.img"
rc=0
zfsync plan -c "$SPEC" --detailed-exitcode | tee "$TMP/final-plan.txt" || rc=$?
if [[ $rc != 0 ]] || ! grep -q "No changes" "$TMP/final-plan.txt"; then
  echo "demo: FAILED: expected 'No changes' and exit 0 from the final plan, got exit $rc" >&2
  exit 1
fi
hdr "Demo OK"
