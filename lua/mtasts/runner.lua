--- Runs checks as coroutines over one shared context: each check of each
-- domain is a coroutine; when its answers arrive it is resumed. A domain's
-- checks that are still waiting at its deadline are given up. The waiting
-- is ctx:pump's: it yields through cqueues.poll inside a cqueues controller
-- (so other coroutines run meanwhile) and blocks elsewhere. Several runs may
-- share one context at once (each wakes only its own coroutines). A check
-- that waits with a deadline (ctx:wait_all) yields that time: it is resumed
-- then too, answered or not.
local core = require "mtasts.pure"
local findings = require "mtasts.findings"

local runner = {}

local now = core.now -- monotonic seconds, with fractions

--- jobs: array of { domain = …, check = { name, run }, opts = …, deadline = mtasts.now() seconds,
-- ctx = …, done = function(job, findings_or_nil, err, summary) }: a check's run returns
-- findings and optionally a summary. run(ctx, domain, opts) gets job.ctx (a
-- view of ctx; default ctx) and opts with opts.deadline = job.deadline unless set. A done callback may append jobs to
-- `jobs`: they start at once (a rolling window). Returns when every job is done.
function runner.run(ctx, jobs)
	local live, by_co = {}, {}
	-- The coroutines whose answers arrived (ctx wakes them), to resume.
	local ready = {}
	local function wake(co)
		ready[#ready + 1] = co
	end
	local function finish(job, ok, result, summary)
		live[job.co] = nil
		by_co[job.co] = nil
		ctx:_release(job.co)
		if ok then
			job.done(job, result or {}, nil, summary)
		else
			job.done(job, nil, result)
		end
	end
	local function resume(job)
		job.wake_at = nil
		local ok, result, summary = coroutine.resume(job.co)
		if not ok then
			finish(job, false, debug.traceback(job.co, tostring(result)))
		elseif coroutine.status(job.co) == "dead" then
			finish(job, true, result, summary)
		elseif type(result) == "number" then
			job.wake_at = result -- it waits with a deadline (ctx:wait_all)
		end
	end
	local started = 0
	-- Starts the jobs not started yet, including those appended by done callbacks
	-- (never while `live` is being traversed: it only grows here).
	local function start_new()
		while started < #jobs do
			local first = started + 1
			started = #jobs
			for i = first, started do
				local job = jobs[i]
				local opts = job.opts or {}
				if opts.deadline == nil then
					opts.deadline = job.deadline
				end
				job.co = coroutine.create(function()
					return job.check.run(job.ctx or ctx, job.domain, opts)
				end)
				by_co[job.co] = job
				live[job.co] = job
				ctx:_adopt(job.co, wake)
			end
			for i = first, started do
				resume(jobs[i])
			end
		end
	end
	start_new()
	while next(live) do
		local t = now()
		local soonest
		for _, job in pairs(live) do
			if job.deadline <= t then
				finish(job, true, { findings.new("check.timeout",
					("the %s check did not finish within its time limit"):format(job.check.name),
					{ check = job.check.name }) })
			else
				local at = job.deadline
				if job.wake_at then
					if job.wake_at <= t then
						ready[#ready + 1] = job.co -- its own deadline came: resume it, answered or not
					end
					at = math.min(at, job.wake_at)
				end
				if not soonest or at < soonest then
					soonest = at
				end
			end
		end
		if next(live) then
			-- Waits unless a coroutine is ready already (yields under cqueues).
			ctx:pump(math.max(0, math.min(1, soonest - t)), #ready > 0)
			local woken = ready
			ready = {}
			local seen = {}
			for _, co in ipairs(woken) do
				local job = by_co[co]
				if job and not seen[co] and live[co] and coroutine.status(co) == "suspended" then
					seen[co] = true
					resume(job)
				end
			end
		end
		start_new()
	end
end

return runner
