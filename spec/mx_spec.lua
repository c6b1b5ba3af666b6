local mtasts = require "mtasts"

describe("mx_matches", function()
	it("matches exact names, ignoring case and a trailing dot", function()
		assert.equal("mx1.example.com", mtasts.mx_matches("mx1.example.com", "MX1.Example.com."))
		assert.is_false(mtasts.mx_matches("mx1.example.com", "mx2.example.com"))
	end)

	it("matches a wildcard against exactly one label (§4.1)", function()
		local pats = { "mail.example.org", "*.example.com" }
		assert.equal("*.example.com", mtasts.mx_matches(pats, "mx1.example.com"))
		assert.is_false(mtasts.mx_matches(pats, "example.com"))
		assert.is_false(mtasts.mx_matches(pats, "a.b.example.com"))
		assert.is_false(mtasts.mx_matches(pats, "mx1.example.com.evil"))
	end)

	it("takes a parsed policy", function()
		local p = assert(mtasts.parse_policy "version: STSv1\nmode: enforce\nmx: *.Example.NET\nmax_age: 1\n")
		assert.equal("*.example.net", mtasts.mx_matches(p, "a.example.net"))
		assert.is_false(mtasts.mx_matches({}, "a.example.net"))
	end)

	it("raises on wrong argument types", function()
		assert.has_error(function() mtasts.mx_matches(nil, "a") end)
		assert.has_error(function() mtasts.mx_matches({ 1 }, "a") end)
		assert.has_error(function() mtasts.mx_matches("a", nil) end)
	end)
end)

describe("policy_url", function()
	it("builds the §3.2 URL, lower-cased, without a trailing dot", function()
		assert.equal("https://mta-sts.example.com/.well-known/mta-sts.txt", mtasts.policy_url "Example.COM.")
	end)

	it("refuses names that are not domains", function()
		for _, bad in ipairs { "", "a..b", "exa mple.com", "bücher.de", "-a.com", ("a"):rep(64) .. ".com",
			("abcd."):rep(50) .. "com", "a\0b" } do
			local url, msg, code = mtasts.policy_url(bad)
			assert.is_nil(url, bad)
			assert.equal("BAD_NAME", code)
			assert.is_string(msg)
		end
	end)
end)

describe("to_ascii and org_domain", function()
	it("converts Unicode names to lower-case A-labels", function()
		assert.equal("xn--bcher-kva.example", mtasts.to_ascii "Bücher.example")
		assert.equal("example.com", mtasts.to_ascii "EXAMPLE.com")
	end)

	it("refuses invalid names with BAD_NAME", function()
		for _, bad in ipairs { "", "a\0b", "\255\254.com", ("a"):rep(2000) } do
			local r, msg, code = mtasts.to_ascii(bad)
			assert.is_nil(r, bad)
			assert.equal("BAD_NAME", code)
		end
	end)

	it("finds the organizational domain from the public suffix list", function()
		assert.equal("example.co.uk", mtasts.org_domain "mx1.mail.Example.co.uk")
		assert.equal("example.com", mtasts.org_domain "example.com.")
		local r, _, code = mtasts.org_domain "co.uk"
		assert.is_nil(r)
		assert.equal("NO_ORG_DOMAIN", code)
	end)
end)
