--- The check registry: every check of the self-check, in report order, with
-- the finding ids it owns. A check is one file plus its docs:
--
--   mtasts.register_check {
--     name = "spf", prefix = "spf.",
--     ids = { ["spf.record.missing"] = { severity = "warning", rfc = "RFC 7208 §4.5" }, … },
--     run = function(ctx, domain, opts) … return findings, summary end,
--     render = function(summary) return { "text line", … } end,       -- optional
--     headline = function(summary) return "SPF: pass" end,            -- optional
--     csv = { columns = { "spf" }, row = function(summary) return { spf = … } end }, -- optional
--   }
--
-- Registration order is report order; the built-in checks register below in
-- the order of the full self-check. `--only`, the finding catalogue, the docs
-- spec and the report renderer all read this list (docs/checks.md).
local F = require "mtasts.findings"

local registry = {}

local list = {}    -- the checks, in registration (report) order
registry.list = list -- the live array, for reading (selfcheck.checks)
local by_name = {} -- name -> check

local SEVERITIES = { error = true, warning = true, info = true, ok = true }
local KEYS = { name = true, prefix = true, ids = true, run = true, render = true, headline = true, csv = true }

--- Normalises one id entry, { severity = …, rfc = … } or the short
-- { severity, rfc }: returns severity, rfc, or nil, what is wrong.
local function id_entry(id, e)
	if type(e) ~= "table" then
		return nil, ("id '%s' needs { severity = …, rfc = … }"):format(id)
	end
	local severity, rfc = e.severity or e[1], e.rfc or e[2]
	if not SEVERITIES[severity] then
		return nil, ("id '%s' has severity '%s' (error, warning, info or ok)"):format(id, tostring(severity))
	end
	if rfc ~= nil and type(rfc) ~= "string" then
		return nil, ("id '%s': rfc must be a string such as \"RFC 8461 §3.1\""):format(id)
	end
	return severity, rfc
end

--- Checks a registration table; raises with a message naming what is wrong.
-- Returns nil, or the message.
local function problem(spec)
	if type(spec) ~= "table" then
		return "a check table expected, got " .. type(spec)
	end
	for k in pairs(spec) do
		if not KEYS[k] then
			return ("unknown key '%s'"):format(tostring(k))
		end
	end
	if type(spec.name) ~= "string" or not spec.name:match "^%l[%l%d-]*$" then
		return ("name must be lower-case letters, digits and '-', got %s"):format(tostring(spec.name))
	end
	if type(spec.prefix) ~= "string" or not spec.prefix:match "^%l[%l%d_-]*%.$" then
		return ("check '%s': prefix must look like \"spf.\", got %s"):format(spec.name, tostring(spec.prefix))
	end
	if spec.prefix == "check." then
		return "the prefix 'check.' belongs to the self-check itself"
	end
	for _, c in ipairs(list) do
		if c.name ~= spec.name and c.prefix == spec.prefix then
			return ("check '%s': prefix '%s' belongs to check '%s'"):format(spec.name, spec.prefix, c.name)
		end
	end
	if type(spec.run) ~= "function" then
		return ("check '%s': run must be a function(ctx, domain, opts)"):format(spec.name)
	end
	for _, k in ipairs { "render", "headline" } do
		if spec[k] ~= nil and type(spec[k]) ~= "function" then
			return ("check '%s': %s must be a function(summary)"):format(spec.name, k)
		end
	end
	if spec.csv ~= nil and (type(spec.csv) ~= "table" or type(spec.csv.columns) ~= "table"
		or type(spec.csv.row) ~= "function") then
		return ("check '%s': csv must be { columns = { … }, row = function(summary) }"):format(spec.name)
	end
	if type(spec.ids) ~= "table" or next(spec.ids) == nil then
		return ("check '%s': ids must list the finding ids it emits"):format(spec.name)
	end
	for id, e in pairs(spec.ids) do
		if type(id) ~= "string" or id:sub(1, #spec.prefix) ~= spec.prefix or not id:match "^[%w_-]+%.[%w_.-]+$" then
			return ("check '%s': id %s does not start with its prefix '%s'"):format(spec.name, tostring(id), spec.prefix)
		end
		local severity, err = id_entry(id, e)
		if not severity then
			return err
		end
		local known = F.catalogue[id]
		if known and known[1] ~= severity then
			return ("id '%s' is already defined as %s"):format(id, known[1])
		end
	end
end

--- Registers a check (see the top of this file). Registering the same table
-- again is a no-op; another table under a registered name raises. Errors
-- name the caller's line (_depth: wrappers between it and here).
-- @return the check table
function registry.register(spec, _depth)
	local level = 2 + (_depth or 0)
	local err = problem(spec)
	if err then
		error("register_check: " .. err, level)
	end
	local existing = by_name[spec.name]
	if existing == spec then
		return spec
	elseif existing then
		error(("register_check: a check named '%s' is already registered"):format(spec.name), level)
	end
	for id, e in pairs(spec.ids) do
		F._add(id, spec.name, id_entry(id, e))
	end
	list[#list + 1] = spec
	by_name[spec.name] = spec
	return spec
end

--- The check registered under name, or nil.
function registry.get(name)
	return by_name[name]
end

--- The registered checks in report order (a fresh array).
function registry.checks()
	local out = {}
	for i, c in ipairs(list) do
		out[i] = c
	end
	return out
end

--- The registered check names in report order.
function registry.names()
	local out = {}
	for i, c in ipairs(list) do
		out[i] = c.name
	end
	return out
end

-- The built-in checks, in the report order of the full self-check.
for _, module in ipairs {
	"mtasts.checks.mta_sts",
	"mtasts.checks.tls_rpt",
	"mtasts.checks.dnssec",
	"mtasts.checks.mx",
} do
	registry.register((require(module)))
end

return registry
