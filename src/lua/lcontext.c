/* A pollable I/O context and its handles: see lcontext.h. The methods get
 * their mts_lctx_class as upvalue 1. */
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "lcontext.h"
#include "../pure/clock.h"
#include "../pure/list.h"

#define CLASS(L) ((const struct mts_lctx_class *)lua_touserdata(L, lua_upvalueindex(1)))

void *mts_lctx_check(lua_State *L, const struct mts_lctx_class *c, int idx)
{
	return luaL_checkudata(L, idx, c->type);
}

void *mts_lctx_checkopen(lua_State *L, const struct mts_lctx_class *c, int idx)
{
	struct mts_lctx *x = mts_lctx_check(L, c, idx);
	if (x->core == NULL)
		luaL_error(L, "attempt to use a closed %s", c->noun);
	return x;
}

/* ---- dependents: a context that works through another one (a fetcher
 * or prober through its resolver) is linked into that context's list of
 * dependents (src/pure/list.h) and told of its close before its core is
 * freed. Nothing here knows what a resolver is.
 *
 * Lifetimes: a dependent anchors the context it works through (field
 * resolver of its user value) until it closes, and every context closes in
 * its __gc, also at lua_close, where memory is freed only after every
 * finalizer ran. So `on` points to a live context while it is set, and a
 * dependent leaves the list when it closes (even one whose constructor
 * raised before it had a core). */

#define DEP(l) MTS_CONTAINER(l, struct mts_lctx, dep_link)

/* The context x leaves the dependents of the one it works through. */
static void leave(struct mts_lctx *x)
{
	if (x->on == NULL)
		return;
	mts_list_remove(&x->on->dependents, &x->dep_link);
	x->on = NULL;
}

/* The context x is closing: each open dependent loses it now, while its
 * core (the resolver) still exists. The dependents keep it anchored (a
 * closed context is small) until they are closed or collected. */
static void tell_dependents(struct mts_lctx *x)
{
	struct mts_link *l;
	while ((l = x->dependents.head) != NULL) {
		struct mts_lctx *d = DEP(l);
		leave(d);
		if (d->core != NULL && d->cls != NULL && d->cls->lose_resolver != NULL)
			d->cls->lose_resolver(d->core);
	}
}

void *mts_lctx_new(lua_State *L, const struct mts_lctx_class *c, size_t size, int opts)
{
	struct mts_lctx *x = mts_newuserdata(L, size);
	int ud = lua_gettop(L);
	memset(x, 0, size);
	x->cls = c;
	luaL_getmetatable(L, c->type);
	lua_setmetatable(L, ud);
	lua_createtable(L, 0, 4);
	lua_newtable(L);
	lua_setfield(L, -2, "pending");
	if (c->lose_resolver != NULL) {
		struct mts_lctx *on;
		lua_getfield(L, opts, "resolver"); /* anchored: it outlives the context */
		on = lua_touserdata(L, -1);
		if (on != NULL) {
			x->on = on;
			mts_list_append(&on->dependents, &x->dep_link);
		}
		lua_setfield(L, -2, "resolver");
	}
	mts_setuservalue(L, ud);
	return x;
}

struct mts_lhandle *mts_lctx_newhandle(lua_State *L, const struct mts_lctx_class *c, int ud, int cbi)
{
	struct mts_lhandle *h = mts_newuserdata(L, sizeof *h);
	int hi = lua_gettop(L);
	h->item = NULL;
	h->state = MTS_H_PENDING;
	luaL_getmetatable(L, c->handle_type);
	lua_setmetatable(L, hi);
	lua_createtable(L, 3, 4);
	lua_pushvalue(L, ud);
	lua_setfield(L, -2, "ctx");
	lua_pushnumber(L, mts_monotonic_s());
	lua_setfield(L, -2, "t0");
	if (cbi) {
		lua_pushvalue(L, cbi);
		lua_setfield(L, -2, "cb");
	}
	mts_setuservalue(L, hi);
	return h;
}

void mts_lctx_track(lua_State *L, int ud, int h, void *item)
{
	struct mts_lhandle *lh = lua_touserdata(L, h);
	lh->item = item;
	if (item == NULL)
		luaL_error(L, "not enough memory");
	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "pending");
	lua_pushlightuserdata(L, item);
	lua_pushvalue(L, h);
	lua_rawset(L, -3);
	lua_pop(L, 2);
}

/* The handle at h (absolute) is cancelled or closed while pending: the
 * detail table its binding left in its user value (if any) gets elapsed,
 * seconds since submit. */
static void stamp_detail(lua_State *L, int h)
{
	mts_getuservalue(L, h);
	lua_getfield(L, -1, "detail");
	if (lua_istable(L, -1)) {
		lua_getfield(L, -2, "t0");
		lua_pushnumber(L, mts_monotonic_s() - lua_tonumber(L, -1));
		lua_setfield(L, -3, "elapsed");
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
}

/* ---- delivering */

/* Pushes what the callback and h:result() get from the n values stored in
 * the handle user value at uv; returns how many. */
static int push_stored(lua_State *L, const struct mts_lctx_class *c, int uv, int n)
{
	int i, k;
	if (c->push_return == NULL) {
		for (i = 1; i <= n; i++)
			lua_rawgeti(L, uv, i);
		return n;
	}
	lua_rawgeti(L, uv, 1);
	k = c->push_return(L, lua_gettop(L));
	lua_remove(L, -k - 1);
	return k;
}

/* Delivers every finished item of the context at ud: stores its result in
 * its handle and runs its callback under pcall (the first error is kept in
 * errslot). Returns the number delivered. */
static int deliver(lua_State *L, const struct mts_lctx_class *c, struct mts_lctx *x, int ud, int errslot)
{
	void *item;
	int count = 0, pend;

	mts_getuservalue(L, ud);
	lua_getfield(L, -1, "pending");
	pend = lua_gettop(L);
	/* x->core is read afresh each time: a callback may close the context */
	while (x->core != NULL && (item = c->take_done(x->core)) != NULL) {
		int top = lua_gettop(L), n, i;
		struct mts_lhandle *h;
		lua_pushlightuserdata(L, item);
		lua_rawget(L, pend); /* top+1: the handle */
		h = luaL_testudata(L, -1, c->handle_type);
		if (h == NULL || h->item != item) { /* cannot happen: not ours */
			c->free_item(item);
			lua_settop(L, top);
			continue;
		}
		mts_getuservalue(L, top + 1); /* top+2 */
		n = c->push_result(L, item);  /* top+3 ... */
		for (i = n; i >= 1; i--)
			lua_rawseti(L, top + 2, i);
		lua_pushinteger(L, n);
		lua_setfield(L, top + 2, "n");
		h->state = MTS_H_DONE;
		h->item = NULL;
		c->free_item(item);
		lua_pushlightuserdata(L, item);
		lua_pushnil(L);
		lua_rawset(L, pend);
		count++;
		lua_getfield(L, top + 2, "cb");
		if (lua_isfunction(L, -1)) {
			int nargs = push_stored(L, c, top + 2, n);
			if (lua_pcall(L, nargs, 0, 0) != 0 && lua_isnil(L, errslot))
				lua_replace(L, errslot);
		}
		lua_settop(L, top);
	}
	lua_pop(L, 2);
	return count;
}

static int raise_kept(lua_State *L, int errslot)
{
	if (!lua_isnil(L, errslot)) {
		lua_pushvalue(L, errslot);
		return lua_error(L);
	}
	return 0;
}


static int ms_from_seconds(lua_Number s)
{
	if (!(s > 0))
		return 0;
	if (s > 2000000)
		return 2000000000;
	return (int)ceil(s * 1000);
}

/* Waits up to ms (-1: forever) for the context's fd, bounded by its own
 * timeout; never when something is ready or nothing is pending. */
static void block(const struct mts_lctx_class *c, void *core, int ms)
{
	int t = c->timeout_ms(core);
	struct pollfd p;
	if (t == 0)
		return;
	if (ms >= 0 && (t < 0 || ms < t))
		t = ms;
	if (t < 0 && c->pending(core) == 0)
		return;
	p.fd = c->fd(core);
	if (p.fd < 0)
		return;
	p.events = POLLIN;
	p.revents = 0;
	(void)poll(&p, 1, t);
}

/* Runs the context at ud until nothing is pending (or a callback closed
 * it), or secs (< 0: no limit) passed. Returns 1 when nothing is pending. */
static int run(lua_State *L, const struct mts_lctx_class *c, struct mts_lctx *x, int ud, lua_Number secs,
               int errslot)
{
	double end = secs >= 0 ? mts_monotonic_s() + secs : 0;
	int first = 1;
	for (;;) {
		int ms = -1;
		if (!(first && c->wait_delivers_first))
			c->process(x->core);
		first = 0;
		deliver(L, c, x, ud, errslot);
		if (x->core == NULL)
			return 1;
		if (c->pending(x->core) == 0)
			return 1;
		if (secs >= 0) {
			double left = end - mts_monotonic_s();
			if (left <= 0)
				return 0;
			ms = ms_from_seconds(left);
		}
		block(c, x->core, ms);
	}
}

/* ---- the context's methods */

/***
 * Runs what is ready without blocking (or waiting up to `timeout` seconds
 * for something to happen), delivers what finished and runs the callbacks
 * (under pcall; the first callback error is raised after everything
 * finished was delivered).
 * @function step
 * @tparam[opt=0] number timeout
 * @treturn integer how many were delivered
 */
static int m_step(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lctx *x = mts_lctx_checkopen(L, c, 1);
	lua_Number t = luaL_optnumber(L, 2, 0);
	int n;
	luaL_argcheck(L, t == t, 2, "seconds is NaN");
	lua_settop(L, 1);
	lua_pushnil(L); /* 2: the first callback error */
	if (t > 0)
		block(c, x->core, ms_from_seconds(t));
	c->process(x->core);
	n = deliver(L, c, x, 1, 2);
	raise_kept(L, 2);
	lua_pushinteger(L, n);
	return 1;
}

/***
 * Blocks until everything submitted was delivered (callbacks run).
 * @function wait
 * @tparam[opt] number seconds give up after this long
 * @treturn true
 * @return[2] nil, message, "TIMEOUT" when seconds passed first
 */
static int m_wait(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lctx *x = mts_lctx_checkopen(L, c, 1);
	lua_Number secs = luaL_optnumber(L, 2, -1);
	int done;
	luaL_argcheck(L, secs == secs, 2, "seconds is NaN"); /* NaN would wait forever */
	lua_settop(L, 1);
	lua_pushnil(L); /* 2 */
	done = run(L, c, x, 1, secs, 2);
	raise_kept(L, 2);
	if (!done) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s still pending", c->items);
		lua_pushliteral(L, "TIMEOUT");
		return 3;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/***
 * The fd to poll for reading (cqueues' pollable protocol); also getfd().
 * @function pollfd
 */
static int m_pollfd(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lctx *x = mts_lctx_checkopen(L, c, 1);
	lua_pushinteger(L, c->fd(x->core));
	return 1;
}

/***
 * The events to poll for: always "r".
 * @function events
 */
static int m_events(lua_State *L)
{
	mts_lctx_checkopen(L, CLASS(L), 1);
	lua_pushliteral(L, "r");
	return 1;
}

/***
 * Seconds until step() must run even if the fd stays quiet (0: something
 * is ready), or nil when nothing is pending.
 * @function timeout
 */
static int m_timeout(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lctx *x = mts_lctx_checkopen(L, c, 1);
	int ms = c->timeout_ms(x->core);
	if (ms < 0)
		lua_pushnil(L);
	else
		lua_pushnumber(L, ms / 1000.0);
	return 1;
}

/***
 * How many were submitted and not yet delivered.
 * @function pending
 */
static int m_pending(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lctx *x = mts_lctx_checkopen(L, c, 1);
	lua_pushinteger(L, (lua_Integer)c->pending(x->core));
	return 1;
}

/* Closes the context at ud (absolute): pending handles become "closed"
 * (their callbacks never run). Idempotent. */
static void close_ctx(lua_State *L, const struct mts_lctx_class *c, int ud)
{
	struct mts_lctx *x = mts_lctx_check(L, c, ud);
	leave(x);
	if (x->core == NULL)
		return;
	mts_getuservalue(L, ud);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "pending");
		if (lua_istable(L, -1)) {
			lua_pushnil(L);
			while (lua_next(L, -2) != 0) {
				struct mts_lhandle *h = luaL_testudata(L, -1, c->handle_type);
				if (h != NULL && h->state == MTS_H_PENDING) {
					stamp_detail(L, lua_gettop(L));
					h->state = MTS_H_CLOSED;
					if (!c->handles_keep_items)
						h->item = NULL; /* freed with the core */
				}
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	tell_dependents(x);
	c->free_core(x->core);
	x->core = NULL;
	/* only the resolver stays: the closed handles are no longer anchored */
	lua_createtable(L, 0, 1);
	mts_getuservalue(L, ud);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "resolver");
		lua_setfield(L, -3, "resolver");
	}
	lua_pop(L, 1);
	mts_setuservalue(L, ud);
}

/***
 * Closes the context: pending items are dropped (their result becomes
 * nil, "the <context> was closed", "CANCELLED"; callbacks are not called).
 * Idempotent; also __gc and __close. A resolver it works through is not closed.
 * @function close
 */
static int m_close(lua_State *L)
{
	close_ctx(L, CLASS(L), 1);
	return 0;
}

static int m_tostring(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lctx *x = mts_lctx_check(L, c, 1);
	if (x->core == NULL)
		lua_pushfstring(L, "%s (closed): %p", c->type, (void *)x);
	else
		lua_pushfstring(L, "%s (open, %d pending): %p", c->type, (int)c->pending(x->core), (void *)x);
	return 1;
}

/* ---- handles */

/* Pushes what h:result() returns for the handle at h; returns how many. */
static int push_handle_result(lua_State *L, const struct mts_lctx_class *c, int h)
{
	struct mts_lhandle *lh = luaL_checkudata(L, h, c->handle_type);
	int n, uv;
	switch (lh->state) {
	case MTS_H_PENDING:
		lua_pushnil(L);
		lua_pushliteral(L, "pending");
		return 2;
	case MTS_H_CANCELLED:
	case MTS_H_CLOSED:
		lua_pushnil(L);
		if (lh->state == MTS_H_CANCELLED)
			lua_pushfstring(L, "the %s was cancelled", c->item);
		else
			lua_pushfstring(L, "the %s was closed", c->noun);
		lua_pushliteral(L, "CANCELLED");
		mts_getuservalue(L, h);
		lua_getfield(L, -1, "detail");
		lua_remove(L, -2);
		if (lua_istable(L, -1))
			return 4;
		lua_pop(L, 1);
		return 3;
	case MTS_H_DONE:
		break;
	}
	mts_getuservalue(L, h);
	uv = lua_gettop(L);
	lua_getfield(L, uv, "n");
	n = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	n = push_stored(L, c, uv, n);
	lua_remove(L, uv);
	return n;
}

/***
 * The result once delivered by step()/wait(): what the blocking call
 * returns, or nil, "pending", or nil, message, "CANCELLED" after cancel()
 * or the context's close().
 * @function handle:result
 */
static int m_h_result(lua_State *L)
{
	return push_handle_result(L, CLASS(L), 1);
}

/***
 * Cancels a pending item: it is never delivered and its callback never runs.
 * @function handle:cancel
 * @treturn boolean true if it was pending
 */
static int m_h_cancel(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lhandle *lh = luaL_checkudata(L, 1, c->handle_type);
	if (lh->state != MTS_H_PENDING) {
		lua_pushboolean(L, 0);
		return 1;
	}
	stamp_detail(L, 1);
	mts_getuservalue(L, 1);
	lua_getfield(L, -1, "ctx");
	mts_getuservalue(L, -1);
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "pending");
		if (lua_istable(L, -1)) {
			lua_pushlightuserdata(L, lh->item);
			lua_pushnil(L);
			lua_rawset(L, -3);
		}
	}
	c->free_item(lh->item);
	lh->item = NULL;
	lh->state = MTS_H_CANCELLED;
	lua_pushboolean(L, 1);
	return 1;
}

static int m_h_gc(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lhandle *lh = luaL_checkudata(L, 1, c->handle_type);
	/* a pending handle is anchored by its context: this runs only when the
	 * context is garbage too, before or after its own __gc; a closed one
	 * may still hold an item its core left to it (handles_keep_items) */
	if (lh->item != NULL) {
		c->free_item(lh->item);
		lh->item = NULL;
		if (lh->state == MTS_H_PENDING)
			lh->state = MTS_H_CLOSED;
	}
	return 0;
}

static int m_h_tostring(lua_State *L)
{
	const struct mts_lctx_class *c = CLASS(L);
	struct mts_lhandle *lh = luaL_checkudata(L, 1, c->handle_type);
	static const char *const names[] = { "pending", "done", "cancelled", "closed" };
	lua_pushfstring(L, "%s (%s): %p", c->handle_type, names[lh->state], (void *)lh);
	return 1;
}

/* ---- the blocking calls and registration */

int mts_lctx_finish(lua_State *L, const struct mts_lctx_class *c, int ud, int h)
{
	struct mts_lctx *x = mts_lctx_check(L, c, ud);
	lua_pushnil(L); /* the callback error slot: no callbacks here */
	run(L, c, x, ud, -1, lua_gettop(L));
	lua_pop(L, 1);
	close_ctx(L, c, ud);
	return push_handle_result(L, c, h);
}

static const luaL_Reg ctx_methods[] = {
	{ "step", m_step },       { "wait", m_wait },       { "pollfd", m_pollfd }, { "getfd", m_pollfd },
	{ "events", m_events },   { "timeout", m_timeout }, { "pending", m_pending }, { "close", m_close },
	{ NULL, NULL },
};

static const luaL_Reg handle_methods[] = {
	{ "result", m_h_result },
	{ "cancel", m_h_cancel },
	{ NULL, NULL },
};

/* Sets field name of the table on top to f with the class as upvalue. */
static void set_method(lua_State *L, const struct mts_lctx_class *c, const char *name, lua_CFunction f)
{
	lua_pushlightuserdata(L, (void *)(uintptr_t)c); /* never written through */
	lua_pushcclosure(L, f, 1);
	lua_setfield(L, -2, name);
}

static void set_methods(lua_State *L, const struct mts_lctx_class *c, const luaL_Reg *l)
{
	for (; l->name != NULL; l++)
		set_method(L, c, l->name, l->func);
}

void mts_lctx_register(lua_State *L, const struct mts_lctx_class *c, const luaL_Reg *methods)
{
	if (luaL_newmetatable(L, c->type)) {
		lua_newtable(L);
		set_methods(L, c, ctx_methods);
		set_methods(L, c, methods);
		lua_setfield(L, -2, "__index");
		set_method(L, c, "__gc", m_close);
		set_method(L, c, "__close", m_close);
		set_method(L, c, "__tostring", m_tostring);
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, c->handle_type)) {
		lua_newtable(L);
		set_methods(L, c, handle_methods);
		lua_setfield(L, -2, "__index");
		set_method(L, c, "__gc", m_h_gc);
		set_method(L, c, "__tostring", m_h_tostring);
	}
	lua_pop(L, 1);
}
