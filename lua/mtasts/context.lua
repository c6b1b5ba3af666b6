--- The I/O context of a self-check run: one resolver, one fetcher and one
-- prober shared by every check and domain, with answers memoised so that each
-- name is looked up, each policy fetched and each MX probed once per run.
--
-- Inside a coroutine run by the scheduler (lua/mtasts/runner.lua), ctx:query,
-- ctx:fetch and ctx:probe submit to the pollable contexts and yield until
-- the answer arrives; outside one they block. Either way they return what the
-- blocking calls return (answer, or nil, message, code).
local core = require "mtasts.core"

local unpack = table.unpack or unpack

local Context = {}
Context.__index = Context

local context = {}

--- Creates a context from the client configuration (the testbed's client.lua
-- shape): { resolver = { …mtasts.resolver options… }, ca_file, ca_path, timeout }.
function context.new(config)
	config = config or {}
	local self = setmetatable({
		config = config,
		memo = {},     -- key -> { done, result = {n, …}, waiters = { co… } }
		ready = {},    -- coroutines whose answer arrived, to resume
		pending = 0,   -- submitted, not answered
	}, Context)
	self.resolver = core.resolver(config.resolver or {})
	return self
end

--- The fetcher and prober are made on first use (a check may need neither).
function Context:fetcher()
	if not self._fetcher then
		if not core.fetcher then
			error("this build of mtasts has no HTTPS fetcher", 2)
		end
		self._fetcher = core.fetcher { resolver = self.resolver, ca_file = self.config.ca_file,
			ca_path = self.config.ca_path, timeout = self.config.timeout }
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
	end
	return self._prober
end

--- Every I/O context made so far.
function Context:contexts()
	local list = { self.resolver }
	list[#list + 1] = self._fetcher
	list[#list + 1] = self._prober
	return list
end

local function in_coroutine()
	local co, main = coroutine.running()
	return co ~= nil and not main, co
end

--- Memoised submit: start(cb) submits the work with a callback.
function Context:_await(key, start)
	local e = self.memo[key]
	if not e then
		e = { done = false, waiters = {} }
		self.memo[key] = e
		self.pending = self.pending + 1
		start(function(...)
			e.done = true
			e.result = { n = select("#", ...), ... }
			self.pending = self.pending - 1
			for _, co in ipairs(e.waiters) do
				self.ready[#self.ready + 1] = co
			end
			e.waiters = nil
		end)
	end
	if not e.done then
		local inside, co = in_coroutine()
		if inside then
			e.waiters[#e.waiters + 1] = co
			repeat
				coroutine.yield()
			until e.done
		else
			while not e.done do
				self:pump()
			end
		end
	end
	return unpack(e.result, 1, e.result.n)
end

--- A DNS answer (see docs/resolver.md), or nil, message, code.
function Context:query(name, qtype)
	name = name:lower():gsub("%.$", "")
	return self:_await("q " .. name .. " " .. qtype, function(cb)
		self.resolver:submit(name, qtype, cb)
	end)
end

--- A fetch result (docs/fetch.md): arg is a domain (its policy) or an https:// URL.
function Context:fetch(arg)
	return self:_await("f " .. arg, function(cb)
		self:fetcher():submit(arg, cb)
	end)
end

--- The probe results of an MX host (docs/probe.md).
function Context:probe(host, mx_dnssec)
	host = host:lower():gsub("%.$", "")
	mx_dnssec = mx_dnssec or "unknown"
	return self:_await("p " .. host .. " " .. mx_dnssec, function(cb)
		-- mx_dnssec: the DNSSEC status of the MX RRset that named this host (DANE needs "secure")
		self:prober():submit(host, { mx_dnssec = mx_dnssec }, cb)
	end)
end

--- Waits (at most `limit` seconds) for any context, then delivers what arrived.
function Context:pump(limit)
	local fds, wait = {}, limit
	local contexts = self:contexts()
	for _, c in ipairs(contexts) do
		fds[#fds + 1] = c:getfd()
		local t = c:timeout()
		if t and (not wait or t < wait) then
			wait = t
		end
	end
	if #self.ready == 0 then
		core.poll(fds, wait or 1)
	end
	for _, c in ipairs(contexts) do
		c:step()
	end
end

--- Coroutines ready to resume (their answers arrived); empties the list.
function Context:take_ready()
	local r = self.ready
	self.ready = {}
	return r
end

function Context:close()
	local list = self:contexts()
	for i = #list, 1, -1 do -- the resolver last: the others use it
		list[i]:close()
	end
end

return context
