-- bench/soak's driver: N clone domains through one process, ROUNDS times,
-- over one long-lived context; after each round one line of figures.
--   lua5.4 bench/soak.d/soak.lua <client.lua> <clones> <N> <rounds> <concurrency>
local mtasts = require "mtasts"
local selfcheck = require "mtasts.selfcheck"
local context = require "mtasts.context"

local config_path, clones, n, rounds, conc = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4]),
	tonumber(arg[5])
if not (clones and clones > 0 and n and rounds and conc) then
	error("usage: soak.lua <client.lua> <clones> <N> <rounds> <concurrency>", 0)
end
local width = math.max(4, #tostring(clones))
local domains = {}
-- Domain i is clone (i - 1) % clones + 1: the testbed serves every clone with
-- one certificate naming them all, which OpenSSL refuses past a few thousand
-- (excessive message size), so N may exceed the clones; then nothing is memoised
-- (memo_ttl = failure_ttl = 0) and every domain is checked afresh.
for i = 1, n do
	domains[i] = ("c%0" .. width .. "d.clones.test"):format((i - 1) % clones + 1)
end

local function line(label, wall, counts)
	collectgarbage "collect"
	collectgarbage "collect"
	local m = mtasts.memory()
	local _, _, fds = mtasts.fd_limit()
	print(("%-8s %8s %9.1f %11.1f %13.1f %11.1f %5d   %s"):format(label, wall and ("%.1f"):format(wall) or "-",
		(m.rss or 0) / 1048576, collectgarbage "count" / 1024, (m.malloc_in_use or 0) / 1048576,
		(m.malloc_free or 0) / 1048576, fds, counts or ""))
end

print(("%-8s %8s %9s %11s %13s %11s %5s   %s"):format("round", "wall s", "RSS MB", "Lua heap MB", "malloc MB",
	"free MB", "fds", "verdicts"))
local config = dofile(config_path)
if n > clones then
	config.memo_ttl, config.failure_ttl = 0, 0
end
local ctx = context.new(config)
line("start")
local total = 0
for round = 1, rounds do
	local t0 = mtasts.now()
	local counts = {}
	local reports = selfcheck.run_many(domains, { context = ctx, concurrency = conc, timeout = 30 })
	for _, r in ipairs(reports) do
		counts[r.verdict] = (counts[r.verdict] or 0) + 1
	end
	reports = nil -- luacheck: ignore (dropped before the figures)
	local wall = mtasts.now() - t0
	total = total + wall
	local parts = {}
	for k, v in pairs(counts) do
		parts[#parts + 1] = k .. "=" .. v
	end
	table.sort(parts)
	line(tostring(round), wall, table.concat(parts, " "))
end
ctx:close()
line("closed")
print(("total %.1f s for %d domains (%.1f domains/s) over %d clones%s"):format(total, n * rounds, n * rounds / total,
	clones, n > clones and ", nothing memoised" or ""))
