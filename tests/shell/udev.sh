#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
# Tiers: check (the rules, udevd and the misc class's events are the same
# on every kernel, and sysfs_test reads the module's attributes on each;
# under the debug kernel udevd's start and the replay of every device's
# events took 103 s on a busy machine)
#
# Description: udev: with the project's rules (udev/70-mmio_shm.rules) and
# group (udev/mmio_shm.sysusers.conf) in place, a real systemd-udevd gives
# /dev/mmio_shm group mmio_shm, mode 0660 and the link /dev/mmio_shm.d/0;
# then a member of the group can open and share the buffer, anyone else
# gets EACCES, and a read-only opener cannot get a writable shared mapping.
#
# The guest's /etc is not ours to change: systemd-sysusers --root fills a
# scratch copy of passwd/group, and every process that needs them (our
# udevd, the unprivileged users) bind-mounts the copies in a private
# mount namespace (unshare -m). A udevd already running is stopped for the
# test and started again at the end, and the node gets its owner and mode
# back. Without root, the tools or a mount namespace, every case skips.

. "$(dirname "$0")/tap.sh"

DEV=${MMIO_SHM_DEV:-/dev/mmio_shm}
NAME=$(basename "$DEV")
RULES=70-mmio_shm.rules
MEMBER=mmshm_member
OUTSIDER=mmshm_outsider
LINK=/dev/mmio_shm.d/0
CASES="node_gets_group_mmio_shm_mode_0660 link_by_index_points_at_node
member_opens_rdwr_and_maps_shared outsider_gets_eacces_on_open
read_only_opener_cannot_map_or_mprotect_writable"

T=""		# scratch: etc/ copies, rules.d/, cmd.log, udevd.log
UDEVD=""	# the systemd-udevd binary
ORIG=""		# owner, group and mode of the node before: restored
SYS_UDEVD=0	# a udevd ran before us: started again at the end
PID=""		# our udevd
GID=""		# mmio_shm in the scratch group file

# a command whose output only a failure's log needs
quiet() {
	"$@" >>"$T/cmd.log" 2>&1
}

# what the commands and our udevd said
dump_logs() {
	[ -n "$T" ] || return
	(cd "$T" && tail -n 20 cmd.log udevd.log 2>/dev/null)
}

# puts back what bring_up changed, as far as it got
cleanup() {
	local i

	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		for i in $(seq 100); do
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
		PID=""
	fi
	if [ -n "$ORIG" ]; then
		set -- $ORIG
		chown "$1:$2" "$DEV" && chmod "$3" "$DEV" ||
			echo "# udev: cannot restore $DEV"
		ORIG=""
	fi
	# the link udevd made lives on in devtmpfs
	rm -f "$LINK"
	rmdir /dev/mmio_shm.d 2>/dev/null
	if [ "$SYS_UDEVD" -eq 1 ]; then
		# as virtme-ng starts it
		"$UDEVD" --daemon --resolve-names=never >/dev/null 2>&1
		SYS_UDEVD=0
	fi
	[ -z "$T" ] || rm -rf "$T"
	T=""
}

# USER CMD...: CMD as USER, with the groups the scratch /etc/group gives
# it (as login would set them); 90+ when becoming USER fails
as_user() {
	unshare -m --propagation private sh -c '
		mount --bind "$T/etc/passwd" /etc/passwd &&
		mount --bind "$T/etc/group" /etc/group || exit 90
		u=$1
		shift
		g=$(id -g "$u") || exit 91
		exec setpriv --reuid="$u" --regid="$g" --init-groups "$@"' - "$@"
}

# Everything up to the node having been processed by our udevd. Sets
# $why when it cannot, and $skip when that is a missing privilege or
# device, not a failure (a missing tool that deps.sh installs fails).
bring_up() {
	local p i

	skip=1
	[ "$(id -u)" -eq 0 ] || { why="needs root"; return 1; }
	[ -e "$DEV" ] || { why="no device node"; return 1; }
	for p in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
		[ -x "$p" ] && UDEVD=$p
	done
	# tools that tests/provision/deps.sh installs: missing, they fail
	skip=0
	if [ -z "$UDEVD" ] || ! command -v udevadm >/dev/null ||
	   ! command -v systemd-sysusers >/dev/null; then
		why="needs systemd-udevd, udevadm and systemd-sysusers (packages udev, systemd: tests/provision/deps.sh)"
		return 1
	fi
	command -v setpriv >/dev/null || { why="needs setpriv (util-linux)"; return 1; }
	command -v python3 >/dev/null || { why="needs python3 (tests/provision/deps.sh)"; return 1; }
	[ -r "$TOP/udev/$RULES" ] ||
		{ why="cannot find the repository's udev/ (set MMIO_SHM_TOP)"; return 1; }
	# a container or chroot may forbid mount namespaces: outside the
	# project's reach, a skip
	if ! p=$(unshare -m --propagation private true 2>&1); then
		why="cannot make a private mount namespace: ${p:-unshare -m failed}"
		skip=1
		return 1
	fi

	ORIG=$(stat -c '%u %g %a' "$DEV") || { why="cannot stat the node"; return 1; }
	T=$(mktemp -d "${TMPDIR:-/tmp}/mmio_shm_udev.XXXXXX") || { why="mktemp"; return 1; }
	export T
	# the project's sysusers file where sysusers looks
	if ! quiet eval 'cd "$T" && mkdir -p etc rules.d usr/lib/sysusers.d &&
		cp /etc/passwd /etc/group etc/ &&
		{ cp /etc/shadow /etc/gshadow etc/ || :; } &&
		cp "$TOP/udev/mmio_shm.sysusers.conf" usr/lib/sysusers.d/mmio_shm.conf &&
		cp "$TOP/udev/$RULES" rules.d/'; then
		why="cannot prepare the scratch /etc"
		return 1
	fi
	# the project's file alone must make the group
	quiet systemd-sysusers --root="$T" || { why="systemd-sysusers --root failed"; return 1; }
	GID=$(awk -F: '$1 == "mmio_shm" { print $3 }' "$T/etc/group")
	[ -n "$GID" ] || { why="udev/mmio_shm.sysusers.conf made no group mmio_shm"; return 1; }
	# then the test users (an m line would create a missing group)
	printf '%s\n' "u $MEMBER - \"mmio_shm test, in the group\"" \
		"u $OUTSIDER - \"mmio_shm test, not in the group\"" \
		"m $MEMBER mmio_shm" >"$T/usr/lib/sysusers.d/zz-test.conf"
	quiet systemd-sysusers --root="$T" ||
		{ why="systemd-sysusers --root failed on the test users"; return 1; }

	# one udevd at a time: the control socket is /run/udev/control
	if quiet udevadm control --ping --timeout=5; then
		SYS_UDEVD=1
		quiet udevadm control --exit || { why="cannot stop the running udevd"; return 1; }
	fi
	# ours sees the scratch passwd, group and rules as /etc's
	unshare -m --propagation private sh -c '
		mount --bind "$T/etc/passwd" /etc/passwd &&
		mount --bind "$T/etc/group" /etc/group &&
		mount --bind "$T/rules.d" /etc/udev/rules.d &&
		exec "$1"' - "$UDEVD" >>"$T/udevd.log" 2>&1 &
	PID=$!
	# a udevd still starting (or one just told to exit) refuses at once
	for i in $(seq 150); do
		quiet udevadm control --ping --timeout=5 && break
		if ! kill -0 "$PID" 2>/dev/null; then
			PID=""
			why="our udevd died"
			return 1
		fi
		[ "$i" -lt 150 ] || { why="our udevd does not answer"; return 1; }
		sleep 0.2
	done
	if ! quiet eval 'udevadm trigger --action=add --subsystem-match=misc \
		--sysname-match="$NAME*" && udevadm settle --timeout=60'; then
		why="udevadm trigger/settle failed"
		return 1
	fi
}

node_gets_group_mmio_shm_mode_0660() {
	run stat -c '%u %g %a' "$DEV"
	assert_eq 0 "$status"
	set -- $out
	expect_eq 0 "$1" "owner"
	expect_eq "$GID" "$2" "group"
	# read/write for owner and group, nothing for anyone else
	expect_eq 660 "$3" "mode"
	[ "$_tap_case_failed" -eq 0 ] || dump_logs
}

link_by_index_points_at_node() {
	run readlink "$LINK"
	assert_eq 0 "$status" "readlink $LINK"
	expect_eq $'../mmio_shm\n' "$out"
	run stat -c '%t:%T' "$DEV"
	assert_eq 0 "$status"
	local node=$out
	run stat -L -c '%t:%T' "$LINK"
	assert_eq 0 "$status"
	expect_eq "$node" "$out" "device numbers of the node and the link"
}

member_opens_rdwr_and_maps_shared() {
	local size ps

	size=$(cat "/sys/class/misc/$NAME/size")
	ps=$(getconf PAGESIZE)
	assert_true dd if=/dev/zero of="$DEV" bs="$ps" count=$((size / ps)) \
		conv=notrunc status=none
	# writer opens O_RDWR, maps the buffer shared and writable, and writes
	# the message (with its NUL) through the mapping
	run2 as_user "$MEMBER" "$BUILD/user/examples/writer" -d "$DEV" "member was here"
	assert_eq 0 "$status" "writer as $MEMBER: $out"
	# what the member wrote through its mapping is in the buffer
	run eval 'head -c 16 "$DEV" | od -An -c | tr -s " "'
	expect_eq $' m e m b e r w a s h e r e \\0\n' "$out"
}

outsider_gets_eacces_on_open() {
	local how

	# bash opens <> O_RDWR, < O_RDONLY, > O_WRONLY
	for how in '<>' '<' '>'; do
		run2 as_user "$OUTSIDER" bash -c "exec 3$how\"\$1\"" - "$DEV"
		expect_eq 1 "$status" "open with $how"
		expect_eq "Permission denied" "$(sed -n '1s/.*: //p' <<<"$out")" "open with $how"
	done
}

# as the user running it: opens $1 O_RDONLY, then tries a writable shared
# map, a read-only shared map and mprotect() of that to writable; one line
# per step, with its errno's name when it failed
MAPCHECK='
import ctypes, errno, mmap, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
		      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
ps = mmap.PAGESIZE
rw = mmap.PROT_READ | mmap.PROT_WRITE
def said(what, ok):
	print(what + ": " + ("ok" if ok else errno.errorcode[ctypes.get_errno()]))
fd = os.open(sys.argv[1], os.O_RDONLY)
p = libc.mmap(None, ps, rw, mmap.MAP_SHARED, fd, 0)
said("writable shared map", p != ctypes.c_void_p(-1).value)
p = libc.mmap(None, ps, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
said("read-only shared map", p != ctypes.c_void_p(-1).value)
said("mprotect to writable", libc.mprotect(p, ps, rw) == 0)
'

read_only_opener_cannot_map_or_mprotect_writable() {
	run2 as_user "$MEMBER" python3 -c "$MAPCHECK" "$DEV"
	assert_eq 0 "$status" "$out"
	# a read-only shared map is fine (the seed reader does this)
	expect_eq "writable shared map: EACCES
read-only shared map: ok
mprotect to writable: EACCES
" "$out"
}

plan 5
if bring_up; then
	for c in $CASES; do
		run_case "$c"
	done
elif [ "$skip" -eq 1 ]; then
	for c in $CASES; do
		skip_case "$c" "$why"
	done
else
	echo "# setup: $why"
	dump_logs | sed 's/^/# /'
	for c in $CASES; do
		echo "not ok $((_tap_n += 1)) $c # setup failed"
		_tap_failed=1
	done
fi
tap_exit
