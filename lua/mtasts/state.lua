--- What mtasts-check --state DIR remembers per domain between runs: what each
-- check asked to remember (its summary's `remember`), by check name — the
-- mta-sts check keeps the TXT id, the policy's canonical form and since when
-- mode is testing. One small JSON file per domain (data, never code: a state
-- directory may be shared), written atomically (temp file + rename).
local cjson = require "cjson"

local state = {}

local function path(dir, domain)
	return dir .. "/" .. domain:gsub("[^%w%.%-]", "_") .. ".json"
end

-- Files written before checks had their own state hold the mta-sts check's
-- fields at the top level.
local LEGACY_STS = { id = true, policy = true, testing_since = true }

--- The remembered tables of domain by check name ({} when nothing is
-- remembered or the file is not a JSON object).
function state.load(dir, domain)
	local f = io.open(path(dir, domain), "rb")
	if not f then
		return {}
	end
	local text = f:read "*a"
	f:close()
	local ok, t = pcall(cjson.decode, text)
	if not (ok and type(t) == "table") then
		return {}
	end
	for k in pairs(t) do
		if LEGACY_STS[k] then
			return { ["mta-sts"] = t }
		end
	end
	return t
end

--- Saves t (check name -> remembered table) for domain; returns true or nil, message.
function state.save(dir, domain, t)
	local final = path(dir, domain)
	local tmp = final .. ".tmp"
	local f, err = io.open(tmp, "wb")
	if not f then
		return nil, err
	end
	local ok, werr = f:write(cjson.encode(t), "\n")
	f:close()
	if not ok then
		os.remove(tmp)
		return nil, werr
	end
	return os.rename(tmp, final)
end

--- Checks that dir exists and can be written; returns true or nil, message.
function state.check_dir(dir)
	local probe = dir .. "/.mtasts-state-check"
	local f, err = io.open(probe, "wb")
	if not f then
		return nil, ("cannot write to the state directory: %s"):format(err)
	end
	f:close()
	os.remove(probe)
	return true
end

return state
