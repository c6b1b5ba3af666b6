-- What a person reads: the text and CSV reports print integers as integers
-- and times as dates, also for a report that went through JSON (Lua 5.3+
-- decodes every JSON number as a float: 10 comes back as 10.0).
local report = require "mtasts.report"
local cjson = require "cjson"

local function round_trip(r)
	return cjson.decode(report.json(r))
end

-- A report as the self-check makes it (the shapes of docs/selfcheck.md).
local function sample()
	return {
		domain = "example.test", verdict = "fail", elapsed_ms = 1234, order = { "mta-sts", "mx" },
		checks = {
			["mta-sts"] = { status = "fail", findings = { { id = "sts.mx.uncovered", severity = "error",
				message = "MX mx2.example.test matches no mx line", rfc = "RFC 8461 §4.1, §5", fix = "mx: mx2.example.test" } } },
			mx = { status = "pass", findings = { { id = "mx.ok", severity = "ok", message = "2 MX" } } },
		},
		summaries = {
			["mta-sts"] = { state = "enforce", mode = "enforce", id = "20240101T000000", max_age = 604800,
				mx = { { host = "mx1.example.test", preference = 10, covered_by = "mx1.example.test", sender = "deliver" },
					{ host = "mx2.example.test", preference = 20, sender = "skip", reason = "no policy mx pattern matches it" } } },
			mx = { mx = { { host = "mx1.example.test", preference = 10 } } },
		},
		findings = {},
	}
end

describe("the text report", function()
	it("prints integers as integers after a JSON round trip", function()
		local decoded = round_trip(sample())
		local text = report.text(decoded)
		assert.matches("mx1%.example%.test +pref 10 +covered by mx1%.example%.test +would deliver", text)
		assert.matches("mx2%.example%.test +pref 20 +not covered +would skip: no policy mx pattern", text)
		assert.not_matches("pref %d+%.0", text)
		assert.equal(report.text(sample()), text, "the same text before and after JSON")
	end)

	it("puts each check's part where the registry says: headline first, the MX table under mta-sts", function()
		local text = report.text(sample())
		assert.matches("^FAIL  example%.test  MTA%-STS: enforce, id 20240101T000000  %(1%.2 s%)\n", text)
		local sts_at = text:find("\n  mta-sts: fail\n", 1, true)
		local table_at = text:find("MX hosts as an enforcing MTA-STS sender sees them:", 1, true)
		local mx_at = text:find("\n  mx: pass\n", 1, true)
		assert.truthy(sts_at and table_at and mx_at)
		assert.is_true(sts_at < table_at and table_at < mx_at)
	end)

	it("says that no policy applies when senders apply none", function()
		local r = sample()
		r.summaries["mta-sts"] = { state = "no-policy", reason = "senders see no policy: HTTP 404", no_policy = true,
			mx = { { host = "mx1.example.test", preference = 10, sender = "deliver" } } }
		local text = report.text(round_trip(r))
		assert.matches("MX hosts %(no MTA%-STS policy applies to them%):", text)
		assert.matches("mx1%.example%.test +pref 10 +no policy applies +would deliver", text)
		assert.matches("senders see no policy: HTTP 404", text)
		assert.not_matches("not covered", text)
	end)

	it("escapes control characters that DNS or HTTP data put in a message", function()
		local r = sample()
		r.checks["mta-sts"].findings[1].message = "TXT says \27[2Jhello\7"
		r.checks["mta-sts"].findings[1].fix = "publish \27]0;x\7"
		local text = report.text(r)
		assert.not_matches("\27", text)
		assert.not_matches("\7", text)
		assert.matches("TXT says \\x1b%[2Jhello\\x07", text)
	end)

	it("numbers and dates: report.number and report.date", function()
		assert.equal("10", report.number(10.0))
		assert.equal("604800", report.number(604800))
		assert.equal("1796592427", report.number(1796592427.0))
		assert.equal("0.5", report.number(0.5))
		assert.equal("", report.number(nil))
		assert.equal("2026-12-06 12:07 UTC", report.date(1796558827.0))
		assert.equal("nope", report.date("nope"))
	end)

	it("shows a failing render hook as one line, not a crash", function()
		local mtasts = require "mtasts"
		mtasts.register_check { name = "spec-render", prefix = "specrender.",
			ids = { ["specrender.ok"] = { severity = "ok" } }, run = function() return {} end,
			render = function(s) return { s.missing.field } end }
		local r = sample()
		r.checks["spec-render"] = { status = "pass", findings = {} }
		r.summaries["spec-render"] = {}
		r.order[#r.order + 1] = "spec-render"
		assert.matches("%(the spec%-render check's summary cannot be shown: ", report.text(r))
	end)
end)

describe("the CSV report", function()
	it("has the registered checks' columns and integers as integers after JSON", function()
		assert.equal("domain,verdict,mode,id,max_age,mx,errors,warnings\n", report.csv_header())
		local decoded = round_trip(sample())
		decoded.findings = { { severity = "error" } }
		assert.equal("example.test,fail,enforce,20240101T000000,604800,mx1.example.test mx2.example.test,1,0\n",
			report.csv(decoded))
	end)
end)

describe("the text report of a real self-check after JSON #testbed", function()
	local config_path = os.getenv "MTASTS_CONFIG"

	it("shows the certificate's expiry as a date and MX preferences as integers", function()
		local mtasts = require "mtasts"
		local r = mtasts.selfcheck("cert-expiring.test", { config = dofile(config_path) })
		local text = report.text(round_trip(r), { verbose = true })
		local when = text:match "the certificate of mta%-sts%.cert%-expiring%.test expires in %d+ days %(([^)]*)%)"
		assert.truthy(when, text)
		assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d UTC$", when)
		assert.matches("mx1%.cert%-expiring%.test +pref 10 ", text)
		assert.matches("mx2%.cert%-expiring%.test +pref 20 ", text)
		assert.matches("max_age 604800 %(7 days%)", text)
		-- (IP addresses such as 127.0.0.1 have ".0" too: look where numbers are printed)
		assert.not_matches("pref %d+%.0", text)
		assert.not_matches("max_age %d+%.0", text)
		assert.not_matches("expires in %d+%.0", text)
	end)
end)
