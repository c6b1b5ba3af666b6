-- Docs next to code: every code the C layer can return and every function
-- the module exports must be documented.
local mtasts = require "mtasts"

local read = require "helpers.read_file"

local function all_docs()
	local parts = { read "README.md" }
	local p = io.popen "ls docs/*.md"
	for name in p:lines() do
		parts[#parts + 1] = read(name)
	end
	p:close()
	return table.concat(parts, "\n")
end

local ONE_WORD_CODES = { TIMEOUT = true, SERVFAIL = true, REFUSED = true, NETWORK = true, CONNECT = true,
	CANCELLED = true, EMPTY = true, BOM = true, NXDOMAIN = true, NOERROR = true }

describe("documentation", function()
	local docs = all_docs()

	it("lists every diagnostic and error code the C sources can produce", function()
		local p = io.popen "ls src/pure/*.c src/lua/*.c src/dns/*.c src/net/*.c 2>/dev/null"
		local missing = {}
		for file in p:lines() do
			for code in read(file):gmatch '"([A-Z][A-Z0-9_][A-Z0-9_]+)"' do
				-- Codes have an underscore (DNS_BOGUS) or are one of the one-word
				-- codes; other capitals (RR type names) are not codes.
				local is_code = code:find("_", 1, true) or ONE_WORD_CODES[code]
				if is_code and not docs:find("%f[%w_]" .. code .. "%f[^%w_]") then
					missing[#missing + 1] = code .. " (" .. file .. ")"
				end
			end
		end
		p:close()
		assert.same({}, missing)
	end)

	it("describes every exported function, those loaded on first use too", function()
		local missing, names = {}, {}
		for name, v in pairs(mtasts) do
			if type(v) == "function" then
				names[name] = true
			end
		end
		-- the lazy names (mtasts.core, selfcheck, await) are in pairs() only once touched
		assert.is_true(#mtasts.lazy_names >= 9)
		for _, name in ipairs(mtasts.lazy_names) do
			assert.is_function(mtasts[name], name) -- loads it
			names[name] = true
		end
		for name in pairs(names) do
			if not docs:find("mtasts." .. name, 1, true) then
				missing[#missing + 1] = name
			end
		end
		table.sort(missing)
		assert.same({}, missing)
	end)
end)
