-- Local limits are the run's, never a domain's (issue #10 items 3 and 4):
-- mtasts.fd_limit/memory/trim_memory, the CA store checked when the fetcher
-- is made, LOCAL_EMFILE when the process is out of file descriptors, the
-- concurrency window from RLIMIT_NOFILE; and (#testbed) 300 clones at
-- concurrency 500 under ulimit -n 256, all pass. Only loopback: a dead
-- forwarder (127.0.0.1 port 9) or the testbed's own configuration.
local mtasts = require "mtasts"
local selfcheck = require "mtasts.selfcheck"

local BUILD = package.cpath:match "(build%-[%w.]+)/%?%.so" or "build-5.4"
local LUA = ({ ["build-5.1"] = "lua5.1", ["build-5.2"] = "lua5.2", ["build-5.3"] = "lua5.3",
	["build-5.4"] = "lua5.4", ["build-jit"] = "luajit" })[BUILD] or "lua5.4"

-- Runs a Lua chunk in a child interpreter under `ulimit -n limit`; returns its output and exit code.
local function child(limit, chunk, ...)
	local path = os.tmpname()
	local f = assert(io.open(path, "w"))
	f:write(chunk)
	f:close()
	local args = {}
	for i, a in ipairs { ... } do
		args[i] = "'" .. tostring(a) .. "'"
	end
	local cmd = ("ulimit -n %d; LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' %s %s %s 2>&1; echo \"exit=$?\"")
		:format(limit, BUILD, LUA, path, table.concat(args, " "))
	local p = assert(io.popen("bash -c " .. ("%q"):format(cmd)))
	local out = p:read "*a"
	p:close()
	os.remove(path)
	return out, tonumber(out:match "exit=(%d+)%s*$")
end

local function dead_resolver()
	return mtasts.resolver { forwarders = { "127.0.0.1@9" }, timeout = 1 }
end

describe("mtasts.fd_limit", function()
	it("returns the soft and hard RLIMIT_NOFILE and the descriptors open now", function()
		local soft, hard, open = mtasts.fd_limit()
		assert.is_number(soft)
		assert.is_true(hard >= soft)
		assert.is_true(open >= 3)
		local h = assert(io.open("/dev/null"))
		local _, _, more = mtasts.fd_limit()
		h:close()
		assert.equal(open + 1, more)
	end)

	it("reads the limit the shell set", function()
		local out = child(100, 'print("limit", require("mtasts").fd_limit())')
		assert.matches("limit\t100\t", out)
	end)
end)

describe("mtasts.memory and mtasts.trim_memory", function()
	it("report the RSS and malloc's bytes, and trim", function()
		local m = mtasts.memory()
		assert.is_true(m.rss > 0)
		assert.is_true(m.malloc_in_use > 0)
		assert.is_true(m.malloc_free >= 0)
		assert.is_boolean(mtasts.trim_memory())
	end)
end)

describe("the CA store", function()
	local r
	before_each(function()
		r = dead_resolver()
	end)
	after_each(function()
		r:close()
	end)

	it("is checked when the fetcher is made: a missing file, a file without certificates, a missing directory", function()
		local not_pem = os.tmpname()
		local f = assert(io.open(not_pem, "w"))
		f:write "not a certificate\n"
		f:close()
		for _, case in ipairs {
			{ { ca_file = "/nonexistent/ca.pem" }, "/nonexistent/ca%.pem: No such file" },
			{ { ca_file = not_pem }, not_pem:gsub("%p", "%%%0") .. ": .*no certificate" },
			{ { ca_file = "/" }, "/: " },
			{ { ca_path = "/nonexistent/certs" }, "/nonexistent/certs: No such file" },
		} do
			local opts = case[1]
			opts.resolver = r
			local ok, err = pcall(mtasts.fetcher, opts)
			assert.is_false(ok)
			assert.matches("^mtasts%.fetcher: cannot read the CA store " .. case[2], err)
			assert.is_false(pcall(mtasts.prober, opts))
		end
		os.remove(not_pem)
	end)

	it("an unreadable one fails the self-check run with one error naming it, no report", function()
		local reports = 0
		local ok, err = pcall(selfcheck.run_many, { "example.org" }, {
			config = { resolver = { forwarders = { "127.0.0.1@9" }, timeout = 1 }, ca_file = "/nonexistent/ca.pem" },
		}, function()
			reports = reports + 1
		end)
		assert.is_false(ok)
		assert.matches("cannot read the CA store /nonexistent/ca%.pem", err)
		assert.is_nil(err:find "\n")
		assert.equal(0, reports)
	end)
end)

describe("out of file descriptors", function()
	it("fetch, probe and DNS failures are coded LOCAL_EMFILE, not blamed on the host", function()
		local out = child(64, [[
			local mtasts = require "mtasts"
			local r = mtasts.resolver { forwarders = { "127.0.0.1@9" }, timeout = 1, options = {
				{ "local-zone:", "x.test. static" }, { "local-data:", "mta-sts.x.test. A 127.0.0.1" },
				{ "local-data:", "mx.x.test. A 127.0.0.1" } } }
			local f = mtasts.fetcher { resolver = r, timeout = 2 }
			local p = mtasts.prober { resolver = r, timeout = 2 }
			assert(r:query("mta-sts.x.test", "A")) -- the resolver's thread runs before the limit is reached
			local hold = {}
			while true do
				local h = io.open("/dev/null")
				if not h then break end
				hold[#hold + 1] = h
			end
			local fh = f:submit("x.test")
			f:wait()
			print("fetch", select(3, fh:result()))
			local ph = p:submit("mx.x.test")
			p:wait()
			print("probe", ph:result()[1].code)
			print("dns", select(3, r:query("example.org", "A")))
			for _, h in ipairs(hold) do h:close() end
			print("after", select(3, r:query("example.org", "A")))
		]])
		assert.matches("fetch\tLOCAL_EMFILE", out)
		assert.matches("probe\tLOCAL_EMFILE", out)
		assert.matches("dns\tLOCAL_EMFILE", out)
		assert.matches("after\tDNS_SERVFAIL", out) -- once descriptors are free again, the usual code
	end)
end)

describe("selfcheck.window", function()
	local said
	local warn = selfcheck.warn
	before_each(function()
		said = {}
		selfcheck.warn = function(m)
			said[#said + 1] = m
		end
	end)
	after_each(function()
		selfcheck.warn = warn
	end)
	local function limit(soft, open)
		return function()
			return soft, soft, open
		end
	end

	it("lowers what was asked to what the open-file limit allows, and says so once", function()
		local room = math.floor((256 - 10 - selfcheck.FD_HEADROOM) / selfcheck.FDS_PER_DOMAIN)
		assert.equal(room, selfcheck.window(500, limit(256, 10)))
		assert.equal(room, selfcheck.window(500, limit(256, 10)))
		assert.equal(1, #said)
		assert.matches("checking " .. room .. " domains at once instead of 500: the open%-file limit is 256", said[1])
		assert.equal(10, selfcheck.window(10, limit(256, 10)))
		assert.equal(1, #said)
		assert.equal(500, selfcheck.window(500, limit(math.huge, 10)))
	end)

	it("raises when not one domain fits", function()
		local ok, err = pcall(selfcheck.window, 10, limit(40, 10))
		assert.is_false(ok)
		assert.matches("too few file descriptors: the open%-file limit is 40", err)
	end)
end)

describe("300 testbed clones at concurrency 500 under ulimit -n 256 #testbed", function()
	it("are all checked, and all pass", function()
		local config_path = assert(os.getenv "MTASTS_CONFIG", "set MTASTS_CONFIG to the testbed's client.lua")
		local state = dofile((config_path:gsub("client%.lua$", "scenarios.lua")))
		assert(state.clones and state.clones >= 300,
			"the testbed needs 300 clones: tests/testbed up --clones 300 (tests/run does)")
		local out, code = child(256, [[
			local selfcheck = require "mtasts.selfcheck"
			local width = math.max(4, #tostring(tonumber(arg[2])))
			local domains = {}
			for i = 1, 300 do domains[i] = ("c%0" .. width .. "d.clones.test"):format(i) end
			local counts, n = {}, 0
			local reports = selfcheck.run_many(domains, { config = dofile(arg[1]), concurrency = 500, timeout = 30 },
				function() n = n + 1 end)
			for _, r in ipairs(reports) do counts[r.verdict] = (counts[r.verdict] or 0) + 1 end
			print(("reports=%d delivered=%d pass=%d"):format(#reports, n, counts.pass or 0))
		]], config_path, state.clones)
		assert.equal(0, code, out)
		assert.matches("reports=300 delivered=300 pass=300", out)
		assert.matches("checking %d+ domains at once instead of 500", out)
	end)
end)
