--- mtasts.await(ctx, handle): the result of a submitted query, fetch or
-- probe, waiting the right way for where it runs. Inside a cqueues
-- controller it yields through cqueues.poll (our contexts speak the pollable
-- protocol: pollfd, events, timeout), so other coroutines run meanwhile;
-- anywhere else it blocks on the context's fd. Either way it returns what
-- handle:result() returns once the handle is done.
local core = require "mtasts.core"

-- The cqueues module when the running coroutine is a cqueues controller's own
-- (cqueues.running() → controller, true): only there may cqueues.poll yield.
-- In a coroutine of the caller's own inside a controller, await blocks.
local function running_under_cqueues()
	local cq = package.loaded.cqueues
	if type(cq) == "table" and cq.running then
		local q, own = cq.running()
		if q and own then
			return cq
		end
	end
	return nil
end

local function await(ctx, handle)
	if type(ctx) ~= "userdata" or type(handle) ~= "userdata" then
		error("bad arguments to 'await' (a resolver, fetcher or prober, and one of its handles expected)", 2)
	end
	while true do
		local a, b, c, d = handle:result()
		if a ~= nil or b ~= "pending" then
			return a, b, c, d
		end
		local cq = running_under_cqueues()
		if cq then
			cq.poll(ctx)
		else
			core.poll({ ctx:getfd() }, ctx:timeout() or 1)
		end
		ctx:step()
	end
end

return await
