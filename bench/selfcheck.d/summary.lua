-- bench/selfcheck helper: reads the JSON lines of one mtasts-check run and
-- prints "<reports> <verdict counts> | <non-ok, non-info finding ids>" on one
-- line, e.g. "1000 pass=1000 |" or "1000 pass=990 fail=10 | sts.mx.certificate=10".
local cjson = require "cjson"
local path, expected = arg[1], tonumber(arg[2])
local verdicts, ids, n = {}, {}, 0
for line in io.lines(path) do
	if line:match "%S" then
		local ok, r = pcall(cjson.decode, line)
		if ok and type(r) == "table" then
			n = n + 1
			verdicts[r.verdict or "?"] = (verdicts[r.verdict or "?"] or 0) + 1
			for _, f in ipairs(r.findings or {}) do
				if f.severity ~= "ok" and f.severity ~= "info" then
					ids[f.id] = (ids[f.id] or 0) + 1
				end
			end
		end
	end
end
local function counts(t)
	local keys, out = {}, {}
	for k in pairs(t) do keys[#keys + 1] = k end
	table.sort(keys)
	for _, k in ipairs(keys) do out[#out + 1] = k .. "=" .. t[k] end
	return table.concat(out, " ")
end
local missing = expected and n < expected and (" missing=" .. (expected - n)) or ""
print(("%d %s%s | %s"):format(n, counts(verdicts), missing, counts(ids)))
