-- Hostile servers (issue #11, §4): the fetcher and the prober against small
-- servers that misbehave on purpose (tests/hostile/hostile.py, one process per
-- case, started here and killed after it). Each case asserts the code, that
-- the call returns within its bound (computed from the short timeouts set
-- here), bounded RSS and no fd growth. Runs inside the testbed's namespace:
--   cfg=$(tests/testbed --name hh up | tail -1)
--   MTASTS_CONFIG=$cfg tests/testbed --name hh exec busted --run=lua54 --tags=testbed --exclude-tags= spec/hostile_spec.lua
-- The servers listen on loopback only: on other ports of addresses the
-- testbed's DNS gives testbed names (mta-sts.enforce-ok.test for HTTPS,
-- mx1.enforce-ok.test for SMTP, with enforce-ok's certificate), and the port-80
-- case on 127.0.0.1:80, named mta-sts.hostile.test by a local-data entry.
-- MTASTS_HOSTILE_VERBOSE=1 prints each case's code and time on stderr.
local mtasts = require "mtasts"
local open_fds = require "helpers.open_fds"

local SERVER = "tests/hostile/hostile.py"
local RSS_MARGIN_KB = 50 * 1024
local verbose = os.getenv "MTASTS_HOSTILE_VERBOSE"

local function rss_kb()
	local f = assert(io.open "/proc/self/status")
	local s = f:read "*a"
	f:close()
	return tonumber(s:match "VmRSS:%s*(%d+)")
end

-- IPv4 address of a testbed host, from <state>/hosts (name, IPv4, IPv6, ...).
local function address(state, name)
	for line in io.lines(state .. "/hosts") do
		local n, v4 = line:match "^(%S+)\t(%S+)"
		if n == name then
			return v4
		end
	end
	error("no host " .. name .. " in " .. state .. "/hosts")
end

-- Starts a hostile server; waits until it listens (it prints "<pid> <port>").
local function start(mode, addr, port, ...)
	local args = { "exec python3", SERVER, mode, addr, tostring(port or 0), ... }
	local p = assert(io.popen(table.concat(args, " ")))
	local line = p:read "*l"
	local pid, got = (line or ""):match "^(%d+) (%d+)$"
	assert(pid, "hostile.py " .. mode .. " did not start")
	return { pid = pid, port = tonumber(got), pipe = p }
end

local function stop(s)
	if s then
		os.execute("kill " .. s.pid .. " 2>/dev/null")
		s.pipe:close()
	end
end

-- Runs f, returns its elapsed seconds and its results; asserts that the
-- process holds no more fds and at most RSS_MARGIN_KB more RSS after it.
local function measured(name, f)
	collectgarbage()
	collectgarbage()
	local fds, rss = open_fds(), rss_kb()
	local t0 = mtasts.now()
	local out = { f() }
	local elapsed = mtasts.now() - t0
	collectgarbage()
	collectgarbage()
	local fds2, rss2 = open_fds(), rss_kb()
	if verbose then
		local t = out[1] and (out[1][1] or out[1]) or out[4] or {}
		io.stderr:write(string.format("hostile %-22s %-14s %6.2fs rss %+d kB fds %+d  %s\n", name,
			tostring(t.code or out[3]), elapsed, rss2 - rss, fds2 - fds, tostring(t.message or out[2])))
	end
	assert.is_true(fds2 <= fds, "fds " .. fds .. " before, " .. fds2 .. " after")
	assert.is_true(rss2 - rss <= RSS_MARGIN_KB, "RSS grew by " .. (rss2 - rss) .. " kB")
	return elapsed, out
end

-- The cases of issue #11 §3 that the C layer does not meet yet (TLS_TIMEOUT,
-- HTTP_HEADER, SMTP_TIMEOUT, the prober's overall deadline, the port-80 cap)
-- run only with MTASTS_HOSTILE_ALL=1, so that tests/run counts none of them
-- as passed; the issue stays open until they run by default.
local open_case = os.getenv("MTASTS_HOSTILE_ALL") == "1" and it or function() end

describe("hostile servers #testbed", function()
	local cfg, state, r, certs, server
	setup(function()
		local path = assert(os.getenv "MTASTS_CONFIG", "set MTASTS_CONFIG to the testbed's client.lua")
		cfg = dofile(path)
		state = os.getenv "MTASTS_TESTBED_STATE" or cfg.ca_file:match "^(.*)/pki/ca%.pem$"
		certs = state .. "/pki/certs/enforce-ok.test"
		r = mtasts.resolver(cfg.resolver)
		-- Warm-up, outside any count: the first fetch, probe and TLS 1.0/1.1
		-- retry open what the library keeps for the process (libunbound's
		-- sockets and threads, OpenSSL's lazily loaded state).
		mtasts.https_get("https://mta-sts.enforce-ok.test/.well-known/mta-sts.txt",
			{ resolver = r, ca_file = cfg.ca_file, timeout = 4 })
		mtasts.smtp_probe("mx1.enforce-ok.test", { resolver = r, ca_file = cfg.ca_file, timeout = 2 })
		local s = start("tls-garbage", address(state, "mx1.enforce-ok.test"), 0)
		mtasts.smtp_probe("mx1.enforce-ok.test", { resolver = r, ca_file = cfg.ca_file, port = s.port, timeout = 2 })
		stop(s)
	end)
	teardown(function()
		r:close()
	end)
	after_each(function()
		stop(server)
		server = nil
	end)

	describe("HTTPS", function()
		local host = "mta-sts.enforce-ok.test"
		local opts

		before_each(function()
			opts = { resolver = r, ca_file = cfg.ca_file, timeout = 4, connect_timeout = 2 }
		end)

		-- Starts MODE on another port of the policy host's address; fetches from it.
		local function get(mode)
			server = start(mode, address(state, host), 0, certs .. ".chain", certs .. ".key")
			local url = "https://" .. host .. ":" .. server.port .. "/.well-known/mta-sts.txt"
			local elapsed, out = measured(mode, function()
				return mtasts.https_get(url, opts)
			end)
			assert.is_nil(out[1], "the fetch succeeded")
			local t = out[4]
			assert.is_table(t)
			assert.equal(out[3], t.code)
			return t, elapsed, out[2]
		end

		open_case("no ServerHello: TLS_TIMEOUT within connect_timeout, never CONNECT", function()
			local t, elapsed = get "tls-silent"
			assert.equal("TLS_TIMEOUT", t.code)
			assert.is_true(elapsed <= opts.connect_timeout + 1, elapsed)
		end)
		it("one byte every 2 s: HTTP_TIMEOUT within the fetch timeout", function()
			local t, elapsed = get "trickle"
			assert.equal("HTTP_TIMEOUT", t.code)
			assert.is_true(elapsed <= opts.timeout + 1, elapsed)
			assert.is_true(elapsed >= opts.timeout - 1, elapsed)
		end)
		open_case("endless header lines: HTTP_HEADER, response header too long", function()
			local t, elapsed = get "endless-headers"
			assert.equal("HTTP_HEADER", t.code)
			assert.matches("response header too long", t.message)
			assert.is_true(elapsed < 2, elapsed)
		end)
		open_case("one endless header line: HTTP_HEADER, response header too long (not Out of memory)", function()
			local t, elapsed = get "endless-line"
			assert.equal("HTTP_HEADER", t.code)
			assert.matches("response header too long", t.message)
			assert.not_matches("[Oo]ut of memory", t.message)
			assert.is_true(elapsed < 2, elapsed)
		end)
		it("Content-Length: 1000000000: TOO_LARGE at once", function()
			local t, elapsed = get "huge-length"
			assert.equal("TOO_LARGE", t.code)
			assert.is_true(elapsed < 1.5, elapsed)
		end)
		it("endless chunked body: TOO_LARGE", function()
			local t, elapsed = get "endless-chunked"
			assert.equal("TOO_LARGE", t.code)
			assert.is_true((t.size or 0) <= 65536, t.size)
			assert.is_true(elapsed < 2, elapsed)
		end)
		open_case("port-80 diagnostic against an endless body: headers only, well within the timeout", function()
			-- 127.0.0.1 in the namespace: nothing on 443 (CONNECT), our server on 80.
			local ropts = {}
			for k, v in pairs(cfg.resolver) do ropts[k] = v end
			ropts.options = {}
			for _, o in ipairs(cfg.resolver.options or {}) do ropts.options[#ropts.options + 1] = o end
			ropts.options[#ropts.options + 1] = { "local-zone:", "hostile.test. static" }
			ropts.options[#ropts.options + 1] = { "local-data:", "mta-sts.hostile.test. 300 IN A 127.0.0.1" }
			local r80 = mtasts.resolver(ropts)
			assert.is_table(r80:query("mta-sts.hostile.test", "A")) -- its sockets, before the count
			server = start("http-stream", "127.0.0.1", 80)
			local o = { resolver = r80, ca_file = cfg.ca_file, timeout = 10 }
			local elapsed, out = measured("http-stream (port 80)", function()
				return mtasts.fetch_policy("hostile.test", o)
			end)
			r80:close()
			-- what the server could push before we closed: socket buffers, not the stream
			local sent = tonumber((server.pipe:read "*l" or ""):match "^sent (%d+)$")
			if verbose then
				io.stderr:write("hostile http-stream: " .. tostring(sent) .. " body bytes sent\n")
			end
			local t = out[4]
			assert.is_table(t)
			assert.equal("CONNECT", t.code)
			assert.equal(200, t.http_status)
			assert.is_true(elapsed < 3, elapsed)
			assert.is_number(sent)
			assert.is_true(sent < 16 * 1024 * 1024, sent .. " bytes sent")
		end)
	end)

	describe("SMTP", function()
		local host = "mx1.enforce-ok.test"
		local T = 2 -- the prober's per-phase timeout

		-- Starts MODE on another port of the MX's address; probes it.
		local function probe(mode, extra, delay)
			server = start(mode, address(state, host), 0, certs .. ".chain", certs .. ".key", delay)
			local o = { resolver = r, ca_file = cfg.ca_file, port = server.port, timeout = T }
			for k, v in pairs(extra or {}) do o[k] = v end
			local elapsed, out = measured(mode, function()
				return mtasts.smtp_probe(host, o)
			end)
			local res = out[1]
			assert.is_table(res, tostring(out[2]) .. " " .. tostring(out[3]))
			assert.equal(1, #res)
			return res[1], elapsed
		end

		it("endless banner line: SMTP_PROTOCOL at once", function()
			local a, elapsed = probe "banner-line"
			assert.equal("SMTP_PROTOCOL", a.code)
			assert.matches("long", a.message)
			assert.is_true(elapsed < 1, elapsed)
		end)
		it("10,000 continuation lines: SMTP_PROTOCOL, too many lines (docs/probe.md: at most 100)", function()
			local a, elapsed = probe "continuation"
			assert.equal("SMTP_PROTOCOL", a.code)
			assert.matches("lines", a.message)
			assert.is_true(elapsed < 1, elapsed)
		end)
		open_case("EHLO never answered: SMTP_TIMEOUT after one phase", function()
			local a, elapsed = probe "ehlo-silent"
			assert.equal("SMTP_TIMEOUT", a.code)
			assert.matches("EHLO", a.message)
			assert.is_true(elapsed >= T - 0.2 and elapsed <= T + 1, elapsed)
		end)
		it("garbage after STARTTLS: TLS_HANDSHAKE", function()
			local a, elapsed = probe "tls-garbage"
			assert.equal("TLS_HANDSHAKE", a.code)
			assert.is_false(a.tls.handshake)
			assert.is_true(elapsed < T, elapsed)
		end)
		it("close mid-handshake: TLS_HANDSHAKE", function()
			local a, elapsed = probe "tls-close"
			assert.equal("TLS_HANDSHAKE", a.code)
			assert.is_false(a.tls.handshake)
			assert.is_true(elapsed < T, elapsed)
		end)
		open_case("no ServerHello after STARTTLS: TLS_TIMEOUT", function()
			local a, elapsed = probe "tls-silent-smtp"
			assert.equal("TLS_TIMEOUT", a.code)
			assert.is_false(a.tls.handshake)
			-- one handshake phase; a legacy retry of a stalled handshake would double it
			assert.is_true(elapsed <= T + 1, elapsed)
		end)
		open_case("every reply just under the phase limit: ends within the overall deadline", function()
			local deadline = 4 -- the five phases below would take 5 x 1.7 = 8.5 s
			local a, elapsed = probe("slow", { deadline = deadline }, T - 0.3)
			assert.is_false(a.ok)
			assert.is_true(elapsed <= deadline + 1, elapsed)
		end)
	end)
end)
