-- The I/O context (lua/mtasts/context.lua, docs/context.md): given objects,
-- option checks, the bounded memo (TTL, memo_limit, pending entries), a submit
-- that raises, and waiting that yields under cqueues. Offline: answers come
-- from libunbound local-data; other names go to a dead loopback forwarder
-- (127.0.0.1 port 1), so nothing leaves the machine. The #testbed part runs two
-- real self-checks inside the loopback testbed (MTASTS_CONFIG=<state>/client.lua).
local mtasts = require "mtasts"
local context = require "mtasts.context"
local runner = require "mtasts.runner"
local now = require("mtasts.pure").now

-- A slow name: not in a local zone, so it goes to the dead forwarder and
-- fails with TIMEOUT after the resolver's timeout.
local SLOW = "slow.dead.org"

local function resolver_options(timeout)
	return {
		forwarders = { "127.0.0.1@1" }, trust_anchors = {}, timeout = timeout or 1,
		options = {
			{ "local-zone:", "example. static" },
			{ "local-data:", "example. 3600 IN SOA ns.example. h.example. 1 2 3 4 30" },
			{ "local-data:", "a.example. 300 IN A 192.0.2.1" },
			{ "local-data:", "b.example. 300 IN A 192.0.2.2" },
			{ "local-data:", "zero.example. 0 IN A 192.0.2.3" },
		},
	}
end

-- A fake clock for the memo's lifetimes (ctx._clock).
local function fake_clock(ctx)
	local clock = { t = 1000 }
	ctx._clock = function()
		return clock.t
	end
	return clock
end

local function has_cqueues()
	local ok, cqueues = pcall(require, "cqueues")
	if not ok then
		pending("lua-cqueues is not installed for " .. _VERSION)
		return nil
	end
	return cqueues
end

describe("mtasts.context", function()
	describe("options", function()
		it("accepts the client configuration of the testbed's client.lua shape", function()
			local ctx = context.new { resolver = resolver_options(), ca_file = "/nonexistent/ca.pem", timeout = 5 }
			assert.equal("192.0.2.1", ctx:query("a.example", "A").records[1])
			ctx:close()
			context.new():close() -- nothing given: the resolver's defaults (it sends nothing until asked)
		end)

		it("raises for unknown keys, wrong types and bad bounds", function()
			local cases = {
				{ { resolvers = {} }, "unknown option 'resolvers'" },
				{ { [1] = true }, "unknown option '1'" },
				{ { resolver = 5 }, "option 'resolver' must be" },
				{ { fetcher = {} }, "option 'fetcher' must be an mtasts.fetcher" },
				{ { prober = "x" }, "option 'prober' must be an mtasts.prober" },
				{ { ca_file = 1 }, "option 'ca_file' must be a string" },
				{ { timeout = 0 }, "option 'timeout' must be" },
				{ { memo_limit = -1 }, "option 'memo_limit' must be an integer" },
				{ { memo_limit = 1.5 }, "option 'memo_limit' must be an integer" },
				{ { memo_ttl = "60" }, "option 'memo_ttl' must be" },
				{ { failure_ttl = 0 / 0 }, "option 'failure_ttl' must be" },
			}
			for _, case in ipairs(cases) do
				-- (not a tail call, so that the error names this line)
				local ok, err = pcall(function()
					local c = context.new(case[1])
					return c
				end)
				assert.is_false(ok)
				assert.matches(case[2], err, 1, true)
				assert.matches("^[^\n]*context_spec.lua:%d+: mtasts.context: ", err) -- blames the caller
			end
			assert.has_error(function() context.new "client.lua" end,
				"mtasts.context: the configuration must be a table (got string)")
		end)

		it("a fetcher given where a prober belongs is refused", function()
			local r = mtasts.resolver(resolver_options())
			local f = mtasts.fetcher { resolver = r }
			assert.has_error(function() context.new { prober = f } end)
			assert.has_error(function() context.new { resolver = f } end)
			f:close()
			r:close()
		end)
	end)

	describe("ownership", function()
		it("uses the objects it is given and never closes them", function()
			local r = mtasts.resolver(resolver_options())
			local f = mtasts.fetcher { resolver = r }
			local p = mtasts.prober { resolver = r }
			local ctx = context.new { resolver = r, fetcher = f, prober = p, memo_limit = 5000 }
			assert.equal(r, ctx.resolver)
			assert.equal(f, ctx:fetcher())
			assert.equal(p, ctx:prober())
			assert.equal("192.0.2.2", ctx:query("b.example", "A").records[1])
			ctx:close()
			for _, obj in ipairs { r, f, p } do
				assert.matches("%(open", tostring(obj))
			end
			-- a second context over the same objects (the next request of a daemon)
			local ctx2 = context.new { resolver = r, fetcher = f, prober = p }
			assert.equal("192.0.2.1", ctx2:query("a.example", "A").records[1])
			ctx2:close()
			p:close()
			f:close()
			r:close()
		end)

		it("closes what it made, and only that", function()
			local r = mtasts.resolver(resolver_options())
			local ctx = context.new { resolver = resolver_options(), prober = mtasts.prober { resolver = r } }
			local made_resolver, made_fetcher, given = ctx.resolver, ctx:fetcher(), ctx:prober()
			ctx:close()
			assert.matches("%(closed", tostring(made_resolver))
			assert.matches("%(closed", tostring(made_fetcher))
			assert.matches("%(open", tostring(given))
			given:close()
			r:close()
		end)
	end)

	describe("the memo", function()
		it("keeps a DNS answer for its TTL (at most memo_ttl), a failure for failure_ttl", function()
			local ctx = context.new { resolver = resolver_options(), memo_ttl = 1000, failure_ttl = 5 }
			local clock = fake_clock(ctx)
			local a = ctx:query("a.example", "A")
			clock.t = clock.t + 299
			assert.equal(a, ctx:query("A.example.", "A")) -- the memoised table itself
			clock.t = clock.t + 2                          -- past its TTL of 300
			local again = ctx:query("a.example", "A")
			assert.are_not.equal(a, again)
			assert.same(a.records, again.records)

			-- TTL 0: never kept
			local z = ctx:query("zero.example", "A")
			assert.equal(0, z.ttl)
			assert.are_not.equal(z, ctx:query("zero.example", "A"))

			-- a failure (BAD_NAME is delivered at the next step, like any failure)
			local none, _, code = ctx:query("a..example", "A")
			assert.is_nil(none)
			assert.equal("BAD_NAME", code)
			local entry = ctx.memo["q a..example A"]
			assert.truthy(entry)
			clock.t = clock.t + 4
			ctx:query("a..example", "A")
			assert.equal(entry, ctx.memo["q a..example A"])
			clock.t = clock.t + 2
			ctx:query("a..example", "A")
			assert.are_not.equal(entry, ctx.memo["q a..example A"])
			ctx:close()

			-- memo_ttl caps DNS TTLs
			ctx = context.new { resolver = resolver_options(), memo_ttl = 60 }
			clock = fake_clock(ctx)
			a = ctx:query("a.example", "A")
			clock.t = clock.t + 59
			assert.equal(a, ctx:query("a.example", "A"))
			clock.t = clock.t + 2
			assert.are_not.equal(a, ctx:query("a.example", "A"))
			ctx:close()
		end)

		it("20,000 distinct names through one long-lived context leave at most memo_limit entries", function()
			local r = mtasts.resolver(resolver_options())
			local ctx = context.new { resolver = r } -- the default memo_limit
			assert.equal(10000, ctx.memo_limit)
			local first, last
			-- concurrently, through the scheduler, 500 names per coroutine
			local jobs = {}
			for j = 0, 39 do
				jobs[#jobs + 1] = {
					domain = "example", deadline = now() + 60,
					check = { name = "names", run = function(c)
						for i = 1, 500 do
							local a = assert(c:query(("n%d.example"):format(j * 500 + i), "A"))
							assert(a.nxdomain)
						end
						return {}
					end },
					done = function(_, found, err)
						assert(found, err)
					end,
				}
			end
			runner.run(ctx, jobs)
			local size = ctx:memo_size()
			assert.is_true(size <= 10000, "memo holds " .. size)
			assert.is_true(size >= 9000, "memo holds " .. size) -- it does memoise
			-- the oldest went first: a name asked last is kept, the first one asked is not
			last = ctx:query("n20000.example", "A")
			assert.equal(last, ctx:query("n20000.example", "A"))
			local kept = 0
			for key in pairs(ctx.memo) do
				kept = kept + 1
				assert.is_nil(key:match "^q n1 ")
			end
			assert.is_true(kept <= 10000)
			first = ctx.memo["q n1.example A"]
			assert.is_nil(first)
			assert.is_true(ctx._tail - ctx._head + 1 <= 2 * 10000 + 16)
			ctx:close()
			r:close()
		end)

		it("a small memo_limit bounds the memo; the bookkeeping stays bounded too", function()
			local ctx = context.new { resolver = resolver_options(), memo_limit = 3 }
			local clock = fake_clock(ctx)
			for i = 1, 50 do
				ctx:query("n" .. i .. ".example", "A")
				assert.is_true(ctx:memo_size() <= 3)
			end
			-- re-asking one name after each expiry leaves stale FIFO slots: at most 2 * limit + 16
			for _ = 1, 100 do
				clock.t = clock.t + 31 -- past the negative TTL (SOA minimum 30)
				ctx:query("n50.example", "A")
			end
			assert.is_true(ctx._tail - ctx._head + 1 <= 2 * 3 + 16)
			assert.is_true(ctx:memo_size() <= 3)
			ctx:close()

			-- memo_limit 0: nothing is kept, but concurrent askers still share one lookup
			ctx = context.new { resolver = resolver_options(), memo_limit = 0 }
			local a = ctx:query("a.example", "A")
			assert.are_not.equal(a, ctx:query("a.example", "A"))
			assert.equal(0, ctx:memo_size())
			ctx:close()
		end)

		it("never evicts an entry that is still pending, and its waiters all get the answer", function()
			local ctx = context.new { resolver = resolver_options(1), memo_limit = 2 }
			local seen = {}
			local function job(name, run)
				return { domain = name, deadline = now() + 30, check = { name = name, run = run },
					done = function(_, found, err)
						assert(found, err)
						seen[name] = found
					end }
			end
			runner.run(ctx, {
				job("slow-1", function(c)
					local _, _, code = c:query(SLOW, "A")
					return { code }
				end),
				job("slow-2", function(c)
					local _, _, code = c:query(SLOW, "A")
					return { code }
				end),
				job("fast", function(c)
					for i = 1, 20 do -- 20 answers through a memo of 2 while SLOW is pending
						c:query("f" .. i .. ".example", "A")
					end
					local e = c.memo["q " .. SLOW .. " A"]
					return { e and not e.done and "pending" or "gone" }
				end),
			})
			assert.same({ "pending" }, seen.fast)
			assert.same({ "DNS_TIMEOUT" }, seen["slow-1"])
			assert.same({ "DNS_TIMEOUT" }, seen["slow-2"])
			assert.is_true(ctx:memo_size() <= 2)
			ctx:close()
		end)

		it("forget() empties it", function()
			local ctx = context.new { resolver = resolver_options() }
			local a = ctx:query("a.example", "A")
			ctx:forget()
			assert.equal(0, ctx:memo_size())
			assert.are_not.equal(a, ctx:query("a.example", "A"))
			ctx:close()
		end)
	end)

	describe("a submit that raises", function()
		it("leaves no memo entry behind: the next caller raises too, and never waits forever", function()
			local ctx = context.new { resolver = resolver_options() }
			for _ = 1, 2 do
				local ok, err = pcall(ctx.probe, ctx, "mx.example", "weird") -- not a DNSSEC status
				assert.is_false(ok)
				assert.matches("mx_dnssec", err)
				assert.is_nil(ctx.memo["p mx.example weird"])
				assert.equal(0, ctx.pending)
			end
			-- the same through the scheduler: the second job fails at once, it does not time out
			local errs = {}
			local jobs = {}
			for i = 1, 2 do
				jobs[i] = { domain = "example", deadline = now() + 5, -- (a hang ends in check.timeout)
					check = { name = "probe", run = function(c)
						c:probe("mx.example", "weird")
						return {}
					end },
					done = function(_, found, err)
						errs[i] = found and found[1] and found[1].id or err
					end }
			end
			runner.run(ctx, jobs)
			assert.matches("mx_dnssec", errs[1])
			assert.matches("mx_dnssec", errs[2])
			ctx:close()
		end)
	end)

	describe("start now, await later", function()
		it("start_* gives a handle: pending, then the answer ctx:query gives; one submit per key", function()
			local ctx = context.new { resolver = resolver_options() }
			local h = ctx:start_query("a.example", "A")
			local h2 = ctx:start_query("A.Example.", "A")
			assert.equal(1, ctx.pending) -- the same entry
			assert.is_false(h:done())
			assert.same({ nil, "pending" }, { h:result() })
			assert.is_true(ctx:wait_all({ h, h2 }))
			assert.is_true(h:done() and h2:done())
			assert.equal("192.0.2.1", h:result().records[1])
			assert.equal(h:result(), h2:result())
			assert.equal(h:result(), ctx:query("a.example", "A")) -- memoised: the same table
			ctx:close()
		end)

		it("wait_all with a deadline returns false at it, the handles stay pending and arrive later", function()
			local ctx = context.new { resolver = resolver_options(1) }
			local h = ctx:start_query(SLOW, "A")
			local t0 = now()
			assert.is_false(ctx:wait_all({ h }, t0 + 0.3))
			local took = now() - t0
			assert.is_true(took >= 0.29 and took < 0.8, "waited " .. took)
			assert.is_false(h:done())
			local r, msg, code = h:wait(t0 + 0.4) -- past: at once
			assert.is_nil(r)
			assert.equal("TIMEOUT", code) -- still pending (as wait(seconds) says on the C handles)
			assert.is_string(msg)
			r, msg, code = h:wait() -- no limit: the resolver's own failure
			assert.is_nil(r)
			assert.is_string(code)
			assert.not_equal("pending", msg)
			ctx:close()
		end)

		it("in the scheduler, a check waiting with a deadline is resumed at it, and its lookups run at once", function()
			local ctx = context.new { resolver = resolver_options(1) }
			local got = {}
			local t0 = now()
			local function check_run(c, domain, opts)
				local hs = { c:start_query("one." .. SLOW, "A"), c:start_query("two." .. SLOW, "A"),
					c:start_query("a.example", "A") }
				local all = c:wait_all(hs, now() + 0.3)
				got[domain] = { all = all, t = now() - t0, fast = hs[3]:done(), slow = hs[1]:done(),
					deadline = opts.deadline }
				c:wait_all(hs) -- then both slow ones, together
				got[domain].t2 = now() - t0
				return {}
			end
			local finished = {}
			runner.run(ctx, { { domain = "d", check = { name = "w", run = check_run }, deadline = now() + 5,
				done = function(_, found) finished[#finished + 1] = found end } })
			local g = got.d
			assert.is_false(g.all)
			assert.is_true(g.fast)
			assert.is_false(g.slow)
			assert.is_true(g.t >= 0.29 and g.t < 0.8, "resumed after " .. g.t)
			assert.is_true(g.deadline > now(), "opts.deadline is the job's")
			-- two lookups of about the resolver's timeout (1 s) each, concurrently: not 2 s
			assert.is_true(g.t2 < 1.9, "both slow lookups took " .. g.t2)
			assert.same({ {} }, finished)
			ctx:close()
		end)
	end)

	describe("under cqueues", function()
		it("two runs over one shared context progress at once while a third coroutine ticks", function()
			local cqueues = has_cqueues()
			if not cqueues then
				return
			end
			local selfcheck = require "mtasts.selfcheck"
			local ctx = context.new { resolver = resolver_options(1) }
			local events, running, ticks_while_both = {}, 0, 0
			local waiter = { name = "waiter", run = function(c, domain)
				-- one slow lookup (1 s, the dead forwarder) and one local answer
				local _, _, code = c:query(domain == "a.example" and SLOW or "x." .. SLOW, "A")
				return {}, { code = code, a = c:query("a.example", "A").records[1] }
			end }
			local cq = cqueues.new()
			local reports = {}
			for _, domain in ipairs { "a.example", "b.example" } do
				cq:wrap(function()
					events[#events + 1] = "start " .. domain
					running = running + 1
					reports[domain] = selfcheck.selfcheck(domain, { context = ctx, checks = { waiter }, timeout = 10 })
					running = running - 1
					events[#events + 1] = "end " .. domain
				end)
			end
			cq:wrap(function()
				while #events < 4 do
					cqueues.sleep(0.02)
					if running == 2 then
						ticks_while_both = ticks_while_both + 1
					end
				end
			end)
			assert(cq:loop())
			assert.matches("^start", events[1]) -- both started before either finished
			assert.matches("^start", events[2])
			assert.matches("^end", events[3])
			assert.is_true(ticks_while_both >= 10, "ticks while both ran: " .. ticks_while_both)
			for _, domain in ipairs { "a.example", "b.example" } do
				assert.equal("pass", reports[domain].verdict)
			end
			assert.matches("%(open", tostring(ctx.resolver)) -- a context given is not closed by the run
			ctx:close()
		end)

		it("a plain ctx:query in a cqueues coroutine yields too (outside the scheduler)", function()
			local cqueues = has_cqueues()
			if not cqueues then
				return
			end
			local ctx = context.new { resolver = resolver_options(1) }
			local ticks, done = 0, false
			local code
			local cq = cqueues.new()
			cq:wrap(function()
				code = select(3, ctx:query(SLOW, "A"))
				done = true
			end)
			cq:wrap(function()
				while not done do
					cqueues.sleep(0.02)
					ticks = ticks + 1
				end
			end)
			assert(cq:loop())
			assert.equal("DNS_TIMEOUT", code)
			assert.is_true(ticks >= 10, "ticks: " .. ticks)
			ctx:close()
		end)
	end)
end)

describe("mtasts.context under cqueues #testbed", function()
	local config_path = os.getenv "MTASTS_CONFIG"

	it("two self-checks in two coroutines progress at once while a third ticks", function()
		local cqueues = has_cqueues()
		if not cqueues then
			return
		end
		assert(config_path, "set MTASTS_CONFIG to the testbed's client.lua")
		local config = dofile(config_path)
		local events, ticks, running, ticks_while_both = {}, 0, 0, 0
		local reports = {}
		local cq = cqueues.new()
		for _, domain in ipairs { "enforce-ok.test", "mx-expired.test" } do
			cq:wrap(function()
				events[#events + 1] = "start " .. domain
				running = running + 1
				reports[domain] = mtasts.selfcheck(domain, { config = config, timeout = 30 })
				running = running - 1
				events[#events + 1] = "end " .. domain
			end)
		end
		cq:wrap(function()
			while #events < 4 do
				cqueues.sleep(0.005)
				ticks = ticks + 1
				if running == 2 then
					ticks_while_both = ticks_while_both + 1
				end
			end
		end)
		assert(cq:loop())
		assert.matches("^start", events[1]) -- both started before either finished
		assert.matches("^start", events[2])
		assert.is_true(ticks_while_both >= 2, "ticks while both ran: " .. ticks_while_both)
		-- and both are the right reports (as spec/selfcheck_spec.lua expects of these scenarios)
		assert.equal("pass", reports["enforce-ok.test"].checks["mta-sts"].status)
		local ids = {}
		for _, f in ipairs(reports["mx-expired.test"].checks["mta-sts"].findings) do
			ids[f.id] = true
		end
		assert.is_true(ids["sts.mx.certificate"])
	end)
end)
