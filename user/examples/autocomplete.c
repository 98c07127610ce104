// SPDX-License-Identifier: MIT
/*
 * autocomplete - a sorted word list in the shared buffer, searched by
 * prefix with a binary search, so any process can complete words without
 * loading the list itself.
 *
 *   autocomplete [-d PATH] load      words from stdin, one per line
 *   autocomplete [-d PATH] query PREFIX
 *
 * The buffer holds a header, then `count` fixed-size records in strcmp()
 * order. load sorts and deduplicates; query prints every word that starts
 * with PREFIX, in order, one per line.
 */
#include <stdint.h>

#include "example.h"

#define WORD_MAX	32			/* record size, NUL included */
#define WORDS_MAGIC	"ACWORDS1"

struct words {
	char magic[8];		/* WORDS_MAGIC once loaded */
	uint32_t count;		/* records that follow */
	uint32_t record_size;	/* WORD_MAX */
	char word[][WORD_MAX];	/* sorted, each NUL-padded */
};

static int cmp_word(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void load(struct example *ex, struct words *w)
{
	size_t cap = (ex->size - sizeof(*w)) / WORD_MAX, n = 0, i, kept = 0;
	char (*list)[WORD_MAX] = NULL;
	char line[256];

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (strlen(line) >= WORD_MAX)
			example_die(ex, line, -ENAMETOOLONG);
		if (n == cap)
			example_die(ex, "load", -ENOSPC);
		list = realloc(list, (n + 1) * sizeof(*list));
		if (!list)
			example_die(ex, "load", -ENOMEM);
		memset(list[n], 0, WORD_MAX);
		strcpy(list[n++], line);
	}
	qsort(list, n, WORD_MAX, cmp_word);

	/* hide the list while it changes, then publish the count and magic */
	memset(w->magic, 0, sizeof(w->magic));
	for (i = 0; i < n; i++)
		if (!kept || strcmp(list[i], w->word[kept - 1]))
			memcpy(w->word[kept++], list[i], WORD_MAX);
	w->count = (uint32_t)kept;
	w->record_size = WORD_MAX;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(w->magic, WORDS_MAGIC, sizeof(w->magic));
	free(list);
	printf("loaded %zu words\n", kept);
}

/* index of the first word not less than @prefix (lower bound) */
static uint32_t lower_bound(const struct words *w, const char *prefix)
{
	uint32_t lo = 0, hi = w->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strcmp(w->word[mid], prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void query(struct example *ex, const struct words *w,
		  const char *prefix)
{
	size_t len = strlen(prefix);
	uint32_t i;

	if (memcmp(w->magic, WORDS_MAGIC, sizeof(w->magic)) ||
	    w->record_size != WORD_MAX ||
	    w->count > (ex->size - sizeof(*w)) / WORD_MAX)
		example_die(ex, "no word list (run load first)", -ENOENT);
	for (i = lower_bound(w, prefix); i < w->count; i++) {
		if (strncmp(w->word[i], prefix, len))
			break;
		printf("%s\n", w->word[i]);
	}
}

int main(int argc, char **argv)
{
	struct example ex = { .name = "autocomplete" };
	int first = example_open(&ex, argc, argv, EXAMPLE_RW);

	if (ex.size < sizeof(struct words) + WORD_MAX)
		example_die(&ex, "buffer", -ENOSPC);
	if (argc - first == 1 && !strcmp(argv[first], "load"))
		load(&ex, ex.buf);
	else if (argc - first == 2 && !strcmp(argv[first], "query"))
		query(&ex, ex.buf, argv[first + 1]);
	else
		example_usage(&ex, "load | query PREFIX");
	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
