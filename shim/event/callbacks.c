/*
 * callbacks.c - the registry of tcp_on_event() callbacks.
 *
 * A slot is published under a sequence count, odd while it changes: a
 * reader takes fn and arg only as a pair written together, and skips a
 * slot that is changing rather than wait (it may be a signal handler
 * that interrupted the writer).
 */
#include "event/callbacks.h"

#include <stdatomic.h>

static struct callback {
	atomic_int used;
	atomic_uint seq;
	_Atomic(tcp_event_fn) fn;
	void *_Atomic arg;
} callbacks[CALLBACKS_MAX];

static void slot_write(struct callback *cb, tcp_event_fn fn, void *arg)
{
	atomic_fetch_add(&cb->seq, 1);
	atomic_store(&cb->fn, fn);
	atomic_store(&cb->arg, arg);
	atomic_fetch_add(&cb->seq, 1);
}

/* fn and arg as written together, or 0 if the slot is changing. */
static int slot_read(struct callback *cb, tcp_event_fn *fn, void **arg)
{
	unsigned int seq = atomic_load(&cb->seq);

	if (seq & 1)
		return 0;
	*fn = atomic_load(&cb->fn);
	*arg = atomic_load(&cb->arg);
	return atomic_load(&cb->seq) == seq;
}

int callbacks_add(tcp_event_fn fn, void *arg)
{
	for (int i = 0; i < CALLBACKS_MAX; i++) {
		tcp_event_fn f;
		void *a;

		if (slot_read(&callbacks[i], &f, &a) && f == fn && a == arg)
			return 0;
	}
	for (int i = 0; i < CALLBACKS_MAX; i++) {
		int free_slot = 0;

		if (atomic_compare_exchange_strong(&callbacks[i].used,
						   &free_slot, 1)) {
			slot_write(&callbacks[i], fn, arg);
			return 0;
		}
	}
	return -1;
}

void callbacks_clear(void)
{
	for (int i = 0; i < CALLBACKS_MAX; i++) {
		slot_write(&callbacks[i], NULL, NULL);
		atomic_store(&callbacks[i].used, 0);
	}
}

int callbacks_any(void)
{
	for (int i = 0; i < CALLBACKS_MAX; i++)
		if (atomic_load_explicit(&callbacks[i].used,
					 memory_order_relaxed))
			return 1;
	return 0;
}

void callbacks_call(const struct tcp_event *ev)
{
	for (int i = 0; i < CALLBACKS_MAX; i++) {
		tcp_event_fn fn;
		void *arg;

		if (slot_read(&callbacks[i], &fn, &arg) && fn != NULL)
			fn(ev, arg);
	}
}
