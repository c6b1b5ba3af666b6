--- The catalogue of finding ids: each id has one fixed severity and the RFC
-- section it rests on. docs/findings.md explains each (what it means, why it
-- matters, how to fix it); spec/findings_spec.lua keeps the two in step.
-- The wording of a message can change; an id never does.
local findings = {}

-- id -> { severity, rfc }. The self-check's own ids are here; every check
-- brings its ids when it registers (lua/mtasts/registry.lua).
local CATALOGUE = {
	["check.timeout"] = { "error", "" },
	["check.crashed"] = { "error", "" },
}
local CHECK_OF_ID = {} -- id -> the name of the registered check that owns it

findings.catalogue = CATALOGUE

-- Ids of the built-in checks are known once the registry has loaded; a
-- lookup of an unknown id loads it first (findings.lua cannot require it at
-- load time: the registry requires findings).
local function entry_of(id)
	local e = CATALOGUE[id]
	if not e and not package.loaded["mtasts.registry"] then
		require "mtasts.registry"
		e = CATALOGUE[id]
	end
	return e
end

--- For the registry: adds the id of a registered check.
function findings._add(id, check, severity, rfc)
	CATALOGUE[id] = { severity, rfc or "" }
	CHECK_OF_ID[id] = check
end

--- Adds an id for a check of your own that is not registered ("strict.no_dane";
-- registered checks declare theirs in `ids`); its prefix must not be a
-- registered check's. Redefining an id with the same severity is fine.
function findings.define(id, severity, rfc)
	if type(id) ~= "string" or not id:match "^[%w_-]+%.[%w_.-]+$" then
		error("bad finding id '" .. tostring(id) .. "' (expected prefix.name)", 2)
	end
	if not ({ error = 1, warning = 1, info = 1, ok = 1 })[severity] then
		error("bad severity '" .. tostring(severity) .. "' (error, warning, info or ok)", 2)
	end
	local prefix = id:match "^[^.]+%."
	local existing = entry_of(id)
	if not existing then
		for _, c in ipairs(require("mtasts.registry").checks()) do
			if c.prefix == prefix then
				error("finding ids starting with '" .. prefix .. "' belong to the " .. c.name .. " check", 2)
			end
		end
		if prefix == "check." then
			error("finding ids starting with 'check.' belong to the self-check itself", 2)
		end
	end
	if existing and existing[1] ~= severity then
		error("finding id '" .. id .. "' is already defined as " .. existing[1], 2)
	end
	CATALOGUE[id] = { severity, rfc or "" }
end

--- The fixed severity of an id ("error", "warning", "info" or "ok").
function findings.severity(id)
	local entry = entry_of(id)
	if not entry then
		error("unknown finding id '" .. tostring(id) .. "' (declare it in its check's ids and in docs/findings.md)", 2)
	end
	return entry[1]
end

--- A finding: { id, check, severity, message, evidence, rfc, fix }.
-- @param id a catalogued id
-- @param message one line a mail admin understands
-- @param extra optional { evidence = …, fix = …, check = … }
function findings.new(id, message, extra)
	local entry = entry_of(id)
	if not entry then
		error("unknown finding id '" .. tostring(id) .. "' (declare it in its check's ids and in docs/findings.md)", 2)
	end
	extra = extra or {}
	return {
		id = id,
		check = extra.check or CHECK_OF_ID[id],
		severity = entry[1],
		message = message,
		evidence = extra.evidence,
		rfc = entry[2] ~= "" and entry[2] or nil,
		fix = extra.fix,
	}
end

--- A list to collect a check's findings and the function that adds to it:
-- `local out, add = findings.collector()` then `add(id, message, extra)`.
function findings.collector()
	local out = {}
	return out, function(id, message, extra)
		out[#out + 1] = findings.new(id, message, extra)
	end
end

local RANK = { ok = 0, info = 1, warning = 2, error = 3 }

--- The status of a check from its findings: "fail" (an error), "warn", "info" or "pass".
function findings.status(list)
	local worst = 0
	for _, f in ipairs(list) do
		worst = math.max(worst, RANK[f.severity])
	end
	return ({ [0] = "pass", "info", "warn", "fail" })[worst]
end

--- Orders findings: errors first, then warnings, info, ok; stable by id.
function findings.sort(list)
	table.sort(list, function(a, b)
		if RANK[a.severity] ~= RANK[b.severity] then
			return RANK[a.severity] > RANK[b.severity]
		end
		return a.id < b.id
	end)
	return list
end

return findings
