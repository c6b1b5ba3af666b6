/* The one intrusive doubly linked list of the C layers: the resolver's
 * queries, the fetcher's and the prober's work queues, the observers of a
 * resolver. An element embeds a struct mts_link and may sit in one list per
 * link it embeds; MTS_CONTAINER gets the element back from its link. */
#ifndef MTS_LIST_H
#define MTS_LIST_H

#include <stddef.h>

struct mts_link {
	struct mts_link *prev, *next;
};

struct mts_list {
	struct mts_link *head, *tail;
	size_t n;
};

#define MTS_CONTAINER(link, type, member) ((type *)(void *)((char *)(link) - offsetof(type, member)))

/* Inserts e after `after` (NULL: at the front). e must not be in a list. */
static inline void mts_list_insert_after(struct mts_list *l, struct mts_link *after, struct mts_link *e)
{
	e->prev = after;
	e->next = after ? after->next : l->head;
	if (e->next)
		e->next->prev = e;
	else
		l->tail = e;
	if (after)
		after->next = e;
	else
		l->head = e;
	l->n++;
}

static inline void mts_list_append(struct mts_list *l, struct mts_link *e)
{
	mts_list_insert_after(l, l->tail, e);
}

/* Unlinks e, which must be in l. */
static inline void mts_list_remove(struct mts_list *l, struct mts_link *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
	l->n--;
}

/* Moves e from list `from` (NULL: in no list) to the end of `to`. */
static inline void mts_list_move(struct mts_list *from, struct mts_list *to, struct mts_link *e)
{
	if (from)
		mts_list_remove(from, e);
	mts_list_append(to, e);
}

#endif
