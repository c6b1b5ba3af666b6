/* A pollable I/O context and its handles, for Lua: what mtasts.resolver,
 * mtasts.fetcher and mtasts.prober have in common (STYLE.md 6-8).
 *
 * A context userdata starts with struct mts_lctx; its C core does the I/O.
 * Its user value is a table: `pending` maps each undelivered C item (light
 * userdata) to its handle, so pending handles stay alive; `resolver` keeps
 * the resolver a fetcher or prober works through. The contexts that work
 * through this one (its dependents, told of its close) are an intrusive list
 * in struct mts_lctx. A handle's user value holds its context (`ctx`), its
 * callback (`cb`), its submit time (`t0`, mts_monotonic_s), optionally a
 * `detail` table set by the binding (a cancelled or closed handle's result
 * is then nil, message, "CANCELLED", detail, with detail.elapsed set) and,
 * once delivered, its stored result values (1..n, and n).
 *
 * Cores only record in C; Lua runs from step()/wait(), which deliver every
 * finished item, run the callbacks under pcall and then raise the first
 * callback error. The context-specific parts come in a mts_lctx_class. */
#ifndef MTS_LCONTEXT_H
#define MTS_LCONTEXT_H

#include <stddef.h>

#include "compat.h"
#include "../pure/list.h"

struct mts_lctx_class;

struct mts_lctx {
	void *core; /* NULL once closed */
	const struct mts_lctx_class *cls; /* set by mts_lctx_new */
	struct mts_lctx *on;        /* the context this one works through, until either closes */
	struct mts_link dep_link;   /* in on->dependents */
	struct mts_list dependents; /* the contexts working through this one */
};

enum mts_hstate { MTS_H_PENDING, MTS_H_DONE, MTS_H_CANCELLED, MTS_H_CLOSED };

struct mts_lhandle {
	void *item; /* the C item; NULL once delivered or cancelled */
	enum mts_hstate state;
};

struct mts_lctx_class {
	const char *type;        /* "mtasts.fetcher" */
	const char *handle_type; /* "mtasts.fetcher.handle" */
	/* for messages: "attempt to use a closed fetcher", "the fetcher was
	 * closed", "the fetch was cancelled", "fetches still pending" */
	const char *noun, *item, *items;
	/* wait() delivers what is already finished before it first runs the
	 * core (the resolver: r:wait(0) never processes); otherwise it runs the
	 * core first (the fetcher and prober: f:wait(0) delivers what is ready) */
	int wait_delivers_first;
	/* close(): items of pending handles outlive the core (the resolver
	 * detaches its queries: each handle frees its own); otherwise the core
	 * frees them with itself */
	int handles_keep_items;

	int (*fd)(void *core);
	int (*timeout_ms)(void *core); /* -1: nothing pending, 0: step() now */
	size_t (*pending)(void *core);
	void (*process)(void *core);   /* runs what is ready, never waits */
	void *(*take_done)(void *core);
	void (*free_core)(void *core);
	void (*free_item)(void *item);
	/* pushes the values a handle stores for a finished item; returns how many */
	int (*push_result)(lua_State *L, void *item);
	/* optional: pushes what h:result() and the callback get from the first
	 * stored value at idx; returns how many (NULL: the stored values) */
	int (*push_return)(lua_State *L, int idx);
	/* optional (NULL: the context works through no resolver): the resolver
	 * it works through is closing. Called from the resolver's close, before
	 * the resolver's core is freed, so the core may still free its queries. */
	void (*lose_resolver)(void *core);
};

/* Pushes a new context userdata of size bytes (zeroed, core NULL) with
 * its metatable and user value { pending = {} }. A class with a resolver
 * (lose_resolver) also keeps the field resolver of the options table at opts
 * (a context userdata, checked by the caller) and becomes one of its
 * dependents: closing that context (close, __gc, __close) first calls
 * lose_resolver of each open dependent. */
void *mts_lctx_new(lua_State *L, const struct mts_lctx_class *c, size_t size, int opts);

/* The context at idx, open or closed; raises if it is not one. */
void *mts_lctx_check(lua_State *L, const struct mts_lctx_class *c, int idx);

/* The context at idx; raises "attempt to use a closed <noun>". */
void *mts_lctx_checkopen(lua_State *L, const struct mts_lctx_class *c, int idx);

/* Pushes a new pending handle of the context at ud (absolute), with the
 * callback at cbi (0: none). Its item comes with mts_lctx_track. */
struct mts_lhandle *mts_lctx_newhandle(lua_State *L, const struct mts_lctx_class *c, int ud, int cbi);

/* Gives the handle at h its C item (NULL raises "not enough memory") and
 * anchors it in the context at ud until delivery. */
void mts_lctx_track(lua_State *L, int ud, int h, void *item);

/* For the blocking calls: runs the context at ud until the handle at h
 * (both absolute) is delivered, closes the context and pushes what
 * h:result() returns; returns how many values. */
int mts_lctx_finish(lua_State *L, const struct mts_lctx_class *c, int ud, int h);

/* Registers the context and handle metatables: pollfd/getfd/events/
 * timeout/step/wait/pending/close (also __gc, __close), __tostring, plus
 * methods (the context's own: submit, query); handles get result/cancel. */
void mts_lctx_register(lua_State *L, const struct mts_lctx_class *c, const luaL_Reg *methods);

#endif
