--- mtasts: checks a mail domain's transport security (MTA-STS first).
-- `require "mtasts"` returns this table. It needs only the C module
-- `mtasts.pure` (parsers, matchers, names, the clock: no I/O) and the pure
-- Lua `mtasts.sts_state`; their functions are there at once, exported as
-- they are, so argument errors name them directly.
--
-- The network functions (from the C module `mtasts.core`), `selfcheck` and
-- `await` (and through them lua-cjson) load on first use: a host that has
-- its own DNS and HTTP never loads libunbound, libcurl or OpenSSL. Where
-- `mtasts.core` cannot be loaded, touching one of them raises one error
-- naming the module and the loader's message; the pure functions keep
-- working. docs/api.md, "Modules".
local pure = require "mtasts.pure"

local mtasts = {}

for name, value in pairs(pure) do
	mtasts[name] = value
end

-- The policy decision of an RFC 8461 sender (pure Lua, no I/O).
mtasts.sts_state = require "mtasts.sts_state"

--- mtasts.register_check{ name, prefix, ids, run[, render, headline, csv] }:
-- adds a check to the self-check (lua/mtasts/registry.lua, docs/checks.md).
-- Pure: the registry and the built-in checks load without mtasts.core.
function mtasts.register_check(spec)
	local check = require("mtasts.registry").register(spec, 1)
	return check
end

-- What mtasts.core exports (its _VERSION aside): loaded on first use.
local CORE_NAMES = { "fd_limit", "fetch_policy", "fetcher", "https_get", "memory", "poll", "prober", "resolver",
	"smtp_probe", "trim_memory" }

-- Lua modules over mtasts.core, loaded on first use.
local LUA_NAMES = {
	-- Waiting for a handle: yields under cqueues, blocks elsewhere.
	await = function()
		return require "mtasts.await"
	end,
	-- The reference self-check (lua/mtasts/selfcheck.lua).
	selfcheck = function()
		return require("mtasts.selfcheck").selfcheck
	end,
}

--- The names that load on first use, sorted: what `pairs(mtasts)` shows
-- only once they were touched.
mtasts.lazy_names = {}
local is_core = {}
for _, name in ipairs(CORE_NAMES) do
	is_core[name] = true
	mtasts.lazy_names[#mtasts.lazy_names + 1] = name
end
for name in pairs(LUA_NAMES) do
	mtasts.lazy_names[#mtasts.lazy_names + 1] = name
end
table.sort(mtasts.lazy_names)

-- Loads mtasts.core, or raises the one clear error for `name` (level: the
-- caller that touched it).
local function load_core(name)
	local ok, core = pcall(require, "mtasts.core")
	if not ok then
		error(("mtasts.%s needs the C module mtasts.core (resolver, fetcher, prober), which cannot be " ..
			"loaded; the pure functions of mtasts.pure still work. The loader said: %s"):format(
			name, tostring(core)), 3)
	end
	return core
end

setmetatable(mtasts, {
	__index = function(t, name)
		if is_core[name] then
			local core = load_core(name)
			for _, n in ipairs(CORE_NAMES) do
				rawset(t, n, core[n])
			end
			return core[name]
		elseif LUA_NAMES[name] then
			load_core(name)
			local ok, value = pcall(LUA_NAMES[name])
			if not ok then
				error(("mtasts.%s cannot be loaded: %s"):format(name, tostring(value)), 2)
			end
			rawset(t, name, value)
			return value
		end
		return nil
	end,
})

return mtasts
