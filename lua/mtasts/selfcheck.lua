--- The reference self-check: every check of a domain, run concurrently over
-- one resolver, fetcher and prober, gathered into one report. Read it as the
-- example of composing checks; examples/custom-check.lua adds one of its own.
local core = require "mtasts.pure"
local F = require "mtasts.findings"
local context = require "mtasts.context"
local runner = require "mtasts.runner"
local state_store = require "mtasts.state"
local port25 = require "mtasts.port25"

local selfcheck = {}

-- The registered checks in report order (lua/mtasts/registry.lua); a live
-- array (read it, never write it), so checks registered later appear too.
-- `--only` and `opts.checks` pick by name.
local registry = require "mtasts.registry"
selfcheck.checks = registry.list

local VERDICT = { pass = "pass", info = "pass", warn = "warn", fail = "fail" }

--- Picks checks: nil (all registered), an array of names, or an array of check tables.
local function pick(checks)
	if not checks then
		return registry.checks()
	end
	if #checks == 0 then
		error("no checks selected (give check names, or nil for all)", 3)
	end
	local list = {}
	for _, c in ipairs(checks) do
		if type(c) == "string" then
			list[#list + 1] = registry.get(c) or error(("unknown check '%s' (registered: %s)"):format(c,
				table.concat(registry.names(), ", ")), 3)
		elseif type(c) == "table" and type(c.run) == "function" and type(c.name) == "string" then
			list[#list + 1] = c
		else
			error("a check is a name or a table { name = …, run = function(ctx, domain, opts) … end }", 3)
		end
	end
	return list
end

local function millis()
	return math.floor(core.now() * 1000 + 0.5)
end

--- A fresh report for one domain.
local function new_report(domain)
	return { domain = domain, started_at = os.date("!%Y-%m-%dT%H:%M:%SZ"), verdict = "pass",
		checks = {}, summaries = {}, order = {}, findings = {}, _t0 = millis() }
end

--- Finishes a report once all its checks are in.
local function close_report(report, order)
	local worst = "pass"
	local rank = { pass = 0, warn = 1, fail = 2, error = 3 }
	for _, name in ipairs(order) do
		local c = report.checks[name]
		for _, f in ipairs(c.findings) do
			report.findings[#report.findings + 1] = f
		end
		local v = c.status == "error" and "error" or VERDICT[c.status]
		if rank[v] > rank[worst] then
			worst = v
		end
	end
	F.sort(report.findings)
	report.order = order
	report.verdict = worst
	report.elapsed_ms = millis() - report._t0
	report._t0 = nil
	return report
end

-- ---- Limits (docs/selfcheck.md "Limits")

-- File descriptors one domain in flight may hold at its peak (measured with
-- every check over the testbed: bench/soak), and those kept free besides.
selfcheck.FDS_PER_DOMAIN = 6
selfcheck.FD_HEADROOM = 48
-- Runs of more than this many domains end with mtasts.trim_memory().
selfcheck.TRIM_AFTER = 100

--- Where the notice of a lowered concurrency goes (replace it to redirect it).
function selfcheck.warn(message)
	io.stderr:write("mtasts: ", message, "\n")
end

local lowered_said = {} -- "asked room" -> true: each notice once per process

--- The concurrency window the open-file limit allows for `asked` domains at
-- once (fd_limit: mtasts.fd_limit, for the specs; said: what the notice
-- calls asked). Raises when not even one domain fits.
function selfcheck.window(asked, fd_limit, said)
	local soft, _, open = (fd_limit or require("mtasts.core").fd_limit)()
	if type(soft) ~= "number" or soft == math.huge then
		return asked
	end
	local room = math.floor((soft - open - selfcheck.FD_HEADROOM) / selfcheck.FDS_PER_DOMAIN)
	if room < 1 then
		error(("too few file descriptors: the open-file limit is %d and %d are open, a domain needs %d " ..
			"(and %d are kept free): raise the limit (ulimit -n)"):format(soft, open,
			selfcheck.FDS_PER_DOMAIN, selfcheck.FD_HEADROOM), 0)
	end
	if asked > room then
		local key = asked .. " " .. room
		if not lowered_said[key] then
			lowered_said[key] = true
			selfcheck.warn(("checking %d domains at once instead of %d: the open-file limit is %d " ..
				"(ulimit -n) and each domain needs up to %d"):format(room, said or asked, soft, selfcheck.FDS_PER_DOMAIN))
		end
		return room
	end
	return asked
end

-- A failure that is this process's, never a domain's: a LOCAL_EMFILE code
-- in a DNS, fetch or probe result. Returns its message, or nil.
local function local_fault(first, message, code)
	if code == "LOCAL_EMFILE" then
		return message
	end
	if type(first) == "table" and first.ok == nil then -- probe results: one table per address
		for _, a in ipairs(first) do
			if type(a) == "table" then
				if a.code == "LOCAL_EMFILE" then
					return a.message
				end
				local dane = a.dane
				if type(dane) == "table" and type(dane.error) == "string" and dane.error:find("^LOCAL_EMFILE") then
					return dane.error
				end
			end
		end
	end
	return nil
end

-- What a probe or fetch returned, as port25.classify reads it.
local function outcome(rec, ...)
	rec.done, rec.n = true, select("#", ...)
	for i = 1, math.min(rec.n, 3) do
		rec[i] = (select(i, ...))
	end
	return ...
end

-- The context one domain's checks see: ctx, with query/fetch/probe (and
-- their start_* forms) watched for local faults (note(message) records the
-- first); `seen` (optional) collects the domain's probe outcomes and policy
-- fetch for the port-25 note (seen.domain, seen.probes, seen.fetch), and
-- seen.on_probe(results…) hears every probe answer as it is read.
local function watched(ctx, note, seen)
	local bound = {}
	local view = setmetatable({}, { __index = function(_, k)
		local v = ctx[k]
		if type(v) ~= "function" then
			return v
		end
		bound[k] = bound[k] or function(_, ...)
			return v(ctx, ...)
		end
		return bound[k]
	end })
	local function check(...)
		local why = local_fault(...)
		if why then
			note(why)
		end
		return ...
	end
	local function probe_check(...)
		if seen then
			seen.on_probe(...)
		end
		return check(...)
	end
	-- The records of the domain's probes and of its policy fetch (arg == domain).
	local function probe_record()
		local rec = { done = false }
		if seen then
			seen.probes[#seen.probes + 1] = rec
		end
		return rec
	end
	local function fetch_record(arg)
		local rec = { done = false }
		if seen and arg == seen.domain then
			seen.fetch = rec
		end
		return rec
	end
	-- A handle whose answer is recorded (rec) and checked when it is read.
	local function handle(h, filter, rec)
		h._filter = function(...)
			if rec and not rec.done then
				outcome(rec, ...)
			end
			return filter(...)
		end
		if rec then
			rec.handle = h
		end
		return h
	end
	function view.query(_, ...) return check(ctx:query(...)) end
	function view.fetch(_, arg)
		local rec = fetch_record(arg) -- before the wait: a check given up meanwhile leaves it pending
		return outcome(rec, check(ctx:fetch(arg)))
	end
	function view.probe(_, ...)
		local rec = probe_record()
		return outcome(rec, probe_check(ctx:probe(...)))
	end
	function view.start_query(_, ...) return handle(ctx:start_query(...), check) end
	function view.start_fetch(_, arg) return handle(ctx:start_fetch(arg), check, fetch_record(arg)) end
	function view.start_probe(_, ...) return handle(ctx:start_probe(...), probe_check, probe_record()) end
	return view
end

-- Reads, once the domain's checks are all in, the answers of handles nobody
-- read (those still pending stay not done).
local function settle(seen)
	local list = { seen.fetch }
	for _, rec in ipairs(seen.probes) do
		list[#list + 1] = rec
	end
	for _, rec in ipairs(list) do
		if not rec.done and rec.handle and rec.handle:done() then
			rec.handle:result()
		end
	end
end

--- Runs the checks of several domains; calls on_report(report) as each finishes.
-- opts: checks, config (client.lua table), state (directory), dkim_selectors,
-- timeout (seconds per domain, default 60), concurrency (domains at once,
-- default 10; lowered to what the open-file limit allows). A local fault (the
-- CA store cannot be read, out of file descriptors) raises: it is the run's,
-- never a finding about a domain.
local yieldable_pcall

function selfcheck.run_many(domains, opts, on_report)
	opts = opts or {}
	local checks = pick(opts.checks)
	domains = selfcheck.ascii_domains(domains)
	local timeout = opts.timeout or 60
	local asked = math.max(1, opts.concurrency or 10)
	local concurrency = selfcheck.window(math.min(asked, math.max(1, #domains)), nil, asked)
	local ctx = opts.context or context.new(opts.config)
	-- The fetcher and prober now, not inside a check: an unreadable CA store
	-- or a failing epoll_create1 is the run's error.
	local made, merr = pcall(function()
		ctx:fetcher()
		ctx:prober()
	end)
	if not made then
		if not opts.context then
			ctx:close()
		end
		error(merr, 0)
	end
	local fault
	local view = watched(ctx, function(why)
		fault = fault or why
	end)
	local reports, order = {}, {}
	-- Run notes (docs/selfcheck.md): port 25 looking blocked. Reports of
	-- domains that look blocked wait (held) until the note is decided.
	local notes, ports, held = {}, port25.tracker(), {}
	reports.notes = notes
	local function emit(report)
		reports[#reports + 1] = report
		if on_report then
			on_report(report)
		end
	end
	local function release()
		local list = held
		held = {}
		for _, r in ipairs(list) do
			if ports.note then
				port25.annotate(r, ports.note)
			end
			emit(r)
		end
	end
	local function on_probe(results)
		if port25.any_reached(results) then
			ports.reached = true -- port 25 works from here: no note (held reports go out next)
		end
	end
	--- A finished report: out now, or held while it may yet get the note.
	local function finished(report, seen)
		settle(seen)
		if ports.reached and not ports.note then
			release()
		end
		local kind, addresses = port25.classify(seen.probes, seen.fetch)
		if kind ~= "blocked" or ports.reached then
			emit(report)
			return
		end
		local raised = port25.add(ports, report.domain, addresses)
		if raised then
			notes[#notes + 1] = raised
		end
		held[#held + 1] = report
		if ports.note then
			release()
		end
	end
	for _, c in ipairs(checks) do
		order[#order + 1] = c.name
	end
	local next_domain = 1
	local jobs = {} -- every job of the run, appended as domains start (runner.run)
	local start_next

	local function start(domain)
		local report = new_report(domain)
		local remembered = opts.state and state_store.load(opts.state, domain) or {}
		local left, remember_changed = #checks, false
		local deadline = core.now() + timeout
		local seen = { domain = domain, probes = {}, on_probe = on_probe }
		local dview = watched(ctx, function(why)
			fault = fault or why
		end, seen)
		for _, c in ipairs(checks) do
			jobs[#jobs + 1] = {
				domain = domain, check = c, deadline = deadline, ctx = dview,
				opts = { state = remembered[c.name] or {}, dkim_selectors = opts.dkim_selectors, now = opts.now,
					deadline = deadline, timeout = timeout },
				done = function(_, found, err, summary)
					if found then
						for _, f in ipairs(found) do
							f.check = f.check or c.name
						end
						local status = F.status(found)
						for _, f in ipairs(found) do
							if f.id == "check.timeout" then
								status = "error" -- it could not finish: no verdict
							end
						end
						report.checks[c.name] = { status = status, findings = F.sort(found) }
					else
						local first = tostring(err):match "^[^\n]*"
						report.checks[c.name] = { status = "error", findings = {
							F.new("check.crashed", ("the %s check failed: %s"):format(c.name, first),
								{ check = c.name, evidence = tostring(err) }) } }
					end
					if summary then
						-- What the next run remembers (--state) is the check's, not the report's.
						local remember = summary.remember
						summary.remember = nil
						report.summaries[c.name] = summary
						if opts.state and remember then
							remembered[c.name] = remember
							remember_changed = true
						end
					end
					if fault then -- this process ran out of something: no report is trustworthy
						error(("this process ran out of file descriptors (raise ulimit -n or lower the " ..
							"concurrency): %s"):format(fault), 0)
					end
					left = left - 1
					if left == 0 then
						-- One write per domain, once all its checks said what to remember.
						if remember_changed then
							local saved, serr = state_store.save(opts.state, domain, remembered)
							if not saved then
								error(("cannot save the state of %s in %s: %s"):format(domain, opts.state, serr), 0)
							end
						end
						finished(close_report(report, order), seen)
						start_next()
					end
				end,
			}
		end
	end

	-- A rolling window: `concurrency` domains at once, the next one starting as
	-- soon as one finishes; all share the context.
	function start_next()
		if next_domain <= #domains then
			next_domain = next_domain + 1
			start(domains[next_domain - 1])
		end
	end

	local ran, rerr = yieldable_pcall(function()
		for _ = 1, concurrency do
			start_next()
		end
		runner.run(view, jobs)
		release() -- those still held: one domain alone says nothing about port 25
	end)
	if not opts.context then
		ctx:close()
	end
	if #domains > selfcheck.TRIM_AFTER then
		require("mtasts.core").trim_memory() -- a long-lived host gets the batch's memory back
	end
	if not ran then
		error(rerr, 0)
	end
	return reports
end

--- pcall where pcall lets the function yield (Lua 5.2+, LuaJIT), so the run
-- can wait through cqueues; on Lua 5.1 a plain call (an error then leaves the
-- context to the garbage collector, which closes it).
function yieldable_pcall(f) -- the local declared above run_many
	if _VERSION ~= "Lua 5.1" or jit then
		return pcall(f)
	end
	f()
	return true
end

--- The domains as lower-case A-labels; raises for one that is not a domain
-- name (so that no lookup is ever made for "example.com/x", "a b" or an IP
-- address such as "127.0.0.1"); control characters are escaped in the message.
function selfcheck.ascii_domains(domains, level)
	local input = require "mtasts.input"
	local out = {}
	for i, d in ipairs(domains) do
		local ascii, err = core.to_ascii((tostring(d):gsub("%.$", "")))
		if input.ip_literal(d) then
			ascii, err = nil, "it is an IP address (MTA-STS applies to mail domains)"
		elseif ascii then
			local url, uerr = core.policy_url(ascii)
			err = not url and uerr or nil
		end
		if err then
			error(input.escape(("'%s' is not a domain name: %s"):format(tostring(d), err)), level or 3)
		end
		out[i] = ascii
	end
	return out
end

--- mtasts.selfcheck(domain, opts) → report (see docs/selfcheck.md).
function selfcheck.selfcheck(domain, opts)
	if type(domain) ~= "string" then
		error("bad argument #1 to 'selfcheck' (string expected, got " .. type(domain) .. ")", 2)
	end
	for k in pairs(opts or {}) do
		if not ({ checks = 1, config = 1, state = 1, dkim_selectors = 1, timeout = 1, now = 1, context = 1 })[k] then
			error("selfcheck: unknown option '" .. tostring(k) .. "'", 2)
		end
	end
	selfcheck.ascii_domains({ domain }, 3) -- names the caller's line in the error
	return selfcheck.run_many({ domain }, opts)[1]
end

return selfcheck
