// SPDX-License-Identifier: GPL-2.0
/*
 * rdma_bench: the buffer as an RDMA memory region against a TCP stream of
 * the same bytes over the same link, for make bench (tests/bench/rdma.sh
 * sets up the link: soft-RoCE on a veth pair in the guest).
 *
 * The owner's side maps the whole device and registers the mapping on
 * OWNER_IBDEV (remote read and write); the initiator's side, on PEER_IBDEV,
 * has a private buffer of the same size and a reliable connection to it.
 * Both sides are this one process: one-sided operations need nothing of
 * the owner's CPU in user space, and the kernel's part (rxe's responder)
 * runs wherever the packets arrive either way.
 *
 *   rdma-write  the initiator RDMA WRITEs its buffer over the device's,
 *               in messages of SIZE bytes, DEPTH of them in flight
 *   rdma-read   the initiator RDMA READs the device's buffer into its own
 *   tcp         a child process connects from PEER_ADDR to OWNER_ADDR and
 *               send(2)s the same bytes in SIZE writes; this process
 *               recv(2)s them into the device's mapping, then answers one
 *               byte, which ends the child's clock
 *
 * Each figure is the whole buffer moved, REPS times: MB/s, the median, min
 * and max, one CSV row as tests/bench/report.py reads them
 * (where,benchmark,variant,size,unit,median,min,max,reps). After each
 * variant the bytes are compared: a transfer that moved the wrong bytes
 * ends the program with status 1 rather than a figure.
 *
 * Usage: rdma_bench [-d PATH] [-r REPS] OWNER_IBDEV PEER_IBDEV OWNER_ADDR
 *                   PEER_ADDR SIZE...
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mmio_shm.h>

#include "bench_clock.h"

#define PORT		1
#define DEPTH		8
#define TCP_PORT	7472
#define MAX_REPS	64
#define WAIT_NS		(30ull * 1000000000)

/* one side's verbs objects and the memory it registered */
struct ep {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	int gid_index;
	union ibv_gid gid;
};

static void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "rdma_bench: %s: %s\n", what, strerror(err));
	exit(1);
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
	if (!ctx)
		die(name, ENODEV);
	return ctx;
}

/* the port's first IPv4-mapped GID (::ffff:a.b.c.d): rxe's RoCE v2 */
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
	die("no IPv4 GID on the port", ENOENT);
}

static void ep_open(struct ep *ep, const char *name, void *buf, size_t len)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = DEPTH, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};

	ep->ctx = open_ibdev(name);
	ep->gid_index = ipv4_gid(ep->ctx, &ep->gid);
	ep->pd = ibv_alloc_pd(ep->ctx);
	if (!ep->pd)
		die("ibv_alloc_pd", errno);
	ep->cq = ibv_create_cq(ep->ctx, 2 * DEPTH, NULL, NULL, 0);
	if (!ep->cq)
		die("ibv_create_cq", errno);
	qa.send_cq = ep->cq;
	qa.recv_cq = ep->cq;
	ep->qp = ibv_create_qp(ep->pd, &qa);
	if (!ep->qp)
		die("ibv_create_qp", errno);
	ep->mr = ibv_reg_mr(ep->pd, buf, len, IBV_ACCESS_LOCAL_WRITE |
			    IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	if (!ep->mr)
		die("ibv_reg_mr", errno);
}

/* INIT, RTR, RTS: @ep's reliable connection to @remote */
static void ep_connect(struct ep *ep, const struct ep *remote)
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
	a.dest_qp_num = remote->qp->qp_num;
	a.max_dest_rd_atomic = DEPTH;
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
	a.max_rd_atomic = DEPTH;
	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			    IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			    IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret)
		die("modify QP to RTS", ret);
}

/*
 * The whole of @len moved by @op in messages of @size, at most DEPTH in
 * flight: the nanoseconds from the first post to the last completion.
 */
static uint64_t rdma_pass(struct ep *ini, const struct ep *own,
			  enum ibv_wr_opcode op, size_t len, size_t size)
{
	uint8_t *local = ini->mr->addr;
	uint64_t raddr = (uintptr_t)own->mr->addr;
	size_t posted = 0, done = 0, n_msgs = len / size;
	uint64_t t0 = now_ns(), end = t0 + WAIT_NS;
	struct ibv_wc wc[DEPTH];

	while (done < n_msgs) {
		while (posted < n_msgs && posted - done < DEPTH) {
			struct ibv_sge sge = {
				.addr = (uintptr_t)(local + posted * size),
				.length = size, .lkey = ini->mr->lkey,
			};
			struct ibv_send_wr wr = {
				.opcode = op, .sg_list = &sge, .num_sge = 1,
				.send_flags = IBV_SEND_SIGNALED,
				.wr.rdma = { .remote_addr = raddr + posted * size,
					     .rkey = own->mr->rkey },
			}, *bad;
			int ret = ibv_post_send(ini->qp, &wr, &bad);

			if (ret)
				die("ibv_post_send", ret);
			posted++;
		}
		int n = ibv_poll_cq(ini->cq, DEPTH, wc);

		if (n < 0)
			die("ibv_poll_cq", EIO);
		for (int i = 0; i < n; i++)
			if (wc[i].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "rdma_bench: completion: %s\n",
					ibv_wc_status_str(wc[i].status));
				exit(1);
			}
		done += n;
		if (!n && now_ns() > end)
			die("no completion in 30 s", ETIMEDOUT);
	}
	return now_ns() - t0;
}

/* @addr:@port as a socket address */
static void inet_addr_of(const char *addr, uint16_t port,
			 struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
		die(addr, EINVAL);
}

/*
 * A TCP socket bound to @addr:@port (0: any port). Its accept, send and
 * recv give up after 30 s: a side that died does not hang the other.
 */
static int tcp_bound(const char *addr, uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct timeval tv = { .tv_sec = WAIT_NS / 1000000000 };
	struct sockaddr_in sa;

	if (s < 0)
		die("socket", errno);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	inet_addr_of(addr, port, &sa);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		die(addr, errno);
	return s;
}

/*
 * The child's side of one TCP pass: connect from @from to @to, send @len
 * bytes of @src in @size writes, wait for the one-byte answer; the
 * nanoseconds go back through @report.
 */
static void __attribute__((noreturn))
tcp_sender(const char *from, const char *to, const uint8_t *src, size_t len,
	   size_t size, int report)
{
	struct sockaddr_in peer;
	int s = tcp_bound(from, 0);
	uint64_t t0, dt;
	size_t off = 0;
	char ack;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	inet_addr_of(to, TCP_PORT, &peer);
	if (connect(s, (struct sockaddr *)&peer, sizeof(peer)))
		die("connect", errno);
	t0 = now_ns();
	while (off < len) {
		ssize_t n = send(s, src + off, size < len - off ? size : len - off, 0);

		if (n <= 0)
			die("send", n ? errno : EPIPE);
		off += n;
	}
	if (recv(s, &ack, 1, MSG_WAITALL) != 1)
		die("the receiver's answer", errno ? errno : EPIPE);
	dt = now_ns() - t0;
	if (write(report, &dt, sizeof(dt)) != sizeof(dt))
		die("report", errno);
	_exit(0);
}

/* one TCP pass of @len bytes into @dst: the sender's nanoseconds */
static uint64_t tcp_pass(int listener, const char *from, const char *to,
			 const uint8_t *src, uint8_t *dst, size_t len,
			 size_t size)
{
	int pipefd[2], c, status;
	size_t off = 0;
	uint64_t dt;
	pid_t pid;

	if (pipe(pipefd))
		die("pipe", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid)
		tcp_sender(from, to, src, len, size, pipefd[1]);
	close(pipefd[1]);
	c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		die("accept", errno);
	while (off < len) {
		ssize_t n = recv(c, dst + off, len - off, 0);

		if (n <= 0)
			die("recv", n ? errno : EPIPE);
		off += n;
	}
	if (send(c, "", 1, 0) != 1)
		die("answer", errno);
	if (read(pipefd[0], &dt, sizeof(dt)) != sizeof(dt))
		die("the sender's time", EPIPE);
	close(pipefd[0]);
	close(c);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("the sender", EIO);
	return dt;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* the CSV row of @reps times of @len bytes each, as MB/s */
static void row(const char *variant, size_t size, size_t len,
		uint64_t *ns, int reps)
{
	qsort(ns, reps, sizeof(*ns), cmp_u64);
	printf("guest,rdma,%s,%zu,MB/s,%.1f,%.1f,%.1f,%d\n", variant, size,
	       len * 1e3 / ns[reps / 2], len * 1e3 / ns[reps - 1],
	       len * 1e3 / ns[0], reps);
	fflush(stdout);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 9) * 7 + seed);
}

static void same(const uint8_t *a, const uint8_t *b, size_t len,
		 const char *what)
{
	if (memcmp(a, b, len)) {
		fprintf(stderr, "rdma_bench: %s moved the wrong bytes\n", what);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *path = "/dev/mmio_shm";
	struct mmio_shm_info_args info = { .size = sizeof(info) };
	struct ep own = { 0 }, ini = { 0 };
	uint64_t ns[MAX_REPS];
	uint8_t *dev, *priv;
	int opt, fd, reps = 5, listener;
	size_t len;

	while ((opt = getopt(argc, argv, "d:r:")) != -1) {
		switch (opt) {
		case 'd':
			path = optarg;
			break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 5)
		goto usage;
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path, errno);
	if (ioctl(fd, MMIO_SHM_IOC_INFO, &info))
		die("MMIO_SHM_IOC_INFO", errno);
	len = info.buf_size;
	dev = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (dev == MAP_FAILED || priv == MAP_FAILED)
		die("mmap", errno);
	ep_open(&own, argv[optind], dev, len);
	ep_open(&ini, argv[optind + 1], priv, len);
	ep_connect(&own, &ini);
	ep_connect(&ini, &own);

	listener = tcp_bound(argv[optind + 2], TCP_PORT);
	if (listen(listener, 1))
		die("listen", errno);

	for (int a = optind + 4; a < argc; a++) {
		size_t size = strtoul(argv[a], NULL, 0);

		if (!size || len % size)
			die(argv[a], EINVAL);
		fill(priv, len, a);
		for (int r = 0; r < reps; r++)
			ns[r] = rdma_pass(&ini, &own, IBV_WR_RDMA_WRITE, len, size);
		same(priv, dev, len, "RDMA WRITE");
		row("rdma-write", size, len, ns, reps);

		fill(dev, len, a + 1);
		for (int r = 0; r < reps; r++)
			ns[r] = rdma_pass(&ini, &own, IBV_WR_RDMA_READ, len, size);
		same(priv, dev, len, "RDMA READ");
		row("rdma-read", size, len, ns, reps);

		fill(priv, len, a + 2);
		for (int r = 0; r < reps; r++)
			ns[r] = tcp_pass(listener, argv[optind + 3],
					 argv[optind + 2], priv, dev, len, size);
		same(priv, dev, len, "TCP");
		row("tcp", size, len, ns, reps);
	}
	return 0;
usage:
	fprintf(stderr, "usage: %s [-d PATH] [-r REPS] OWNER_IBDEV PEER_IBDEV OWNER_ADDR PEER_ADDR SIZE...\n",
		argv[0]);
	return 2;
}
