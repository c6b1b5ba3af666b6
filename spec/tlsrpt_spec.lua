local mtasts = require "mtasts"

describe("parse_tlsrpt", function()
	it("parses mailto: and https: report URIs (RFC 8460 §3)", function()
		local r, w = mtasts.parse_tlsrpt "v=TLSRPTv1; rua=mailto:TLS@Example.com?subject=r , https://Reports.example.net/tls"
		assert.same({
			v = "TLSRPTv1",
			rua = {
				{ uri = "mailto:TLS@Example.com?subject=r", scheme = "mailto", address = "TLS@Example.com",
					domain = "example.com" },
				{ uri = "https://Reports.example.net/tls", scheme = "https", host = "reports.example.net" },
			},
			extensions = {},
		}, r)
		assert.same({}, w)
	end)

	it("joins character-strings and keeps extensions", function()
		local r = mtasts.parse_tlsrpt { "v=TLSRPTv1; rua=mai", "lto:a@b.example; ext=1" }
		assert.equal("a@b.example", r.rua[1].address)
		assert.same({ { name = "ext", value = "1" } }, r.extensions)
	end)

	it("ignores unsupported schemes with a warning while a usable URI remains", function()
		local r, w = mtasts.parse_tlsrpt "v=TLSRPTv1; rua=ftp://x.example/r,mailto:a@b.example"
		assert.equal(1, #r.rua)
		assert.equal("UNSUPPORTED_SCHEME", w[1].code)
	end)

	it("rejects records senders cannot use", function()
		for _, txt in ipairs {
			"v=TLSRPTv1;", "v=TLSRPTv1; rua=", "v=TLSRPTv1; rua=ftp://x.example/", "v=TLSRPTv1; rua=a@b.example",
			"v=TLSRPTv1; rua=mailto:nobody", "v=TLSRPTv1; rua=https:/x", "v=TLSRPTv1; rua=https://bad_host/x",
			"v=TLSRPTv1; rua=mailto:a@b.example,", "v=TLSRPTv1 rua=mailto:a@b.example",
			"v=TLSRPTv2; rua=mailto:a@b.example", "v=TLSRPTv1; rua=mailto:a b@c.example",
		} do
			local r, msg, code = mtasts.parse_tlsrpt(txt)
			assert.is_nil(r, txt)
			assert.equal("TLSRPT_SYNTAX", code, txt)
			assert.is_string(msg)
		end
	end)
end)

describe("parse_tlsrpt and URI schemes (RFC 3986 §3.1: case-insensitive)", function()
	it("gives the scheme in lower case and keeps the URI as written", function()
		local r, w = mtasts.parse_tlsrpt "v=TLSRPTv1; rua=HTTPS://Reports.Example.net/TLS,MAILTO:TLS@Example.COM,hTtPs://r.example:8443/x"
		assert.same({
			{ uri = "HTTPS://Reports.Example.net/TLS", scheme = "https", host = "reports.example.net" },
			{ uri = "MAILTO:TLS@Example.COM", scheme = "mailto", address = "TLS@Example.COM", domain = "example.com" },
			{ uri = "hTtPs://r.example:8443/x", scheme = "https", host = "r.example" },
		}, r.rua)
		assert.same({}, w)
	end)

	it("warns about other schemes in any case", function()
		local r, w = mtasts.parse_tlsrpt "v=TLSRPTv1; rua=FTP://x.example/r,Mailto:a@b.example"
		assert.equal(1, #r.rua)
		assert.equal("mailto", r.rua[1].scheme)
		assert.equal("UNSUPPORTED_SCHEME", w[1].code)
	end)

	it("rejects report URIs without a usable host or mail address, saying why", function()
		for rua, why in pairs {
			["https:///x"] = "not a valid domain", ["HTTPS://"] = "not a valid domain",
			["https://[2001:db8::1]/r"] = "IP address", ["https://user:pw@r.example/"] = "user information",
			["https://user@r.example/"] = "user information", ["https://r.example:99999/"] = "bad port",
			["https://r.example:0/"] = "bad port", ["https://r.example:/"] = "bad port",
			["https://r%2eexample/"] = "not a valid domain", ["MAILTO:nobody"] = "not a mail address",
			["mailto:"] = "not a mail address", ["mailto:@b.example"] = "not a mail address",
			["mailto:a@"] = "not a valid domain", ["mailto:a@[192.0.2.1]"] = "not a valid domain",
			["Https:r.example"] = "https://host/path",
		} do
			local r, msg, code = mtasts.parse_tlsrpt("v=TLSRPTv1; rua=" .. rua)
			assert.is_nil(r, rua)
			assert.equal("TLSRPT_SYNTAX", code, rua)
			assert.matches(why, msg, 1, true)
		end
	end)

	it("accepts a port, a query, a fragment and percent-escapes in the path", function()
		local r = assert(mtasts.parse_tlsrpt "v=TLSRPTv1; rua=https://r.example:65535/a%20b?x=1@y#f")
		assert.equal("r.example", r.rua[1].host)
		r = assert(mtasts.parse_tlsrpt "v=TLSRPTv1; rua=mailto:a%40b@c.example?subject=x@y")
		assert.equal("c.example", r.rua[1].domain)
		assert.equal("a%40b@c.example", r.rua[1].address)
	end)
end)

describe("select_tlsrpt_record", function()
	it("selects exactly one v=TLSRPTv1 record", function()
		assert.equal("a@b.example",
			mtasts.select_tlsrpt_record({ "v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@b.example" }).rua[1].address)
		assert.equal("TLSRPT_NONE", select(3, mtasts.select_tlsrpt_record { "v=spf1 -all" }))
		assert.equal("TLSRPT_MULTIPLE", select(3, mtasts.select_tlsrpt_record {
			"v=TLSRPTv1; rua=mailto:a@b.example", "v=TLSRPTv1;rua=mailto:c@b.example" }))
	end)
end)
