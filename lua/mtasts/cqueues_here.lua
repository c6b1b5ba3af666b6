--- The cqueues module when the running coroutine is a cqueues controller's
-- own (cqueues.running() → controller, true): only there may cqueues.poll
-- yield. Elsewhere (no cqueues loaded, or a coroutine of the caller's own
-- inside a controller) nil, and waiting blocks instead. Used by the context's
-- run loop and by mtasts.await.
local function cqueues_here()
	local cq = package.loaded.cqueues
	if type(cq) == "table" and cq.running then
		local q, own = cq.running()
		if q and own then
			return cq
		end
	end
	return nil
end

return cqueues_here
