-- Every finding id is declared by the check that registers it (or is the
-- self-check's own check.*), documented in docs/findings.md with its
-- severity, and the checks emit only declared ids. All derived from the registry.
local F = require "mtasts.findings"
local registry = require "mtasts.registry"

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
		assert.truthy(F.catalogue["sts.mx.uncovered"], "the built-in checks' ids are in the catalogue")
	end)

	it("documented in docs/findings.md are declared by a check", function()
		local extra = {}
		for id in doc:gmatch "\n| `([%w_.-]+)` | %a+ |" do
			if not F.catalogue[id] then
				extra[#extra + 1] = id
			end
		end
		assert.same({}, extra)
	end)

	it("used by the checks are declared by the check that uses them", function()
		local unknown = {}
		for _, c in ipairs(registry.checks()) do
			local file = "lua/mtasts/checks/" .. c.name:gsub("-", "_") .. ".lua"
			local text = read(file)
			local p = c.prefix:gsub("%p", "%%%0")
			for id in text:gmatch('"(' .. p .. '[%l_]+[%.%l_]*)"') do
				if not c.ids[id] then
					unknown[#unknown + 1] = id .. " (" .. file .. ")"
				end
			end
			for id in pairs(c.ids) do
				-- every declared id is emitted somewhere in its check's file
				if not text:find('add("' .. id .. '"', 1, true) and not text:find('"' .. id .. '"', 1, true) then
					unknown[#unknown + 1] = id .. " declared but never used in " .. file
				end
			end
		end
		assert.same({}, unknown)
	end)

	it("give findings of the catalogued severity and check, and unknown ids raise", function()
		local f = F.new("sts.mx.uncovered", "MX x matches no pattern", { fix = "…" })
		assert.equal("error", f.severity)
		assert.equal("mta-sts", f.check)
		assert.equal("RFC 8461 §4.1, §5", f.rfc)
		assert.equal("tls-rpt", F.new("tlsrpt.record.ok", "fine").check)
		assert.has_error(function() F.new("sts.no.such.id", "x") end)
		assert.equal("fail", F.status { f })
		assert.equal("pass", F.status { F.new("sts.mx.ok", "fine") })
	end)

	it("of a registered check's prefix cannot be defined by findings.define", function()
		assert.has_error(function() F.define("sts.mine", "error") end,
			"finding ids starting with 'sts.' belong to the mta-sts check")
		assert.has_error(function() F.define("check.mine", "error") end)
		assert.has_error(function() F.define("sts.mx.ok", "error") end) -- a different severity
		F.define("sts.mx.ok", "ok") -- the same severity: fine
	end)
end)

describe("the check registry", function()
	it("lists the built-in checks in report order", function()
		assert.same({ "mta-sts", "tls-rpt", "dnssec", "mx" }, registry.names())
		assert.equal(registry.get("mx"), require("mtasts.selfcheck").checks[4])
	end)

	local function spec(over)
		local s = { name = "spec-one", prefix = "specone.", ids = { ["specone.ok"] = { severity = "ok" } },
			run = function() return {} end }
		for k, v in pairs(over or {}) do
			s[k] = v
		end
		return s
	end

	it("refuses registrations that are wrong, naming what is wrong", function()
		local cases = {
			{ { name = 1 }, "name must be" },
			{ { name = "Bad Name" }, "name must be" },
			{ { prefix = "specone" }, "prefix must look like" },
			{ { prefix = "check." }, "belongs to the self%-check" },
			{ { prefix = "sts." }, "prefix 'sts.' belongs to check 'mta%-sts'" },
			{ { run = "x" }, "run must be a function" },
			{ { render = 1 }, "render must be a function" },
			{ { csv = { columns = {} } }, "csv must be" },
			{ { ids = {} }, "ids must list" },
			{ { ids = { ["other.ok"] = { severity = "ok" } } }, "does not start with its prefix" },
			{ { ids = { ["specone.x"] = { severity = "fatal" } } }, "severity 'fatal'" },
			{ { ids = { ["specone.x"] = "error" } }, "needs { severity" },
			{ { colour = "red" }, "unknown key 'colour'" },
			{ { name = "mx", prefix = "mxtwo.", ids = { ["mxtwo.ok"] = { severity = "ok" } } }, "already registered" },
		}
		for _, case in ipairs(cases) do
			local ok, err = pcall(function() require("mtasts").register_check(spec(case[1])) end)
			assert.is_false(ok)
			assert.matches(case[2], tostring(err))
			assert.matches("^[^\n]*findings_spec.lua:%d+: register_check: ", tostring(err)) -- names the caller
		end
		assert.is_nil(registry.get "spec-one")
		assert.is_nil(F.catalogue["specone.ok"])
	end)

	it("takes a check: its ids join the catalogue, it runs in the self-check and appears in --only", function()
		local mtasts = require "mtasts"
		local c = spec {
			name = "spec-two", prefix = "spectwo.",
			ids = { ["spectwo.seen"] = { severity = "warning", rfc = "RFC 0000 §1" }, ["spectwo.ok"] = { "ok" } },
			run = function(_, domain)
				return { F.new("spectwo.seen", "saw " .. domain) }, { count = 3 }
			end,
			render = function(s) return { "count " .. s.count } end,
			headline = function(s) return "TWO: " .. s.count end,
		}
		assert.equal(c, mtasts.register_check(c))
		assert.equal(c, mtasts.register_check(c)) -- the same table again: a no-op
		assert.equal("warning", F.catalogue["spectwo.seen"][1])
		assert.equal("spec-two", F.new("spectwo.seen", "x").check)
		assert.equal("spec-two", registry.names()[#registry.names()])
		-- the check does no I/O: a resolver forwarding to a dead loopback port is enough
		local report = mtasts.selfcheck("example.test", { checks = { "spec-two" }, config = {
			resolver = { forwarders = { "127.0.0.1@9" } } } })
		assert.equal("warn", report.verdict)
		assert.same({ count = 3 }, report.summaries["spec-two"])
		local text = require("mtasts.report").text(report)
		assert.matches("TWO: 3", text)
		assert.matches("\n  spec%-two: warn\n", text)
		assert.matches("\n    count 3\n", text)
		local err = {}
		assert.equal(3, require("mtasts.cli").main({ "--only", "nope", "example.test" }, function() end,
			function(s) err[#err + 1] = s end))
		assert.matches("unknown check 'nope' for %-%-only %(mta%-sts, tls%-rpt, dnssec, mx, spec%-two%)", table.concat(err))
	end)
end)
