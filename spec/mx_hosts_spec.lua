-- The one place the checks learn a domain's MX hosts (lua/mtasts/mx_hosts.lua).
local mx_hosts = require "mtasts.mx_hosts"

-- A context answering from a table: answers[name .. " " .. qtype] = answer or { nil, msg, code }.
local function fake(answers)
	return { query = function(_, name, qtype)
		local a = answers[name .. " " .. qtype]
		if a and a.fail then
			return nil, a.fail[1], a.fail[2]
		end
		return a or { records = {}, dnssec = "insecure" }
	end }
end

local function mx(records, extra)
	local a = { records = records, dnssec = "secure" }
	for k, v in pairs(extra or {}) do
		a[k] = v
	end
	return a
end

describe("mx_hosts", function()
	it("gives the MX hosts lower-cased in preference order, then by name", function()
		local info = mx_hosts(fake { ["example.test MX"] = mx {
			{ preference = 20, exchange = "B.example.test" }, { preference = 10, exchange = "z.example.test" },
			{ preference = 20, exchange = "a.example.test" } } }, "example.test")
		assert.same({ { host = "z.example.test", preference = 10 }, { host = "a.example.test", preference = 20 },
			{ host = "b.example.test", preference = 20 } }, info.hosts)
		assert.equal("secure", info.dnssec)
		assert.is_nil(info.null)
		assert.is_nil(info.implicit)
	end)

	it("leaves out a null MX and says it was there", function()
		local info = mx_hosts(fake { ["example.test MX"] = mx { { preference = 0, exchange = "." } } }, "example.test")
		assert.same({}, info.hosts)
		assert.is_true(info.null)
	end)

	it("falls back to the domain itself when it has addresses but no MX (implicit MX)", function()
		local info = mx_hosts(fake { ["example.test MX"] = mx {},
			["example.test AAAA"] = { records = { { address = "::1" } } } }, "example.test")
		assert.same({ { host = "example.test", preference = 0, implicit = true } }, info.hosts)
		assert.is_true(info.implicit)
	end)

	it("has no hosts for a domain without MX and addresses, or one that does not exist", function()
		local info = mx_hosts(fake { ["example.test MX"] = mx {} }, "example.test")
		assert.same({}, info.hosts)
		assert.is_true(info.no_address)
		info = mx_hosts(fake { ["example.test MX"] = mx({}, { nxdomain = true }) }, "example.test")
		assert.same({}, info.hosts)
		assert.is_true(info.nxdomain)
		assert.is_nil(info.no_address)
	end)

	it("returns nil, message, code when the lookup fails or is bogus", function()
		assert.same({ nil, "timed out", "TIMEOUT" },
			{ mx_hosts(fake { ["example.test MX"] = { fail = { "timed out", "TIMEOUT" } } }, "example.test") })
		local info, msg, code = mx_hosts(fake { ["example.test MX"] = mx({ { preference = 10, exchange = "m" } },
			{ dnssec = "bogus", why_bogus = "signature expired" }) }, "example.test")
		assert.is_nil(info)
		assert.equal("DNS_BOGUS", code)
		assert.matches("signature expired", msg)
	end)
end)
