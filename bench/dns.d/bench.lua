-- bench/dns.d/bench.lua: run by bench/dns inside the testbed namespace.
-- usage: lua5.4 bench.lua CLIENT_LUA CLONES N WINDOW
-- Three cold-cache passes over the same N distinct names
-- (_mta-sts.cNNNN.clones.test TXT, each a signed answer: one ECDSA check):
--   mtasts async    r:submit + r:step, WINDOW queries kept in flight
--   lua-unbound     Debian's lunbound (same libunbound, threads), driven the
--                   same way: resolve_async, WINDOW in flight, u:wait()
--   mtasts serial   r:query one after the other
-- plus mtasts async through r:wait() instead of the step loop.
local mtasts = require "mtasts"
local lunbound = require "lunbound"

local cfg_path, clones, N, W = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4])
local cfg = assert(dofile(cfg_path).resolver)
-- nsd's response rate limiting (rrl-ratelimit, 200/s by default) puts every
-- NODATA answer of a zone in one bucket; qname minimisation asks
-- cNNNN.clones.test first and gets exactly those NODATA answers, so with it the
-- run measures nsd's limiter (about 60 queries/s). Both resolvers get it off.
local extra = { { "qname-minimisation:", "no" } }
do
	local o = {}
	for _, x in ipairs(cfg.options or {}) do o[#o + 1] = x end
	for _, x in ipairs(extra) do o[#o + 1] = x end
	cfg.options = o
end
assert(clones and clones >= N, "the testbed has fewer clones than N")
local width = math.max(4, #tostring(clones))
local names = {}
for i = 1, N do
	names[i] = ("_mta-sts.c%0" .. width .. "d.clones.test"):format(i)
end

local function now()
	-- wall clock with sub-second resolution, without luasocket/luaposix:
	-- the resolver's own monotonic clock is not exported, so read /proc/uptime
	local f = assert(io.open "/proc/uptime")
	local t = f:read "*n"
	f:close()
	return t
end

-- /proc/uptime has 10 ms resolution: fine for runs of seconds.

local function options(timeout)
	local o = {}
	for k, v in pairs(cfg) do o[k] = v end
	o.timeout = timeout
	return o
end

local function mtasts_async(loop)
	local r = mtasts.resolver(options(30))
	local next_i, ok, bad = 1, 0, 0
	local function cb(a)
		if a and a.dnssec == "secure" and #a.records == 1 then ok = ok + 1 else bad = bad + 1 end
		if next_i <= N then
			r:submit(names[next_i], "TXT", cb)
			next_i = next_i + 1
		end
	end
	local t0 = now()
	while next_i <= math.min(W, N) do
		r:submit(names[next_i], "TXT", cb)
		next_i = next_i + 1
	end
	if loop == "step" then
		while r:pending() > 0 do
			r:step(1)
		end
	else
		r:wait()
	end
	local dt = now() - t0
	r:close()
	return dt, ok, bad
end

local function lua_unbound()
	local opts = { ["root-hints:"] = cfg.root_hints }
	for _, o in ipairs(cfg.options or {}) do opts[o[1]] = o[2] end
	local u = lunbound.new { async = true, resolvconf = false, hoststxt = false,
		trustfile = cfg.trust_anchor_file, options = opts }
	local next_i, ok, bad = 1, 0, 0
	local cb
	cb = function(res)
		if res and res.secure and res.n == 1 then ok = ok + 1 else bad = bad + 1 end
		if next_i <= N then
			u:resolve_async(cb, names[next_i], 16)
			next_i = next_i + 1
		end
	end
	local t0 = now()
	while next_i <= math.min(W, N) do
		u:resolve_async(cb, names[next_i], 16)
		next_i = next_i + 1
	end
	while ok + bad < N do
		u:wait()
	end
	local dt = now() - t0
	u = nil
	collectgarbage()
	return dt, ok, bad
end

local function mtasts_serial()
	local r = mtasts.resolver(options(30))
	local ok, bad = 0, 0
	local t0 = now()
	for i = 1, N do
		local a = r:query(names[i], "TXT")
		if a and a.dnssec == "secure" and #a.records == 1 then ok = ok + 1 else bad = bad + 1 end
	end
	local dt = now() - t0
	r:close()
	return dt, ok, bad
end

local results = {}
local function run(label, fn, ...)
	local dt, ok, bad = fn(...)
	results[label] = N / dt
	print(("%-26s %7.2f s  %9.0f queries/s  (%d secure answers, %d other)"):format(label, dt, N / dt, ok, bad))
	io.stdout:flush()
	return bad == 0
end

print(("N = %d distinct names, %d in flight, cold cache (a new context per pass), %s"):format(N, W, _VERSION))
local all = true
all = run("mtasts submit+step", mtasts_async, "step") and all
all = run("lua-unbound resolve_async", lua_unbound) and all
all = run("mtasts submit+wait", mtasts_async, "wait") and all
all = run("mtasts serial query", mtasts_serial) and all
print(("ratio mtasts step / lua-unbound: %.2f (target >= 0.9)"):format(results["mtasts submit+step"] / results["lua-unbound resolve_async"]))
print(("ratio mtasts wait / lua-unbound: %.2f"):format(results["mtasts submit+wait"] / results["lua-unbound resolve_async"]))
print(("ratio mtasts async / serial:     %.2f"):format(results["mtasts submit+step"] / results["mtasts serial query"]))
os.exit(all and 0 or 1)
