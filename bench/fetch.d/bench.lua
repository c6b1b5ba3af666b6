-- bench/fetch.d/bench.lua: mtasts full policy discovery, run by bench/fetch
-- inside the testbed namespace.
-- usage: lua5.4 bench.lua CLIENT_LUA CLONES N CONCURRENCY [FORWARDER]
-- For each of N distinct clone domains: the _mta-sts TXT lookup
-- (resolver:submit), select_sts_record, the policy fetch (fetcher:submit:
-- A + AAAA through the same resolver, HTTPS with a full handshake), and
-- parse_policy; CONCURRENCY domains in flight, driven by one poll loop over
-- the resolver's and the fetcher's fds.
-- Prints: RESULT <domains/s> <ok> <failed> <seconds>
local mtasts = require "mtasts"

local cfg_path, clones, N, W, fwd = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4]), arg[5]
local cfg = dofile(cfg_path)
local ropts = {}
for k, v in pairs(cfg.resolver) do ropts[k] = v end
if fwd and fwd ~= "" then
	-- the same recursive resolver as the peers (validation stays local)
	ropts.root_hints = nil
	ropts.forwarders = { fwd }
end
local width = math.max(4, #tostring(clones))

local function now()
	local f = assert(io.open "/proc/uptime")
	local t = f:read "*n"
	f:close()
	return t
end

local r = mtasts.resolver(ropts)
local f = mtasts.fetcher { resolver = r, ca_file = cfg.ca_file, timeout = 30 }
local ok, failed, next_i, inflight = 0, 0, 1, 0
local errors = {}

local function finish(good, why)
	inflight = inflight - 1
	if good then
		ok = ok + 1
	else
		failed = failed + 1
		errors[why] = (errors[why] or 0) + 1
	end
end

local function start(i)
	local domain = ("c%0" .. width .. "d.clones.test"):format(i)
	inflight = inflight + 1
	r:submit("_mta-sts." .. domain, "TXT", function(ans, _, code)
		if not ans then return finish(false, "TXT " .. code) end
		local rec = mtasts.select_sts_record(ans.records)
		if not rec then return finish(false, "no STS record") end
		f:submit(domain, function(res, _, fcode)
			if not res then return finish(false, fcode) end
			local policy = mtasts.parse_policy(res.body)
			finish(policy ~= nil, "POLICY")
		end)
	end)
end

local t0 = now()
while ok + failed < N do
	while inflight < W and next_i <= N do
		start(next_i)
		next_i = next_i + 1
	end
	local t1, t2 = r:timeout(), f:timeout()
	local t = t1 and t2 and math.min(t1, t2) or t1 or t2 or 1
	mtasts.poll({ r:getfd(), f:getfd() }, t)
	r:step()
	f:step()
end
local el = now() - t0
f:close()
r:close()
for why, n in pairs(errors) do io.stderr:write(("mtasts: %d x %s\n"):format(n, why)) end
print(("RESULT %.0f %d %d %.2f"):format(N / el, ok, failed, el))
