#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
#
# Description: docs/lab.md exercise 8. The driver with a fault handler of
# its own (docs/lab/fault-handler.patch, which make check builds into
# <module dir>-lab-fault/) keeps the promises it must keep, and differs
# from the shipped driver exactly where the exercise says it does.
#
# Needs MMIO_SHM_KO, the shipped module, loaded (run-suite.sh MODULE.ko
# sets both up; a relative path is taken from the checkout). Unloads it, loads the lab module (MMIO_SHM_LAB_KO to
# check another one), runs mmap_test, share_test and gup_test and a few
# probes, then loads the shipped module again with its defaults, as every
# test leaves it. futex_test and module_test are left out to stay under a
# minute under TCG; the probes check what the exercise needs of them: a
# futex woken through another mapping, no unload under a mapping. The
# probes and the reading of the tests' output are one Python process:
# under TCG every exec costs. Without the lab module every case skips.

. "$(dirname "$0")/tap.sh"

KO=${MMIO_SHM_KO:-}
LAB_KO=${MMIO_SHM_LAB_KO:-${KO:+${KO%/*}-lab-fault/mmio_shm.ko}}
# paths relative to the checkout, where the guest starts: run-suite.sh
# runs us from elsewhere
case $KO in [!/]*) KO=$TOP/$KO ;; esac
case $LAB_KO in [!/]*) LAB_KO=$TOP/$LAB_KO ;; esac
# per test binary: a broken handler can leave a test stuck in the kernel
TIMEOUT=${LAB_TEST_TIMEOUT:-120}
CASES="maps_name_the_device mmap_test_all_pass share_test_all_pass
gup_test_all_pass_but_mincore mincore_asks_the_device_file
each_read_fault_maps_one_page futex_wakes_through_another_mapping
unload_refused_and_madv_remove_is_enodev"

W=""		# scratch: the tests' output and the findings; set once swapped
declare -A F	# the findings: probe results and test patterns, by name

plan "$(echo "$CASES" | wc -w)"
if [ ! -f "$KO" ] || [ ! -f "$LAB_KO" ]; then
	for c in $CASES; do
		skip_case "lab_fault_handler_$c" \
			"no module '${MMIO_SHM_KO:-}' or no lab module '$LAB_KO' (make check builds it)"
	done
	tap_exit
fi

# at exit: back to what every other test expects, the shipped module
cleanup() {
	[ -n "$W" ] || return
	cd / && rm -rf "$W"
	if ! rmmod mmio_shm || ! insmod "$KO"; then
		echo "Bail out! cannot load $KO again"
	fi
}

rmmod mmio_shm 2>/dev/null
if ! insmod "$LAB_KO"; then
	echo "Bail out! insmod $LAB_KO failed"
	insmod "$KO"
	exit 1
fi
W=$(mktemp -d)
# the tests write scratch files into their working directory
cd "$W" || exit 1
for t in mmap_test share_test gup_test; do
	timeout -k 5 "$TIMEOUT" "$BUILD/tests/$t" >"$t.out" 2>&1
done

python3 - "$W" >findings 2>&1 <<'EOF'
import ctypes, mmap, os, re, resource, select, signal, sys, time

WORK = sys.argv[1]
PS = mmap.PAGESIZE
DEV = "/dev/mmio_shm"
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_FUTEX, FUTEX_WAIT, FUTEX_WAKE, NR_DELETE_MODULE = 202, 0, 1, 176


def futex(addr, op, val, timeout_s=None):
    ts = (ctypes.c_long * 2)(timeout_s, 0) if timeout_s else None
    r = libc.syscall(NR_FUTEX, ctypes.c_void_p(addr), op, val, ts, None, 0)
    return r if r >= 0 else -ctypes.get_errno()


def probe(say):
    """Everything on one mapping of the whole buffer; say(name, finding)."""
    fd = os.open(DEV, os.O_RDWR)
    size = int(open("/sys/class/misc/mmio_shm/size").read())
    m = mmap.mmap(fd, size)
    base = ctypes.addressof(ctypes.c_char.from_buffer(m))

    # which file /proc/PID/maps names for the mapping
    for line in open("/proc/self/maps"):
        if line.startswith("%x-" % base):
            say("maps", line.split(None, 5)[5].strip())

    # read faults for 64 pages: one each, without fault-around
    flt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    sum(m[i * PS] for i in range(64))
    say("read_faults_64",
        resource.getrusage(resource.RUSAGE_SELF).ru_minflt - flt)

    # A shared futex at page 5 + 0x440: a child maps only that page and
    # waits at its own address, we wake at ours. The wake finds the waiter
    # only if both addresses give one key: the buffer page.
    word = 5 * PS + 0x440
    m[word:word + 4] = bytes(4)
    pid = os.fork()
    if pid == 0:
        cm = mmap.mmap(os.open(DEV, os.O_RDWR), PS, offset=5 * PS)
        caddr = ctypes.addressof(ctypes.c_char.from_buffer(cm)) + 0x440
        os._exit(0 if futex(caddr, FUTEX_WAIT, 0, 20) == 0 else 1)
    woken, deadline = 0, time.time() + 20
    while woken == 0 and time.time() < deadline:
        woken = futex(base + word, FUTEX_WAKE, 1)
        time.sleep(0.01)
    say("futex", "woke %d, waiter status %d" % (woken, os.waitpid(pid, 0)[1]))

    # MADV_REMOVE punches a hole into vm_file, if vm_file can have holes
    m[0] = 0x55
    try:
        m.madvise(mmap.MADV_REMOVE, 0, PS)
        say("madv_remove", "errno 0, byte 0 is %#x" % m[0])
    except OSError as e:
        say("madv_remove", "errno %d, byte 0 is %#x" % (e.errno, m[0]))

    # with the fd closed, only the mapping can hold the module
    os.close(fd)
    r = libc.syscall(NR_DELETE_MODULE, b"mmio_shm", os.O_NONBLOCK)
    err = ctypes.get_errno() if r else 0
    m[1] = 0x66
    say("unload", "errno %d, then byte 1 is %#x" % (err, m[1]))


def run_probe(timeout_s=60):
    """probe() in a child, so that a SIGBUS or a hang cannot take us along"""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        out = os.fdopen(wr, "w", buffering=1)
        try:
            probe(lambda k, v: out.write("%s %s\n" % (k, v)))
        except Exception as e:
            out.write("probe_error %r\n" % e)
        os._exit(0)
    os.close(wr)
    data, deadline = b"", time.time() + timeout_s
    while time.time() < deadline:
        if select.select([rd], [], [], 1)[0]:
            chunk = os.read(rd, 4096)
            if not chunk:
                break
            data += chunk
    else:
        os.kill(pid, signal.SIGKILL)
    status = os.waitpid(pid, 0)[1]
    if status:
        data += b"probe_status %#x\n" % status
    sys.stdout.write(data.decode())


def pattern(test, *expected_failures):
    """how the run differs from: all ran, exactly the ones named failed"""
    text = open(os.path.join(WORK, test + ".out")).read()
    plan = re.search(r"^1\.\.(\d+)$", text, re.M)
    res = {m.group(2): not m.group(1)
           for m in re.finditer(r"^(not )?ok \d+ (\S+)", text, re.M)}
    # a skipped test passed nothing, and a run of none proved nothing
    skipped = sorted(m.group(1) for m in
                     re.finditer(r"^ok \d+ (\S+) # SKIP", text, re.M))
    why = []
    if not plan or int(plan.group(1)) != len(res) or not res:
        why.append("ran %d of %s tests" % (len(res), plan.group(1) if plan else "?"))
    why += ["skipped: " + n for n in skipped]
    why += ["unexpected failure: " + n for n, ok in sorted(res.items())
            if not ok and n not in expected_failures]
    why += ["expected to fail, but " + ("passed: " if res.get(n) else "did not run: ") + n
            for n in expected_failures if res.get(n, True)]
    print(test, "; ".join(why))
    return text


run_probe()
pattern("mmap_test")
pattern("share_test")
# MADV_REMOVE goes to the device file there (ENODEV), never a hole
text = pattern("gup_test", "dev.madvise_dontneed_keeps_the_data",
               "dev.madvise_remove_punches_a_hole_that_resident_shows_until_touched")
print("gup_mincore", "not resident" if re.search(
    r"madvise_dontneed_keeps_the_data:.*not resident", text) else "no such line")
EOF
while read -r k v; do
	F[$k]=$v
	echo "# finding: $k $v"
done <findings

# the lab module is in place: the VMA stayed the device's
maps_name_the_device() {
	expect_eq /dev/mmio_shm "${F[maps]}" "the file /proc/PID/maps names"
}

# range checks, MADV_DONTNEED, mprotect, mremap, fork, MAP_PRIVATE, O_RDONLY
mmap_test_all_pass() {
	expect_eq "" "${F[mmap_test]-did not run}" "what differs"
}

share_test_all_pass() {
	expect_eq "" "${F[share_test]-did not run}" "what differs"
}

# get_user_pages works; mincore() alone asks vm_file's page cache, and
# MADV_REMOVE can punch no hole (see unload_refused_and_madv_remove_is_enodev)
gup_test_all_pass_but_mincore() {
	expect_eq "" "${F[gup_test]-did not run}" "what differs"
}

mincore_asks_the_device_file() {
	expect_eq "not resident" "${F[gup_mincore]}" \
		"why madvise_dontneed_keeps_the_data failed"
}

# no map_pages: every page read costs a fault of its own
each_read_fault_maps_one_page() {
	[ "${F[read_faults_64]:-0}" -ge 64 ] ||
		fail "reading 64 pages took ${F[read_faults_64]:-?} faults, expected 64 or more"
}

# the futex key is still the buffer page (page->mapping is shmem's)
futex_wakes_through_another_mapping() {
	expect_eq "woke 1, waiter status 0" "${F[futex]}" "FUTEX_WAKE"
}

# vm_file holds the device file, so the module (EWOULDBLOCK); MADV_REMOVE
# goes to the device file, which has no fallocate (ENODEV)
unload_refused_and_madv_remove_is_enodev() {
	expect_eq "errno 11, then byte 1 is 0x66" "${F[unload]}" "unload under a mapping"
	expect_eq "errno 19, byte 0 is 0x55" "${F[madv_remove]}" "MADV_REMOVE"
}

for c in $CASES; do
	run_case "lab_fault_handler_$c" "$c"
done
tap_exit
