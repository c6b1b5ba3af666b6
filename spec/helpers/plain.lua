-- true when v holds only strings, numbers, booleans and tables of those (no
-- userdata, functions, metatables or cycles): results must cross
-- ngx.run_worker_thread, shared dicts and JSON.
local function plain(v, seen)
	local t = type(v)
	if t == "string" or t == "number" or t == "boolean" then
		return true
	end
	if t ~= "table" then
		return false
	end
	seen = seen or {}
	if seen[v] or getmetatable(v) ~= nil then
		return false
	end
	seen[v] = true
	for k, x in pairs(v) do
		if not plain(k, seen) or not plain(x, seen) then
			return false
		end
	end
	return true
end

return plain
