-- Every finding id is in the catalogue with one severity, documented in
-- docs/findings.md with that severity, and the checks emit only catalogued ids.
local F = require "mtasts.findings"

local read = require "helpers.read_file"

describe("finding ids", function()
	local doc = read "docs/findings.md"

	it("are all documented in docs/findings.md with their severity", function()
		local missing = {}
		for id, entry in pairs(F.catalogue) do
			local row = doc:match("\n| `" .. id:gsub("%p", "%%%0") .. "` | (%a+) |")
			if row ~= entry[1] then
				missing[#missing + 1] = id .. " (" .. entry[1] .. ", doc says " .. tostring(row) .. ")"
			end
		end
		table.sort(missing)
		assert.same({}, missing)
	end)

	it("used by the checks are catalogued", function()
		local p = io.popen "ls lua/mtasts/checks/*.lua lua/mtasts/*.lua"
		local unknown = {}
		for file in p:lines() do
			for id in read(file):gmatch '"((%l+)%.[%l_]+[%.%l_]*)"' do
				local prefix = id:match "^(%l+)%."
				if ({ sts = 1, tlsrpt = 1, dnssec = 1, mx = 1, check = 1 })[prefix] and not F.catalogue[id]
					and not id:match "%.lua$" and not id:match "^mtasts" then
					unknown[#unknown + 1] = id .. " (" .. file .. ")"
				end
			end
		end
		p:close()
		assert.same({}, unknown)
	end)

	it("give findings of the catalogued severity, and unknown ids raise", function()
		local f = F.new("sts.mx.uncovered", "MX x matches no pattern", { fix = "…" })
		assert.equal("error", f.severity)
		assert.equal("mta-sts", f.check)
		assert.equal("RFC 8461 §4.1, §5", f.rfc)
		assert.has_error(function() F.new("sts.no.such.id", "x") end)
		assert.equal("fail", F.status { f })
		assert.equal("pass", F.status { F.new("sts.mx.ok", "fine") })
	end)
end)
