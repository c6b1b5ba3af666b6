-- mtasts.resolver (issue #4).
-- Untagged specs never leave this machine: every resolver forwards to a
-- loopback port where nothing listens, or answers from libunbound local data.
-- Specs tagged #testbed need the loopback testbed; run them inside it with
-- MTASTS_CONFIG set to its client.lua (see docs/resolver.md).
local mtasts = require "mtasts"

local DEAD = "127.0.0.1@1" -- nothing listens there
local unpack = table.unpack or unpack

local function by_preference(records)
	table.sort(records, function(x, y) return x.preference < y.preference end)
	return records
end

local function monotonic()
	-- os.clock is CPU time; the resolver's waits are idle, so use wall time
	-- via os.time with a sub-second fallback from the resolver itself.
	return os.time()
end

-- A resolver that never reaches a server: local data only, no trust anchor.
local function offline(extra)
	local opts = {
		forwarders = { DEAD },
		trust_anchors = {},
		timeout = 2,
		options = {
			{ "local-zone:", "example. static" },
			{ "local-data:", "example. 300 IN SOA ns.example. admin.example. 7 3600 600 86400 300" },
			{ "local-data:", "mx.example. 300 IN MX 10 mail.example." },
			{ "local-data:", "mx.example. 300 IN MX 20 backup.example." },
			{ "local-data:", "nullmx.example. 300 IN MX 0 ." },
			{ "local-data:", 'txt.example. 300 IN TXT "part one" "part two"' },
			{ "local-data:", "a.example. 300 IN A 192.0.2.1" },
			{ "local-data:", "a.example. 300 IN AAAA 2001:db8::1" },
			{ "local-data:", "_25._tcp.a.example. 300 IN TLSA 3 1 1 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789" },
			{ "local-data:", "cname.example. 300 IN CNAME a.example." },
			{ "local-data:", "x.example. 300 IN TYPE65280 \\# 3 010203" },
		},
	}
	for k, v in pairs(extra or {}) do
		opts[k] = v
	end
	return mtasts.resolver(opts)
end

local plain = require "helpers.plain"

describe("mtasts.resolver", function()
	describe("options", function()
		it("raises on unknown keys and wrong types", function()
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, forwarder = { DEAD } } end,
				"mtasts.resolver: unknown option 'forwarder'")
			assert.has_error(function() mtasts.resolver { forwarders = DEAD } end)
			assert.has_error(function() mtasts.resolver { forwarders = { 53 } } end)
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, timeout = 0 } end)
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, timeout = "1" } end)
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, options = { "a" } } end)
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, options = { { "no-such-option:", "1" } } } end)
			assert.has_error(function() mtasts.resolver { forwarders = { "not an address" } } end)
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, trust_anchors = { "garbage" } } end)
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, trust_anchor_file = "/nonexistent/ta" } end)
			assert.has_error(function() mtasts.resolver { forwarders = { DEAD }, root_hints = "/nonexistent/hints" } end)
			assert.has_error(function() mtasts.resolver(42) end)
			assert.has_error(function() mtasts.resolver { [1] = true } end)
		end)

		it("accepts option names without their colon and numeric values", function()
			local r = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {},
				options = { { "edns-buffer-size", 1232 } } }
			r:close()
		end)
	end)

	describe("answers (local data, no network)", function()
		local r
		before_each(function() r = offline() end)
		after_each(function() r:close() end)

		it("are plain tables with every documented field", function()
			local a = assert(r:query("mx.example", "MX"))
			assert.is_true(plain(a))
			by_preference(a.records)
			assert.same({
				name = "mx.example", type = "MX", rcode = "NOERROR", dnssec = "unknown", ttl = 300,
				canonname = "mx.example", nxdomain = false, nodata = false,
				records = { { preference = 10, exchange = "mail.example" }, { preference = 20, exchange = "backup.example" } },
			}, a)
		end)

		it("says unknown, never insecure, with no trust anchor", function()
			for _, q in ipairs { { "a.example", "A" }, { "nope.example", "A" }, { "a.example", "MX" } } do
				assert.equal("unknown", assert(r:query(q[1], q[2])).dnssec)
			end
		end)

		it("parses records by type", function()
			assert.same({ "192.0.2.1" }, assert(r:query("a.example", "A")).records)
			assert.same({ "2001:db8::1" }, assert(r:query("a.example.", 28)).records)
			assert.same({ { strings = { "part one", "part two" }, text = "part onepart two" } },
				assert(r:query("txt.example", "txt")).records)
			assert.same({ { preference = 0, exchange = "." } }, assert(r:query("nullmx.example", "MX")).records)
			assert.same({ { usage = 3, selector = 1, mtype = 1,
				data = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789" } },
				assert(r:query("_25._tcp.a.example", "TLSA")).records)
			assert.same({ "a.example" }, assert(r:query("cname.example", "CNAME")).records)
			assert.same({ { mname = "ns.example", rname = "admin.example", serial = 7, refresh = 3600, retry = 600,
				expire = 86400, minimum = 300 } }, assert(r:query("example", "SOA")).records)
			local x = assert(r:query("x.example", "TYPE65280"))
			assert.equal("TYPE65280", x.type)
			assert.same({ "010203" }, x.records)
		end)

		it("tells NXDOMAIN from NODATA", function()
			local nx = assert(r:query("nope.example", "A"))
			assert.equal("NXDOMAIN", nx.rcode)
			assert.is_true(nx.nxdomain)
			assert.is_false(nx.nodata)
			assert.same({}, nx.records)
			local nd = assert(r:query("mx.example", "TXT"))
			assert.equal("NOERROR", nd.rcode)
			assert.is_false(nd.nxdomain)
			assert.is_true(nd.nodata)
			assert.same({}, nd.records)
		end)

		-- Issue #11 §3.7: an RRset libunbound cannot hold came back as NODATA
		-- ("no MX", then an implicit MX). libunbound hands back a truncated
		-- message (TC, no records): a failure, never an empty answer.
		it("fails an answer too big to hold with DNS_TOO_BIG, never NODATA", function()
			local opts = { forwarders = { DEAD }, trust_anchors = {}, timeout = 5,
				options = { { "local-zone:", "example. static" } } }
			for i = 1, 2000 do
				opts.options[#opts.options + 1] = { "local-data:",
					("big.example. 300 IN MX %d mx%d.a-rather-long-mail-exchanger-name.example."):format(i, i) }
			end
			for i = 1, 100 do -- the same name a little smaller is an answer
				opts.options[#opts.options + 1] = { "local-data:",
					("fits.example. 300 IN MX %d mx%d.a-rather-long-mail-exchanger-name.example."):format(i, i) }
			end
			local big = mtasts.resolver(opts)
			local a, msg, code, detail = big:query("big.example", "MX")
			assert.is_nil(a)
			assert.equal("DNS_TOO_BIG", code)
			assert.equal("big.example: the answer is too big for the resolver to hold (it came back truncated)", msg)
			assert.same({ "big.example", "MX" }, { detail.name, detail.qtype })
			assert.equal(100, #assert(big:query("fits.example", "MX")).records)
			big:close()
		end)

		it("returns BAD_NAME for names that are not DNS names", function()
			for _, bad in ipairs { "", "a..example", ".a.example", ("a"):rep(64) .. ".example",
				("abcd."):rep(60) .. "example", "a\0b.example", "bücher.example", "a b.example", "a\\.example" } do
				local a, msg, code, detail = r:query(bad, "A")
				assert.is_nil(a)
				assert.is_string(msg)
				assert.equal("BAD_NAME", code)
				assert.same({ name = bad:match "^[^%z]*", qtype = "A", elapsed = 0 }, detail)
			end
		end)
	end)

	describe("misuse", function()
		it("raises on bad arguments and on a closed resolver", function()
			local r = offline()
			assert.has_error(function() r:query(nil, "A") end)
			assert.has_error(function() r:query(1, "A") end)
			assert.has_error(function() r:query("a.example") end)
			assert.has_error(function() r:query("a.example", "NOPE") end)
			assert.has_error(function() r:query("a.example", 65536) end)
			assert.has_error(function() r:query("a.example", 1.5) end)
			assert.has_error(function() r:query("a.example", {}) end)
			assert.has_error(function() r:submit("a.example", "A", "not a function") end)
			assert.has_error(function() r.query({}, "a.example", "A") end)
			assert.has_error(function() r:step("soon") end)
			r:close()
			r:close() -- idempotent
			assert.has_error(function() r:query("a.example", "A") end, "attempt to use a closed resolver")
			assert.has_error(function() r:submit("a.example", "A") end)
			assert.has_error(function() r:step() end)
			assert.has_error(function() r:pollfd() end)
			assert.matches("closed", tostring(r))
		end)

		it("re-raises a callback's error after delivering every answer", function()
			local r = offline()
			local got = 0
			r:submit("a.example", "A", function() error("boom") end)
			r:submit("a.example", "AAAA", function() got = got + 1 end)
			assert.has_error(function() r:wait() end)
			assert.equal(1, got)
			assert.equal(0, r:pending())
			r:close()
		end)
	end)

	describe("non-blocking", function()
		it("implements the pollable protocol", function()
			local r = offline()
			assert.is_true(math.type == nil or math.type(r:pollfd()) == "integer")
			assert.is_true(r:pollfd() >= 0)
			assert.equal(r:pollfd(), r:getfd())
			assert.equal("r", r:events())
			assert.is_nil(r:timeout())
			local q = r:submit("a.example", "A")
			assert.matches("^mtasts.resolver.query %(pending%)", tostring(q))
			local t = r:timeout()
			assert.is_number(t)
			assert.is_true(t >= 0 and t <= 2)
			assert.same({ nil, "pending" }, { q:result() })
			assert.equal(1, r:pending())
			while r:pending() > 0 do
				r:step(1)
			end
			assert.same({ "192.0.2.1" }, assert(q:result()).records)
			assert.is_nil(r:timeout())
			r:close()
		end)

		it("runs callbacks from step with result()'s values #valgrind", function()
			local r = offline()
			local seen = {}
			local q1 = r:submit("mx.example", "MX", function(...) seen.mx = { ... } end)
			local q2 = r:submit("bad..example", "A", function(...) seen.bad = { ... } end)
			assert.is_true(r:wait())
			assert.equal(q1:result(), seen.mx[1])
			assert.equal(10, by_preference(seen.mx[1].records)[1].preference)
			assert.same({ nil, "not a DNS name: an empty label", "BAD_NAME",
				{ name = "bad..example", qtype = "A", elapsed = 0 } }, seen.bad)
			assert.same({ q2:result() }, seen.bad)
			r:close()
		end)

		it("answers a thousand queries in flight", function()
			local r = offline()
			local qs, n = {}, 0
			for i = 1, 1000 do
				qs[i] = r:submit(("n%d.example"):format(i), "A", function(a) if a and a.nxdomain then n = n + 1 end end)
			end
			assert.equal(1000, r:pending())
			assert.is_true(r:wait(30))
			assert.equal(1000, n)
			r:close()
		end)

		it("survives a callback that closes the resolver", function()
			local r = offline()
			local calls = 0
			for i = 1, 5 do
				r:submit("a.example", "A", function() calls = calls + 1; r:close() end)
			end
			assert.is_true(r:wait())
			assert.equal(1, calls)
			assert.has_error(function() r:step() end)
		end)

		it("lets callbacks submit and query", function()
			local r = offline()
			local got
			r:submit("cname.example", "CNAME", function(a)
				assert.equal("a.example", r:query(a.records[1], "A").name)
				r:submit(a.records[1], "AAAA", function(b) got = b.records[1] end)
			end)
			assert.is_true(r:wait())
			assert.equal("2001:db8::1", got)
			r:close()
		end)

		it("cancels queries", function()
			local r = offline()
			local called = false
			local q = r:submit("a.example", "A", function() called = true end)
			assert.is_true(q:cancel())
			assert.is_false(q:cancel())
			assert.equal(0, r:pending())
			assert.is_true(r:wait())
			assert.is_false(called)
			local a, msg, code, detail = q:result()
			assert.is_nil(a)
			assert.equal("CANCELLED", code)
			assert.equal("the query was cancelled", msg)
			assert.same({ "a.example", "A" }, { detail.name, detail.qtype })
			assert.is_true(detail.elapsed >= 0 and detail.elapsed < 1)
			r:close()
		end)
	end)

	describe("a server that never answers", function()
		it("gives DNS_TIMEOUT within the timeout, blocking and not", function()
			local r = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 0.5 }
			local t0 = monotonic()
			local a, msg, code, detail = r:query("example.com", "A")
			assert.is_nil(a)
			assert.equal("DNS_TIMEOUT", code)
			assert.matches("example.com", msg)
			assert.same({ "example.com", "A" }, { detail.name, detail.qtype })
			assert.is_true(detail.elapsed >= 0.45 and detail.elapsed < 1.5, "elapsed " .. detail.elapsed)
			local qs = {}
			for i = 1, 20 do
				qs[i] = r:submit(("n%d.example.com"):format(i), "TXT")
			end
			assert.is_true(r:wait())
			for i = 1, 20 do
				local _, _, code, detail = qs[i]:result()
				assert.equal("DNS_TIMEOUT", code)
				assert.equal(("n%d.example.com"):format(i), detail.name)
				assert.equal("TXT", detail.qtype)
			end
			assert.is_true(monotonic() - t0 <= 3)
			r:close()
		end)

		-- Issue #8 §3: an answer that arrived but was not stepped (submitted
		-- from Lua earlier) made every wait on DNS spin: 2 s of waiting cost
		-- 2.00 s of CPU. Waiting must sleep in poll.
		describe("sleeps while an earlier answer waits to be stepped", function()
			local r
			before_each(function()
				r = offline()
				-- answered from local data; arrives during the wait below, never stepped
				r:submit("a.example", "A")
			end)
			after_each(function() r:close() end)

			local function cpu(f)
				local c0 = os.clock()
				local a, b, c = f()
				return os.clock() - c0, a, b, c
			end

			it("in a blocking query (2 s on a dead forwarder)", function()
				local t, a, _, code = cpu(function() return r:query("example.com", "A") end)
				assert.is_nil(a)
				assert.equal("DNS_TIMEOUT", code)
				assert.equal(1, r:pending()) -- the earlier answer is still there
				assert.is_true(t < 0.2, ("%.2f s of CPU"):format(t))
				assert.equal(1, r:step())
			end)

			it("in fetch_policy and a prober, waiting on DNS", function()
				local t, res, _, code = cpu(function()
					return mtasts.fetch_policy("example.com", { resolver = r, timeout = 5 })
				end)
				assert.is_nil(res)
				assert.equal("DNS_TIMEOUT", code)
				assert.is_true(t < 0.2, ("fetch_policy: %.2f s of CPU"):format(t))
				-- smtp_probe's wait, without the CPU its TLS setup takes (made first)
				local p = mtasts.prober { resolver = r, timeout = 5 }
				local h
				t = cpu(function()
					h = p:submit("mx.example.com")
					return p:wait()
				end)
				assert.matches("TIMEOUT", select(3, h:result()))
				assert.is_true(t < 0.2, ("prober: %.2f s of CPU"):format(t))
				p:close()
				assert.equal(1, r:pending())
			end)
		end)

		it("wait(seconds) gives up with TIMEOUT", function()
			local r = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 5 }
			r:submit("example.com", "A")
			local ok, msg, code = r:wait(0.2)
			assert.is_nil(ok)
			assert.equal("TIMEOUT", code)
			r:close()
		end)

		it("closes with queries in flight #valgrind", function()
			local r = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 5 }
			local called = false
			local qs = {}
			for i = 1, 50 do
				qs[i] = r:submit(("n%d.example.com"):format(i), "A", function() called = true end)
			end
			r:step()
			r:close()
			for i = 1, 50 do
				local a, msg, code, detail = qs[i]:result()
				assert.is_nil(a)
				assert.equal("the resolver was closed", msg)
				assert.equal("CANCELLED", code)
				assert.same({ ("n%d.example.com"):format(i), "A" }, { detail.name, detail.qtype })
				assert.is_number(detail.elapsed)
				assert.is_false(qs[i]:cancel())
			end
			assert.is_false(called)
			-- and garbage collection in any order afterwards
			qs = nil
			collectgarbage()
			collectgarbage()
		end)

		it("tells its fetchers and probers of its close, and dies with them in any order #valgrind", function()
			local r = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 5 }
			local f, p = mtasts.fetcher { resolver = r }, mtasts.prober { resolver = r }
			local hf, hp = f:submit("example.com"), p:submit("mx.example.com")
			f:step()
			p:step()
			r:close() -- both wait on DNS through it: told now, before its core is freed
			assert.is_true(f:wait(1))
			assert.is_true(p:wait(1))
			for _, h in ipairs { hf, hp } do
				local res, msg, code = h:result()
				assert.is_nil(res)
				assert.matches("the resolver was closed", msg, 1, true)
				assert.equal("DNS_SERVFAIL", code)
			end
			f:close()
			p:close()
			-- garbage together with work in flight, and a dependent closed first
			for i = 1, 4 do
				local r2 = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 5 }
				local f2, p2 = mtasts.fetcher { resolver = r2 }, mtasts.prober { resolver = r2 }
				f2:submit("example.com")
				p2:submit("mx.example.com")
				f2:step()
				p2:step()
				if i % 2 == 0 then
					f2:close()
				end
			end
			collectgarbage()
			collectgarbage()
		end)

		it("is collected with queries in flight", function()
			local r = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 5 }
			for i = 1, 10 do
				r:submit(("n%d.example.com"):format(i), "A")
			end
			r = nil
			collectgarbage()
			collectgarbage()
		end)

		if _VERSION == "Lua 5.4" then
			it("closes as a to-be-closed variable", function()
				local f = assert(load [[
					local mtasts, DEAD = ...
					local keep
					do
						local r <close> = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {} }
						keep = r
					end
					return tostring(keep)
				]])
				assert.matches("closed", f(mtasts, DEAD))
			end)
		end
	end)
end)

-- ---------------------------------------------------------------------------
-- Against the loopback testbed (tests/testbed): real signed delegations.

describe("mtasts.resolver #testbed", function()
	local cfg, r

	setup(function()
		local path = assert(os.getenv "MTASTS_CONFIG", "set MTASTS_CONFIG to the testbed's client.lua")
		cfg = assert(dofile(path).resolver, "client.lua has no resolver table")
		r = mtasts.resolver(cfg)
	end)

	teardown(function()
		if r then r:close() end
	end)

	local function q(name, qtype)
		local a, msg, code = r:query(name, qtype)
		assert(a, ("%s %s: %s (%s)"):format(name, qtype, tostring(msg), tostring(code)))
		assert.is_true(plain(a))
		return a
	end

	it("validates a signed zone: secure", function()
		local a = q("_mta-sts.enforce-ok.test", "TXT")
		assert.equal("secure", a.dnssec)
		assert.is_nil(a.why_bogus)
		assert.equal("v=STSv1; id=20240101T000000;", a.records[1].text)
		assert.is_true(a.ttl > 0)
	end)

	it("reports an unsigned delegation as insecure", function()
		local a = q("_mta-sts.dnssec-insecure.test", "TXT")
		assert.equal("insecure", a.dnssec)
		assert.equal(1, #a.records)
	end)

	it("reports bogus answers without their records #valgrind", function()
		for name, why in pairs {
			["_mta-sts.dnssec-bogus-expired.test"] = "signature expired",
			["_mta-sts.dnssec-bogus-ds.test"] = "DS",
		} do
			local a = q(name, "TXT")
			assert.equal("bogus", a.dnssec)
			assert.matches(why, a.why_bogus, 1, true)
			assert.same({}, a.records)
		end
	end)

	it("tells NXDOMAIN, NODATA and SERVFAIL apart", function()
		local nx = q("nothing-here.enforce-ok.test", "A")
		assert.is_true(nx.nxdomain)
		assert.equal("NXDOMAIN", nx.rcode)
		assert.equal("secure", nx.dnssec)
		local nd = q("_mta-sts.enforce-ok.test", "A")
		assert.is_true(nd.nodata)
		assert.equal("secure", nd.dnssec)
		-- SERVFAIL: forward to the test. TLD's authoritative server, which refuses
		-- names it does not serve
		local ns = q("test", "NS").records[1]
		local addr = q(ns, "A").records[1]
		local r2 = mtasts.resolver { forwarders = { addr }, trust_anchor_file = cfg.trust_anchor_file,
			options = cfg.options, timeout = 3 }
		local a, msg, code = r2:query("example.com", "A")
		r2:close()
		assert.is_nil(a)
		assert.equal("DNS_SERVFAIL", code)
		assert.is_string(msg)
	end)

	-- Issue #11 §3.7, the real path: nsd serves 2,500 MX records over TCP, the
	-- validating libunbound cannot hold them (tests/scenarios/mx-huge.lua).
	it("fails an MX RRset it cannot hold with DNS_TOO_BIG, never NODATA", function()
		local a, msg, code, detail = r:query("mx-huge.test", "MX")
		assert.is_nil(a)
		assert.equal("DNS_TOO_BIG", code)
		assert.matches("too big", msg)
		assert.same({ "mx-huge.test", "MX" }, { detail.name, detail.qtype })
		local nota = mtasts.resolver { root_hints = cfg.root_hints, trust_anchors = {}, options = cfg.options,
			timeout = cfg.timeout }
		assert.equal("DNS_TOO_BIG", select(3, nota:query("mx-huge.test", "MX")))
		nota:close()
	end)

	it("times out on a nameserver that never answers, within the timeout", function()
		local t0 = os.time()
		local a, msg, code = r:query("_mta-sts.dnssec-lame.test", "TXT")
		assert.is_nil(a)
		assert.equal("DNS_TIMEOUT", code)
		assert.is_true(os.time() - t0 <= (cfg.timeout or 5) + 1)
	end)

	it("follows CNAME chains (canonname)", function()
		local a = q("_mta-sts.delegated.test", "TXT")
		assert.equal("_mta-sts.delegated.sts-provider.test", a.canonname)
		assert.equal("secure", a.dnssec)
		assert.matches("^v=STSv1", a.records[1].text)
		local d = q("mta-sts.dangling-cname.test", "A")
		assert.is_true(d.nxdomain)
		assert.equal("mta-sts.gone.dangling-cname.test", d.canonname)
	end)

	it("joins multi-string TXT records", function()
		local a = q("mail._domainkey.enforce-ok.test", "TXT")
		local rec = a.records[1]
		assert.is_true(#rec.strings >= 2)
		assert.equal(table.concat(rec.strings), rec.text)
		assert.matches("^v=DKIM1; k=rsa; p=", rec.text)
	end)

	it("parses MX, null MX and TLSA", function()
		local mx = by_preference(q("enforce-ok.test", "MX").records)
		assert.same({ { preference = 10, exchange = "mx1.enforce-ok.test" },
			{ preference = 20, exchange = "mx2.enforce-ok.test" } }, mx)
		assert.same({ { preference = 0, exchange = "." } }, q("null-mx.test", "MX").records)
		local tlsa = q("_25._tcp.mx1.enforce-ok.test", "TLSA")
		assert.equal("secure", tlsa.dnssec)
		local t = tlsa.records[1]
		assert.same({ 3, 1, 1 }, { t.usage, t.selector, t.mtype })
		assert.matches("^[0-9a-f]+$", t.data)
		assert.equal(64, #t.data)
		local ds = q("enforce-ok.test", "DS").records[1]
		local keys = q("enforce-ok.test", "DNSKEY").records
		local tags = {}
		for _, k in ipairs(keys) do tags[k.key_tag] = k end
		assert.is_table(tags[ds.key_tag])
		assert.equal(ds.algorithm, tags[ds.key_tag].algorithm)
	end)

	it("answers 1,000 concurrent submits #valgrind", function()
		local r2 = mtasts.resolver(cfg)
		local n, qs = 0, {}
		for i = 1, 1000 do
			local name = ({ "_mta-sts", "mx1", "n" .. i })[i % 3 + 1] .. ".enforce-ok.test"
			qs[i] = r2:submit(name, i % 2 == 0 and "TXT" or "A", function(a) if a then n = n + 1 end end)
		end
		assert.is_true(r2:wait())
		assert.equal(1000, n)
		for i = 1, 1000 do
			assert.is_table(qs[i]:result())
		end
		r2:close()
	end)

	it("closes with real queries pending #valgrind", function()
		local r2 = mtasts.resolver(cfg)
		local qs = {}
		for i = 1, 20 do
			qs[i] = r2:submit(("n%d.dnssec-lame.test"):format(i), "A")
		end
		r2:step(0.1)
		r2:close()
		for i = 1, 20 do
			assert.equal("CANCELLED", select(3, qs[i]:result()))
		end
	end)

	it("says unknown when no trust anchor is loaded", function()
		local opts = {}
		for k, v in pairs(cfg) do opts[k] = v end
		opts.trust_anchor_file, opts.trust_anchors = nil, {}
		local r2 = mtasts.resolver(opts)
		local a = assert(r2:query("_mta-sts.dnssec-bogus-expired.test", "TXT"))
		r2:close()
		assert.equal("unknown", a.dnssec)
		assert.equal(1, #a.records)
	end)
end)
