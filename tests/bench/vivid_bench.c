// SPDX-License-Identifier: GPL-2.0
/*
 * vivid_bench - a camera's frames into the buffer, two ways, as CSV rows
 * (where,benchmark,variant,size,unit,median,min,max,reps) on stdout,
 * benchmark "vivid", size the bytes of one frame:
 *
 *   dmabuf       vivid (the kernel's virtual video driver) captures with
 *                V4L2_MEMORY_DMABUF into 3 ranges of the buffer exported
 *                with mmio_shm_export_dmabuf(): its thread writes each
 *                frame straight into the buffer's pages
 *   mmap+memcpy  what users do without the export: vivid captures into
 *                its own V4L2_MEMORY_MMAP buffers and the program copies
 *                each frame into the buffer
 *
 * Units: frames/s (from the first frame dequeued to the last), and
 * cpu-ns/frame, the CPU time per frame of this process (getrusage) plus
 * vivid's capture thread (its /proc/PID/schedstat, the kernel thread that
 * draws each frame, named vivid-NNN-vid-cap): where the copy goes.
 * vivid is asked for 60 frames a second, or the nearest it offers for the
 * size; under TCG it may draw fewer, so frames/s is bounded by vivid and
 * the CPU time is the figure that tells the two ways apart.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "libmmio_shm.h"
#include "../selftests/vivid.h"

#define BENCH_VERSION	"1.0"
#define MAX_REPS	20
#define BUFS		3
#define FRAME_MS	10000

/* CPU time of this process, ns */
static uint64_t self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

/* CPU time of vivid's capture threads (comm vivid-*), ns */
static uint64_t vivid_thread_ns(void)
{
	char path[300], comm[32];
	unsigned long long ns;
	struct dirent *d;
	uint64_t sum = 0;
	DIR *dir = opendir("/proc");
	FILE *f;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f) || strncmp(comm, "vivid-", 6) ||
		    !strstr(comm, "-vid-c")) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/schedstat", d->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	closedir(dir);
	return sum;
}

/*
 * One run of @frames frames into the buffer at @mem (the device mapped),
 * slots of @slot bytes: frames/s in *@fps, CPU ns a frame in *@cpu.
 */
static int run_once(int cam, bool dmabuf, struct mmio_shm *shm, uint8_t *mem,
		    size_t frame, size_t slot, int frames, double *fps,
		    double *cpu, double *thread)
{
	uint32_t memory = dmabuf ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	void *map[BUFS];
	size_t len[BUFS];
	int fd[BUFS], i, ret;
	uint64_t t0 = 0, c0 = 0, k0 = 0;
	struct v4l2_buffer b;

	for (i = 0; i < BUFS; i++) {
		map[i] = MAP_FAILED;
		fd[i] = -1;
	}
	ret = vivid_reqbufs(cam, memory, BUFS);
	if (ret >= 0 && ret != BUFS)
		ret = -ENOBUFS;
	if (ret < 0)
		return ret;
	for (i = 0; i < BUFS; i++) {
		if (dmabuf) {
			fd[i] = mmio_shm_export_dmabuf(shm, i * slot, slot,
						       MMIO_SHM_EXPORT_DMABUF_CLOEXEC);
			ret = fd[i];
			if (ret < 0)
				goto out;
		} else {
			memset(&b, 0, sizeof(b));
			b.index = i;
			b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			b.memory = V4L2_MEMORY_MMAP;
			if (ioctl(cam, VIDIOC_QUERYBUF, &b)) {
				ret = -errno;
				goto out;
			}
			len[i] = b.length;
			map[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED,
				      cam, b.m.offset);
			if (map[i] == MAP_FAILED) {
				ret = -errno;
				goto out;
			}
		}
		ret = vivid_qbuf(cam, memory, i, fd[i], slot);
		if (ret)
			goto out;
	}
	ret = vivid_stream(cam, true);
	if (ret)
		goto out;
	/* frame 0 starts the clocks: vivid's thread is running by then */
	for (i = 0; i <= frames; i++) {
		ret = vivid_dqbuf(cam, memory, &b, FRAME_MS);
		if (ret)
			break;
		if (!dmabuf)
			memcpy(mem + b.index * slot, map[b.index], frame);
		if (!i) {
			t0 = now_ns();
			k0 = vivid_thread_ns();
			c0 = self_cpu_ns() + k0;
		}
		ret = vivid_qbuf(cam, memory, b.index, fd[b.index], slot);
		if (ret)
			break;
	}
	if (!ret) {
		uint64_t k = vivid_thread_ns();

		*fps = frames / ((now_ns() - t0) / 1e9);
		*cpu = (double)(self_cpu_ns() + k - c0) / frames;
		*thread = (double)(k - k0) / frames;
	}
	vivid_stream(cam, false);
out:
	for (i = 0; i < BUFS; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		if (map[i] != MAP_FAILED)
			munmap(map[i], len[i]);
	}
	vivid_reqbufs(cam, memory, 0);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void emit(const char *where, const char *variant, size_t size,
		 const char *unit, double *v, int n)
{
	double med;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s,vivid,%s,%zu,%s,%.6g,%.6g,%.6g,%d\n", where, variant, size,
	       unit, med, v[0], v[n - 1], n);
	fflush(stdout);
	fprintf(stderr, "bench[%s]: %-10s %-14s %8zu  %12.6g %s\n", where,
		"vivid", variant, size, med, unit);
}

static void print_help(const char *prog)
{
	printf("Usage: %s [OPTIONS]\n"
	       "vivid's frames into the device's buffer by dma-buf export and by\n"
	       "MMAP capture plus memcpy, as CSV\n"
	       "(where,benchmark,variant,size,unit,median,min,max,reps).\n\n"
	       "Options:\n"
	       "  -d, --device=PATH    the device (default /dev/mmio_shm)\n"
	       "  -w, --where=NAME     the first column (default guest)\n"
	       "  -r, --reps=N         runs per figure, 1-%d (default 5)\n"
	       "  -f, --frames=N       frames per run (default 30)\n"
	       "  -s, --size=WxH       the frame size asked of vivid (default 1280x720)\n"
	       "  -h, --help           this text\n"
	       "  -v, --version        the version\n", prog, MAX_REPS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "where", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'r' },
		{ "frames", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	static const char * const variants[] = { "dmabuf", "mmap+memcpy" };
	const char *dev = MMIO_SHM_DEFAULT_PATH, *where = "guest", *why = NULL;
	double fps[2][MAX_REPS], cpu[2][MAX_REPS], thread[2];
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	unsigned int w = 1280, h = 720;
	int opt, reps = 5, frames = 30, cam, v, r, ret;
	struct v4l2_format fmt;
	struct mmio_shm *shm;
	size_t size = 0, slot;
	long ps = sysconf(_SC_PAGESIZE);
	void *mem;

	while ((opt = getopt_long(argc, argv, "d:w:r:f:s:hv", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'w': where = optarg; break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				goto usage;
			break;
		case 'f':
			frames = atoi(optarg);
			if (frames < 1 || frames > 100000)
				goto usage;
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &w, &h) != 2 || !w || !h)
				goto usage;
			break;
		case 'h':
			print_help(argv[0]);
			return EXIT_SUCCESS;
		case 'v':
			printf("vivid_bench %s\n", BENCH_VERSION);
			return EXIT_SUCCESS;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	cam = vivid_open(&why);
	if (cam < 0) {
		fprintf(stderr, "vivid_bench: %s\n", why);
		return EXIT_FAILURE;
	}
	ret = vivid_still(cam, &why);
	if (ret) {
		fprintf(stderr, "vivid_bench: %s: %s\n", why, strerror(-ret));
		return EXIT_FAILURE;
	}
	ret = vivid_format_size(cam, &fmt, w, h);
	if (ret) {
		fprintf(stderr, "vivid_bench: format %ux%u: %s\n", w, h, strerror(-ret));
		return EXIT_FAILURE;
	}
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = 60;
	ioctl(cam, VIDIOC_S_PARM, &parm);
	fprintf(stderr, "bench[%s]: vivid %ux%u YUYV, %u bytes a frame, %u/%u s a frame asked 1/60\n",
		where, fmt.fmt.pix.width, fmt.fmt.pix.height,
		fmt.fmt.pix.sizeimage, parm.parm.capture.timeperframe.numerator,
		parm.parm.capture.timeperframe.denominator);
	slot = (fmt.fmt.pix.sizeimage + ps - 1) / ps * ps;

	ret = mmio_shm_open(dev, MMIO_SHM_OPEN_RDWR, &shm);
	if (!ret)
		ret = mmio_shm_map(shm, MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE,
				   &mem, &size);
	if (!ret && size < BUFS * slot)
		ret = -ENOSPC;
	if (ret) {
		fprintf(stderr, "vivid_bench: %s: %s\n", dev, strerror(-ret));
		return EXIT_FAILURE;
	}
	/*
	 * the two ways take turns, run by run: a load that comes and goes on
	 * the host (other guests) then weighs on both alike
	 */
	for (r = 0; r < reps; r++) {
		for (v = 0; v < 2; v++) {
			ret = run_once(cam, !v, shm, mem, fmt.fmt.pix.sizeimage,
				       slot, frames, &fps[v][r], &cpu[v][r],
				       &thread[v]);
			if (ret) {
				fprintf(stderr, "bench[%s]: vivid %s: %s\n", where,
					variants[v], strerror(-ret));
				return EXIT_FAILURE;
			}
		}
	}
	for (v = 0; v < 2; v++) {
		/* vivid's thread unseen would leave its share out of the figure */
		fprintf(stderr, "bench[%s]: vivid %s: its capture thread %.6g ns of the last run's %.6g CPU ns a frame\n",
			where, variants[v], thread[v], cpu[v][reps - 1]);
		emit(where, variants[v], fmt.fmt.pix.sizeimage, "frames/s", fps[v], reps);
		emit(where, variants[v], fmt.fmt.pix.sizeimage, "cpu-ns/frame", cpu[v], reps);
	}
	mmio_shm_close(shm);
	close(cam);
	return EXIT_SUCCESS;

usage:
	fprintf(stderr, "try %s --help\n", argv[0]);
	return EXIT_FAILURE;
}
