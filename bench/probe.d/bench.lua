-- bench/probe.d/bench.lua: run by bench/probe inside the testbed namespace.
-- usage: lua5.4 bench.lua CLIENT_LUA CLONES N WINDOW SERIAL
-- Probes mx1.cNNNN.clones.test (N distinct MX hosts, each: A + AAAA + TLSA
-- lookups, connect, banner, EHLO, STARTTLS, TLS 1.3 handshake with DANE-EE and
-- PKIX verdicts, QUIT) in three ways:
--   mtasts prober   one mtasts.prober, WINDOW probes kept in flight
--   mtasts serial   mtasts.smtp_probe one after the other (first SERIAL hosts)
--   openssl serial  `openssl s_client -starttls smtp` processes one after the
--                   other (first SERIAL hosts), each with -verify_hostname
-- Prints one line per way: name, probes, seconds, probes/s, failures.
local mtasts = require "mtasts"

local cfg_path, clones, N, W, SERIAL = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5])
local cfg = assert(dofile(cfg_path))
assert(clones and clones >= N, "the testbed has fewer clones than N")
local width = math.max(4, #tostring(clones))
local hosts = {}
for i = 1, N do
	hosts[i] = ("mx1.c%0" .. width .. "d.clones.test"):format(i)
end

local function now() -- 10 ms resolution, without luasocket/luaposix
	local f = assert(io.open "/proc/uptime")
	local t = f:read "*n"
	f:close()
	return t
end

-- DNS: "forward" (default) sends mtasts's queries to the testbed's caching
-- unbound, as openssl s_client's getaddrinfo does, after one warm-up pass
-- over every name, so both sides see the same warm cache; "recursive" uses
-- client.lua's own recursion from the root hints (cold cache per run: then
-- the testbed's DNS, about 200 validated queries/s here, is the limit).
local DNS = os.getenv "BENCH_DNS" or "forward"
local scen = dofile((cfg_path:gsub("client%.lua$", "scenarios.lua")))

local function resolver_options()
	if DNS == "recursive" then
		return cfg.resolver
	end
	local o = { forwarders = { scen.resolver }, timeout = 10, options = cfg.resolver.options }
	o.trust_anchor_file = cfg.resolver.trust_anchor_file
	return o
end

local function opts()
	return { resolver = mtasts.resolver(resolver_options()), ca_file = cfg.ca_file, timeout = 10, mx_dnssec = "secure" }
end

local function warm_up()
	local r = mtasts.resolver(resolver_options())
	local q, nexti, bad = {}, 1, 0
	for _, h in ipairs(hosts) do
		q[#q + 1] = { h, "A" }
		q[#q + 1] = { h, "AAAA" }
		q[#q + 1] = { "_25._tcp." .. h, "TLSA" }
	end
	local function cb(a)
		if not a then bad = bad + 1 end
		if nexti <= #q then
			r:submit(q[nexti][1], q[nexti][2], cb)
			nexti = nexti + 1
		end
	end
	while nexti <= math.min(30, #q) do
		r:submit(q[nexti][1], q[nexti][2], cb)
		nexti = nexti + 1
	end
	r:wait()
	r:close()
	print(("DNS warm-up: %d queries through %s, %d failed"):format(#q, scen.resolver, bad))
end

local why = {} -- failure code -> count, for the current run

local function report(name, n, secs, bad)
	local parts = {}
	for code, k in pairs(why) do parts[#parts + 1] = code .. " " .. k end
	table.sort(parts)
	why = {}
	print(("%-16s %5d probes %8.2f s %9.1f probes/s  %d failed%s"):format(name, n, secs, n / secs, bad,
		#parts > 0 and " (" .. table.concat(parts, ", ") .. ")" or ""))
	return n / secs
end

local function check(res, err, code)
	local ok = res and res[1] and res[1].ok and res[1].dane.ok
	if not ok then
		local c = res and res[1] and (res[1].code .. (res[1].message and ": " .. res[1].message:sub(1, 60) or ""))
			or tostring(code)
		why[c] = (why[c] or 0) + 1
	end
	return ok
end

local function prober_run()
	local o = opts()
	local p = mtasts.prober(o)
	local next_i, bad = 1, 0
	local function cb(res, err, code)
		if not check(res, err, code) then bad = bad + 1 end
		if next_i <= N then
			p:submit(hosts[next_i], cb)
			next_i = next_i + 1
		end
	end
	local t0 = now()
	while next_i <= math.min(W, N) do
		p:submit(hosts[next_i], cb)
		next_i = next_i + 1
	end
	assert(p:wait(600))
	local secs = now() - t0
	p:close()
	o.resolver:close()
	return report("mtasts prober", N, secs, bad)
end

local function serial_run()
	local o = opts()
	local bad = 0
	local t0 = now()
	for i = 1, SERIAL do
		if not check(mtasts.smtp_probe(hosts[i], o)) then bad = bad + 1 end
	end
	local secs = now() - t0
	o.resolver:close()
	return report("mtasts serial", SERIAL, secs, bad)
end

local function openssl_run()
	local bad = 0
	local t0 = now()
	for i = 1, SERIAL do
		local h = hosts[i]
		local cmd = ("openssl s_client -starttls smtp -connect %s:25 -servername %s -verify_hostname %s "
			.. "-CAfile %s -brief </dev/null 2>&1"):format(h, h, h, cfg.ca_file)
		local p = io.popen(cmd)
		local out = p:read "*a"
		p:close()
		if not out:find("Verification: OK", 1, true) then bad = bad + 1 end
	end
	local secs = now() - t0
	return report("openssl serial", SERIAL, secs, bad)
end

print("DNS: " .. DNS)
if DNS ~= "recursive" then
	warm_up()
end
local fast = prober_run()
local mserial = serial_run()
local oserial = openssl_run()
print(("ratio: mtasts prober / openssl s_client serial = %.1fx; mtasts serial / openssl serial = %.1fx")
	:format(fast / oserial, mserial / oserial))
