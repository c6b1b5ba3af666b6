-- mtasts.smtp_probe and mtasts.prober (issue #6).
-- Untagged specs never leave this machine: names come from libunbound local
-- data, the forwarder is a loopback port where nothing listens, and the
-- servers are loopback ones (nothing, or spec/helpers/fake_smtp.py).
-- Specs tagged #testbed need the loopback testbed's postfix; run them inside
-- it with MTASTS_CONFIG set to its client.lua (see docs/probe.md):
--   cfg=$(tests/testbed --name probe up | tail -1)
--   MTASTS_CONFIG=$cfg tests/testbed --name probe exec busted --run=lua54 --tags=testbed --exclude-tags= spec/probe_spec.lua
local mtasts = require "mtasts"

local DEAD = "127.0.0.1@1" -- nothing listens there

local function offline()
	return mtasts.resolver {
		forwarders = { DEAD },
		trust_anchors = {},
		timeout = 1,
		options = {
			{ "local-zone:", "example. static" },
			{ "local-data:", "example. 300 IN SOA ns.example. admin.example. 7 3600 600 86400 300" },
			{ "local-data:", "mx.local.example. 300 IN A 127.0.0.1" },
			{ "local-data:", "mx.nodata.example. 300 IN TXT \"no address here\"" },
		},
	}
end

local plain = require "helpers.plain"

local function have_python()
	local p = io.popen "command -v python3 2>/dev/null"
	local out = p:read "*a"
	p:close()
	return out ~= ""
end

-- Starts spec/helpers/fake_smtp.py MODE; returns its port and its pipe.
local function fake(mode)
	local p = assert(io.popen("python3 spec/helpers/fake_smtp.py " .. mode))
	local port = tonumber(p:read "*l")
	assert(port, "fake_smtp.py did not start")
	return port, p
end

describe("mtasts.smtp_probe", function()
	local r
	before_each(function()
		r = offline()
	end)
	after_each(function()
		r:close()
	end)

	describe("misuse raises", function()
		it("without a host or options", function()
			assert.has_error(function() mtasts.smtp_probe() end)
			assert.has_error(function() mtasts.smtp_probe("mx.local.example") end)
			assert.has_error(function() mtasts.smtp_probe({}, { resolver = r }) end)
		end)
		it("without a resolver, or with something else", function()
			assert.has_error(function() mtasts.smtp_probe("mx.local.example", {}) end,
				"mtasts.smtp_probe: option 'resolver' is required (an mtasts.resolver): "
				.. "the host's addresses and TLSA records are resolved only through it")
			assert.has_error(function() mtasts.smtp_probe("mx.local.example", { resolver = {} }) end)
			assert.has_error(function() mtasts.prober { resolver = "127.0.0.1" } end)
		end)
		it("with a closed resolver", function()
			local r2 = offline()
			r2:close()
			assert.has_error(function() mtasts.prober { resolver = r2 } end,
				"mtasts.prober: the resolver is closed")
		end)
		it("for unknown keys", function()
			assert.has_error(function() mtasts.smtp_probe("mx.local.example", { resolver = r, tiemout = 3 }) end,
				"mtasts.smtp_probe: unknown option 'tiemout'")
			assert.has_error(function() mtasts.prober { resolver = r, [1] = true } end)
		end)
		it("for bad values", function()
			local bad = {
				{ timeout = 0 }, { timeout = -1 }, { timeout = "3" }, { port = 0 }, { port = 70000 },
				{ port = 2.5 }, { mx_dnssec = "yes" }, { mx_dnssec = true }, { ehlo_name = "" },
				{ ehlo_name = "a b" }, { ehlo_name = "x\r\nRSET" }, { ca_file = 3 },
			}
			for _, o in ipairs(bad) do
				o.resolver = r
				assert.has_error(function() mtasts.prober(o) end)
			end
		end)
		it("for an unreadable CA file", function()
			assert.has_error(function() mtasts.prober { resolver = r, ca_file = "/nonexistent/ca.pem" } end)
		end)
		it("on prober misuse", function()
			local p = mtasts.prober { resolver = r }
			assert.has_error(function() p:submit() end)
			assert.has_error(function() p:submit("mx.local.example", 3) end)
			assert.has_error(function() p:submit("mx.local.example", { mx_dnssec = "maybe" }) end)
			assert.has_error(function() p:submit("mx.local.example", { port = 26 }) end)
			assert.has_error(function() p:submit("mx.local.example", function() end, function() end) end)
			p:close()
			p:close() -- idempotent
			assert.has_error(function() p:submit("mx.local.example") end, "attempt to use a closed prober")
			assert.has_error(function() p:step() end)
			assert.matches("^mtasts.prober %(closed%)", tostring(p))
		end)
	end)

	describe("without a server", function()
		it("gives CONNECT on a loopback port where nothing listens", function()
			local res, err = mtasts.smtp_probe("mx.local.example", { resolver = r, port = 1, timeout = 2 })
			assert.is_table(res, err)
			assert.equal(1, #res)
			local a = res[1]
			assert.same({ "127.0.0.1", 4, false, "CONNECT" }, { a.ip, a.family, a.ok, a.code })
			assert.matches("refused", a.message)
			assert.is_false(a.starttls)
			assert.same({}, a.ehlo)
			assert.is_false(a.tls.handshake)
			assert.is_false(a.dane.usable)
			assert.is_false(a.dane.ok)
			assert.equal("unknown", a.dnssec)
			assert.is_true(plain(res))
		end)
		it("returns nil, message, code when the host does not resolve", function()
			local res, err, code = mtasts.smtp_probe("mx.nodata.example", { resolver = r })
			assert.same({ nil, "DNS_NODATA" }, { res, code })
			assert.matches("mx.nodata.example", err)
			res, err, code = mtasts.smtp_probe("nothing.example", { resolver = r })
			assert.same({ nil, "DNS_NXDOMAIN" }, { res, code })
			res, err, code = mtasts.smtp_probe("bad..name", { resolver = r })
			assert.same({ nil, "BAD_NAME" }, { res, code })
			res, err, code = mtasts.smtp_probe("nul\0byte.example", { resolver = r })
			assert.same({ nil, "BAD_NAME" }, { res, code })
		end)
		it("gives DNS_TIMEOUT or DNS_SERVFAIL when the resolver gets no answer", function()
			local res, err, code = mtasts.smtp_probe("mx.unreachable.org", { resolver = r })
			assert.is_nil(res)
			assert.is_truthy(code == "DNS_TIMEOUT" or code == "DNS_SERVFAIL", code)
		end)
		it("fails probes with DNS_SERVFAIL when the resolver is closed under them", function()
			local r2 = offline()
			local p = mtasts.prober { resolver = r2 }
			local h = p:submit("mx.unreachable.org")
			r2:close()
			assert.is_true(p:wait(5))
			local res, err, code = h:result()
			assert.same({ nil, "DNS_SERVFAIL" }, { res, code })
			assert.matches("closed", err)
			p:close()
		end)
	end)

	describe("the prober", function()
		it("is pollable and delivers through callbacks, handles and wait", function()
			local p = mtasts.prober { resolver = r, port = 1, timeout = 2 }
			assert.is_nil(p:timeout())
			assert.equal("r", p:events())
			assert.is_number(p:pollfd())
			assert.equal(p:pollfd(), p:getfd())
			local got = {}
			local h1 = p:submit("mx.local.example", function(res) got[#got + 1] = res[1].code end)
			local h2 = p:submit("nothing.example", { mx_dnssec = "secure" }, function(res, err, code)
				got[#got + 1] = code
			end)
			local h3 = p:submit("mx.local.example", { mx_dnssec = "insecure" })
			assert.equal(3, p:pending())
			assert.same({ nil, "pending" }, { h1:result() })
			assert.is_number(p:timeout())
			assert.matches("^mtasts.prober %(open, 3 pending%)", tostring(p))
			assert.is_true(p:wait(10))
			assert.equal(0, p:pending())
			table.sort(got)
			assert.same({ "CONNECT", "DNS_NXDOMAIN" }, got)
			assert.equal("CONNECT", h1:result()[1].code)
			assert.same({ nil, "DNS_NXDOMAIN" }, { (h2:result()), select(3, h2:result()) })
			assert.equal("CONNECT", h3:result()[1].code)
			assert.is_false(h1:cancel())
			p:close()
		end)
		it("step() drives probes one poll at a time", function()
			local p = mtasts.prober { resolver = r, port = 1 }
			local h = p:submit("mx.local.example")
			local n, rounds = 0, 0
			while n == 0 and rounds < 200 do
				n = n + p:step(0.05)
				rounds = rounds + 1
			end
			assert.equal(1, n)
			assert.equal("CONNECT", h:result()[1].code)
			p:close()
		end)
		it("cancel() and close() drop pending probes; callbacks never run", function()
			local p = mtasts.prober { resolver = r }
			local ran = false
			local h1 = p:submit("mx.unreachable.org", function() ran = true end)
			local h2 = p:submit("mx.unreachable.org", function() ran = true end)
			assert.is_true(h1:cancel())
			assert.is_false(h1:cancel())
			assert.same({ nil, "the probe was cancelled", "CANCELLED" }, { h1:result() })
			p:close()
			assert.same({ nil, "the prober was closed", "CANCELLED" }, { h2:result() })
			assert.is_false(ran)
		end)
		it("raises the first callback error after delivering everything", function()
			local p = mtasts.prober { resolver = r, port = 1 }
			local second = false
			p:submit("nothing.example", function() error("boom") end)
			p:submit("nothing.example", function() second = true end)
			assert.has_error(function() p:wait(10) end)
			assert.is_true(second)
			assert.equal(0, p:pending())
			p:close()
		end)
		it("a callback may close the resolver or the prober while wait() runs", function()
			local r2 = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 30 }
			local p = mtasts.prober { resolver = r2 }
			p:submit("", function() r2:close() end)
			local h = p:submit("mx.unreachable.org")
			assert.is_true(p:wait(5))
			local res, _, code = h:result()
			assert.same({ nil, "DNS_SERVFAIL" }, { res, code })
			p:close()
			local p2 = mtasts.prober { resolver = r }
			local h1 = p2:submit("", function() p2:close() end)
			local h2 = p2:submit("")
			assert.is_true(p2:wait())
			assert.equal("BAD_NAME", select(3, h1:result()))
			assert.same({ nil, "the prober was closed", "CANCELLED" }, { h2:result() })
		end)
		it("is collected without close", function()
			local p = mtasts.prober { resolver = r, port = 1 }
			p:submit("mx.local.example")
			p = nil
			collectgarbage()
			collectgarbage()
		end)
	end)

	describe("against a misbehaving server", function()
		local function probe(mode, timeout)
			local port, pipe = fake(mode)
			local res, err = mtasts.smtp_probe("mx.local.example",
				{ resolver = r, port = port, timeout = timeout or 3 })
			pipe:close()
			assert.is_table(res, err)
			return res[1]
		end
		local skip = not have_python()
		local function it_py(name, fn)
			if skip then
				pending(name .. " (needs python3)")
			else
				it(name, fn)
			end
		end

		it_py("a 554 banner gives SMTP_REJECT", function()
			local a = probe "reject"
			assert.equal("SMTP_REJECT", a.code)
			assert.equal("554 5.3.2 fake no SMTP service here", a.banner)
			assert.matches("554", a.message)
		end)
		it_py("an endless banner gives SMTP_PROTOCOL", function()
			local a = probe "endless"
			assert.equal("SMTP_PROTOCOL", a.code)
			assert.matches("more than 100 lines", a.message)
		end)
		it_py("an over-long line gives SMTP_PROTOCOL", function()
			local a = probe "longline"
			assert.equal("SMTP_PROTOCOL", a.code)
			assert.matches("longer than 2048", a.message)
		end)
		it_py("a non-SMTP greeting gives SMTP_PROTOCOL", function()
			local a = probe "garbage"
			assert.equal("SMTP_PROTOCOL", a.code)
			assert.matches("malformed", a.message)
		end)
		it_py("a reply code changing inside a reply gives SMTP_PROTOCOL", function()
			assert.equal("SMTP_PROTOCOL", probe("changing").code)
		end)
		it_py("a refused STARTTLS gives NO_STARTTLS with the reply", function()
			local a = probe "refuse"
			assert.equal("NO_STARTTLS", a.code)
			assert.is_true(a.starttls)
			assert.same({ "PIPELINING", "STARTTLS" }, a.ehlo)
			assert.matches("454", a.message)
		end)
		it_py("a connection closed mid-dialogue gives SMTP_PROTOCOL", function()
			local a = probe "close"
			assert.equal("SMTP_PROTOCOL", a.code)
			assert.matches("while waiting for STARTTLS", a.message)
		end)
	end)
end)

-- ---------------------------------------------------------------- the testbed

local config = os.getenv "MTASTS_CONFIG"

describe("mtasts.smtp_probe against the testbed #testbed", function()
	local cfg, r, opts
	setup(function()
		assert(config, "MTASTS_CONFIG must name the testbed's client.lua")
		cfg = dofile(config)
		r = mtasts.resolver(cfg.resolver)
		opts = { resolver = r, ca_file = cfg.ca_file, timeout = cfg.timeout, mx_dnssec = "secure" }
	end)
	teardown(function()
		r:close()
	end)

	local function probe(host, extra)
		local o = {}
		for k, v in pairs(opts) do o[k] = v end
		for k, v in pairs(extra or {}) do o[k] = v end
		local res, err, code = mtasts.smtp_probe(host, o)
		assert.is_table(res, tostring(err) .. " " .. tostring(code))
		assert.is_true(plain(res))
		return res
	end

	it("valid MX with DANE-EE 3 1 1: OK, DANE matched, every detail #valgrind", function()
		local res = probe "mx1.enforce-ok.test"
		assert.equal(1, #res)
		local a = res[1]
		assert.same({ true, "OK", 4, "secure" }, { a.ok, a.code, a.family, a.dnssec })
		assert.equal("mx1.enforce-ok.test", a.host)
		assert.matches("^220 ", a.banner)
		assert.is_true(a.starttls)
		local has = {}
		for _, kw in ipairs(a.ehlo) do has[kw:match "^%S+"] = true end
		assert.is_true(has.STARTTLS and has.PIPELINING)
		assert.is_true(a.tls.handshake)
		assert.equal("TLSv1.3", a.tls.version)
		assert.is_string(a.tls.cipher)
		assert.is_false(a.tls.legacy)
		assert.is_true(a.tls.pkix_ok)
		assert.is_true(a.tls.hostname_ok)
		assert.is_nil(a.tls.verify_error)
		assert.matches("mx1.enforce%-ok.test", table.concat(a.tls.cert.san, " "))
		assert.is_true(a.tls.cert.days_left > 0)
		assert.is_false(a.tls.cert.self_signed)
		assert.is_true(#a.tls.chain >= 1)
		assert.equal(a.tls.cert.subject, a.tls.chain[1].subject)
		assert.equal(1, #a.dane.tlsa)
		assert.same({ 3, 1, 1 }, { a.dane.tlsa[1].usage, a.dane.tlsa[1].selector, a.dane.tlsa[1].mtype })
		assert.equal(64, #a.dane.tlsa[1].data)
		assert.same({ "secure", true, true }, { a.dane.dnssec, a.dane.usable, a.dane.ok })
		assert.same({ usage = 3, selector = 1, mtype = 1, depth = 0 }, a.dane.match)
	end)

	it("valid MX without TLSA: OK, DANE not usable, reason given", function()
		local a = probe("mx2.enforce-ok.test")[1]
		assert.same({ true, "OK" }, { a.ok, a.code })
		assert.same({}, a.dane.tlsa)
		assert.same({ false, false }, { a.dane.usable, a.dane.ok })
		assert.matches("no TLSA records", a.dane.reason)
	end)

	it("DANE is not applied when the MX RRset is not known to be secure", function()
		local a = probe("mx1.dane-mismatch.test", { mx_dnssec = "unknown" })[1]
		assert.same({ true, "OK", false }, { a.ok, a.code, a.dane.usable })
		assert.equal(1, #a.dane.tlsa)
		assert.matches("MX RRset is not DNSSEC%-secure", a.dane.reason)
		a = probe("mx1.dane-mismatch.test", { mx_dnssec = "insecure" })[1]
		assert.same({ true, "OK", false }, { a.ok, a.code, a.dane.usable })
	end)

	it("no STARTTLS: NO_STARTTLS", function()
		local a = probe("mx2.mx-no-starttls.test")[1]
		assert.same({ false, "NO_STARTTLS", false }, { a.ok, a.code, a.starttls })
		assert.matches("^220 ", a.banner)
		assert.is_true(#a.ehlo > 0)
		assert.is_false(a.tls.handshake)
	end)

	it("expired certificate: TLS_EXPIRED", function()
		local a = probe("mx2.mx-expired.test")[1]
		assert.same({ false, "TLS_EXPIRED", false, true }, { a.ok, a.code, a.tls.pkix_ok, a.tls.hostname_ok })
		assert.equal("certificate has expired", a.tls.verify_error)
		assert.is_true(a.tls.cert.days_left < 0)
	end)

	it("wrong name: TLS_HOSTNAME", function()
		local a = probe("mx2.mx-wrong-name.test")[1]
		assert.same({ false, "TLS_HOSTNAME", false, false }, { a.ok, a.code, a.tls.pkix_ok, a.tls.hostname_ok })
		assert.equal("hostname mismatch", a.tls.verify_error)
	end)

	it("self-signed: TLS_VERIFY", function()
		local a = probe("mx2.mx-self-signed.test")[1]
		assert.same({ false, "TLS_VERIFY", false }, { a.ok, a.code, a.tls.pkix_ok })
		assert.is_true(a.tls.cert.self_signed)
		assert.matches("self%-signed", a.tls.verify_error)
	end)

	it("TLS 1.0 only: TLS_OLD with the version obtained", function()
		local a = probe("mx2.mx-tls10.test")[1]
		assert.same({ false, "TLS_OLD", true, "TLSv1" }, { a.ok, a.code, a.tls.legacy, a.tls.version })
		assert.is_true(a.tls.pkix_ok) -- the certificate itself is fine
		assert.matches("TLS 1.2", a.message)
	end)

	it("554 banner: SMTP_REJECT", function()
		local a = probe("mx2.mx-reject.test", { timeout = 3 })[1]
		assert.same({ false, "SMTP_REJECT" }, { a.ok, a.code })
		assert.matches("^554 ", a.banner)
	end)

	it("stall after connect: TIMEOUT within the phase timeout", function()
		local t0 = os.time()
		local a = probe("mx2.mx-stall.test", { timeout = 1 })[1]
		assert.same({ false, "TIMEOUT" }, { a.ok, a.code })
		assert.matches("banner", a.message)
		assert.is_true(os.time() - t0 <= 4)
	end)

	it("DANE mismatch: DANE_MISMATCH although PKIX is fine", function()
		local a = probe("mx1.dane-mismatch.test")[1]
		assert.same({ false, "DANE_MISMATCH", true, false, true },
			{ a.ok, a.code, a.dane.usable, a.dane.ok, a.tls.pkix_ok })
		assert.matches("no TLSA record matches", a.dane.reason)
	end)

	it("TLSA in a bogus RRset: DANE_BOGUS, never insecure", function()
		local a = probe("mx1.dane-bogus.test")[1]
		assert.same({ false, "DANE_BOGUS", false, true }, { a.ok, a.code, a.dane.usable, a.dane.bogus })
		assert.same({}, a.dane.tlsa)
		assert.equal("bogus", a.dane.dnssec)
		assert.matches("RFC 7672", a.message)
		assert.is_true(a.tls.pkix_ok) -- the handshake still ran, for the details
	end)

	it("IPv6-only MX: one IPv6 result, OK", function()
		local res = probe "mx2.mx-ipv6-only.test"
		assert.equal(1, #res)
		assert.same({ 6, true, "OK" }, { res[1].family, res[1].ok, res[1].code })
		assert.matches(":", res[1].ip)
	end)

	it("an MX in a bogus zone does not resolve: DNS_BOGUS", function()
		local res, err, code = mtasts.smtp_probe("mx1.dnssec-bogus-ds.test", opts)
		assert.same({ nil, "DNS_BOGUS" }, { res, code })
	end)

	it("an insecure zone: DANE not usable", function()
		local a = probe("mx1.dnssec-insecure.test")[1]
		assert.same({ true, "OK", false }, { a.ok, a.code, a.dane.usable })
		assert.equal("insecure", a.dnssec)
	end)

	it("the prober runs every variant at once #valgrind", function()
		local hosts = { "mx1.enforce-ok.test", "mx2.mx-no-starttls.test", "mx2.mx-expired.test",
			"mx2.mx-wrong-name.test", "mx2.mx-self-signed.test", "mx2.mx-tls10.test",
			"mx1.dane-mismatch.test", "mx1.dane-bogus.test", "mx2.mx-ipv6-only.test" }
		local want = { "OK", "NO_STARTTLS", "TLS_EXPIRED", "TLS_HOSTNAME", "TLS_VERIFY", "TLS_OLD",
			"DANE_MISMATCH", "DANE_BOGUS", "OK" }
		local p = mtasts.prober { resolver = r, ca_file = cfg.ca_file, timeout = cfg.timeout, mx_dnssec = "secure" }
		local got = {}
		for i, h in ipairs(hosts) do
			p:submit(h, function(res, err) got[i] = res and res[1].code or err end)
		end
		assert.is_true(p:wait(30))
		assert.same(want, got)
		p:close()
	end)

	it("no fd leaks after 1,000 probes", function()
		local fds = require "helpers.open_fds"
		local hosts = { "mx1.enforce-ok.test", "mx2.mx-no-starttls.test", "mx2.mx-expired.test",
			"mx2.mx-tls10.test", "mx1.dane-mismatch.test", "mx2.mx-ipv6-only.test", "nothing.enforce-ok.test" }
		assert.truthy(probe "mx1.enforce-ok.test") -- warm up
		-- objects of earlier specs closed now, not during the count (their fds would go missing)
		collectgarbage()
		collectgarbage()
		local before = fds()
		local p = mtasts.prober { resolver = r, ca_file = cfg.ca_file, timeout = cfg.timeout, mx_dnssec = "secure" }
		-- The stalling MX holds its connection open, so the count must see it.
		local stalled = p:submit("mx2.mx-stall.test")
		for _ = 1, 300 do
			p:step(0.01)
			if fds() > before + 1 then break end
		end
		assert.is_truthy(fds() > before + 1) -- the count sees the prober's sockets
		stalled:cancel()
		local done, ok = 0, 0
		for i = 1, 1000 do
			p:submit(hosts[i % #hosts + 1], function(res)
				done = done + 1
				if res then ok = ok + 1 end
			end)
			if i % 100 == 0 then
				assert.is_true(p:wait(60))
			end
		end
		assert.is_true(p:wait(60))
		p:close()
		collectgarbage()
		collectgarbage()
		assert.equal(1000, done)
		assert.is_true(ok >= 850)
		assert.equal(before, fds())
	end)
end)
