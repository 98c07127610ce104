// SPDX-License-Identifier: GPL-2.0
/*
 * rdma_mr: the buffer as an RDMA memory region, for tests/shell/rdma.sh.
 *
 * The owner (this process) maps the device's buffer, or a memfd for the
 * control, and registers the mapping on one RDMA device with remote read
 * and write. A peer (a child, on the other RDMA device) connects a reliable
 * connection to it and works on the region one-sided: the owner's CPU
 * takes no part in the transfers.
 *
 *   write-read  the peer RDMA WRITEs half the region at its start, and the
 *               owner finds the bytes through its mapping, through a fresh
 *               mapping in a third process and through pread(2); then the
 *               owner pwrite(2)s the other half and the peer RDMA READs it
 *               back, byte for byte; on the device, the owner ZEROes the
 *               first half and the peer READs zeroes: the region still
 *               holds the buffer's pages
 *   guard       (the device only) with the region registered and the
 *               buffer unmapped, a shrinking RESIZE fails with EBUSY and
 *               changes nothing; once the region is deregistered it
 *               succeeds
 *
 * Usage: rdma_mr [-m] [-d PATH] OWNER_IBDEV PEER_IBDEV CASE
 *   -m       a memfd of the device's size instead of the device
 *   -d PATH  the device (default /dev/mmio_shm)
 * Prints what it checked; exits 0 when every check held, 1 otherwise.
 * Every wait on the fabric ends after 30 s: a lost transfer fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mmio_shm.h>

#define WAIT_NS		(30ull * 1000000000)
#define PORT		1

/* what one side tells the other to connect: its queue pair and region */
struct side {
	uint32_t qpn;		/* queue pair number */
	uint32_t rkey;		/* remote key of the owner's region; peer: 0 */
	uint64_t addr;		/* start of the owner's region; peer: 0 */
	union ibv_gid gid;	/* the port's RoCE v2 address (IPv4-mapped) */
};

/* one side's verbs objects */
struct ep {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	int gid_index;
	union ibv_gid gid;
};

static int failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(ok ? "ok: " : "FAILED: ", ok ? stdout : stderr);
	vfprintf(ok ? stdout : stderr, fmt, ap);
	fputc('\n', ok ? stdout : stderr);
	va_end(ap);
	fflush(NULL);
	if (!ok)
		failures++;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "rdma_mr: %s: %s\n", what, strerror(err));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* the byte at offset @i of pattern @seed: not periodic in a page */
static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 131 + (i >> 9) * 7 + seed);
}

static void fill(uint8_t *p, size_t len, size_t off, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(off + i, seed);
}

/* the first offset where @p differs from the pattern, or @len */
static size_t first_diff(const uint8_t *p, size_t len, size_t off,
			 unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(off + i, seed))
			return i;
	return len;
}

static struct ibv_context *open_ibdev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;

	if (!list)
		die("ibv_get_device_list", errno);
	for (int i = 0; list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!ctx) {
		fprintf(stderr, "rdma_mr: no RDMA device %s\n", name);
		exit(1);
	}
	return ctx;
}

/* the port's first IPv4-mapped address (::ffff:a.b.c.d): rxe's RoCE v2 */
static int ipv4_gid(struct ibv_context *ctx, union ibv_gid *gid)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct ibv_port_attr pa;

	if (ibv_query_port(ctx, PORT, &pa))
		die("ibv_query_port", errno);
	for (int i = 0; i < pa.gid_tbl_len; i++)
		if (!ibv_query_gid(ctx, PORT, i, gid) &&
		    !memcmp(gid->raw, mapped, sizeof(mapped)))
			return i;
	fprintf(stderr, "rdma_mr: no IPv4 address on %s's port\n",
		ibv_get_device_name(ctx->device));
	exit(1);
}

static void ep_open(struct ep *ep, const char *name)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = 4, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};

	ep->ctx = open_ibdev(name);
	ep->gid_index = ipv4_gid(ep->ctx, &ep->gid);
	ep->pd = ibv_alloc_pd(ep->ctx);
	if (!ep->pd)
		die("ibv_alloc_pd", errno);
	ep->cq = ibv_create_cq(ep->ctx, 8, NULL, NULL, 0);
	if (!ep->cq)
		die("ibv_create_cq", errno);
	qa.send_cq = ep->cq;
	qa.recv_cq = ep->cq;
	ep->qp = ibv_create_qp(ep->pd, &qa);
	if (!ep->qp)
		die("ibv_create_qp", errno);
}

static void ep_close(struct ep *ep)
{
	ibv_destroy_qp(ep->qp);
	if (ep->mr)
		ibv_dereg_mr(ep->mr);
	ibv_destroy_cq(ep->cq);
	ibv_dealloc_pd(ep->pd);
	ibv_close_device(ep->ctx);
}

/* INIT, RTR, RTS: a reliable connection to @remote */
static void ep_connect(struct ep *ep, const struct side *remote)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = PORT,
		.qp_access_flags = IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_WRITE,
	};
	int ret;

	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	if (ret)
		die("modify QP to INIT", ret);

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = remote->qpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = remote->gid;
	a.ah_attr.grh.sgid_index = ep->gid_index;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = PORT;
	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_AV |
			    IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		die("modify QP to RTR", ret);

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			    IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			    IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret)
		die("modify QP to RTS", ret);
}

static void ep_side(const struct ep *ep, struct side *s)
{
	memset(s, 0, sizeof(*s));
	s->qpn = ep->qp->qp_num;
	s->gid = ep->gid;
}

/* one signaled RDMA WRITE or READ of @len bytes, waited for */
static int rdma_op(struct ep *ep, enum ibv_wr_opcode op, void *local,
		   size_t len, uint64_t raddr, uint32_t rkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)local, .length = len, .lkey = ep->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.opcode = op, .sg_list = &sge, .num_sge = 1,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	uint64_t end = now_ns() + WAIT_NS;
	struct ibv_wc wc;
	int n, ret;

	ret = ibv_post_send(ep->qp, &wr, &bad);
	if (ret)
		return -ret;
	while (!(n = ibv_poll_cq(ep->cq, 1, &wc)) && now_ns() < end)
		usleep(200);
	if (n < 0)
		return -EIO;
	if (!n)
		return -ETIMEDOUT;
	if (wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "rdma_mr: completion: %s\n",
			ibv_wc_status_str(wc.status));
		return -EIO;
	}
	return 0;
}

static void xfer(int sock, void *p, size_t len, bool out)
{
	ssize_t n = out ? write(sock, p, len) : read(sock, p, len);

	if (n != (ssize_t)len)
		die(out ? "write to the other side" : "read from the other side",
		    n < 0 ? errno : EPIPE);
}

/* the peer: connects, writes the first half, reads the second */
static int peer(const char *ibdev, int sock, size_t half)
{
	struct side me, owner;
	uint8_t *buf;
	struct ep ep = { 0 };
	char go;
	size_t d;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ep_open(&ep, ibdev);
	buf = aligned_alloc(4096, half);
	if (!buf)
		die("aligned_alloc", ENOMEM);
	ep.mr = ibv_reg_mr(ep.pd, buf, half, IBV_ACCESS_LOCAL_WRITE);
	if (!ep.mr)
		die("ibv_reg_mr (peer)", errno);
	ep_side(&ep, &me);
	xfer(sock, &me, sizeof(me), true);
	xfer(sock, &owner, sizeof(owner), false);
	ep_connect(&ep, &owner);
	xfer(sock, &go, 1, true);		/* connected */
	xfer(sock, &go, 1, false);		/* the owner's too */

	fill(buf, half, 0, 1);
	ret = rdma_op(&ep, IBV_WR_RDMA_WRITE, buf, half, owner.addr,
		      owner.rkey);
	check(!ret, "peer on %s: RDMA WRITE of %zu KiB at offset 0: %s", ibdev,
	      half >> 10, strerror(-ret));
	xfer(sock, &go, 1, true);		/* written */
	xfer(sock, &go, 1, false);		/* second half pwritten */

	memset(buf, 0, half);
	ret = rdma_op(&ep, IBV_WR_RDMA_READ, buf, half, owner.addr + half,
		      owner.rkey);
	check(!ret, "peer on %s: RDMA READ of %zu KiB at offset %zu KiB: %s",
	      ibdev, half >> 10, half >> 10, strerror(-ret));
	d = first_diff(buf, half, half, 2);
	check(d == half, "peer: the READ returned what pwrite put (first difference at %zu of %zu)",
	      d, half);
	xfer(sock, &go, 1, true);		/* read */
	xfer(sock, &go, 1, false);		/* 'z': the owner ZEROed */
	if (go == 'z') {
		ret = rdma_op(&ep, IBV_WR_RDMA_READ, buf, half, owner.addr,
			      owner.rkey);
		d = 0;
		while (!ret && d < half && !buf[d])
			d++;
		check(!ret && d == half, "peer: a READ after MMIO_SHM_IOC_ZERO returns zeroes (first non-zero at %zu of %zu): the region kept the buffer's pages",
		      d, half);
	}
	xfer(sock, &go, 1, true);		/* done */
	ep_close(&ep);
	free(buf);
	return failures ? 1 : 0;
}

/* a third process maps @fd afresh and checks the first @half bytes */
static void check_fresh_mapping(int fd, size_t half)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		uint8_t *p = mmap(NULL, half, PROT_READ, MAP_SHARED, fd, 0);

		_exit(p != MAP_FAILED && first_diff(p, half, 0, 1) == half ?
		      0 : 1);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status),
	      "owner: a fresh mapping in a third process shows the WRITE");
}

static int write_read(int fd, size_t len, bool zero, const char *ibdev,
		      const char *peer_ibdev)
{
	size_t half = len / 2, d;
	struct side me, other;
	struct ep ep = { 0 };
	int sv[2], status;
	uint8_t *map, *back;
	pid_t pid;
	char go;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		close(sv[0]);
		_exit(peer(peer_ibdev, sv[1], half));
	}
	close(sv[1]);

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap", errno);
	ep_open(&ep, ibdev);
	ep.mr = ibv_reg_mr(ep.pd, map, len, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	check(ep.mr, "owner on %s: ibv_reg_mr of the %zu KiB mapping: %s",
	      ibdev, len >> 10, strerror(ep.mr ? 0 : errno));
	if (!ep.mr)
		goto out_kill;
	ep_side(&ep, &me);
	me.addr = (uintptr_t)map;
	me.rkey = ep.mr->rkey;
	xfer(sv[0], &other, sizeof(other), false);
	xfer(sv[0], &me, sizeof(me), true);
	ep_connect(&ep, &other);
	xfer(sv[0], &go, 1, false);		/* the peer is connected */
	xfer(sv[0], &go, 1, true);

	xfer(sv[0], &go, 1, false);		/* written */
	d = first_diff(map, half, 0, 1);
	check(d == half, "owner: its mapping shows the WRITE (first difference at %zu of %zu)",
	      d, half);
	check_fresh_mapping(fd, half);
	back = malloc(half);
	if (!back)
		die("malloc", ENOMEM);
	check(pread(fd, back, half, 0) == (ssize_t)half &&
	      first_diff(back, half, 0, 1) == half,
	      "owner: pread(2) shows the WRITE");
	fill(back, half, half, 2);
	check(pwrite(fd, back, half, half) == (ssize_t)half,
	      "owner: pwrite(2) of the second half");
	free(back);
	xfer(sv[0], &go, 1, true);
	xfer(sv[0], &go, 1, false);		/* the peer read it */
	go = 'n';
	if (zero) {
		struct mmio_shm_zero_args z = {
			.size = sizeof(z), .offset = 0, .length = half,
		};

		check(!ioctl(fd, MMIO_SHM_IOC_ZERO, &z),
		      "owner: MMIO_SHM_IOC_ZERO of the first half, registered");
		go = 'z';
	}
	xfer(sv[0], &go, 1, true);
	xfer(sv[0], &go, 1, false);		/* done */

	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status),
	      "peer: every check held");
	ep_close(&ep);
	munmap(map, len);
	return failures ? 1 : 0;

out_kill:
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 1;
}

static size_t device_size(int fd)
{
	struct mmio_shm_info_args info = { .size = sizeof(info) };

	if (ioctl(fd, MMIO_SHM_IOC_INFO, &info))
		die("MMIO_SHM_IOC_INFO", errno);
	return info.buf_size;
}

static int resize(int fd, uint64_t size)
{
	struct mmio_shm_resize_args r = { .size = sizeof(r), .new_size = size };

	return ioctl(fd, MMIO_SHM_IOC_RESIZE, &r) ? -errno : 0;
}

static int guard(int fd, size_t len, const char *ibdev)
{
	struct ep ep = { 0 };
	uint8_t *map;
	int ret;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap", errno);
	ep_open(&ep, ibdev);
	ep.mr = ibv_reg_mr(ep.pd, map, len, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	if (!ep.mr)
		die("ibv_reg_mr", errno);
	munmap(map, len);

	ret = resize(fd, len / 2);
	check(ret == -EBUSY, "RESIZE to half while the region is registered: %s (want EBUSY)",
	      strerror(-ret));
	check(device_size(fd) == len, "the size stayed %zu KiB", len >> 10);
	ibv_dereg_mr(ep.mr);
	ep.mr = NULL;
	ret = resize(fd, len / 2);
	check(!ret, "RESIZE to half once the region is deregistered: %s",
	      strerror(-ret));
	if (!ret)
		check(!resize(fd, len), "RESIZE back to %zu KiB", len >> 10);
	ep_close(&ep);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *path = "/dev/mmio_shm";
	bool memfd = false;
	size_t len;
	int opt, fd;

	while ((opt = getopt(argc, argv, "md:")) != -1) {
		switch (opt) {
		case 'm':
			memfd = true;
			break;
		case 'd':
			path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 3)
		goto usage;

	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path, errno);
	len = device_size(fd);
	if (memfd) {
		close(fd);
		fd = memfd_create("rdma_mr", 0);
		if (fd < 0 || ftruncate(fd, len))
			die("memfd", errno);
	}
	printf("rdma_mr: %s, %zu KiB\n", memfd ? "a memfd" : path, len >> 10);

	if (!strcmp(argv[optind + 2], "write-read"))
		return write_read(fd, len, !memfd, argv[optind],
				  argv[optind + 1]);
	if (!strcmp(argv[optind + 2], "guard") && !memfd)
		return guard(fd, len, argv[optind]);
usage:
	fprintf(stderr, "usage: %s [-m] [-d PATH] OWNER_IBDEV PEER_IBDEV write-read|guard\n",
		argv[0]);
	return 2;
}
