#!/usr/bin/env bash
# Make real ZFS usable on this machine (Debian, root, no ZFS kernel module): install the
# userspace zfs-fuse if `zfs` is missing, start its daemon if `zpool list` fails, wait for it.
# Idempotent. Prints one line saying what it did.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

PIDFILE=${ZFS_FUSE_PIDFILE:-/run/zfs-fuse.pid}
TIMEOUT=${ZFS_UP_TIMEOUT:-20}   # seconds to wait for the daemon
did=()

die() { echo "zfs-up: $*" >&2; exit 1; }
need_root() { [[ $(id -u) == 0 ]] || die "must run as root to $1"; }

if ! command -v zfs >/dev/null || ! command -v zfs-fuse >/dev/null; then
  need_root "install zfs-fuse"
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zfs-fuse; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    die "installing zfs-fuse with apt-get failed (output above)"
  fi
  rm -f "$log"
  did+=("installed zfs-fuse")
fi

if zpool list >/dev/null 2>&1; then
  [[ ${#did[@]} -gt 0 ]] || did+=("zfs already available")
else
  need_root "start zfs-fuse"
  start_daemon() {
    [[ -e /dev/fuse ]] || die "/dev/fuse is missing: zfs-fuse cannot run here"
    rm -f "$PIDFILE"
    # The daemon outlives us: close every fd it would inherit (a caller's pipe kept open by it
    # would make whoever reads that pipe wait forever).
    ( for f in /proc/$BASHPID/fd/*; do
        n=${f##*/}; if (( n > 2 )); then eval "exec $n>&-"; fi
      done
      exec zfs-fuse --no-kstat-mount -p "$PIDFILE" </dev/null >/dev/null ) ||
      die "zfs-fuse failed to start (another zfs-fuse holding /var/lock/zfs/zfs_lock?)"
    did+=("started zfs-fuse (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))")
  }
  alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null && [[ $(cat "/proc/$1/comm" 2>/dev/null) == zfs-fuse ]]; }
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  if alive "$pid"; then
    did+=("zfs-fuse already running (pid $pid)")
  else
    start_daemon
  fi
  start=$SECONDS
  restarted=0
  until err=$(zpool list 2>&1 >/dev/null); do
    (( SECONDS - start < TIMEOUT )) || die "zfs-fuse did not answer 'zpool list' within ${TIMEOUT}s: $err"
    # A daemon that was shutting down when we looked: start a new one once it is gone.
    if (( ! restarted )) && ! alive "$(cat "$PIDFILE" 2>/dev/null || true)"; then
      restarted=1
      start_daemon
    fi
    sleep 0.3
  done
  did+=("zpool list ok after $((SECONDS - start))s")
fi

msg=${did[0]}
for d in "${did[@]:1}"; do msg+="; $d"; done
echo "zfs-up: $msg"
