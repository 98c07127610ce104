/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Makes the futex system calls of the calling process raise SIGSYS
 * (a seccomp filter) and hands them to a handler of the test's own: how
 * the ring's tests count the wake-ups a side makes (tests/host/ring_test.c)
 * and stage a wake-up that lands just before a FUTEX_WAIT
 * (tests/selftests/peer_test.c). A call whose sixth argument (val3, which
 * FUTEX_WAIT and FUTEX_WAKE ignore) is FUTEX_TRAP_PASS goes through, so a
 * handler can still make the real call. membarrier_trap() adds the
 * sleeper's membarrier() of the ring's fenceless publication.
 */
#ifndef MMIO_SHM_FUTEX_TRAP_H
#define MMIO_SHM_FUTEX_TRAP_H

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define FUTEX_TRAP_PASS		0x6d6d696fu

#if defined(__x86_64__)
#define FUTEX_TRAP_ARCH		AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FUTEX_TRAP_ARCH		AUDIT_ARCH_AARCH64
#endif

/*
 * Adds a filter that makes system call @nr raise SIGSYS when the low 32
 * bits of its argument @arg equal @val (@trap_equal true) or differ from it
 * (false); every other call goes through. Return: 0, or -1 (no seccomp
 * here, or an architecture the filter does not know).
 */
static inline int syscall_trap(int nr, int arg, unsigned int val,
			       int trap_equal)
{
#ifdef FUTEX_TRAP_ARCH
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FUTEX_TRAP_ARCH, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[0]) + 8 * arg),
		/* to the trap (the next) or past it */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, val, trap_equal ? 0 : 1,
			 trap_equal ? 1 : 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]),
		.filter = insns,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -1;
	return 0;
#else
	(void)nr;
	(void)arg;
	(void)val;
	(void)trap_equal;
	return -1;
#endif
}

/*
 * Installs @handler for SIGSYS and the filter of futex calls. Return: 0,
 * or -1 (no seccomp here, or an architecture the filter does not know).
 */
static inline int futex_trap(void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa = {
		.sa_sigaction = handler,
		.sa_flags = SA_SIGINFO,
	};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return -1;
	/* val3, the sixth argument, is FUTEX_TRAP_PASS: through */
	return syscall_trap(__NR_futex, 5, FUTEX_TRAP_PASS, 0);
}

/*
 * Makes membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) of the calling process
 * raise SIGSYS too (the handler tells it from a futex call by
 * si_syscall): how the ring's tests stage a fenceless publication that
 * becomes visible at the sleeper's membarrier(). Registrations and the
 * other commands go through. Installs no handler: futex_trap()'s serves
 * both. Return: 0, or -1.
 */
static inline int membarrier_trap(void)
{
	/* MEMBARRIER_CMD_GLOBAL_EXPEDITED */
	return syscall_trap(__NR_membarrier, 0, 1 << 1, 1);
}

#endif /* MMIO_SHM_FUTEX_TRAP_H */
