#!/usr/bin/env bash
# A newcomer's first ten minutes, on a fresh Debian machine: `make run` opens the window and
# `make test` passes. Run by hand, as root, on a Debian host (not by `make test`):
#
#   tests/fresh_machine.sh [--worktree] [--no-test] [--keep] [OUT]
#
# It debootstraps a minimal Debian bookworm (python3, make, git; no python3-venv, no Qt
# display libraries, no bubblewrap, no fonts, no X) into a folder, clones the repository into it (HEAD; with
# --worktree, the working tree as it is), and in a chroot, as root, runs
#   1. `make run` on a display (Xvfb, started on the host and shared into the chroot):
#      the Makefile must install python3-venv, bubblewrap and the Qt libraries with apt;
#      the window is waited for by its title and the screen saved as OUT/fresh-run.png;
#   2. `make test`.
# OUT (default /var/tmp/kaizen-fresh/out) gets the screenshot and the logs. The base system
# is cached in /var/tmp/kaizen-fresh/base (delete it to start from the mirror again); each
# run works on a fresh copy of it. Needs: debootstrap, xvfb, imagemagick, x11-utils (installed
# here with apt when missing), network access to Debian's mirror and PyPI.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KAIZEN_FRESH_CACHE:-/var/tmp/kaizen-fresh}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORKTREE=0 TEST=1 KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --worktree) WORKTREE=1 ;;
    --no-test) TEST=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) break ;;
  esac
  shift
done
OUT=$(mkdir -p "${1:-$CACHE/out}" && cd "${1:-$CACHE/out}" && pwd)
ROOTFS=$CACHE/root
say() { printf '\n== %s: %s\n' "$(date +%H:%M:%S)" "$*"; }

[ "$(id -u)" = 0 ] || { echo "run as root (debootstrap and chroot need it)" >&2; exit 2; }
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
command -v xwininfo >/dev/null || need+=(x11-utils)
if [ ${#need[@]} -gt 0 ]; then
  say "installing on the host: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ ! -e "$CACHE/base/.complete" ]; then
  say "debootstrap $SUITE (minbase + python3, make, git) into $CACHE/base"
  rm -rf "$CACHE/base"; mkdir -p "$CACHE"
  debootstrap --variant=minbase --include=python3,make,git,ca-certificates "$SUITE" "$CACHE/base" "$MIRROR"
  touch "$CACHE/base/.complete"
fi

XVFB_PID= MAKE_PID=
cleanup() {
  set +e
  [ -n "$MAKE_PID" ] && kill -- -"$MAKE_PID" 2>/dev/null
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  for m in tmp/.X11-unix dev/pts dev sys proc ""; do
    mountpoint -q "$ROOTFS/$m" && umount -l "$ROOTFS/$m"
  done
  # Never delete through a mount that is still there (the host's /dev, say).
  if [ "$KEEP" != 1 ] && ! grep -q " $ROOTFS" /proc/mounts; then rm -rf "$ROOTFS"; fi
}
trap cleanup EXIT

say "a fresh copy of the base system in $ROOTFS"
rm -rf "$ROOTFS"
cp -a "$CACHE/base" "$ROOTFS"
in_root() { chroot "$ROOTFS" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# A base cached by an older version of this script may hold these: a newcomer's machine does not.
in_root dpkg --purge python3-venv python3.11-venv >/dev/null 2>&1 || true
for pkg in python3-venv libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libegl1 libfontconfig1 bubblewrap xvfb; do
  if in_root dpkg -s "$pkg" >/dev/null 2>&1; then echo "$pkg is already in the fresh system" >&2; exit 1; fi
done
echo "not installed: python3-venv, bubblewrap, the Qt display libraries (libxcb-icccm4, libxcb-keysyms1, ...)"

# The root is a mount point, as on a real machine (bubblewrap, which validation runs tests
# in, makes / a slave mount and fails on a chroot that is only a folder).
mount --bind "$ROOTFS" "$ROOTFS"
mount -t proc proc "$ROOTFS/proc"
mount --rbind /sys "$ROOTFS/sys"
mount --rbind /dev "$ROOTFS/dev"
mkdir -p "$ROOTFS/tmp/.X11-unix" /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix
mount --bind /tmp/.X11-unix "$ROOTFS/tmp/.X11-unix"
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# What this network needs of any machine on it: the host's own certificate authorities (an
# intercepting proxy's, say) and its system-wide pip settings. Nothing of the project's.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
  in_root update-ca-certificates >/dev/null 2>&1
fi
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$ROOTFS/etc/pip.conf"

if [ "$WORKTREE" = 1 ]; then
  say "copying the working tree of $REPO"
  mkdir -p "$ROOTFS/root/kaizen"
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) \
    | tar -xf - -C "$ROOTFS/root/kaizen"
else
  say "cloning $REPO at $(git -C "$REPO" rev-parse --short HEAD)"
  git clone -q --no-local "$REPO" "$ROOTFS/root/kaizen"
fi

for n in $(seq 90 130); do [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break; done
DISPLAY_NUM=:$n
Xvfb "$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done

say "make run (as root, DISPLAY=$DISPLAY_NUM); log in $OUT/fresh-run.log"
start=$(date +%s)
setsid chroot "$ROOTFS" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 DISPLAY="$DISPLAY_NUM" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  make -C /root/kaizen run >"$OUT/fresh-run.log" 2>&1 &
MAKE_PID=$!
opened=0
for _ in $(seq 1200); do  # up to 20 min: the installs download Qt
  if xwininfo -display "$DISPLAY_NUM" -root -tree 2>/dev/null | grep -q '"Kaizen'; then opened=1; break; fi
  kill -0 "$MAKE_PID" 2>/dev/null || break
  sleep 1
done
if [ "$opened" = 1 ]; then
  echo "the window opened after $(($(date +%s) - start)) s"
  # Let the first scan and the validation of the top suggestions finish before the picture.
  sleep "${KAIZEN_FRESH_SETTLE:-45}"
  import -display "$DISPLAY_NUM" -window root "$OUT/fresh-run.png"
  echo "screenshot: $OUT/fresh-run.png"
  xwininfo -display "$DISPLAY_NUM" -root -tree | grep '"Kaizen' | head -3
fi
alive=0; kill -0 "$MAKE_PID" 2>/dev/null && alive=1
kill -- -"$MAKE_PID" 2>/dev/null || true
wait "$MAKE_PID" 2>/dev/null || true
MAKE_PID=
if [ "$opened" != 1 ] || [ "$alive" != 1 ]; then
  echo "make run did not open the window (or it closed): see $OUT/fresh-run.log" >&2
  tail -20 "$OUT/fresh-run.log" >&2
  exit 1
fi
echo "installed by make as it ran:"
grep -E "^(Qt cannot load|.* has no venv|bubblewrap is missing)" "$OUT/fresh-run.log" | cut -c1-200 || true

result=0
if [ "$TEST" = 1 ]; then
  say "make test (as root); log in $OUT/fresh-test.log"
  start=$(date +%s)
  in_root make -C /root/kaizen test >"$OUT/fresh-test.log" 2>&1 || result=$?
  echo "make test exited $result after $(($(date +%s) - start)) s:"
  tail -3 "$OUT/fresh-test.log"
fi
if [ "$result" = 0 ]; then
  say "fresh machine: make run opened the window$([ "$TEST" = 1 ] && echo "; make test passed")"
fi
exit "$result"
