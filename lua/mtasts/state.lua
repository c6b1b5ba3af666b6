--- What mtasts-check --state DIR remembers per domain between runs: what each
-- check asked to remember (its summary's `remember`), by check name — the
-- mta-sts check keeps the TXT id, the policy's canonical form and since when
-- mode is testing. One small JSON file per domain (data, never code: a state
-- directory may be shared), written atomically (temp file + rename).
local cjson = require "cjson"
local input = require "mtasts.input"

local state = {}

-- A state file is a few ids and policies: anything bigger is not ours (and a
-- file that is a link to /dev/zero must not be read until memory runs out).
state.FILE_LIMIT = 4 * input.POLICY_LIMIT

--- Where warnings about ignored state files go (the CLI points it at its
-- stderr writer); message is one line.
function state.on_warning(message)
	io.stderr:write("mtasts: warning: ", input.escape(message), "\n")
end

local function path(dir, domain)
	return dir .. "/" .. domain:gsub("[^%w%.%-]", "_") .. ".json"
end

-- Files written before checks had their own state hold the mta-sts check's
-- fields at the top level.
local LEGACY_STS = { id = true, policy = true, testing_since = true }

-- Validation. A state directory may be shared or edited by hand, so a file is
-- untrusted data; it is checked here, where it is read, rather than in each
-- check: every check then gets back tables of the types it wrote (the
-- mta-sts check reads state.id/policy/testing_since without type tests, and a
-- string testing_since would crash it while a number policy would give a false
-- sts.id.stale), and the warning names the file once. The store already knows
-- the mta-sts fields (the 0.1 layout above); a check that remembers more of
-- its own may get a validator here the same way.
local MAX_TIME = 253402300799 -- 9999-12-31T23:59:59Z: what os.date prints everywhere

local function is_time(v)
	return type(v) == "number" and v >= 0 and v <= MAX_TIME and v == math.floor(v)
end

local VALIDATE = {
	["mta-sts"] = function(e)
		if e.id ~= nil and not (type(e.id) == "string" and e.id:match "^%w+$" and #e.id <= 32) then
			return "'id' is not a policy id (1 to 32 letters and digits)"
		elseif e.policy ~= nil and not (type(e.policy) == "string" and #e.policy <= input.POLICY_LIMIT) then
			return "'policy' is not a policy text"
		elseif e.testing_since ~= nil and not is_time(e.testing_since) then
			return "'testing_since' is not a time (whole seconds since 1970)"
		end
	end,
}

--- Why an entry is bad, or nil.
local function invalid(name, entry)
	if type(entry) ~= "table" then
		return "not an object"
	end
	return VALIDATE[name] and VALIDATE[name](entry)
end

--- The remembered tables of domain by check name ({} when nothing is
-- remembered). An unreadable file, one that is not a JSON object, and each
-- entry of the wrong shape are ignored with a warning (state.on_warning), as
-- if nothing were remembered: the next run writes them anew.
function state.load(dir, domain)
	local file = path(dir, domain)
	local f = io.open(file, "rb")
	if not f then
		return {} -- nothing remembered yet
	end
	f:close()
	local text, err = input.read(file, "the state file", state.FILE_LIMIT)
	if not text then
		state.on_warning(err .. "; ignored")
		return {}
	end
	local ok, t = pcall(cjson.decode, text)
	if ok and type(t) == "table" and type(next(t)) == "number" then
		ok = false -- a JSON array
	end
	if not (ok and type(t) == "table") then
		state.on_warning(("the state file %s is not a JSON object; ignored"):format(file))
		return {}
	end
	for k in pairs(t) do
		if LEGACY_STS[k] then
			t = { ["mta-sts"] = t }
			break
		end
	end
	local bad = {}
	for name, entry in pairs(t) do
		local why = type(name) ~= "string" and "not a check name" or invalid(name, entry)
		if why then
			bad[#bad + 1] = { key = name, name = tostring(name), why = why }
		end
	end
	table.sort(bad, function(a, b) return a.name < b.name end)
	for _, b in ipairs(bad) do
		t[b.key] = nil
		state.on_warning(("the state file %s: the entry '%s' is ignored: %s"):format(file, b.name, b.why))
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

--- Checks that dir is a directory that can be written; returns true or nil,
-- a one-line message.
function state.check_dir(dir)
	local probe = dir .. "/.mtasts-state-check"
	local f, err = io.open(probe, "wb")
	if not f then
		err = tostring(err)
		if err:sub(1, #probe + 2) == probe .. ": " then
			err = err:sub(#probe + 3)
		end
		return nil, ("cannot use the --state directory %s: %s"):format(input.escape(dir), err)
	end
	f:close()
	os.remove(probe)
	return true
end

return state
