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

describe("the port-25 run note (lua/mtasts/port25.lua)", function()
	local port25 = require "mtasts.port25"
	local function timed_out(ip)
		return { ip = ip, code = "CONNECT", message = "cannot connect to " .. ip .. " port 25: no answer within 2 s" }
	end
	local function probe(...)
		return { done = true, n = 1, { ... } }
	end
	local fetched = { done = true, n = 1, { ok = true } }

	it("tells a connect timeout from a refused connection and from an answer", function()
		assert.is_true(port25.connect_timed_out(timed_out "192.0.2.1"))
		assert.is_true(port25.connect_timed_out { code = "CONNECT", message = "x: Connection timed out" })
		assert.is_false(port25.connect_timed_out { code = "CONNECT", message = "x: Connection refused" })
		assert.is_false(port25.connect_timed_out { code = "SMTP_TIMEOUT", message = "no answer within 2 s" })
		assert.is_false(port25.connect_timed_out { code = "CONNECT", message = "no answer within 2 s",
			connect_timeout = false }) -- a marker from the prober wins over the message
		assert.is_true(port25.reached { code = "SMTP_TIMEOUT" })
		assert.is_false(port25.reached { code = "CONNECT" })
	end)

	it("classifies a domain: blocked only when every address timed out and DNS and HTTPS worked", function()
		local kind, addrs = port25.classify({ probe(timed_out "a"), probe(timed_out "b", timed_out "c") }, fetched)
		assert.equal("blocked", kind)
		assert.same({ a = true, b = true, c = true }, addrs)
		assert.equal("blocked", (port25.classify({ probe(timed_out "a") }, nil))) -- no policy fetch made
		assert.equal("blocked", (port25.classify({ probe(timed_out "a") },
			{ done = true, n = 3, nil, "404", "HTTP_STATUS" }))) -- the policy host answered
		assert.is_nil(port25.classify({ probe(timed_out "a") }, { done = true, n = 3, nil, "t", "CONNECT" }))
		assert.is_nil(port25.classify({ probe(timed_out "a") }, { done = false }))
		assert.is_nil(port25.classify({ probe(timed_out "a"), { done = false } }, fetched)) -- a probe not finished
		assert.is_nil(port25.classify({ probe(timed_out "a"), { done = true, n = 3, nil, "x", "DNS_SERVFAIL" } }, fetched))
		assert.is_nil(port25.classify({ probe(timed_out "a", { ip = "b", code = "CONNECT", message = "refused" }) }, fetched))
		assert.equal("reached", (port25.classify({ probe(timed_out "a", { ip = "b", code = "OK" }) }, fetched)))
		assert.is_nil(port25.classify({}, fetched)) -- nothing probed
	end)

	it("raises the note at the second domain with a second address, never after an MX answered", function()
		local t = port25.tracker()
		assert.is_nil(port25.add(t, "a.test", { ["192.0.2.1"] = true }))
		local note = port25.add(t, "b.test", { ["192.0.2.2"] = true })
		assert.equal("run.port25_blocked", note.id)
		assert.equal("warning", note.severity)
		assert.matches("port 25 looks blocked", note.message)
		assert.matches("a%.test and b%.test", note.message)
		assert.is_nil(port25.add(t, "c.test", { ["192.0.2.3"] = true })) -- once
		assert.same({ "a.test", "b.test", "c.test" }, note.domains)
		t = port25.tracker()
		port25.add(t, "a.test", { ["192.0.2.1"] = true })
		assert.is_nil(port25.add(t, "b.test", { ["192.0.2.1"] = true }), "one shared MX address is that host's problem")
		t = port25.tracker()
		t.reached = true
		port25.add(t, "a.test", { ["192.0.2.1"] = true })
		assert.is_nil(port25.add(t, "b.test", { ["192.0.2.2"] = true }))
	end)

	it("annotates the mx.unreachable findings of a report, once", function()
		local f = { id = "mx.unreachable", message = "mx1 does not answer" }
		local other = { id = "mx.ok", message = "fine" }
		local r = { findings = { f, other } }
		local note = port25.note { "a.test", "b.test" }
		port25.annotate(r, note)
		port25.annotate({ findings = { f } }, note)
		assert.equal("mx1 does not answer (outbound port 25 looks blocked from this machine; see the run note)", f.message)
		assert.equal("fine", other.message)
		assert.same({ note }, r.notes)
		local text = require("mtasts.report").note_text(note)
		assert.matches("^! warning  outbound port 25 looks blocked", text)
		assert.matches("\n  run%.port25_blocked\n", text)
	end)
end)

describe("the port-25 run note #testbed", function()
	local config_path = os.getenv "MTASTS_CONFIG"
	local BLACKHOLES = { "mx-blackhole.test", "mx-blackhole-2.test" }

	-- mx-blackhole(-2).test: every MX address drops packets, DNS and the policy host work.
	local function run(domains)
		local config = dofile(assert(config_path, "set MTASTS_CONFIG to the testbed's client.lua"))
		config.timeout = 2
		local seen = {}
		local reports = selfcheck.run_many(domains, { config = config, timeout = 10, concurrency = 10 }, function(r)
			seen[#seen + 1] = r.domain
		end)
		local by = {}
		for _, r in ipairs(reports) do
			by[r.domain] = r
		end
		return reports, by, seen
	end

	local function unreachable(r)
		local list = {}
		for _, f in ipairs(r.checks.mx.findings) do
			if f.id == "mx.unreachable" then
				list[#list + 1] = f.message
			end
		end
		return list
	end

	it("two domains whose every MX address times out: one note, their mx.unreachable say so", function()
		local reports, by, seen = run(BLACKHOLES)
		assert.equal(1, #reports.notes)
		local note = reports.notes[1]
		assert.equal("run.port25_blocked", note.id)
		assert.equal("warning", note.severity)
		assert.equal(2, #seen)
		for _, d in ipairs(BLACKHOLES) do
			assert.same({ note }, by[d].notes)
			local msgs = unreachable(by[d])
			assert.equal(2, #msgs)
			for _, m in ipairs(msgs) do
				assert.matches("%(outbound port 25 looks blocked from this machine; see the run note%)$", m)
			end
			assert.equal("fail", by[d].verdict) -- nothing about the MX was verified
		end
	end)

	it("one such domain alone: no note, plain findings", function()
		local reports, by = run { "mx-blackhole.test" }
		assert.same({}, reports.notes)
		assert.is_nil(by["mx-blackhole.test"].notes)
		local msgs = unreachable(by["mx-blackhole.test"])
		assert.equal(2, #msgs)
		assert.not_matches("port 25 looks blocked", msgs[1])
	end)

	it("no note when another MX of the run answered on port 25", function()
		local reports, by = run { BLACKHOLES[1], BLACKHOLES[2], "enforce-ok.test" }
		assert.same({}, reports.notes)
		assert.equal(3, #reports)
		assert.not_matches("port 25 looks blocked", unreachable(by["mx-blackhole-2.test"])[1])
	end)

	it("mtasts-check prints the note once, above the reports; --json carries it in the reports", function()
		local cmd = ("bin/mtasts-check --config %s --timeout 10 --only mx,mta-sts %s %s"):format(config_path,
			BLACKHOLES[1], BLACKHOLES[2])
		local cfg = os.tmpname()
		local f = assert(io.open(cfg, "w"))
		f:write(("local c = dofile(%q); c.timeout = 2; return c"):format(config_path))
		f:close()
		cmd = cmd:gsub("%-%-config %S+", "--config " .. cfg)
		local p = io.popen(cmd .. " 2>/dev/null; echo \"exit=$?\"") -- (stderr may say the module is being rebuilt)
		local out = p:read "*a"
		p:close()
		p = io.popen(cmd .. " --json 2>/dev/null")
		local json = p:read "*a"
		p:close()
		os.remove(cfg)
		assert.matches("^! warning  outbound port 25 looks blocked", out)
		local _, n = out:gsub("run%.port25_blocked", "")
		assert.equal(1, n)
		assert.matches("exit=2", out)
		local cjson = require "cjson"
		local docs = 0
		for line in json:gmatch "[^\n]+" do
			local r = cjson.decode(line)
			docs = docs + 1
			assert.equal("run.port25_blocked", r.notes[1].id)
		end
		assert.equal(2, docs)
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
