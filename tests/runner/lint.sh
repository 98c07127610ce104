#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side checks of the kernel code's style, as TAP cases:
# checkpatch.pl --strict (from linux-source-6.1; kernel/, and the files
# docs/lab/'s patches change, as they change them), sparse, a W=1 build without
# warnings, an SPDX line in every file of the repository (committed or
# new, but not ignored), and that every
# command the scripts and Makefiles call comes from a package that
# tests/provision/deps.sh installs or that minbase has (deps-lint.py): for
# everything (the "check" profile), and for what make demo runs (the
# "demo" profile), and for what make deb and make check-deb run (the "deb"
# profile).
#
# Usage: tests/runner/lint.sh BUILD_DIR MODULE_BUILD_DIR

set -u

BUILD=$(realpath -m "$1")
KMOD=$(realpath -m "$2")
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHECKPATCH=$BUILD/linux-source/scripts/checkpatch.pl
cd "$TOP" || exit 1

# shellcheck source=tests/runner/result.sh
. "$TOP/tests/runner/result.sh"

echo "TAP version 13"
echo "1..7"

checkpatch() {
	perl "$CHECKPATCH" --no-tree --strict --terse --show-types "$@" 2>&1 |
		grep -E '(ERROR|WARNING|CHECK):'
}
# the lab's patches (docs/lab.md): exercise 8's solution to kernel/mmap.c,
# exercise 9's starting point of kernel/dmabuf.c, as they patch them
labout=""
for lab in mmap.c:fault-handler.patch dmabuf.c:dmabuf-start.patch; do
	labsrc=$(mktemp --suffix="-lab-${lab%%:*}")
	if patch -s -o "$labsrc" "kernel/${lab%%:*}" "docs/lab/${lab#*:}" >/dev/null 2>&1; then
		labout+=$(checkpatch -f "$labsrc")
	else
		labout+="ERROR: docs/lab/${lab#*:} does not apply to kernel/${lab%%:*}
"
	fi
	rm -f "$labsrc" "$labsrc.orig" "$labsrc.rej"
done
# compat.h is the one file whose job is to test the kernel version
out=$(checkpatch -f $(ls kernel/*.c kernel/*.h kernel/uapi/linux/*.h | grep -v compat.h)
      checkpatch --ignore LINUX_VERSION_CODE -f kernel/compat.h
      [ -z "$labout" ] || printf '%s\n' "$labout")
result "checkpatch_strict_clean" "$([ -z "$out" ]; echo $?)" "$out"

kdir=$(sed -n 's/^make\(\[[0-9]*\]\)\{0,1\}: Entering directory .\(.*\).$/\2/p' \
	"$KMOD/build.log" | head -n 1)
# -Wno-constexpr-not-const: bookworm's sparse misreads 6.12's ___ADDRESSABLE;
# -Wno-pointer-arith: 5.10's __is_constexpr() (inside min_t) uses sizeof(void)
log=$(make -C "${kdir:-/nonexistent}" M="$KMOD" C=2 \
	CHECK="sparse -Wsparse-all -Wno-shadow -Wno-constexpr-not-const -Wno-pointer-arith" \
	modules 2>&1)
out=$(printf '%s\n' "$log" | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' |
	grep -v '/include/')
# a sparse run that checked nothing proves nothing
checked=$(printf '%s\n' "$log" | grep -c '^ *CHECK ')
if [ "$checked" -lt 5 ]; then
	out="sparse checked $checked files (kernel tree: '${kdir}')${out:+
$out}"
fi
result "sparse_clean" "$([ -z "$out" ]; echo $?)" "$out"

out=$(grep -E 'warning:' "$KMOD/build.log")
result "build_w1_no_warnings" "$([ -z "$out" ]; echo $?)" "$out"

# fuzzer inputs are bytes, not text: tests/fuzz/corpus/README.md covers them;
# new files count as soon as they exist, tracked or not (.gitignore'd
# ones, the build among them, do not)
out=$(git ls-files --cached --others --exclude-standard | sort -u | grep -vE '(^|/)\.gitignore$|\.json$|^tests/fuzz/corpus/[^/]+/' |
	while read -r f; do
		[ -f "$f" ] || continue
		head -n 3 "$f" | grep -q 'SPDX-License-Identifier:' ||
			echo "$f: no SPDX line"
	done)
result "spdx_line_in_every_file" "$([ -z "$out" ]; echo $?)" "$out"

# every script and Makefile of the tests, the runners and CI, new ones too
out=$(python3 tests/runner/deps-lint.py $(git ls-files --cached --others \
	--exclude-standard 'tests/*.sh' 'tests/*.mk' 'tests/*/run' .ci/run \
	Makefile tests/Makefile user/Makefile | sort -u) 2>&1)
result "commands_come_from_deps" $? "$out"

# what make demo runs, against the demo profile alone
out=$(python3 tests/runner/deps-lint.py \
	--packages "$(tests/provision/deps.sh --list demo)" \
	tests/runner/demo.sh tests/runner/vm.sh tests/runner/build-module.sh \
	tests/provision/deps.sh tests/provision/kernels.sh \
	tests/provision/apt-suite.sh tests/provision/cache.sh user/Makefile 2>&1)
result "demo_commands_come_from_deps_demo" $? "$out"

# what make deb and make check-deb run, against the deb profile alone
# (deb-in-root.sh runs in the chroot, on what apt installs there)
out=$(python3 tests/runner/deps-lint.py \
	--packages "$(tests/provision/deps.sh --list deb)" \
	tests/runner/deb.sh tests/runner/check-deb.sh tests/provision/deps.sh 2>&1)
result "deb_commands_come_from_deps_deb" $? "$out"
