-- mtasts.await: blocking in plain code, yielding under cqueues (offline:
-- answers come from libunbound local-data; the forwarder is a dead loopback port).
local mtasts = require "mtasts"

local function resolver()
	return mtasts.resolver {
		forwarders = { "127.0.0.1@1" }, trust_anchors = {}, timeout = 2,
		options = {
			{ "local-zone:", "example. static" },
			{ "local-data:", "a.example. 300 IN A 192.0.2.1" },
			{ "local-data:", "b.example. 300 IN A 192.0.2.2" },
		},
	}
end

describe("mtasts.await", function()
	it("blocks outside an event loop and returns the handle's result", function()
		local r = resolver()
		local answer = mtasts.await(r, r:submit("a.example", "A"))
		assert.same({ "192.0.2.1" }, answer.records)
		local none, _, code = mtasts.await(r, r:submit("a..example", "A"))
		assert.is_nil(none)
		assert.equal("BAD_NAME", code)
		r:close()
	end)

	it("yields under cqueues so that other coroutines run meanwhile", function()
		local ok, cqueues = pcall(require, "cqueues")
		if not ok then
			pending("lua-cqueues is not installed for " .. _VERSION)
			return
		end
		local r = resolver()
		local cq = cqueues.new()
		local order, got = {}, {}
		for _, name in ipairs { "a.example", "b.example" } do
			cq:wrap(function()
				order[#order + 1] = "submit " .. name
				local answer = mtasts.await(r, r:submit(name, "A"))
				got[name] = answer.records[1]
				order[#order + 1] = "done " .. name
			end)
		end
		assert(cq:loop())
		assert.same({ ["a.example"] = "192.0.2.1", ["b.example"] = "192.0.2.2" }, got)
		-- both submitted before either finished: the first await yielded
		assert.matches("^submit", order[1])
		assert.matches("^submit", order[2])
		r:close()
	end)

	it("blocks in a coroutine of the caller's own inside a cqueues controller", function()
		local ok, cqueues = pcall(require, "cqueues")
		if not ok then
			pending("lua-cqueues is not installed for " .. _VERSION)
			return
		end
		local r = resolver()
		local cq = cqueues.new()
		local got
		cq:wrap(function()
			-- cqueues.poll here would yield to this coroutine.wrap, not to the controller
			local inner = coroutine.wrap(function()
				return mtasts.await(r, r:submit("a.example", "A")).records[1]
			end)
			got = inner()
		end)
		assert(cq:loop())
		assert.equal("192.0.2.1", got)
		r:close()
	end)

	it("raises on misuse", function()
		assert.has_error(function() mtasts.await() end)
		assert.has_error(function() mtasts.await({}, {}) end)
	end)
end)
