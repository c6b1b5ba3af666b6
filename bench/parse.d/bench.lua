-- bench/parse, Lua side (Lua 5.4 and LuaJIT).
-- usage: lua bench.lua parse|tables CORPUS.json SECONDS ROUNDS
--   parse   mtasts.parse_policy on every policy of the corpus, in a loop
--   tables  only builds the result tables parse_policy returns (same shapes,
--           same strings), without parsing: the ceiling for the binding
-- Prints: RESULT <best round, policies/s> <worst round> <accepted per pass> <corpus size>
-- Timing is os.clock() (CPU time of this single-threaded process).
local what, path, seconds, rounds = ...
seconds = tonumber(seconds) or 1
rounds = tonumber(rounds) or 3

-- A JSON array of strings, as gen_corpus.py writes it (no other JSON).
local function utf8_char(cp)
	if cp < 0x80 then
		return string.char(cp)
	elseif cp < 0x800 then
		return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
	elseif cp < 0x10000 then
		return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
	end
	return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
		0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function read_corpus(file)
	local f = assert(io.open(file, "rb"))
	local s = f:read("*a")
	f:close()
	local out, pos = {}, assert(s:find("[", 1, true), "corpus: expected a JSON array") + 1
	while true do
		local q = s:find('["%]]', pos)
		assert(q, "corpus: unterminated array")
		if s:sub(q, q) == "]" then
			break
		end
		local parts, i = {}, q + 1
		while true do
			local j = assert(s:find('["\\]', i), "corpus: unterminated string")
			parts[#parts + 1] = s:sub(i, j - 1)
			if s:sub(j, j) == '"' then
				pos = j + 1
				break
			end
			local e = s:sub(j + 1, j + 1)
			if e == "u" then
				local cp = tonumber(s:sub(j + 2, j + 5), 16)
				i = j + 6
				if cp >= 0xD800 and cp < 0xDC00 and s:sub(i, i + 1) == "\\u" then
					local lo = tonumber(s:sub(i + 2, i + 5), 16)
					cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
					i = i + 6
				end
				parts[#parts + 1] = utf8_char(cp)
			else
				parts[#parts + 1] = assert(simple[e], "corpus: bad escape")
				i = j + 2
			end
		end
		out[#out + 1] = table.concat(parts)
	end
	return out
end

local corpus = read_corpus(path)
local n = #corpus
local mtasts = require "mtasts"
local parse = mtasts.parse_policy

local pass -- one pass over the corpus; returns how many policies were accepted

if what == "parse" then
	pass = function()
		local ok = 0
		for i = 1, n do
			local p = parse(corpus[i])
			if p then
				ok = ok + 1
			end
		end
		return ok
	end
elseif what == "tables" then
	-- What parse_policy returned for each policy, taken apart once, outside
	-- the timed loop. The loop then builds the same tables from those parts,
	-- each table created at its final size (as the binding's
	-- lua_createtable does), so it costs what the binding costs minus parsing.
	local shapes = {}
	for i = 1, n do
		local p, w, code, d = parse(corpus[i])
		local s = {}
		local diags = p and w or d
		s.nd = #diags
		for j = 1, s.nd do
			local x = diags[j]
			s[j] = { x.line, x.code, x.severity, x.message }
		end
		if p then
			s.ok, s.mode, s.max_age, s.mx, s.nmx = true, p.mode, p.max_age, p.mx, #p.mx
			s.ext, s.next = {}, #p.extensions
			for j = 1, s.next do
				s.ext[j] = { p.extensions[j].name, p.extensions[j].value }
			end
		else
			s.ok, s.message, s.code = false, w, code
		end
		shapes[i] = s
	end
	pass = function()
		local ok = 0
		for i = 1, n do
			local s = shapes[i]
			local diags
			local nd = s.nd
			if nd == 0 then
				diags = {}
			elseif nd == 1 then
				local x = s[1]
				diags = { { line = x[1], code = x[2], severity = x[3], message = x[4] } }
			else
				local x, y = s[1], s[2]
				if nd == 2 then
					diags = { { line = x[1], code = x[2], severity = x[3], message = x[4] },
						{ line = y[1], code = y[2], severity = y[3], message = y[4] } }
				else
					local z = s[3]
					diags = { { line = x[1], code = x[2], severity = x[3], message = x[4] },
						{ line = y[1], code = y[2], severity = y[3], message = y[4] },
						{ line = z[1], code = z[2], severity = z[3], message = z[4] } }
					for j = 4, nd do
						x = s[j]
						diags[j] = { line = x[1], code = x[2], severity = x[3], message = x[4] }
					end
				end
			end
			if s.ok then
				local m, k, mx = s.mx, s.nmx, nil
				if k == 0 then
					mx = {}
				elseif k == 1 then
					mx = { m[1] }
				elseif k == 2 then
					mx = { m[1], m[2] }
				elseif k == 3 then
					mx = { m[1], m[2], m[3] }
				elseif k == 4 then
					mx = { m[1], m[2], m[3], m[4] }
				elseif k == 5 then
					mx = { m[1], m[2], m[3], m[4], m[5] }
				else
					mx = { m[1], m[2], m[3], m[4], m[5], m[6] }
					for j = 7, k do
						mx[j] = m[j]
					end
				end
				local ext
				local ne = s.next
				if ne == 0 then
					ext = {}
				else
					local e = s.ext
					local a = e[1]
					ext = { { name = a[1], value = a[2] } }
					for j = 2, ne do
						a = e[j]
						ext[j] = { name = a[1], value = a[2] }
					end
				end
				local p = { version = "STSv1", mode = s.mode, max_age = s.max_age, mx = mx, extensions = ext }
				if p then
					ok = ok + 1
				end
			end
		end
		return ok
	end
else
	error("usage: bench.lua parse|tables CORPUS SECONDS ROUNDS")
end

local clock = os.clock

-- Warm-up (LuaJIT traces, caches, the GC's pace), then timed rounds.
local t0, accepted = clock(), 0
repeat
	accepted = pass()
until clock() - t0 >= 0.5

local best, worst = 0, math.huge
for _ = 1, rounds do
	local passes, start, el = 0, clock(), 0
	repeat
		pass()
		passes = passes + 1
		el = clock() - start
	until el >= seconds
	local rate = passes * n / el
	if rate > best then best = rate end
	if rate < worst then worst = rate end
end
io.write(string.format("RESULT %.0f %.0f %d %d\n", best, worst, accepted, n))
