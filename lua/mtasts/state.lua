--- What mtasts-check --state DIR remembers per domain between runs: the TXT
-- id, the policy's canonical form and since when mode is testing. One small
-- Lua-literal file per domain, written atomically (temp file + rename).
local state = {}

local function path(dir, domain)
	return dir .. "/" .. domain:gsub("[^%w%.%-]", "_") .. ".state"
end

local function serialize(t)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys)
	local parts = {}
	for _, k in ipairs(keys) do
		local v = t[k]
		if type(v) == "string" then
			parts[#parts + 1] = ("%s = %q"):format(k, v)
		elseif type(v) == "number" or type(v) == "boolean" then
			parts[#parts + 1] = ("%s = %s"):format(k, tostring(v))
		end
	end
	return "return { " .. table.concat(parts, ", ") .. " }\n"
end

--- The remembered table for domain ({} when nothing is remembered).
function state.load(dir, domain)
	local f = io.open(path(dir, domain), "rb")
	if not f then
		return {}
	end
	local text = f:read "*a"
	f:close()
	local chunk = (loadstring or load)(text)
	if not chunk then
		return {}
	end
	if setfenv then
		setfenv(chunk, {})
	end
	local ok, t = pcall(chunk)
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
	f:write(serialize(t))
	f:close()
	return os.rename(tmp, final)
end

return state
