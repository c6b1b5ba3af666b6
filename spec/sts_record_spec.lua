local mtasts = require "mtasts"

describe("parse_sts_record", function()
	it("parses the RFC 8461 §3.1 example", function()
		local r, w = mtasts.parse_sts_record "v=STSv1; id=20160831085700Z;"
		assert.same({ v = "STSv1", id = "20160831085700Z", extensions = {} }, r)
		assert.same({}, w)
	end)

	it("joins character-strings without spaces (§3.1)", function()
		assert.equal("abc", mtasts.parse_sts_record({ "v=STSv1; i", "d=abc" }).id)
		assert.equal("abc", mtasts.parse_sts_record({ strings = { "v=STSv1;", " id=abc" } }).id)
		assert.equal("xyz", mtasts.parse_sts_record({ text = "v=STSv1; id=xyz" }).id)
	end)

	it("keeps extensions and the first of a repeated id", function()
		local r, w = mtasts.parse_sts_record "v=STSv1; id=a1; ext-1=v.1; id=b2"
		assert.equal("a1", r.id)
		assert.same({ { name = "ext-1", value = "v.1" } }, r.extensions)
		assert.equal("DUPLICATE_FIELD", w[1].code)
	end)

	it("rejects what the ABNF does not allow", function()
		for _, txt in ipairs {
			"v=STSv1;", "v=STSv1", "id=1; v=STSv1", "v=STSv1; id=", "v=STSv1; id=a-b",
			"v=STSv1; id=" .. ("a"):rep(33), "v=STSv1;; id=a", "v=STSv1 id=a", "v=STSv1; id = a",
			"V=STSv1; id=a", "v=STSv10; id=a", "v=STSv1; id=a; x=", "v=STSv1; id=a; =b", "",
			"v=STSv1; id=a\0b",
		} do
			local r, msg, code = mtasts.parse_sts_record(txt)
			assert.is_nil(r, txt)
			assert.equal("STS_SYNTAX", code, txt)
			assert.is_string(msg)
		end
		assert.equal(("a"):rep(32), mtasts.parse_sts_record("v=STSv1; id=" .. ("a"):rep(32)).id)
	end)

	it("raises on wrong argument types", function()
		assert.has_error(function() mtasts.parse_sts_record(nil) end)
		assert.has_error(function() mtasts.parse_sts_record { 1, 2 } end)
	end)
end)

describe("select_sts_record", function()
	it("picks the one record beginning with v=STSv1;", function()
		local r = mtasts.select_sts_record { "v=spf1 -all", "v=STSv1; id=one", "google-site-verification=x" }
		assert.equal("one", r.id)
	end)

	it("reports none, several, and an invalid one", function()
		local r, msg, code = mtasts.select_sts_record { "v=spf1 -all" }
		assert.is_nil(r)
		assert.equal("STS_NONE", code)
		r, msg, code = mtasts.select_sts_record {}
		assert.equal("STS_NONE", code)
		r, msg, code = mtasts.select_sts_record { "v=STSv1; id=1", { strings = { "v=STSv1;", "id=2" } } }
		assert.equal("STS_MULTIPLE", code)
		assert.matches("2 TXT records", msg)
		r, msg, code = mtasts.select_sts_record { "v=STSv1; id=bad!" }
		assert.equal("STS_SYNTAX", code)
	end)

	it("discards look-alikes that do not begin exactly with v=STSv1; and says so", function()
		local r, w = mtasts.select_sts_record { "V=STSv1; id=upper", "v=STSv1; id=real" }
		assert.equal("real", r.id)
		assert.equal("DISCARDED_RECORD", w[1].code)
		assert.equal("STS_NONE", select(3, mtasts.select_sts_record { "v=STSv1 id=nosemicolon" }))
	end)

	it("raises on wrong argument types", function()
		assert.has_error(function() mtasts.select_sts_record "v=STSv1; id=1" end)
		assert.has_error(function() mtasts.select_sts_record { true } end)
	end)
end)
