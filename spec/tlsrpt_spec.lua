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

describe("select_tlsrpt_record", function()
	it("selects exactly one v=TLSRPTv1 record", function()
		assert.equal("a@b.example",
			mtasts.select_tlsrpt_record({ "v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@b.example" }).rua[1].address)
		assert.equal("TLSRPT_NONE", select(3, mtasts.select_tlsrpt_record { "v=spf1 -all" }))
		assert.equal("TLSRPT_MULTIPLE", select(3, mtasts.select_tlsrpt_record {
			"v=TLSRPTv1; rua=mailto:a@b.example", "v=TLSRPTv1;rua=mailto:c@b.example" }))
	end)
end)
