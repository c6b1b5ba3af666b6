-- mtasts-check on bad input (issue #10, items 1, 2, 5, 6): every input path
-- that cannot be read, input over its limit, empty input, control characters,
-- IP literals, wrong-typed --state and --config values: one clear line and
-- exit 3, never a stack trace. No servers: every run either stops before any
-- lookup or has a configuration whose resolver forwards to a dead loopback port.
local cli = require "mtasts.cli"
local input = require "mtasts.input"
local state = require "mtasts.state"

local LUA = jit and "luajit" or ("lua" .. _VERSION:match "%d%.%d")

local function sh(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function run_shell(cmd)
	local p = io.popen(cmd)
	local out = p:read "*a"
	p:close()
	return out
end

local TMP = run_shell("mktemp -d /tmp/mtasts-cli-bad-XXXXXX"):match "^%S+"
assert(TMP and TMP:match "^/tmp/mtasts%-cli%-bad%-", "mktemp -d failed")

local function write_file(name, text)
	local path = TMP .. "/" .. name
	local f = assert(io.open(path, "wb"))
	f:write(text)
	f:close()
	return path
end

-- The resolver forwards to a port where nothing listens: nothing leaves loopback.
local DEAD = write_file("dead.lua", 'return { resolver = { forwarders = { "127.0.0.1@1" } } }\n')

--- Runs the CLI in-process; returns status, stdout, stderr.
local function run(args)
	local out, err = {}, {}
	local status = cli.main(args, function(s) out[#out + 1] = s end, function(s) err[#err + 1] = s end)
	return status, table.concat(out), table.concat(err)
end

--- Runs bin/mtasts-check.lua in a child interpreter of this flavour (for
-- standard input and the environment); returns status, stdout, stderr.
local function run_child(args, redirect, env)
	local quoted = {}
	for i, a in ipairs(args) do
		quoted[i] = sh(a)
	end
	local errfile = TMP .. "/child.err"
	local setup = ("package.path = %q; package.cpath = %q"):format(package.path, package.cpath)
	local out = run_shell(("%s timeout 60 %s -e %s bin/mtasts-check.lua %s %s 2>%s; echo \"exit=$?\""):format(
		env or "", LUA, sh(setup), table.concat(quoted, " "), redirect or "</dev/null", sh(errfile)))
	local f = assert(io.open(errfile, "rb"))
	local err = f:read "*a"
	f:close()
	local status = tonumber(out:match "exit=(%d+)\n$")
	return status, out:gsub("exit=%d+\n$", ""), err
end

--- Exit 3 with one line on stderr matching pattern; no trace, no raw control
-- characters, no internal error.
local function assert_refused(pattern, status, out, err)
	assert.equal(3, status, "exit status (stderr: " .. err .. ")")
	assert.matches(pattern, err)
	local lines = err:gsub("\n%(try mtasts%-check %-%-help%)\n$", "\n") -- a usage error's hint
	assert.equal(1, select(2, lines:gsub("\n", "")), "one line: " .. err)
	assert.matches("^mtasts%-check: ", err)
	assert.is_nil(err:find("stack traceback", 1, true), err)
	assert.is_nil(err:find "%.lua:%d+: in ", err)
	assert.is_nil(err:find "mtasts/[%w_]+%.lua:%d+", err)
	assert.is_nil(err:find "^lua[%d.]*:", err)
	assert.is_nil(err:find("internal error", 1, true), err)
	assert.is_nil(err:find "[%z\1-\9\11-\31\127]", "a raw control character in: " .. err)
	assert.is_nil((out or ""):find "[%z\1-\9\11-\31\127]", "a raw control character in: " .. tostring(out))
end

describe("mtasts-check on bad input", function()
	teardown(function()
		os.execute("rm -rf " .. sh(TMP))
	end)

	describe("input paths that cannot be read (item 1)", function()
		it("refuses a directory for --from, --policy and --config", function()
			assert_refused("cannot read the %-%-from file /tmp: Is a directory", run { "--config", DEAD, "--from", "/tmp" })
			assert_refused("cannot read the %-%-policy file /tmp: Is a directory", run { "--policy", "/tmp" })
			assert_refused("cannot read the %-%-config file /tmp: Is a directory", run { "--config", "/tmp", "a.example" })
		end)

		it("refuses missing files", function()
			local missing = TMP .. "/missing"
			assert_refused("cannot read the %-%-from file .*/missing: No such file or directory",
				run { "--config", DEAD, "--from", missing })
			assert_refused("cannot read the %-%-policy file .*/missing: No such file", run { "--policy", missing })
			assert_refused("cannot read the %-%-config file .*/missing: No such file", run { "--config", missing, "a.example" })
		end)

		it("refuses a --state that is missing or not a directory", function()
			assert_refused("cannot use the %-%-state directory .*/missing: No such file or directory",
				run { "--config", DEAD, "--state", TMP .. "/missing", "a.example" })
			assert_refused("cannot use the %-%-state directory .*/dead%.lua: Not a directory",
				run { "--config", DEAD, "--state", DEAD, "a.example" })
		end)

		-- (root reads a mode 000 file anyway: then the case cannot run)
		local unreadable = write_file("unreadable.txt", "a.example\n")
		os.execute("chmod 000 " .. sh(unreadable))
		local readable = io.open(unreadable, "rb")
		if readable then
			readable:close()
		end
		;(readable and pending or it)("refuses unreadable files (not as root)", function()
			local path = unreadable
			assert_refused("cannot read the %-%-from file .*: Permission denied", run { "--config", DEAD, "--from", path })
			assert_refused("cannot read the %-%-policy file .*: Permission denied", run { "--policy", path })
		end)

		it("refuses an MTASTS_CONFIG that is a directory, in a child process", function()
			local status, out, err = run_child({ "a.example" }, nil, "MTASTS_CONFIG=/tmp")
			assert_refused("cannot read the configuration %(MTASTS_CONFIG%) /tmp: Is a directory", status, out, err)
		end)
	end)

	describe("input over its limit (item 2)", function()
		it("stops at once on /dev/zero for --policy, --from and --config", function()
			assert_refused("the %-%-policy file /dev/zero is over 65,536 bytes", run { "--policy", "/dev/zero" })
			assert_refused("the %-%-from file /dev/zero: line 1 is over 1,024 bytes",
				run { "--config", DEAD, "--from", "/dev/zero" })
			assert_refused("the %-%-config file /dev/zero is over 1,048,576 bytes", run { "--config", "/dev/zero", "a.example" })
		end)

		it("stops at once on /dev/zero as standard input, in a child process", function()
			assert_refused("the %-%-policy file %(standard input%) is over 65,536 bytes",
				run_child({ "--policy", "-" }, "</dev/zero"))
			assert_refused("the %-%-from file %(standard input%): line 1 is over 1,024 bytes",
				run_child({ "--config", DEAD, "--from", "-" }, "</dev/zero"))
		end)

		it("reads at most one byte past the policy limit and a chunk past a line", function()
			-- standard input that never ends, counting what is asked of it
			local real, asked = io.stdin, 0
			local endless = { read = function(_, n)
				assert(type(n) == "number", "read a bounded count, not " .. tostring(n))
				asked = asked + n
				return ("v"):rep(n)
			end }
			io.stdin = endless
			local ok, st, out, err = pcall(run, { "--policy", "-" })
			local policy_asked = asked
			asked = 0
			local ok2, st2, out2, err2 = pcall(run, { "--config", DEAD, "--from", "-" })
			io.stdin = real
			assert(ok, st)
			assert(ok2, st2)
			assert_refused("over 65,536 bytes", st, out, err)
			assert.equal(65537, policy_asked)
			assert_refused("line 1 is over 1,024 bytes", st2, out2, err2)
			assert.is_true(asked <= 1026 + 4096, "asked for " .. asked .. " bytes")
		end)

		it("takes a policy of exactly 65,536 bytes and refuses 65,537", function()
			local head = "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 604800\n"
			local exact = write_file("exact.txt", head .. ("#"):rep(65536 - #head - 1) .. "\n")
			local st, _, err = run { "--policy", exact }
			assert.is_not.equal(3, st, err) -- parsed (whatever it says about the padding)
			assert.is_nil(err:find("over 65,536", 1, true))
			local over = write_file("over.txt", head .. ("#"):rep(65536 - #head) .. "\n")
			assert_refused("the %-%-policy file .*over%.txt is over 65,536 bytes", run { "--policy", over })
		end)

		it("names the --from line over 1,024 bytes; 1,024 bytes (and CRLF) are not over", function()
			local long = ("a"):rep(1025)
			local from = write_file("long.txt", "a.example\n# comment\n" .. long .. "\nb.example\n")
			assert_refused("the %-%-from file .*long%.txt: line 3 is over 1,024 bytes", run { "--config", DEAD, "--from", from })
			-- exactly 1,024 bytes with CRLF: not over the limit, but not a domain name either
			from = write_file("limit.txt", "a.example\r\n" .. ("a"):rep(1024) .. "\r\n")
			local st, out, err = run { "--config", DEAD, "--from", from }
			assert_refused("line 2: 'a+.*' is not a domain name", st, out, err)
			assert.is_nil(err:find("over 1,024", 1, true))
		end)
	end)

	describe("nothing to check, control characters, IP literals (item 6)", function()
		it("says there is nothing to check for an empty --from, or one of comments and blank lines", function()
			for name, text in pairs { ["empty.txt"] = "", ["comments.txt"] = "# only\n\n   \n\t# comments\r\n\n" } do
				assert_refused("nothing to check: the %-%-from file .*" .. name:gsub("%.", "%%.") .. " names no domain",
					run { "--config", DEAD, "--from", write_file(name, text) })
			end
			assert_refused("nothing to check: the %-%-from file /dev/null names no domain",
				run { "--config", DEAD, "--from", "/dev/null" })
		end)

		it("escapes control characters in a bad name, wherever it is echoed", function()
			local st, out, err = run { "--config", DEAD, "a\27[31mb.example" }
			assert_refused("'a\\x1b%[31mb%.example' is not a domain name", st, out, err)
			local from = write_file("ctl.txt", "ok.example\n\27]0;title\7\n")
			assert_refused("line 2: '\\x1b%]0;title\\x07' is not a domain name", run { "--config", DEAD, "--from", from })
			-- the C1 CSI (U+009B) as UTF-8
			assert_refused("'x\\xc2\\x9b31mx%.example' is not a domain name", run { "--config", DEAD, "x\194\15531mx.example" })
			assert_refused("unknown check 'x\\x1by' for %-%-only", run { "--config", DEAD, "--only", "x\27y", "a.example" })
			assert_refused("unknown option '%-%-f\\x1bo'", run { "--f\27o" })
		end)

		it("escapes control characters in file names and offline input", function()
			assert_refused("cannot read the %-%-policy file /nonexistent/\\x1b%[2J: No such file",
				run { "--policy", "/nonexistent/\27[2J" })
			local st, out, err = run { "--record", "v=STSv1; id=\27[2J" }
			assert.equal(2, st, err)
			assert.matches('record "v=STSv1; id=\\x1b%[2J": invalid', out)
			assert.is_nil(out:find "[%z\1-\9\11-\31\127]", out)
		end)

		it("refuses IP literals given as domains, in the CLI", function()
			for _, ip in ipairs { "127.0.0.1", "::1", "[192.0.2.1]", "192.0.2.1.", "2001:db8::25", "[IPv6:2001:db8::1]",
				"127.1", "0x7f.0.0.1" } do
				assert_refused("'" .. ip:gsub("%p", "%%%0") .. "' is an IP address, not a domain name",
					run { "--config", DEAD, ip })
			end
			local from = write_file("ips.txt", "a.example\n192.0.2.1\n")
			assert_refused("line 2: '192%.0%.2%.1' is an IP address", run { "--config", DEAD, "--from", from })
		end)

		it("refuses IP literals in mtasts.selfcheck before any lookup", function()
			local mtasts = require "mtasts"
			for _, ip in ipairs { "127.0.0.1", "::1", "[192.0.2.1]", "192.0.2.1." } do
				local ok, err = pcall(mtasts.selfcheck, ip, { config = { resolver = { forwarders = { "127.0.0.1@1" } } } })
				assert.is_false(ok)
				assert.matches("is an IP address", err)
			end
			local ok, err = pcall(mtasts.selfcheck, "a\27b.example")
			assert.is_false(ok)
			assert.matches("a\\x1bb%.example", err)
			assert.is_nil(err:find("\27", 1, true))
		end)

		it("tells IP literals from domain names", function()
			for _, name in ipairs { "127.0.0.1", "127.0.0.1.", "::1", "::", "[192.0.2.1]", "2001:db8::1", "2130706433",
				"0x7f.1" } do
				assert.is_true(input.ip_literal(name), name)
			end
			for _, name in ipairs { "example.com", "1password.com", "123.example", "0x7f.example", "a:b", "cafe.",
				"", "." } do
				assert.is_false(input.ip_literal(name), name)
			end
		end)

		it("escapes once, and escaping twice changes nothing", function()
			local s = input.escape("a\0b\27c\127d\194\133e\\x1b ü")
			assert.equal("a\\x00b\\x1bc\\x7fd\\xc2\\x85e\\x1b ü", s)
			assert.equal(s, input.escape(s))
		end)
	end)

	describe("wrong-typed --config values (item 5)", function()
		local cases = {
			{ 'timeout = "x"', "option 'timeout' must be a number of seconds %(got x%)" },
			{ "timeout = 1e300", "mtasts.fetcher: option 'timeout' must be seconds" },
			{ "resolver = 5", "option 'resolver' must be an mtasts.resolver or a table" },
			{ 'resolver = { forwarders = "127.0.0.1@1" }', "mtasts.resolver: option 'forwarders' has the wrong type" },
			{ "resolver = { forwarders = { '127.0.0.1@1' }, bogus = 1 }", "mtasts.resolver: unknown option 'bogus'" },
			{ "ca_file = 1", "option 'ca_file' must be a string %(got 1%)" },
			{ "ca_path = {}", "option 'ca_path' must be a string" },
			{ "memo_limit = -1", "option 'memo_limit' must be an integer" },
			{ "frobnicate = true", "unknown option 'frobnicate'" },
			{ '["\\27[31m"] = 1', "unknown option '\\x1b%[31m'" },
		}
		for _, case in ipairs(cases) do
			it("refuses " .. case[1] .. " once, up front", function()
				local extra = case[1]:match "^resolver" and "" or "resolver = { forwarders = { '127.0.0.1@1' } }, "
				local path = write_file("config.lua", "return { " .. extra .. case[1] .. " }\n")
				assert_refused("the configuration .*config%.lua is invalid: .*" .. case[2],
					run { "--config", path, "a.example", "b.example", "c.example" })
			end)
		end

		it("refuses a configuration that is not a table of Lua source", function()
			assert_refused("must return a table %(it returned number%)",
				run { "--config", write_file("num.lua", "return 5\n"), "a.example" })
			assert_refused("must return a table %(it returned nil%)", run { "--config", write_file("empty.lua", ""), "a.example" })
			assert_refused("is not valid Lua: .*syntax.lua:1:", run { "--config", write_file("syntax.lua", "return {"), "a.example" })
			assert_refused("failed: .*boom", run { "--config", write_file("boom.lua", "error('boom')"), "a.example" })
			assert_refused("is a precompiled chunk", run { "--config", write_file("dump.lua", string.dump(function() return {} end)),
				"a.example" })
		end)
	end)

	describe("wrong-typed --state entries (item 5)", function()
		local DOMAIN = "state.example"
		local dir = TMP .. "/state"
		os.execute("mkdir -p " .. sh(dir))

		--- Loads a state file with this text; returns the table and the warnings.
		local function load(text)
			write_file("state/" .. DOMAIN .. ".json", text)
			local warnings, real = {}, state.on_warning
			state.on_warning = function(m) warnings[#warnings + 1] = m end
			local ok, t = pcall(state.load, dir, DOMAIN)
			state.on_warning = real
			assert(ok, t)
			return t, warnings
		end

		local GOOD = '{"mta-sts":{"id":"20240101","policy":"version: STSv1","testing_since":1700000000},"x":{"a":1}}'

		it("keeps a valid file as it is, without a warning", function()
			local t, warnings = load(GOOD)
			assert.same({}, warnings)
			assert.same({ id = "20240101", policy = "version: STSv1", testing_since = 1700000000 }, t["mta-sts"])
			assert.same({ a = 1 }, t.x)
		end)

		local bad = {
			{ '{"mta-sts":{"id":"1","testing_since":"yesterday"}}', "testing_since" },
			{ '{"mta-sts":{"id":"1","testing_since":1e300}}', "testing_since" },
			{ '{"mta-sts":{"testing_since":-5}}', "testing_since" },
			{ '{"mta-sts":{"testing_since":1.5}}', "testing_since" },
			{ '{"mta-sts":{"id":5}}', "'id'" },
			{ '{"mta-sts":{"id":"has-dash"}}', "'id'" },
			{ '{"mta-sts":{"id":"' .. ("a"):rep(33) .. '"}}', "'id'" },
			{ '{"mta-sts":{"id":null}}', "'id'" },
			{ '{"mta-sts":{"id":"1","policy":7}}', "'policy'" },
			{ '{"mta-sts":{"id":"1","policy":{"mode":"enforce"}}}', "'policy'" },
			{ '{"mta-sts":"enforce"}', "not an object" },
			{ '{"id":"1","testing_since":"yesterday"}', "testing_since" }, -- 0.1 layout
		}
		for _, case in ipairs(bad) do
			it("ignores " .. case[1] .. " with a warning", function()
				local t, warnings = load(case[1])
				assert.is_nil(t["mta-sts"])
				assert.equal(1, #warnings)
				assert.matches("the state file .*state%.example%.json: the entry 'mta%-sts' is ignored: .*" .. case[2],
					warnings[1])
			end)
		end

		it("keeps the good entries of a file with a bad one", function()
			local t, warnings = load('{"mta-sts":{"id":"1","policy":7},"x":{"a":1},"y":3}')
			assert.is_nil(t["mta-sts"])
			assert.is_nil(t.y)
			assert.same({ a = 1 }, t.x)
			assert.equal(2, #warnings)
		end)

		it("ignores a file that is not a JSON object, or not a file, with a warning", function()
			for _, text in ipairs { "not json", "[1, 2]", "5", '"x"', ("["):rep(100000) } do
				local t, warnings = load(text)
				assert.same({}, t)
				assert.equal(1, #warnings, text:sub(1, 20))
				assert.matches("state%.example%.json", warnings[1])
			end
			os.remove(dir .. "/" .. DOMAIN .. ".json")
			os.execute("mkdir " .. sh(dir .. "/" .. DOMAIN .. ".json"))
			local warnings, real = {}, state.on_warning
			state.on_warning = function(m) warnings[#warnings + 1] = m end
			local t = state.load(dir, DOMAIN)
			state.on_warning = real
			os.execute("rmdir " .. sh(dir .. "/" .. DOMAIN .. ".json"))
			assert.same({}, t)
			assert.matches("Is a directory; ignored", warnings[1])
		end)

		it("a missing file is nothing remembered, without a warning", function()
			local warnings, real = {}, state.on_warning
			state.on_warning = function(m) warnings[#warnings + 1] = m end
			local t = state.load(dir, "never-seen.example")
			state.on_warning = real
			assert.same({}, t)
			assert.same({}, warnings)
		end)

		-- The mta-sts check over a fixed world (TXT id 20240101, a valid
		-- testing policy), with what state.load gives it.
		local POLICY = "version: STSv1\nmode: testing\nmx: mx.state.example\nmax_age: 604800\n"
		local function check_with(text)
			local t = load(text)
			local ctx = {}
			function ctx.query(_, name, qtype)
				coroutine.yield()
				if qtype == "TXT" then
					return { name = name, dnssec = "insecure", records = { { text = "v=STSv1; id=20240101" } } }
				end
				return { name = name, dnssec = "insecure", records = { { exchange = "mx.state.example", preference = 10 } } }
			end
			function ctx.fetch(_, domain)
				coroutine.yield()
				return { ok = true, status = 200, content_type = "text/plain", body = POLICY,
					url = "https://mta-sts." .. domain .. "/.well-known/mta-sts.txt", addresses = {} }
			end
			function ctx.probe()
				coroutine.yield()
				return nil, "connection refused", "CONNECT"
			end
			local check = require("mtasts.registry").get "mta-sts"
			local co = coroutine.create(check.run)
			local res = { coroutine.resume(co, ctx, DOMAIN, { state = t["mta-sts"] or {}, now = 1800000000 }) }
			while coroutine.status(co) ~= "dead" do
				res = { coroutine.resume(co) }
			end
			assert(res[1], res[2])
			local ids = {}
			for _, f in ipairs(res[2]) do
				ids[f.id] = true
			end
			return ids, res[3]
		end

		it("gives the mta-sts check no false sts.id.stale and no crash", function()
			-- the control: a remembered policy that differs, behind the same id, is stale
			local ids = check_with('{"mta-sts":{"id":"20240101","policy":"version: STSv1\\nmode: enforce"}}')
			assert.is_true(ids["sts.id.stale"])
			for _, text in ipairs {
				'{"mta-sts":{"id":"20240101","policy":7}}',
				'{"mta-sts":{"id":"20240101","policy":{"a":1}}}',
				'{"mta-sts":{"id":"20240101","testing_since":"yesterday"}}',
				'{"mta-sts":{"id":"20240101","testing_since":1e300}}',
				'{"id":"20240101","policy":true}',
			} do
				local found, summary = check_with(text)
				assert.is_nil(found["sts.id.stale"], text)
				assert.is_true(found["sts.mode.testing"] or found["sts.mode.testing_long"], text)
				assert.is_number(summary.remember.testing_since)
			end
		end)
	end)
end)
