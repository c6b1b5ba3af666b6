-- mtasts.https_get, mtasts.fetch_policy and mtasts.fetcher (issue #5).
-- Untagged specs never leave this machine: names come from libunbound local
-- data, the forwarder is a loopback port where nothing listens, and the
-- addresses are loopback ones where nothing listens.
-- Specs tagged #testbed need the loopback testbed; run them inside it with
-- MTASTS_CONFIG set to its client.lua (see docs/fetch.md):
--   cfg=$(tests/testbed --name fetch up | tail -1)
--   MTASTS_CONFIG=$cfg tests/testbed --name fetch exec busted --run=lua54 --tags=testbed --exclude-tags= spec/fetch_spec.lua
local mtasts = require "mtasts"

local DEAD = "127.0.0.1@1" -- nothing listens there
local NOWHERE = "127.255.255.254" -- nothing listens on 80 or 443 there

local function offline()
	return mtasts.resolver {
		forwarders = { DEAD },
		trust_anchors = {},
		timeout = 1,
		options = {
			{ "local-zone:", "example. static" },
			{ "local-data:", "example. 300 IN SOA ns.example. admin.example. 7 3600 600 86400 300" },
			{ "local-data:", "mta-sts.closed.example. 300 IN A " .. NOWHERE },
			{ "local-data:", "mta-sts.closed.example. 300 IN AAAA ::1" },
			{ "local-data:", "mta-sts.nodata.example. 300 IN TXT \"no address here\"" },
		},
	}
end

local plain = require "helpers.plain"

describe("mtasts.fetch", function()
	local r
	before_each(function()
		r = offline()
	end)
	after_each(function()
		r:close()
	end)

	describe("misuse raises", function()
		it("without a resolver", function()
			assert.has_error(function() mtasts.fetch_policy("example.com") end)
			assert.has_error(function() mtasts.fetch_policy("example.com", {}) end)
			assert.has_error(function() mtasts.fetcher {} end)
		end)
		it("with an unknown option or a wrong type", function()
			assert.has_error(function() mtasts.fetch_policy("closed.example", { resolver = r, timout = 3 }) end,
				"mtasts.fetch_policy: unknown option 'timout'")
			assert.has_error(function() mtasts.https_get("https://x.example/", { resolver = r, timeout = "3" }) end)
			assert.has_error(function() mtasts.fetcher { resolver = r, timeout = -1 } end)
			assert.has_error(function() mtasts.fetcher { resolver = r, max_size = 1.5 } end)
			assert.has_error(function() mtasts.fetcher { resolver = r, ca_file = 1 } end)
			assert.has_error(function() mtasts.fetcher { resolver = {} } end)
			assert.has_error(function() mtasts.fetcher { resolver = r, [1] = true } end)
		end)
		it("with a closed resolver", function()
			local r2 = offline()
			r2:close()
			assert.has_error(function() mtasts.fetcher { resolver = r2 } end)
		end)
		it("for anything but https://", function()
			assert.has_error(function() mtasts.https_get("http://mta-sts.closed.example/", { resolver = r }) end)
			assert.has_error(function() mtasts.https_get(nil, { resolver = r }) end)
			assert.has_error(function() mtasts.fetch_policy("https://mta-sts.closed.example/", { resolver = r }) end)
			local f = mtasts.fetcher { resolver = r }
			assert.has_error(function() f:submit("ftp://closed.example/") end)
			assert.has_error(function() f:submit() end)
			assert.has_error(function() f:submit("closed.example", 42) end)
			f:close()
		end)
		it("on a closed fetcher", function()
			local f = mtasts.fetcher { resolver = r }
			f:close()
			f:close() -- idempotent
			assert.has_error(function() f:submit("closed.example") end)
			assert.has_error(function() f:step() end)
			assert.matches("closed", tostring(f))
		end)
	end)

	describe("failures return nil, message, code, result", function()
		it("CONNECT on every address, with the port-80 diagnostic", function()
			local res, msg, code, partial = mtasts.fetch_policy("closed.example", { resolver = r, timeout = 5 })
			assert.is_nil(res)
			assert.equal("CONNECT", code)
			assert.is_string(msg)
			assert.is_false(partial.ok)
			assert.equal("CONNECT", partial.code)
			assert.equal(msg, partial.message)
			assert.equal("mta-sts.closed.example", partial.host)
			assert.equal("https://mta-sts.closed.example/.well-known/mta-sts.txt", partial.url)
			-- IPv6 first, then IPv4; each failed with CONNECT
			assert.equal(2, #partial.addresses)
			assert.same({ "::1", "ipv6", "CONNECT" },
				{ partial.addresses[1].ip, partial.addresses[1].family, partial.addresses[1].error })
			assert.same({ NOWHERE, "ipv4", "CONNECT" },
				{ partial.addresses[2].ip, partial.addresses[2].family, partial.addresses[2].error })
			assert.equal("unknown", partial.addresses[1].dnssec) -- no trust anchor
			assert.is_false(partial.http_status) -- port 80 did not answer either
			assert.is_nil(partial.tls)
			assert.is_true(plain(partial))
		end)
		it("CONNECT for https_get, without the diagnostic", function()
			local res, _, code, partial = mtasts.https_get("https://mta-sts.closed.example:1/x?y",
				{ resolver = r, connect_timeout = 1 })
			assert.is_nil(res)
			assert.equal("CONNECT", code)
			assert.is_nil(partial.http_status)
		end)
		it("BAD_NAME for an invalid domain or URL", function()
			-- ':', '/', '?' and '#' would change the port or the path of the policy URL
			for _, d in ipairs { "", "a..b", "exa mple.com", ("x"):rep(64) .. ".com", "-\0-",
				"example.com:8443", "example.com/evil?", "evil.example#", "a_b.example" } do
				local res, msg, code, partial = mtasts.fetch_policy(d, { resolver = r })
				assert.is_nil(res)
				assert.equal("BAD_NAME", code, d)
				assert.is_string(msg)
				assert.is_true(plain(partial))
			end
			for _, u in ipairs { "https://user@host.example/", "https://[::1]/", "https:///x",
				"https://host.example:99999/", "https://host.example/a b" } do
				local _, _, code = mtasts.https_get(u, { resolver = r })
				assert.equal("BAD_NAME", code, u)
			end
		end)
		it("DNS_NXDOMAIN, DNS_NODATA, DNS_TIMEOUT", function()
			local _, _, code = mtasts.fetch_policy("missing.example", { resolver = r })
			assert.equal("DNS_NXDOMAIN", code)
			_, _, code = mtasts.fetch_policy("nodata.example", { resolver = r })
			assert.equal("DNS_NODATA", code)
			-- outside the local zone: the dead forwarder never answers
			_, _, code = mtasts.fetch_policy("elsewhere.org", { resolver = r })
			assert.equal("DNS_TIMEOUT", code)
		end)
		it("DNS_TIMEOUT when the fetch's own timeout passes first", function()
			local r2 = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 30 }
			local t0 = os.time()
			local _, _, code = mtasts.fetch_policy("elsewhere.org", { resolver = r2, timeout = 0.3 })
			assert.equal("DNS_TIMEOUT", code)
			assert.is_true(os.time() - t0 <= 2)
			r2:close()
		end)
	end)

	describe("the fetcher", function()
		it("runs many fetches and calls back with the blocking call's return", function()
			local f = mtasts.fetcher { resolver = r, timeout = 5 }
			assert.matches("^mtasts.fetcher %(open", tostring(f))
			assert.is_number(f:pollfd())
			assert.equal(f:pollfd(), f:getfd())
			assert.equal("r", f:events())
			assert.is_nil(f:timeout()) -- idle
			local got = {}
			local hs = {}
			for i, d in ipairs { "closed.example", "missing.example", "a..b" } do
				hs[i] = f:submit(d, function(...)
					got[#got + 1] = { n = select("#", ...), ... }
				end)
			end
			assert.equal(3, f:pending())
			assert.same({ nil, "pending" }, { hs[1]:result() })
			assert.matches("pending", tostring(hs[1]))
			assert.is_number(f:timeout())
			assert.is_true(f:wait())
			assert.equal(0, f:pending())
			assert.equal(3, #got)
			for _, g in ipairs(got) do
				assert.equal(4, g.n)
				assert.is_nil(g[1])
				assert.equal(g[3], g[4].code)
			end
			local _, _, code = hs[2]:result()
			assert.equal("DNS_NXDOMAIN", code)
			assert.is_false(hs[1]:cancel()) -- already done
			f:close()
		end)
		it("step() delivers without blocking; polling its fd works", function()
			local f = mtasts.fetcher { resolver = r, timeout = 5 }
			local h = f:submit("missing.example")
			local n, rounds = 0, 0
			while n == 0 and rounds < 200 do
				mtasts.poll({ f:getfd() }, f:timeout())
				n = n + f:step()
				rounds = rounds + 1
			end
			assert.equal(1, n)
			assert.equal("DNS_NXDOMAIN", select(3, h:result()))
			f:close()
		end)
		it("cancel() and close() drop fetches", function()
			local f = mtasts.fetcher { resolver = r, timeout = 5 }
			local called = false
			local h1 = f:submit("elsewhere.org", function() called = true end)
			local h2 = f:submit("elsewhere.org", function() called = true end)
			assert.is_true(h1:cancel())
			assert.is_false(h1:cancel())
			assert.same({ nil, "the fetch was cancelled", "CANCELLED" }, { h1:result() })
			f:close()
			assert.same({ nil, "the fetcher was closed", "CANCELLED" }, { h2:result() })
			assert.is_false(called)
		end)
		it("a callback error is raised after every fetch was delivered", function()
			local f = mtasts.fetcher { resolver = r, timeout = 5 }
			local other
			f:submit("missing.example", function() error("boom") end)
			f:submit("missing.example", function(_, _, code) other = code end)
			assert.has_error(function() f:wait() end)
			assert.equal("DNS_NXDOMAIN", other)
			assert.equal(0, f:pending())
			f:close()
		end)
		it("closing the resolver fails fetches still resolving", function()
			local r2 = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 30 }
			local f = mtasts.fetcher { resolver = r2, timeout = 30 }
			local h = f:submit("elsewhere.org")
			f:step()
			r2:close()
			assert.is_true(f:wait(5))
			assert.equal("DNS_SERVFAIL", select(3, h:result()))
			f:close()
		end)
		it("a callback may close the resolver or the fetcher while wait() runs", function()
			local r2 = mtasts.resolver { forwarders = { DEAD }, trust_anchors = {}, timeout = 30 }
			local f = mtasts.fetcher { resolver = r2, timeout = 30 }
			f:submit("a..b", function() r2:close() end)
			local h = f:submit("elsewhere.org")
			assert.is_true(f:wait(5))
			local res, _, code = h:result()
			assert.same({ nil, "DNS_SERVFAIL" }, { res, code })
			f:close()
			local f2 = mtasts.fetcher { resolver = r, timeout = 5 }
			local h1 = f2:submit("a..b", function() f2:close() end)
			local h2 = f2:submit("b..c")
			assert.is_true(f2:wait())
			assert.equal("BAD_NAME", select(3, h1:result()))
			assert.same({ nil, "the fetcher was closed", "CANCELLED" }, { h2:result() })
		end)
		it("is collected with pending fetches", function()
			local f = mtasts.fetcher { resolver = r, timeout = 5 }
			f:submit("elsewhere.org")
			f = nil
			collectgarbage()
			collectgarbage()
		end)
	end)
end)

-- Against the loopback testbed (tests/testbed): real nginx policy hosts.
describe("mtasts.fetch_policy #testbed", function()
	local cfg, r, opts
	setup(function()
		local path = assert(os.getenv "MTASTS_CONFIG", "set MTASTS_CONFIG to the testbed's client.lua")
		cfg = dofile(path)
		r = mtasts.resolver(cfg.resolver)
		opts = { resolver = r, ca_file = cfg.ca_file, timeout = 5, connect_timeout = 1 }
	end)
	teardown(function()
		r:close()
	end)

	local function fetch(domain, extra)
		local o = {}
		for k, v in pairs(opts) do o[k] = v end
		for k, v in pairs(extra or {}) do o[k] = v end
		local res, msg, code, partial = mtasts.fetch_policy(domain, o)
		local t = res or partial
		assert.is_true(plain(t))
		assert.equal(t.code, res and "OK" or code)
		assert.equal(t.message, res and t.message or msg)
		return t
	end

	it("valid: the policy, with TLS and certificate details #valgrind", function()
		local t = fetch "enforce-ok.test"
		assert.is_true(t.ok)
		assert.equal(200, t.status)
		assert.equal("text/plain", t.content_type)
		assert.truthy(mtasts.parse_policy(t.body))
		assert.equal(#t.body, t.size)
		assert.matches("^TLSv1%.[23]$", t.tls.version)
		assert.is_string(t.tls.cipher)
		assert.is_true(t.tls.verified)
		assert.is_nil(t.tls.verify_error)
		local c = t.tls.cert
		assert.is_false(c.self_signed)
		assert.is_truthy(c.days_left > 30)
		assert.is_truthy(c.not_after > c.not_before)
		local found = false
		for _, n in ipairs(c.san) do found = found or n == "mta-sts.enforce-ok.test" end
		assert.is_true(found)
		assert.equal("secure", t.addresses[1].dnssec)
		assert.equal(t.addresses[1].ip, t.connected_ip)
		assert.is_nil(t.addresses[1].error)
	end)
	it("self-signed: TLS_VERIFY, certificate still described", function()
		local t = fetch "cert-self-signed.test"
		assert.equal("TLS_VERIFY", t.code)
		assert.is_false(t.tls.verified)
		assert.matches("self.signed", t.tls.verify_error)
		assert.is_true(t.tls.cert.self_signed)
		assert.equal("TLS_VERIFY", t.addresses[1].error)
		assert.is_nil(t.status)
	end)
	it("wrong name: TLS_HOSTNAME", function()
		local t = fetch "cert-wrong-name.test"
		assert.equal("TLS_HOSTNAME", t.code)
		assert.matches("hostname mismatch", t.tls.verify_error)
		assert.is_false(t.tls.cert.self_signed)
	end)
	it("name only in the CN: TLS_HOSTNAME (libcurl alone would accept it)", function()
		local t = fetch "cert-cn-only.test"
		assert.equal("TLS_HOSTNAME", t.code)
		assert.same({}, t.tls.cert.san)
		assert.matches("CN=mta%-sts%.cert%-cn%-only%.test", t.tls.cert.subject)
	end)
	it("expired: TLS_EXPIRED, negative days_left", function()
		local t = fetch "cert-expired.test"
		assert.equal("TLS_EXPIRED", t.code)
		assert.is_truthy(t.tls.cert.days_left < 0)
		assert.is_truthy(t.tls.cert.not_after < os.time())
	end)
	it("TLS 1.0 only: TLS_HANDSHAKE (senders need TLS 1.2 or newer)", function()
		local t = fetch "policy-tls10.test"
		assert.equal("TLS_HANDSHAKE", t.code)
		assert.equal("TLS_HANDSHAKE", t.addresses[1].error)
		assert.matches("protocol version", t.message)
		assert.is_nil(t.status)
	end)
	it("expiring soon: OK, days_left small", function()
		local t = fetch "cert-expiring.test"
		assert.is_true(t.ok)
		assert.is_truthy(t.tls.cert.days_left >= 0 and t.tls.cert.days_left < 14)
	end)
	it("redirect: HTTP_REDIRECT with the Location, not followed", function()
		local t = fetch "redirect.test"
		assert.equal("HTTP_REDIRECT", t.code)
		assert.equal(301, t.status)
		assert.equal("https://mta-sts.redirect.test/policy/mta-sts.txt", t.location)
		assert.is_true(t.tls.verified)
	end)
	it("404: HTTP_STATUS", function()
		local t = fetch "policy-404.test"
		assert.equal("HTTP_STATUS", t.code)
		assert.equal(404, t.status)
	end)
	it("text/html: CONTENT_TYPE, body kept", function()
		local t = fetch "wrong-type.test"
		assert.equal("CONTENT_TYPE", t.code)
		assert.equal("text/html", t.content_type)
		assert.truthy(mtasts.parse_policy(t.body))
	end)
	it("text/plain; charset=utf-8: accepted", function()
		local t = fetch "charset-ok.test"
		assert.is_true(t.ok)
		assert.matches("^text/plain;%s*charset=utf%-8$", t.content_type)
	end)
	it("70 KB body: TOO_LARGE", function()
		local t = fetch "oversize.test"
		assert.equal("TOO_LARGE", t.code)
		assert.is_truthy(t.size <= 65536)
	end)
	it("chunked oversize: TOO_LARGE while streaming", function()
		local t = fetch "oversize-chunked.test"
		assert.equal("TOO_LARGE", t.code)
		assert.is_truthy(t.size <= 65536)
	end)
	it("a bigger max_size lets the 70 KB body through", function()
		local t = fetch("oversize.test", { max_size = 100000 })
		assert.is_true(t.ok)
		assert.equal(70 * 1024, t.size)
	end)
	it("slow body past the timeout: HTTP_TIMEOUT, what arrived is kept", function()
		local t = fetch("slow.test", { timeout = 3 })
		assert.equal("HTTP_TIMEOUT", t.code)
		assert.equal(200, t.status)
		assert.is_truthy(t.elapsed_ms >= 2900 and t.elapsed_ms < 4500)
		assert.matches("^version: STSv1", t.body)
	end)
	it("port 443 closed: CONNECT, with the port-80 status", function()
		local t = fetch "http-only.test"
		assert.equal("CONNECT", t.code)
		assert.equal(200, t.http_status)
		assert.equal("CONNECT", t.addresses[1].error)
	end)
	it("policy host NXDOMAIN: DNS_NXDOMAIN", function()
		local t = fetch "no-policy-host.test"
		assert.equal("DNS_NXDOMAIN", t.code)
		assert.same({}, t.addresses)
	end)
	it("policy host in a bogus zone: DNS_BOGUS", function()
		for _, d in ipairs { "dnssec-bogus-expired.test", "dnssec-bogus-ds.test" } do
			local t = fetch(d)
			assert.equal("DNS_BOGUS", t.code, d)
			assert.same({}, t.addresses)
		end
	end)
	it("IPv6-only host", function()
		local t = fetch "policy-ipv6-only.test"
		assert.is_true(t.ok)
		assert.equal(1, #t.addresses)
		assert.equal("ipv6", t.addresses[1].family)
		assert.equal(t.addresses[1].ip, t.connected_ip)
	end)
	it("dead IPv6 address with a live IPv4 one: OK, the IPv6 failure recorded", function()
		local t = fetch "policy-ipv6-dead.test"
		assert.is_true(t.ok)
		assert.equal(2, #t.addresses)
		assert.equal("ipv6", t.addresses[1].family)
		assert.equal("CONNECT", t.addresses[1].error)
		assert.equal("ipv4", t.addresses[2].family)
		assert.is_nil(t.addresses[2].error)
		assert.equal(t.addresses[2].ip, t.connected_ip)
	end)
	it("an IDN domain is fetched by its A-label", function()
		local t = fetch "bücher.test"
		assert.is_true(t.ok)
		assert.equal("mta-sts.xn--bcher-kva.test", t.host)
	end)
	it("https_get: any 2xx, any media type, redirects reported", function()
		local res = assert(mtasts.https_get("https://bimi.enforce-ok.test/logo.svg", opts))
		assert.equal("image/svg+xml", res.content_type)
		local _, _, code, partial = mtasts.https_get("https://mta-sts.redirect.test/.well-known/mta-sts.txt", opts)
		assert.equal("HTTP_REDIRECT", code)
		assert.is_string(partial.location)
		local _, _, code2 = mtasts.https_get("https://mta-sts.http-only.test/", opts)
		assert.equal("CONNECT", code2)
	end)
	it("a fetcher runs every variant at once #valgrind", function()
		local f = mtasts.fetcher(opts)
		local want = { ["enforce-ok.test"] = "OK", ["cert-expired.test"] = "TLS_EXPIRED",
			["redirect.test"] = "HTTP_REDIRECT", ["oversize-chunked.test"] = "TOO_LARGE",
			["no-policy-host.test"] = "DNS_NXDOMAIN", ["policy-ipv6-dead.test"] = "OK",
			["https://mta-sts.enforce-ok.test/.well-known/mta-sts.txt"] = "OK" }
		local got = {}
		for d in pairs(want) do
			f:submit(d, function(res, _, code) got[d] = res and res.code or code end)
		end
		assert.is_true(f:wait(10))
		assert.same(want, got)
		f:close()
	end)
	it("no fd leaks after 1,000 fetches", function()
		local fds = require "helpers.open_fds"
		local domains = { "enforce-ok.test", "cert-expired.test", "http-only.test", "policy-404.test",
			"oversize-chunked.test", "no-policy-host.test", "redirect.test", "cert-cn-only.test" }
		-- warm up (libcurl, OpenSSL and libunbound open what they keep once)
		assert.truthy(mtasts.fetch_policy("enforce-ok.test", opts))
		-- objects of earlier specs closed now, not during the count (their fds would go missing)
		collectgarbage()
		collectgarbage()
		local before = fds()
		local o = {}
		for k, v in pairs(opts) do o[k] = v end
		o.timeout, o.connect_timeout = 30, 10 -- slow machines, valgrind
		local f = mtasts.fetcher(o)
		f:submit("enforce-ok.test")
		f:step(0.05)
		assert.is_truthy(fds() > before) -- the count sees the fetcher's fds
		local done, ok = 0, 0
		for i = 1, 1000 do
			f:submit(domains[i % #domains + 1], function(res)
				done = done + 1
				if res then ok = ok + 1 end
			end)
			if i % 100 == 0 then
				assert.is_true(f:wait(60))
			end
		end
		assert.is_true(f:wait(60))
		f:close()
		for _ = 1, 20 do
			mtasts.fetch_policy("enforce-ok.test", opts)
		end
		collectgarbage()
		collectgarbage()
		assert.equal(1000, done)
		assert.equal(125, ok)
		assert.equal(before, fds())
	end)
end)
