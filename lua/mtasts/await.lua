--- mtasts.await(ctx, handle): the result of a submitted query, fetch or
-- probe, waiting the right way for where it runs. Inside a cqueues
-- controller it yields through cqueues.poll (our contexts speak the pollable
-- protocol: pollfd, events, timeout), so other coroutines run meanwhile;
-- anywhere else it blocks on the context's fd. Either way it returns what
-- handle:result() returns once the handle is done.
local core = require "mtasts.core"

local running_under_cqueues = require "mtasts.cqueues_here"

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
