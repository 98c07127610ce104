// SPDX-License-Identifier: MIT
/*
 * rdma-share - share the device's buffer with other machines over RDMA.
 *
 *   rdma-share [-d PATH] serve ADDR [PORT]
 *   rdma-share connect [-s SRC] ADDR [PORT] write OFFSET TEXT
 *   rdma-share connect [-s SRC] ADDR [PORT] read OFFSET LENGTH
 *
 * serve registers the whole buffer as an RDMA memory region (remote read
 * and write) and listens on ADDR (an IP address of an RDMA device: a
 * RoCE or InfiniBand NIC, or soft-RoCE) at PORT (default 7471) with
 * rdma_cm. Each client that connects gets, in the connection's private
 * data, the region's address, length and remote key, and then reads and
 * writes the buffer one-sided: the server's CPU takes no part in it.
 * It serves until killed.
 *
 * connect reads or writes the buffer of the server at ADDR, one RDMA READ
 * or WRITE, from the local address SRC if given. What the server sends is
 * checked before use: a region too short for the request is refused.
 * Build: cc rdma-share.c $(pkg-config --cflags --libs libmmio_shm) -lrdmacm -libverbs
 */
#include <arpa/inet.h>
#include <endian.h>
#include <netdb.h>
#include <rdma/rdma_cma.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "example.h"

#define DEFAULT_PORT "7471"
#define TIMEOUT_MS 5000

/* what the server tells each client: all big-endian */
struct share_info {
	uint64_t addr;		/* the region's start in the server */
	uint64_t len;		/* its length: the buffer's size */
	uint32_t rkey;		/* its remote key */
	uint32_t reserved;	/* 0 */
};

static const char *prog = "rdma-share";

static void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	exit(EXIT_FAILURE);
}

static struct addrinfo *lookup(const char *addr, const char *port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai;
	int ret = getaddrinfo(addr, port, &hints, &ai);

	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, addr, gai_strerror(ret));
		exit(EXIT_FAILURE);
	}
	return ai;
}

/* the next event on @ec, which must be @want */
static struct rdma_cm_event *expect_event(struct rdma_event_channel *ec,
					  enum rdma_cm_event_type want)
{
	struct rdma_cm_event *ev;

	if (rdma_get_cm_event(ec, &ev))
		die("rdma_get_cm_event", errno);
	if (ev->event != want) {
		fprintf(stderr, "%s: %s instead of %s (status %d)\n", prog,
			rdma_event_str(ev->event), rdma_event_str(want),
			ev->status);
		exit(EXIT_FAILURE);
	}
	return ev;
}

static void make_qp(struct rdma_cm_id *id, struct ibv_pd *pd)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = 1, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};

	qa.send_cq = qa.recv_cq = ibv_create_cq(id->verbs, 2, NULL, NULL, 0);
	if (!qa.send_cq)
		die("ibv_create_cq", errno);
	if (rdma_create_qp(id, pd, &qa))
		die("rdma_create_qp", errno);
}

static int __attribute__((noreturn))
serve(struct example *ex, const char *addr, const char *port)
{
	struct rdma_event_channel *ec = rdma_create_event_channel();
	struct rdma_conn_param param = {
		.responder_resources = 1, .initiator_depth = 1,
	};
	struct rdma_cm_id *listener, *id;
	struct addrinfo *ai = lookup(addr, port);
	struct share_info info = { 0 };
	struct rdma_cm_event *ev;
	struct ibv_pd *pd = NULL;
	struct ibv_mr *mr;

	if (!ec)
		die("rdma_create_event_channel (is rdma_ucm loaded?)", errno);
	if (rdma_create_id(ec, &listener, NULL, RDMA_PS_TCP))
		die("rdma_create_id", errno);
	if (rdma_bind_addr(listener, ai->ai_addr))
		die(addr, errno);
	freeaddrinfo(ai);
	if (rdma_listen(listener, 4))
		die("rdma_listen", errno);
	printf("rdma-share: serving %zu bytes on %s port %s\n", ex->size, addr,
	       port);
	fflush(stdout);

	while (!rdma_get_cm_event(ec, &ev)) {
		id = ev->id;
		switch (ev->event) {
		case RDMA_CM_EVENT_CONNECT_REQUEST:
			/* one region, on the device of the first client */
			if (pd && id->verbs != pd->context) {
				rdma_reject(id, NULL, 0);
				rdma_ack_cm_event(ev);
				rdma_destroy_id(id);
				continue;
			}
			if (!pd) {
				pd = ibv_alloc_pd(id->verbs);
				if (!pd)
					die("ibv_alloc_pd", errno);
				mr = ibv_reg_mr(pd, ex->buf, ex->size,
						IBV_ACCESS_LOCAL_WRITE |
						IBV_ACCESS_REMOTE_READ |
						IBV_ACCESS_REMOTE_WRITE);
				if (!mr)
					die("ibv_reg_mr", errno);
				info.addr = htobe64((uintptr_t)ex->buf);
				info.len = htobe64(ex->size);
				info.rkey = htobe32(mr->rkey);
			}
			make_qp(id, pd);
			param.private_data = &info;
			param.private_data_len = sizeof(info);
			if (rdma_accept(id, &param))
				die("rdma_accept", errno);
			break;
		case RDMA_CM_EVENT_ESTABLISHED:
			printf("rdma-share: a client connected\n");
			fflush(stdout);
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
			printf("rdma-share: a client left\n");
			fflush(stdout);
			rdma_ack_cm_event(ev);
			rdma_destroy_qp(id);
			rdma_destroy_id(id);
			continue;
		default:
			break;
		}
		rdma_ack_cm_event(ev);
	}
	die("rdma_get_cm_event", errno);
}

/* a number for OFFSET or LENGTH, or exit */
static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		die(s, EINVAL);
	return v;
}

static int connect_to(const char *src, const char *addr, const char *port,
		      char **args)
{
	struct rdma_event_channel *ec = rdma_create_event_channel();
	struct rdma_conn_param param = {
		.responder_resources = 1, .initiator_depth = 1,
		.retry_count = 7, .rnr_retry_count = 7,
	};
	struct addrinfo *dst = lookup(addr, port), *from = NULL;
	bool write = !strcmp(args[0], "write");
	uint64_t off = number(args[1]), len;
	struct share_info info;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	struct ibv_send_wr wr = { 0 }, *bad;
	struct ibv_sge sge;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	struct ibv_wc wc;
	char *local;
	int n;

	len = write ? strlen(args[2]) : number(args[2]);
	if (!len)
		die("length", EINVAL);
	if (src)
		from = lookup(src, NULL);
	if (!ec)
		die("rdma_create_event_channel (is rdma_ucm loaded?)", errno);
	if (rdma_create_id(ec, &id, NULL, RDMA_PS_TCP))
		die("rdma_create_id", errno);
	if (rdma_resolve_addr(id, from ? from->ai_addr : NULL, dst->ai_addr,
			      TIMEOUT_MS))
		die("rdma_resolve_addr", errno);
	rdma_ack_cm_event(expect_event(ec, RDMA_CM_EVENT_ADDR_RESOLVED));
	if (rdma_resolve_route(id, TIMEOUT_MS))
		die("rdma_resolve_route", errno);
	rdma_ack_cm_event(expect_event(ec, RDMA_CM_EVENT_ROUTE_RESOLVED));

	pd = ibv_alloc_pd(id->verbs);
	if (!pd)
		die("ibv_alloc_pd", errno);
	make_qp(id, pd);
	local = calloc(1, len + 1);
	if (!local)
		die("calloc", ENOMEM);
	if (write)
		memcpy(local, args[2], len);
	mr = ibv_reg_mr(pd, local, len, IBV_ACCESS_LOCAL_WRITE);
	if (!mr)
		die("ibv_reg_mr", errno);

	if (rdma_connect(id, &param))
		die("rdma_connect", errno);
	ev = expect_event(ec, RDMA_CM_EVENT_ESTABLISHED);
	/* the server's word: checked before it is used */
	if (ev->param.conn.private_data_len < sizeof(info))
		die("the server's region", EPROTO);
	memcpy(&info, ev->param.conn.private_data, sizeof(info));
	rdma_ack_cm_event(ev);
	if (off > be64toh(info.len) || len > be64toh(info.len) - off)
		die("offset and length past the shared buffer", ERANGE);

	sge = (struct ibv_sge){ .addr = (uintptr_t)local, .length = len,
				.lkey = mr->lkey };
	wr.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.wr.rdma.remote_addr = be64toh(info.addr) + off;
	wr.wr.rdma.rkey = be32toh(info.rkey);
	if (ibv_post_send(id->qp, &wr, &bad))
		die("ibv_post_send", errno);
	while (!(n = ibv_poll_cq(id->qp->send_cq, 1, &wc)))
		usleep(100);
	if (n < 0 || wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "%s: RDMA %s: %s\n", prog,
			write ? "WRITE" : "READ",
			n < 0 ? "poll failed" : ibv_wc_status_str(wc.status));
		exit(EXIT_FAILURE);
	}
	if (write)
		printf("rdma-share: wrote %llu bytes at %llu\n",
		       (unsigned long long)len, (unsigned long long)off);
	else
		fwrite(local, 1, len, stdout);

	rdma_disconnect(id);
	rdma_destroy_qp(id);
	ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	rdma_destroy_id(id);
	rdma_destroy_event_channel(ec);
	free(local);
	freeaddrinfo(dst);
	if (from)
		freeaddrinfo(from);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct example ex = { .name = "rdma-share" };
	const char *src = NULL;
	int i = 1;

	if (argc > 1 && !strcmp(argv[1], "connect")) {
		i = 2;
		if (argc > 3 && !strcmp(argv[2], "-s")) {
			src = argv[3];
			i = 4;
		}
		/* ADDR [PORT] write|read X Y */
		if (argc - i < 4 || (strcmp(argv[argc - 3], "write") &&
				     strcmp(argv[argc - 3], "read")))
			goto usage;
		if (argc - i == 4)
			return connect_to(src, argv[i], DEFAULT_PORT, argv + i + 1);
		if (argc - i == 5)
			return connect_to(src, argv[i], argv[i + 1], argv + i + 2);
		goto usage;
	}
	i = example_open(&ex, argc, argv, EXAMPLE_RW);
	if (argc - i < 2 || strcmp(argv[i], "serve"))
		goto usage;
	i++;
	if (argc - i == 1)
		serve(&ex, argv[i], DEFAULT_PORT);
	if (argc - i == 2)
		serve(&ex, argv[i], argv[i + 1]);
usage:
	fprintf(stderr, "Usage: %s [-d PATH] serve ADDR [PORT]\n"
		"       %s connect [-s SRC] ADDR [PORT] write OFFSET TEXT\n"
		"       %s connect [-s SRC] ADDR [PORT] read OFFSET LENGTH\n",
		prog, prog, prog);
	return 2;
}
