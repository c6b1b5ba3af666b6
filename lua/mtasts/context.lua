--- The I/O context of self-check runs: one resolver, one fetcher and one
-- prober shared by every check and domain, with answers memoised so that each
-- name is looked up, each policy fetched and each MX probed once while the
-- answer is fresh. docs/context.md describes it.
--
-- Inside a coroutine run by the scheduler (lua/mtasts/runner.lua), ctx:query,
-- ctx:fetch and ctx:probe submit to the pollable contexts and yield until
-- the answer arrives; outside one they wait (yielding through cqueues.poll
-- inside a cqueues controller, blocking in core.poll elsewhere). Either way
-- they return what the blocking calls return (answer, or nil, message, code).
--
-- A context may live long (a daemon, an nginx thread VM): it can be given
-- resolver, fetcher and prober objects (which it never closes), and its memo
-- is bounded in time (DNS TTLs, memo_ttl, failure_ttl) and size (memo_limit,
-- oldest answer evicted first, O(1) per operation).
local core = require "mtasts.core"
local cqueues_here = require "mtasts.cqueues_here"
local now = require("mtasts.pure").now -- monotonic seconds, with fractions

local unpack = table.unpack or unpack

local Context = {}
Context.__index = Context

local context = {}

--- The defaults of the memo's bounds.
context.MEMO_LIMIT = 10000 -- answers kept
context.MEMO_TTL = 60      -- seconds a fetch or probe result (and at most a DNS answer) is kept
context.FAILURE_TTL = 5    -- seconds a failure (nil, message, code) is kept

-- The keys of context.new's table and what each may be.
local KEYS = {
	resolver = "an mtasts.resolver or a table of mtasts.resolver options",
	fetcher = "an mtasts.fetcher",
	prober = "an mtasts.prober",
	ca_file = "a string",
	ca_path = "a string",
	timeout = "a number of seconds",
	memo_limit = "an integer >= 0",
	memo_ttl = "a number of seconds >= 0",
	failure_ttl = "a number of seconds >= 0",
}

--- "resolver", "fetcher" or "prober" for one of our I/O objects, else nil.
-- (Their __tostring is "mtasts.<class> (state…): address" under every Lua.)
local function class_of(v)
	if type(v) ~= "userdata" then
		return nil
	end
	return (tostring(v):match "^mtasts%.(%a+) %(")
end

local function valid(key, v)
	if key == "resolver" then
		return type(v) == "table" or class_of(v) == "resolver"
	elseif key == "fetcher" or key == "prober" then
		return class_of(v) == key
	elseif key == "ca_file" or key == "ca_path" then
		return type(v) == "string"
	elseif key == "timeout" then
		return type(v) == "number" and v > 0
	elseif key == "memo_limit" then
		return type(v) == "number" and v >= 0 and v == math.floor(v)
	end
	return type(v) == "number" and v >= 0 and v == v -- memo_ttl, failure_ttl (not NaN)
end

--- Creates a context. config: the client configuration (the testbed's
-- client.lua shape) plus the long-lived context's keys:
-- { resolver = options table | resolver object, fetcher = object, prober = object,
--   ca_file, ca_path, timeout, memo_limit, memo_ttl, failure_ttl }.
-- Unknown keys and wrong types raise. Objects given are used, never closed;
-- those the context makes (from the options) are closed by ctx:close().
function context.new(config)
	if config == nil then
		config = {}
	elseif type(config) ~= "table" then
		error("mtasts.context: the configuration must be a table (got " .. type(config) .. ")", 2)
	end
	for k, v in pairs(config) do
		if not KEYS[k] then
			error(("mtasts.context: unknown option '%s' (known: ca_file, ca_path, failure_ttl, fetcher, " ..
				"memo_limit, memo_ttl, prober, resolver, timeout)"):format(tostring(k)), 2)
		end
		if not valid(k, v) then
			error(("mtasts.context: option '%s' must be %s (got %s)"):format(k, KEYS[k], tostring(v)), 2)
		end
	end
	local self = setmetatable({
		config = config,
		memo = {},      -- key -> { done, result = {n, …}, waiters = { co… }, expires, seq }
		pending = 0,    -- submitted, not answered
		memo_limit = config.memo_limit or context.MEMO_LIMIT,
		memo_ttl = config.memo_ttl or context.MEMO_TTL,
		failure_ttl = config.failure_ttl or context.FAILURE_TTL,
		_made = {},     -- the objects this context made (and closes)
		_owners = setmetatable({}, { __mode = "k" }), -- runner coroutine -> its wake-up function
		_stored = 0,    -- finished entries in the memo (each has one live slot in the FIFO)
		_fifo = {},     -- slot -> key, oldest first (slots from _head to _tail)
		_fifo_seq = {}, -- slot -> the entry's seq when it was queued (older slots are stale)
		_head = 1,
		_tail = 0,
		_clock = now,   -- monotonic seconds (specs replace it)
	}, Context)
	if class_of(config.resolver) then
		self.resolver = config.resolver
	else
		self.resolver = core.resolver(config.resolver or {})
		self._made.resolver = true
	end
	self._fetcher = config.fetcher
	self._prober = config.prober
	return self
end

--- The fetcher and prober are made on first use (a check may need neither),
-- unless they were given.
function Context:fetcher()
	if not self._fetcher then
		if not core.fetcher then
			error("this build of mtasts has no HTTPS fetcher", 2)
		end
		self._fetcher = core.fetcher { resolver = self.resolver, ca_file = self.config.ca_file,
			ca_path = self.config.ca_path, timeout = self.config.timeout }
		self._made.fetcher = true
	end
	return self._fetcher
end

function Context:prober()
	if not self._prober then
		if not core.prober then
			error("this build of mtasts has no SMTP prober", 2)
		end
		self._prober = core.prober { resolver = self.resolver, ca_file = self.config.ca_file,
			ca_path = self.config.ca_path, timeout = self.config.timeout }
		self._made.prober = true
	end
	return self._prober
end

--- Every I/O context in use (made or given).
function Context:contexts()
	local list = { self.resolver }
	list[#list + 1] = self._fetcher
	list[#list + 1] = self._prober
	return list
end

--- The number of memo entries (finished and pending).
function Context:memo_size()
	return self._stored + self.pending
end

--- Empties the memo of finished entries (pending ones stay: they have waiters).
function Context:forget()
	for key, e in pairs(self.memo) do
		if e.done then
			self.memo[key] = nil
		end
	end
	self._stored, self._fifo, self._fifo_seq, self._head, self._tail = 0, {}, {}, 1, 0
end

--- The scheduler (runner.lua) adopts the coroutines it resumes: when an
-- answer one of them waits for arrives, wake(co) is called.
function Context:_adopt(co, wake)
	self._owners[co] = wake
end

function Context:_release(co)
	self._owners[co] = nil
end

-- Drops the memo entry of key (a finished entry's FIFO slot goes stale).
local function drop(self, key)
	local e = self.memo[key]
	if e and e.done then
		self.memo[key] = nil
		self._stored = self._stored - 1
	end
end

-- Evicts the oldest finished entries while more than memo_limit are kept, and
-- drops the slots at the head that are stale or expired. The FIFO holds at
-- most 2 * memo_limit + 16 slots (stale ones included): past that its oldest
-- slot goes, live or not. Each slot is queued once and popped once: O(1)
-- amortised per answer.
local function trim(self)
	local memo, fifo, seqs = self.memo, self._fifo, self._fifo_seq
	local limit, t = self.memo_limit, self._clock()
	while self._head <= self._tail do
		local h = self._head
		local key = fifo[h]
		local e = memo[key]
		local live = e and e.seq == seqs[h]
		if live and self._stored <= limit and self._tail - h < 2 * limit + 16 and e.expires > t then
			break
		end
		fifo[h], seqs[h] = nil, nil
		self._head = h + 1
		if live then
			drop(self, key)
		end
	end
end

local seq = 0

-- Records the result of the entry e of key, wakes its waiters, and keeps it
-- `lifetime(...)` seconds (not at all when that is 0 or memo_limit is 0).
local function complete(self, key, e, lifetime, ...)
	e.done = true
	e.result = { n = select("#", ...), ... }
	self.pending = self.pending - 1
	local waiters = e.waiters
	e.waiters = nil
	for _, co in ipairs(waiters) do
		local wake = self._owners[co]
		if wake then
			wake(co)
		end
	end
	if self.memo[key] ~= e then
		return -- forgotten meanwhile
	end
	local keep = lifetime(...)
	if keep > 0 and self.memo_limit > 0 then
		seq = seq + 1
		e.seq, e.expires = seq, self._clock() + keep
		self._stored = self._stored + 1
		self._tail = self._tail + 1
		self._fifo[self._tail], self._fifo_seq[self._tail] = key, seq
		trim(self)
	else
		self.memo[key] = nil
	end
end

--- Memoised submit: start(cb) submits the work with a callback; lifetime(...)
-- says how many seconds its result stays fresh. Returns the memo entry (a
-- pending one is shared by every caller). A start that raises leaves no entry
-- behind (the error is raised to the caller; the next one retries).
function Context:_entry(key, start, lifetime)
	local e = self.memo[key]
	if e and e.done and e.expires <= self._clock() then
		drop(self, key)
		e = nil
	end
	if not e then
		e = { done = false, waiters = {} }
		self.memo[key] = e
		self.pending = self.pending + 1
		local ok, err = pcall(start, function(...)
			complete(self, key, e, lifetime, ...)
		end)
		if not ok then
			if not e.done then -- (a callback cannot run before start returns; be safe anyway)
				self.pending = self.pending - 1
				if self.memo[key] == e then
					self.memo[key] = nil
				end
				e.done, e.result = true, { n = 3, nil, tostring(err), "CANCELLED" }
			end
			error(err, 0)
		end
	end
	return e
end

-- ---- Handles: start now, await later (docs/context.md "Start now, await later")

local Handle = {}
Handle.__index = Handle

--- Has the answer arrived?
function Handle:done()
	return self._e.done
end

--- The answer (what ctx:query/fetch/probe return) once it arrived; before:
-- nil, "pending" (as a C handle's result()).
function Handle:result()
	local r = self._e.result
	if not self._e.done then
		return nil, "pending"
	elseif self._filter then
		return self._filter(unpack(r, 1, r.n))
	end
	return unpack(r, 1, r.n)
end

--- Waits for the answer until `deadline` (mtasts.now() seconds; nil: as long
-- as it takes); past it: nil, message, "TIMEOUT" (the answer is still pending).
function Handle:wait(deadline)
	if not self._ctx:wait_all({ self }, deadline) then
		return nil, "no answer before the deadline", "TIMEOUT"
	end
	return self:result()
end

function Context:_handle(e)
	return setmetatable({ _ctx = self, _e = e }, Handle)
end

--- Waits until every handle of the array `handles` is done, or until
-- `deadline` (mtasts.now() seconds; nil: no limit) passes. Returns true when
-- all are done, false at the deadline (those pending stay pending: a later
-- wait may still get them). In a coroutine of the scheduler it yields (the
-- runner resumes it when an answer arrives or at the deadline); elsewhere it
-- waits in ctx:pump.
function Context:wait_all(handles, deadline)
	local function all_done()
		for _, h in ipairs(handles) do
			if not h._e.done then
				return false
			end
		end
		return true
	end
	if all_done() then
		return true
	end
	local co = coroutine.running()
	if co and self._owners[co] then
		for _, h in ipairs(handles) do
			if not h._e.done then
				local w = h._e.waiters
				w[#w + 1] = co
			end
		end
		repeat
			if deadline and now() >= deadline then
				return false
			end
			coroutine.yield(deadline) -- the runner also resumes us at the deadline
		until all_done()
	else
		while not all_done() do
			local left = deadline and deadline - now()
			if left and left <= 0 then
				return false
			end
			self:pump(left)
		end
	end
	return true
end

-- How long results stay fresh: failures failure_ttl; DNS answers their TTL,
-- at most memo_ttl; fetch and probe results memo_ttl.
local function dns_lifetime(self)
	return function(answer)
		if not answer then
			return self.failure_ttl
		end
		return math.min(tonumber(answer.ttl) or 0, self.memo_ttl)
	end
end

local function result_lifetime(self)
	return function(result)
		return result and self.memo_ttl or self.failure_ttl
	end
end

--- Starts a DNS lookup (or joins the pending one); returns a handle.
function Context:start_query(name, qtype)
	name = name:lower():gsub("%.$", "")
	return self:_handle(self:_entry("q " .. name .. " " .. qtype, function(cb)
		self.resolver:submit(name, qtype, cb)
	end, dns_lifetime(self)))
end

--- Starts a fetch: arg is a domain (its policy) or an https:// URL.
function Context:start_fetch(arg)
	return self:_handle(self:_entry("f " .. arg, function(cb)
		self:fetcher():submit(arg, cb)
	end, result_lifetime(self)))
end

--- Starts the probe of an MX host.
function Context:start_probe(host, mx_dnssec)
	host = host:lower():gsub("%.$", "")
	mx_dnssec = mx_dnssec or "unknown"
	return self:_handle(self:_entry("p " .. host .. " " .. mx_dnssec, function(cb)
		-- mx_dnssec: the DNSSEC status of the MX RRset that named this host (DANE needs "secure")
		self:prober():submit(host, { mx_dnssec = mx_dnssec }, cb)
	end, result_lifetime(self)))
end

--- A DNS answer (see docs/resolver.md), or nil, message, code.
function Context:query(name, qtype)
	return self:start_query(name, qtype):wait()
end

--- A fetch result (docs/fetch.md): arg is a domain (its policy) or an https:// URL.
function Context:fetch(arg)
	return self:start_fetch(arg):wait()
end

--- The probe results of an MX host (docs/probe.md).
function Context:probe(host, mx_dnssec)
	return self:start_probe(host, mx_dnssec):wait()
end

--- Waits (at most `limit` seconds; not at all when `busy`) for any context,
-- then delivers what arrived. Inside a cqueues controller's coroutine the
-- wait is cqueues.poll (other coroutines run meanwhile); elsewhere it blocks
-- in core.poll.
function Context:pump(limit, busy)
	local contexts = self:contexts()
	if not busy then
		local wait = limit
		for _, c in ipairs(contexts) do
			local t = c:timeout()
			if t and (not wait or t < wait) then
				wait = t
			end
		end
		wait = wait or 1
		local cq = cqueues_here()
		if cq then
			contexts[#contexts + 1] = wait
			cq.poll(unpack(contexts))
			contexts[#contexts] = nil
		else
			local fds = {}
			for i, c in ipairs(contexts) do
				fds[i] = c:getfd()
			end
			core.poll(fds, wait)
		end
	end
	for _, c in ipairs(contexts) do
		c:step()
	end
end

-- Closes obj; first, when cqueues is loaded, tells every cqueues controller
-- to forget its fd (cqueues.cancel): a controller that polled it keeps the fd
-- in its own epoll set and would fail on it once it is closed ("Bad file
-- descriptor"), or watch another file that reuses the number.
local function close(obj)
	local cq = package.loaded.cqueues
	if type(cq) == "table" and cq.cancel and not tostring(obj):find("(closed)", 1, true) then
		cq.cancel(obj:pollfd())
	end
	obj:close()
end

--- Closes what this context made (the resolver last: the others use it);
-- objects given to context.new stay open, their owner closes them.
function Context:close()
	for _, name in ipairs { "_prober", "_fetcher" } do
		local key = name:sub(2)
		if self[name] and self._made[key] then
			close(self[name])
		end
	end
	if self._made.resolver then
		close(self.resolver)
	end
end

return context
