local mtasts = require "mtasts"

local function codes(list)
	local out = {}
	for _, d in ipairs(list or {}) do
		out[#out + 1] = d.code .. (d.line and (":" .. d.line) or "")
	end
	table.sort(out)
	return out
end

local function policy(lines, eol)
	return table.concat(lines, eol or "\n") .. (eol or "\n")
end

local GOOD = { "version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net",
	"mx: backupmx.example.com", "max_age: 604800" }

describe("parse_policy", function()
	it("parses the RFC 8461 §3.2 example with CRLF", function()
		local p, w = mtasts.parse_policy(policy(GOOD, "\r\n"))
		assert.same({ version = "STSv1", mode = "enforce", max_age = 604800,
			mx = { "mail.example.com", "*.example.net", "backupmx.example.com" }, extensions = {} }, p)
		assert.same({}, w)
	end)

	it("parses LF, and a last line without a terminator", function()
		local p = assert(mtasts.parse_policy("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 86400"))
		assert.equal("testing", p.mode)
		assert.equal(86400, p.max_age)
	end)

	it("lower-cases mx patterns and keeps their order", function()
		local p = assert(mtasts.parse_policy(policy { "version: STSv1", "mode: enforce", "mx: MX2.Example.COM",
			"mx: *.EXAMPLE.net", "max_age: 1" }))
		assert.same({ "mx2.example.com", "*.example.net" }, p.mx)
	end)

	it("accepts mode none without mx", function()
		local p = assert(mtasts.parse_policy "version: STSv1\nmode: none\nmax_age: 86400\n")
		assert.equal("none", p.mode)
		assert.same({}, p.mx)
	end)

	it("requires version, mode and max_age, and mx unless mode is none", function()
		local p, msg, code, diags = mtasts.parse_policy "mode: testing\n"
		assert.is_nil(p)
		assert.equal("POLICY_SYNTAX", code)
		assert.matches("version", msg)
		assert.same({ "MISSING_MAX_AGE", "MISSING_MX", "MISSING_VERSION" }, codes(diags))
	end)

	it("rejects values outside the ABNF, naming the line", function()
		local cases = {
			{ "version: STSv2", "INVALID_VERSION:1" },
			{ "mode: Enforce", "INVALID_MODE:2" },
			{ "mode: enforced", "INVALID_MODE:2" },
			{ "max_age: 31557601", "MAX_AGE_TOO_LARGE:4" },
			{ "max_age: 12345678901", "INVALID_MAX_AGE:4" },
			{ "max_age: 1w", "INVALID_MAX_AGE:4" },
			{ "max_age: ", "INVALID_MAX_AGE:4" },
			{ "mx: mx*.example.com", "INVALID_WILDCARD:3" },
			{ "mx: *.*.example.com", "INVALID_WILDCARD:3" },
			{ "mx: *", "INVALID_WILDCARD:3" },
			{ "mx: bücher.example", "NON_ASCII_MX:3" },
			{ "mx: a.example b.example", "INVALID_MX:3" },
			{ "mx: mail.example.com.", "INVALID_MX:3" },
			{ "mx: -bad.example", "INVALID_MX:3" },
			{ "mx: under_score.example", "INVALID_MX:3" },
		}
		for _, case in ipairs(cases) do
			local lines = { "version: STSv1", "mode: enforce", "mx: a.example", "max_age: 86400" }
			local key = case[1]:match "^([%w_]+)"
			for i, l in ipairs(lines) do
				if l:match("^" .. key .. ":") then
					lines[i] = case[1]
				end
			end
			local p, msg, code, diags = mtasts.parse_policy(policy(lines))
			assert.is_nil(p, case[1])
			assert.equal("POLICY_SYNTAX", code)
			assert.same({ case[2] }, codes(diags), case[1])
			assert.matches("^line %d", msg)
		end
	end)

	it("accepts max_age at the one-year limit and zero", function()
		assert.is_table(mtasts.parse_policy "version: STSv1\nmode: none\nmax_age: 31557600\n")
		assert.is_table(mtasts.parse_policy "version: STSv1\nmode: none\nmax_age: 0\n")
	end)

	it("warns about what senders tolerate: BOM, blank and whitespace lines, leading space", function()
		local p, w = mtasts.parse_policy "\239\187\191version: STSv1\n\nmode: enforce\n \t\n  mx: a.example\nmax_age: 86400\n\n"
		assert.is_table(p)
		assert.same({ "BLANK_LINE:2", "BLANK_LINE:7", "BOM:1", "LEADING_WHITESPACE:5", "WHITESPACE_LINE:4" },
			codes(w))
		for _, d in ipairs(w) do
			assert.equal("warning", d.severity)
		end
	end)

	it("keeps the first of a repeated field, with a warning", function()
		local p, w = mtasts.parse_policy(policy { "version: STSv1", "mode: testing", "mode: enforce",
			"max_age: 5", "max_age: 6", "mx: a.example", "mx: A.EXAMPLE" })
		assert.equal("testing", p.mode)
		assert.equal(5, p.max_age)
		assert.same({ "a.example" }, p.mx)
		assert.same({ "DUPLICATE_FIELD:3", "DUPLICATE_FIELD:5", "DUPLICATE_MX:7" }, codes(w))
	end)

	it("names the likely key of a typo", function()
		for typo, meant in pairs { nmx = "mx", Mode = "mode", ["max-age"] = "max_age", maxage = "max_age",
			verison = "version", MX = "mx" } do
			local p, w = mtasts.parse_policy(policy { "version: STSv1", "mode: none", "max_age: 1",
				typo .. ": x" })
			assert.is_table(p, typo)
			assert.equal("LIKELY_TYPO", w[1].code, typo)
			assert.matches("'" .. meant .. "'", w[1].message, 1, true)
			assert.same({ name = typo, value = "x" }, p.extensions[1])
		end
	end)

	it("ignores unknown keys but returns them as extensions", function()
		local p, w = mtasts.parse_policy(policy { "version: STSv1", "mode: none", "max_age: 1",
			"x-provider: acme mail", "comment.2: ünïcode ok" })
		assert.same({ { name = "x-provider", value = "acme mail" }, { name = "comment.2", value = "ünïcode ok" } },
			p.extensions)
		assert.same({}, w)
	end)

	it("rejects NUL bytes, control characters, bare CR and invalid UTF-8 by line", function()
		for text, want in pairs {
			["version: STSv1\nmode: en\0force\n"] = "CONTROL_CHAR:2",
			["version: STSv1\nmode: enforce\27\n"] = "CONTROL_CHAR:2",
			["version: STSv1\rmode: enforce\n"] = "BAD_LINE_ENDING:1",
			["version: STSv1\nx: \255\254\n"] = "INVALID_UTF8:2",
			["version: STSv1\nx: \237\160\128\n"] = "INVALID_UTF8:2", -- a UTF-16 surrogate
			["mode : enforce\n"] = "INVALID_KEY:1",
			["version STSv1\n"] = "MISSING_COLON:1",
		} do
			local _, _, code, diags = mtasts.parse_policy(text)
			assert.equal("POLICY_SYNTAX", code)
			assert.truthy(({ [want] = true })[codes(diags)[1]] or
				table.concat(codes(diags), ","):find(want, 1, true), want)
		end
	end)

	it("survives hostile input without crashing or hanging", function()
		local big = ("mx: a.example\n"):rep(200000) -- 2.8 MB of duplicates
		local p, w = mtasts.parse_policy("version: STSv1\nmode: enforce\nmax_age: 1\n" .. big)
		assert.same({ "a.example" }, p.mx)
		assert.equal("TOO_MANY_DIAGNOSTICS", w[#w].code)
		assert.is_nil((mtasts.parse_policy(("x"):rep(1024 * 1024) .. "\n" .. ("\0"):rep(1024 * 1024))))
		local junk = {}
		for i = 1, 100000 do
			junk[i] = string.char((i * 7919) % 256)
		end
		assert.is_nil((mtasts.parse_policy(table.concat(junk))))
		local _, _, _, diags = mtasts.parse_policy(("\n"):rep(10 * 1024 * 1024))
		assert.is_true(#diags <= 101)
	end)

	it("raises on wrong argument types", function()
		assert.has_error(function() mtasts.parse_policy(nil) end)
		local ok, err = pcall(function() local r = mtasts.parse_policy(42); return r end)
		assert.is_false(ok)
		assert.matches("bad argument #1 to '[%w%.]*parse_policy' %(string expected, got number%)", err)
	end)
end)
