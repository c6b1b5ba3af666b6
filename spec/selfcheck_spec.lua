-- The self-check against every bundled scenario of the loopback testbed:
-- per check, the exact set of non-ok finding ids the scenario expects, both
-- through mtasts.selfcheck and through mtasts-check --json.
-- Run inside the testbed with MTASTS_CONFIG=<state>/client.lua (tests/run does).
local mtasts = require "mtasts"
local selfcheck = require "mtasts.selfcheck"

local ids_by_check = require("mtasts.report").non_ok_ids

local function expected(scenario, check)
	local list = {}
	for i, id in ipairs((scenario.expect or {})[check] or {}) do
		list[i] = id
	end
	table.sort(list)
	return list
end

local CHECKS = { "mta-sts", "tls-rpt", "dnssec", "mx" }

describe("mtasts-check offline behaviour", function()
	it("says DNS is unreachable and exits 3 when no resolver answers", function()
		local cfg = os.tmpname()
		local f = assert(io.open(cfg, "w"))
		-- a loopback port where nothing listens: never the default internet settings
		f:write 'return { resolver = { forwarders = { "127.0.0.1@9" }, timeout = 1 } }'
		f:close()
		local p = io.popen("bin/mtasts-check --config " .. cfg .. " example.org 2>&1; echo \"exit=$?\"")
		local out = p:read "*a"
		p:close()
		os.remove(cfg)
		assert.matches("DNS is unreachable", out)
		assert.matches("%-%-demo", out)
		assert.matches("exit=3", out)
	end)
end)

describe("the self-check #testbed", function()
	local config_path = os.getenv "MTASTS_CONFIG"
	local config, state, testbed_name

	setup(function()
		assert(config_path, "set MTASTS_CONFIG to the testbed's client.lua")
		config = dofile(config_path)
		state = dofile((config_path:gsub("client%.lua$", "scenarios.lua")))
		testbed_name = config_path:match "([^/]+)/client%.lua$"
	end)

	it("gives every scenario its expected finding ids, per check (mtasts.selfcheck)", function()
		local domains, by_domain = {}, {}
		for _, s in ipairs(state.scenarios) do
			domains[#domains + 1] = s.domain
			by_domain[s.domain] = s
		end
		local reports = selfcheck.run_many(domains, { config = config, timeout = 30, concurrency = 60 })
		assert.equal(#domains, #reports)
		local mismatches = {}
		for _, r in ipairs(reports) do
			local found = ids_by_check(r)
			for _, check in ipairs(CHECKS) do
				local want = table.concat(expected(by_domain[r.domain], check), ",")
				local got = table.concat(found[check] or {}, ",")
				if want ~= got then
					mismatches[#mismatches + 1] = ("%s %s: want [%s], got [%s]"):format(r.domain, check, want, got)
				end
			end
		end
		table.sort(mismatches)
		assert.same({}, mismatches)
	end)

	it("gives the same through mtasts-check --json, with a correct exit status", function()
		local cjson = require "cjson"
		local list = os.tmpname()
		local f = assert(io.open(list, "w"))
		for _, s in ipairs(state.scenarios) do
			f:write(s.domain, "\n")
		end
		f:close()
		local p = io.popen(("bin/mtasts-check --config %s --json --concurrency 60 --timeout 30 --from %s; echo \"exit=$?\"")
			:format(config_path, list))
		local out = p:read "*a"
		p:close()
		os.remove(list)
		local seen, n = {}, 0
		for line in out:gmatch "[^\n]+" do
			if line:sub(1, 1) == "{" then
				local r = cjson.decode(line)
				seen[r.domain] = ids_by_check(r)
				n = n + 1
			end
		end
		assert.equal(#state.scenarios, n)
		for _, s in ipairs(state.scenarios) do
			for _, check in ipairs(CHECKS) do
				assert.same(expected(s, check), seen[s.domain][check] or {}, s.domain .. " " .. check)
			end
		end
		assert.matches("exit=2", out) -- several scenarios have errors
	end)

	it("reports sts.id.stale when the policy changes behind an unchanged id (--state, switch)", function()
		local dir = os.tmpname()
		os.remove(dir)
		assert(os.execute("mkdir -p " .. dir))
		local function run()
			return mtasts.selfcheck("id-not-updated.test", { config = config, state = dir, checks = { "mta-sts" } })
		end
		local first = run()
		assert.same({}, ids_by_check(first)["mta-sts"])
		local sw = os.execute("tests/testbed --name " .. testbed_name .. " switch id-not-updated >/dev/null 2>&1")
		assert.is_truthy(sw == true or sw == 0)
		local ok, second = pcall(run)
		local ok3, third = pcall(run) -- still stale: the id has not changed
		os.execute("tests/testbed --name " .. testbed_name .. " switch --reset id-not-updated >/dev/null 2>&1")
		os.execute("rm -rf " .. dir)
		assert.is_true(ok, second)
		assert.same({ "sts.id.stale" }, ids_by_check(second)["mta-sts"])
		assert.is_true(ok3, third)
		assert.same({ "sts.id.stale" }, ids_by_check(third)["mta-sts"])
	end)

	it("runs the custom check example", function()
		local p = io.popen(("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build-5.4/?.so;;' lua5.4 examples/custom-check.lua dane-mismatch.test %s 2>&1; echo \"exit=$?\""):format(config_path))
		local out = p:read "*a"
		p:close()
		assert.matches("not DANE%-protected", out)
		assert.matches("\n  strict: fail\n", out) -- registered, rendered in report order after mta-sts
		assert.matches("strict%.no_dane  %(RFC 7672%)", out)
		assert.matches("\n    %d+ MX address%(es%) DANE%-protected\n", out)
		assert.matches("exit=1", out)
	end)

	it("fills the MTA-STS summary and the per-MX sender verdicts", function()
		local r = mtasts.selfcheck("mx-expired.test", { config = config, checks = { "mta-sts" } })
		local sts = r.summaries["mta-sts"]
		assert.equal("enforce", sts.mode)
		assert.equal(604800, sts.max_age)
		local verdict = {}
		for _, m in ipairs(sts.mx) do
			verdict[m.host] = m.sender
		end
		assert.same({ ["mx1.mx-expired.test"] = "deliver", ["mx2.mx-expired.test"] = "skip" }, verdict)
		assert.equal("fail", r.verdict)
		assert.is_nil(sts.remember, "what --state keeps is not part of the report")
	end)

	it("lists the MX hosts in preference order as 'no policy applies' when senders see no policy", function()
		local r = mtasts.selfcheck("policy-404.test", { config = config, checks = { "mta-sts" } })
		local sts = r.summaries["mta-sts"]
		assert.equal("no-policy", sts.state)
		local hosts = {}
		for i, m in ipairs(sts.mx) do
			hosts[i] = m.host
		end
		assert.same({ "mx1.policy-404.test", "mx2.policy-404.test" }, hosts)
		local text = require("mtasts.report").text(r)
		assert.matches("MX hosts %(no MTA%-STS policy applies to them%):", text)
		assert.matches("mx1%.policy%-404%.test +pref 10 +no policy applies +would deliver", text)
		assert.not_matches("not covered", text)
	end)
end)
