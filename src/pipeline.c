/* pipeline.c - read in order, hash in parallel, hand back in order (see
 * pipeline.h).
 *
 * Each slot holds one block and goes FREE -> READING (the reader) -> READ
 * -> HASHING (a hasher) -> READY -> TAKEN (the caller) -> FREE.  Block i
 * always uses slot i % n_slots, so "the next block" of each stage is one
 * slot to look at.  One lock and one condition guard every state: the
 * work done outside the lock (a pread, a SHA-256 of 4 MiB) dwarfs the
 * wakeups. */
#include "wintogo/pipeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "wintogo/extents.h"
#include "wintogo/util.h"

enum slot_state { SLOT_FREE, SLOT_READING, SLOT_READ, SLOT_HASHING, SLOT_READY, SLOT_TAKEN };

struct slot {
	enum slot_state state;
	uint8_t *buf;
	struct pipeline_block block;
};

#define MAX_HASHERS 4

struct pipeline {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pipeline_read_fn read;
	void *arg;
	size_t count;
	struct slot *slots;
	size_t n_slots;
	size_t next_to_hash;    /* the next block a hasher takes */
	size_t next_to_take;    /* the next block the caller gets */
	bool stop;
	bool has_reader;        /* else the caller reads */
	pthread_t reader;
	pthread_t hashers[MAX_HASHERS];
	size_t n_hashers;       /* 0: the caller hashes */
};

static struct slot *slot_of(struct pipeline *p, size_t index)
{
	return &p->slots[index % p->n_slots];
}

/* Fills s with block index; called without the lock. */
static void read_into(struct pipeline *p, struct slot *s, size_t index)
{
	s->block = (struct pipeline_block){ .index = index };
	s->block.ret = p->read(p->arg, index, s->buf, &s->block) < 0 ? -1 : 0;
}

static void hash(struct pipeline_block *b)
{
	if (b->ret == 0 && b->hashed)
		sha256_buffer(b->data, b->length, b->sha256);
}

static void *reader_main(void *arg)
{
	struct pipeline *p = arg;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->count && !p->stop; i++) {
		struct slot *s = slot_of(p, i);
		bool failed;

		while (s->state != SLOT_FREE && !p->stop)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop)
			break;
		s->state = SLOT_READING;
		pthread_mutex_unlock(&p->lock);
		read_into(p, s, i);
		failed = s->block.ret < 0;
		pthread_mutex_lock(&p->lock);
		s->state = SLOT_READ;
		pthread_cond_broadcast(&p->changed);
		/* what follows a failed read is never wanted: the caller stops there */
		if (failed)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void *hasher_main(void *arg)
{
	struct pipeline *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->next_to_hash < p->count) {
		struct slot *s = slot_of(p, p->next_to_hash);

		if (s->state != SLOT_READ || s->block.index != p->next_to_hash) {
			pthread_cond_wait(&p->changed, &p->lock);
			continue;
		}
		s->state = SLOT_HASHING;
		p->next_to_hash++;
		pthread_mutex_unlock(&p->lock);
		hash(&s->block);
		pthread_mutex_lock(&p->lock);
		s->state = SLOT_READY;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static size_t hashers_wanted(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	/* one per CPU: the reader and the caller mostly wait for the disk */
	return cpus < 1 ? 1 : cpus > MAX_HASHERS ? MAX_HASHERS : (size_t)cpus;
}

struct pipeline *pipeline_start(size_t count, pipeline_read_fn read, void *arg)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	size_t want = hashers_wanted();

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->read = read;
	p->arg = arg;
	p->count = count;
	/* one being read, one per hasher, one with the caller, one read ahead */
	p->n_slots = want + 3;
	p->slots = xcalloc(p->n_slots, sizeof(*p->slots));
	for (size_t i = 0; i < p->n_slots; i++)
		p->slots[i].buf = xaligned(BLOCK_BYTES + 2 * IO_ALIGN);

	p->has_reader = pthread_create(&p->reader, NULL, reader_main, p) == 0;
	while (p->n_hashers < want &&
	       pthread_create(&p->hashers[p->n_hashers], NULL, hasher_main, p) == 0)
		p->n_hashers++;
	return p;
}

int pipeline_next(struct pipeline *p, struct pipeline_block **block_ret)
{
	size_t index = p->next_to_take;
	struct slot *s;

	if (index >= p->count)
		return 0;
	s = slot_of(p, index);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (s->state == SLOT_READY && s->block.index == index)
			break;
		if (!p->has_reader && s->state == SLOT_FREE) {
			s->state = SLOT_READING;
			pthread_mutex_unlock(&p->lock);
			read_into(p, s, index);
			pthread_mutex_lock(&p->lock);
			s->state = SLOT_READ;
			pthread_cond_broadcast(&p->changed);   /* for the hashers */
			continue;
		}
		if (!p->n_hashers && s->state == SLOT_READ && s->block.index == index) {
			s->state = SLOT_HASHING;
			p->next_to_hash++;
			pthread_mutex_unlock(&p->lock);
			hash(&s->block);
			pthread_mutex_lock(&p->lock);
			s->state = SLOT_READY;
			continue;
		}
		pthread_cond_wait(&p->changed, &p->lock);
	}
	s->state = SLOT_TAKEN;
	pthread_mutex_unlock(&p->lock);
	*block_ret = &s->block;
	return 1;
}

void pipeline_release(struct pipeline *p, struct pipeline_block *b)
{
	struct slot *s = slot_of(p, b->index);

	pthread_mutex_lock(&p->lock);
	s->state = SLOT_FREE;
	p->next_to_take = b->index + 1;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	if (p->has_reader)
		pthread_join(p->reader, NULL);
	for (size_t i = 0; i < p->n_hashers; i++)
		pthread_join(p->hashers[i], NULL);
	for (size_t i = 0; i < p->n_slots; i++)
		free(p->slots[i].buf);
	free(p->slots);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
