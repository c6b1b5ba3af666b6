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

-- The mx check over a fake context: fixed DNS answers, probe results by host,
-- and handles that stay pending for the hosts in `stalled` (no servers).
describe("the mx check", function()
	local mx = require "mtasts.checks.mx"

	local function answer(name, qtype, records)
		return { name = name, type = qtype, rcode = "NOERROR", dnssec = "insecure", ttl = 300, canonname = name,
			nxdomain = false, nodata = #records == 0, records = records }
	end

	local function fake(probes, stalled)
		local ctx, waited = {}, {}
		local function handle(done, ...)
			local r = { n = select("#", ...), ... }
			return { done = function() return done end,
				result = function() if not done then return nil, "pending" end return (table.unpack or unpack)(r, 1, r.n) end }
		end
		function ctx.start_query(_, name, qtype)
			if qtype == "MX" then
				return handle(true, answer(name, "MX", { { preference = 10, exchange = "mx1.example.net" },
					{ preference = 20, exchange = "mx2.example.net" } }))
			end
			return handle(true, answer(name, qtype, qtype == "A" and { "192.0.2.25" } or {}))
		end
		function ctx.query(self, name, qtype)
			return self:start_query(name, qtype):result()
		end
		function ctx.start_probe(_, host)
			if stalled and stalled[host] then
				return handle(false)
			end
			return handle(true, table.unpack and table.unpack(probes[host]) or unpack(probes[host]))
		end
		function ctx.wait_all(_, handles, deadline)
			waited[#waited + 1] = { n = #handles, deadline = deadline }
			return false
		end
		return ctx, waited
	end

	local function addr(code, message)
		return { { ip = "192.0.2.25", family = "ipv4", ok = false, code = code, message = message, tls = {}, dane = {} } }
	end

	local function by_id(found)
		local out = {}
		for _, f in ipairs(found) do
			out[f.id] = out[f.id] or {}
			table.insert(out[f.id], f.message)
		end
		return out
	end

	it("maps the prober's old and new timeout codes to the same ids", function()
		local ctx = fake {
			["mx1.example.net"] = { addr("TIMEOUT", "no answer within 5 s while waiting for the banner") },
			["mx2.example.net"] = { addr("SMTP_TIMEOUT", "no answer within 5 s while waiting for EHLO") },
		}
		local found = by_id(mx.run(ctx, "example.net", {}))
		assert.equal(2, #found["mx.unreachable"])
		ctx = fake {
			["mx1.example.net"] = { addr("TLS_TIMEOUT", "the TLS handshake timed out") },
			["mx2.example.net"] = { addr("CONNECT", "cannot connect to 192.0.2.25 port 25: no answer within 5 s") },
		}
		found = by_id(mx.run(ctx, "example.net", {}))
		assert.equal(1, #found["mx.starttls.failed"])
		assert.matches("handshake stalled", found["mx.starttls.failed"][1])
		assert.equal(1, #found["mx.unreachable"])
	end)

	it("at its deadline reports the hosts that answered and, for each one still pending, mx.unreachable", function()
		local ctx, waited = fake({ ["mx1.example.net"] = { {
			{ ip = "192.0.2.25", family = "ipv4", ok = true, code = "OK", message = "ok", tls = { version = "TLSv1.3",
				pkix_ok = true, hostname_ok = true }, dane = {} } } } }, { ["mx2.example.net"] = true })
		local deadline = require("mtasts.pure").now() + 7
		local found, summary = mx.run(ctx, "example.net", { deadline = deadline, timeout = 7 })
		-- one wait for every host's A, AAAA and probe, ending a little before the deadline
		assert.equal(1, #waited)
		assert.equal(6, waited[1].n)
		assert.is_true(waited[1].deadline < deadline and waited[1].deadline >= deadline - 0.5)
		local ids = by_id(found)
		assert.same({ "MX mx2.example.net did not answer within the check's time limit (7 s): its probe had not finished" },
			ids["mx.unreachable"])
		assert.equal(1, #ids["mx.starttls.ok"])
		assert.equal(1, #ids["mx.certificate.ok"])
		assert.equal("probed", summary.mx[1].probe)
		assert.equal("pending", summary.mx[2].probe)
	end)
end)

describe("the mx check #testbed", function()
	local config_path = os.getenv "MTASTS_CONFIG"
	local selfcheck = require "mtasts.selfcheck"
	local now = require("mtasts.pure").now

	-- mx-blackhole.test: two MX hosts whose (AAAA) addresses drop every packet.
	local function run(prober_timeout, domain_timeout)
		local config = dofile(assert(config_path, "set MTASTS_CONFIG to the testbed's client.lua"))
		config.timeout = prober_timeout
		local t0 = now()
		local r = selfcheck.run_many({ "mx-blackhole.test" }, { config = config, timeout = domain_timeout,
			checks = { "mx" } })[1]
		return r, now() - t0
	end

	it("at the domain's deadline, before the prober's timeout, names both pending hosts (no check.timeout)", function()
		local r, took = run(30, 3)
		assert.is_true(took < 3.3, "took " .. took)
		local hosts = {}
		for _, f in ipairs(r.checks.mx.findings) do
			assert.not_equal("check.timeout", f.id)
			if f.id == "mx.unreachable" then
				assert.matches("did not answer within the check's time limit %(3 s%)", f.message)
				hosts[#hosts + 1] = f.message:match "^MX (%S+)"
			end
		end
		table.sort(hosts)
		assert.same({ "mx1.mx-blackhole.test", "mx2.mx-blackhole.test" }, hosts)
		assert.equal("fail", r.checks.mx.status)
	end)

	it("probes the MX hosts at once: two connect timeouts cost one", function()
		local r, took = run(2, 10)
		assert.is_true(took >= 1.9 and took < 3.5, "took " .. took .. " s (one after another: 4 s)")
		local n = 0
		for _, f in ipairs(r.checks.mx.findings) do
			if f.id == "mx.unreachable" then
				n = n + 1
				assert.matches("does not answer on port 25: cannot connect to fd00:dead:", f.message)
			end
		end
		assert.equal(2, n)
	end)
end)
