--- What mtasts-check --state DIR remembers per domain between runs: the TXT
-- id, the policy's canonical form and since when mode is testing. One small
-- JSON file per domain (data, never code: a state directory may be shared),
-- written atomically (temp file + rename).
local cjson = require "cjson"

local state = {}

local function path(dir, domain)
	return dir .. "/" .. domain:gsub("[^%w%.%-]", "_") .. ".json"
end

--- The remembered table for domain ({} when nothing is remembered or the
-- file is not a JSON object).
function state.load(dir, domain)
	local f = io.open(path(dir, domain), "rb")
	if not f then
		return {}
	end
	local text = f:read "*a"
	f:close()
	local ok, t = pcall(cjson.decode, text)
	return (ok and type(t) == "table") and t or {}
end

--- Saves t for domain; returns true or nil, message.
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
