local mtasts = require "mtasts"

local NOW = 1700000000
local POLICY = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 86400\n"

local function txt(...)
	local records = {}
	for i, s in ipairs { ... } do
		records[i] = { strings = { s }, text = s }
	end
	return { records = records, dnssec = "secure", rcode = "NOERROR" }
end

local function fetched(body, extra)
	local r = { ok = true, code = "OK", status = 200, content_type = "text/plain; charset=utf-8", body = body }
	for k, v in pairs(extra or {}) do
		r[k] = v
	end
	return r
end

describe("sts_state", function()
	it("needs a fetch for a new id when nothing is cached", function()
		local s = mtasts.sts_state { txt = txt "v=STSv1; id=a1", now = NOW }
		assert.equal("need-fetch", s.state)
		assert.equal("a1", s.id)
	end)

	it("applies a fetched policy and computes its expiry", function()
		local s = mtasts.sts_state { txt = txt "v=STSv1; id=a1", fetch = fetched(POLICY), now = NOW }
		assert.equal("enforce", s.state)
		assert.equal(NOW + 86400, s.expires)
		assert.equal(NOW, s.fetched_at)
		assert.is_false(s.from_cache)
		assert.same({ "mx1.example.com" }, s.policy.mx)
	end)

	it("keeps the cached policy while the id is unchanged, and refetches when it changes", function()
		local first = mtasts.sts_state { txt = txt "v=STSv1; id=a1", fetch = fetched(POLICY), now = NOW }
		local again = mtasts.sts_state { txt = txt "v=STSv1; id=a1", cached = first, now = NOW + 10 }
		assert.equal("enforce", again.state)
		assert.is_true(again.from_cache)
		local changed = mtasts.sts_state { txt = txt "v=STSv1; id=b2", cached = first, now = NOW + 10 }
		assert.equal("need-fetch", changed.state)
		assert.matches("a1 to b2", changed.reason)
	end)

	it("falls back to an unexpired cached policy when the fetch fails (§3.3)", function()
		local first = mtasts.sts_state { txt = txt "v=STSv1; id=a1", fetch = fetched(POLICY), now = NOW }
		local failed = { ok = false, code = "CONNECT", message = "connection refused" }
		local s = mtasts.sts_state { txt = txt "v=STSv1; id=b2", fetch = failed, cached = first, now = NOW + 60 }
		assert.equal("enforce", s.state)
		assert.is_true(s.from_cache)
		assert.equal("a1", s.id)
		assert.matches("CONNECT", s.reason)
		-- once expired, the domain has no usable policy
		s = mtasts.sts_state { txt = txt "v=STSv1; id=b2", fetch = failed, cached = first, now = NOW + 86401 }
		assert.equal("no-policy", s.state)
		assert.is_false(s.from_cache)
	end)

	it("treats a redirect, a wrong type or an invalid body as no policy", function()
		for _, f in ipairs {
			fetched(POLICY, { status = 301 }),
			fetched(POLICY, { content_type = "text/html" }),
			fetched(POLICY, { content_type = "text/plainXYZ" }),
			fetched(POLICY, { content_type = "text/plain-html; charset=utf-8" }),
			fetched "version: STSv1\nmode: sometimes\n",
		} do
			local s = mtasts.sts_state { txt = txt "v=STSv1; id=a1", fetch = f, now = NOW }
			assert.equal("no-policy", s.state)
			assert.is_string(s.reason)
		end
	end)

	it("reports no policy for missing, multiple or invalid TXT records", function()
		assert.equal("no-policy", mtasts.sts_state { txt = txt "v=spf1 -all", now = NOW }.state)
		assert.equal("no-policy", mtasts.sts_state { txt = txt("v=STSv1; id=1", "v=STSv1; id=2"), now = NOW }.state)
		assert.equal("no-policy", mtasts.sts_state { txt = txt "v=STSv1; id=-", now = NOW }.state)
		assert.equal("no-policy", mtasts.sts_state { txt = { records = {}, nxdomain = true }, now = NOW }.state)
	end)

	it("reports an error for a failed or bogus lookup, unless a cached policy applies", function()
		assert.equal("error", mtasts.sts_state { txt = { code = "TIMEOUT" }, now = NOW }.state)
		assert.equal("error", mtasts.sts_state { txt = { dnssec = "bogus", records = {} }, now = NOW }.state)
		local first = mtasts.sts_state { txt = txt "v=STSv1; id=a1", fetch = fetched(POLICY), now = NOW }
		local s = mtasts.sts_state { txt = { code = "SERVFAIL" }, cached = first, now = NOW + 5 }
		assert.equal("enforce", s.state)
		assert.is_true(s.from_cache)
	end)

	it("survives a JSON round trip of its result as the cache", function()
		local cjson = require "cjson"
		local first = mtasts.sts_state { txt = txt "v=STSv1; id=a1", fetch = fetched(POLICY), now = NOW }
		local cached = cjson.decode(cjson.encode(first))
		assert.is_true(mtasts.sts_state { txt = txt "v=STSv1; id=a1", cached = cached, now = NOW + 1 }.from_cache)
	end)

	describe("holds a host's own fetch result to RFC 8461 §3.3", function()
		local TXT = txt "v=STSv1; id=a1"
		local function state(f, extra)
			local a = { txt = TXT, fetch = f, now = NOW }
			for k, v in pairs(extra or {}) do
				a[k] = v
			end
			return mtasts.sts_state(a)
		end
		local function padded(size)
			return POLICY .. ("\n"):rep(size - #POLICY) -- blank lines: still a valid policy
		end
		local NONE = {}
		local function host(extra)
			local r = { status = 200, content_type = "text/plain", body = POLICY }
			for k, v in pairs(extra or {}) do
				if v == NONE then
					v = nil
				end
				r[k] = v
			end
			return r
		end

		it("accepts a minimal answer without ok", function()
			local s = state(host())
			assert.equal("enforce", s.state)
			assert.equal("policy fetched", s.reason)
			assert.equal("enforce", state(host { content_type = "text/plain; charset=utf-8" }).state)
			assert.equal("enforce", state(host { content_type = " TEXT/Plain ;charset=utf-8" }).state)
		end)

		it("refuses a body over 64 KB, naming the limit, and accepts exactly 65,536 bytes", function()
			local s = state(host { body = padded(108 * 1024) })
			assert.equal("no-policy", s.state)
			assert.matches("65,536", s.reason, 1, true)
			assert.matches("64 KB", s.reason, 1, true)
			assert.matches("110592 bytes", s.reason, 1, true)
			-- our own fetcher's result shape with a raised max_size gets the same answer
			assert.equal("no-policy", state(fetched(padded(108 * 1024))).state)
			assert.equal("enforce", state(host { body = padded(65536) }).state)
			assert.equal("no-policy", state(host { body = padded(65537) }).state)
		end)

		it("names code and message of a failure, never nil", function()
			local s = state { code = "CONNECT", message = "connection refused" }
			assert.equal("no-policy", s.state)
			assert.matches("connection refused", s.reason, 1, true)
			assert.matches("CONNECT", s.reason, 1, true)
			assert.not_matches("nil", s.reason, 1, true)
			for _, f in ipairs { { code = "TIMEOUT" }, { message = "boom" }, { ok = false }, { ok = false, code = "X" } } do
				s = state(f)
				assert.equal("no-policy", s.state)
				assert.matches("fetch failed", s.reason, 1, true)
				assert.not_matches("nil", s.reason, 1, true)
			end
			assert.matches("TIMEOUT", state({ code = "TIMEOUT" }).reason, 1, true)
			assert.matches("boom", state({ message = "boom" }).reason, 1, true)
		end)

		it("refuses every answer that breaks a rule, with a reason that names it", function()
			local cases = {
				{ host { status = 301 }, "HTTP 301, a redirect" },
				{ host { status = 404 }, "HTTP 404; RFC 8461 §3.3 accepts only status 200" },
				{ host { status = 204 }, "accepts only status 200" },
				{ host { status = NONE }, "no HTTP status" },
				{ host { redirected = true }, "followed a redirect" },
				{ host { redirected = true, url = "https://www.example.com/sts.txt" }, "redirect to https://www.example.com/sts.txt" },
				{ host { url = "https://www.example.com/sts.txt" }, "must not follow redirects" },
				{ host { content_type = "text/html" }, "'text/html'; RFC 8461 §3.3 requires text/plain" },
				{ host { content_type = "text/plainer" }, "requires text/plain" },
				{ host { content_type = NONE }, "without a Content-Type" },
				{ host { body = NONE }, "no body" },
				{ host { body = "version: STSv1\nmode: sometimes\n" }, "the policy is invalid" },
			}
			for _, c in ipairs(cases) do
				local s = state(c[1])
				assert.equal("no-policy", s.state, c[2])
				assert.equal("a1", s.id)
				assert.matches(c[2], s.reason, 1, true)
				assert.not_matches("nil", s.reason, 1, true)
			end
		end)

		it("compares url with the domain's policy URL when the domain is given", function()
			local url = "https://mta-sts.example.com/.well-known/mta-sts.txt"
			assert.equal("enforce", state(host { url = url }, { domain = "example.com" }).state)
			assert.equal("enforce", state(host { url = "HTTPS://MTA-STS.Example.COM/.well-known/mta-sts.txt" },
				{ domain = "Example.com." }).state)
			assert.equal("enforce", state(host { url = url }).state)
			local s = state(host { url = "https://mta-sts.example.org/.well-known/mta-sts.txt" }, { domain = "example.com" })
			assert.equal("no-policy", s.state)
			assert.matches("redirect to https://mta-sts.example.org/", s.reason, 1, true)
			s = state(host { url = "https://mta-sts.xn--bcher-kva.example/.well-known/mta-sts.txt" },
				{ domain = "bücher.example" })
			assert.equal("enforce", s.state)
			assert.has_error(function() state(host(), { domain = "exa mple.com" }) end)
		end)

		it("reads TXT records as strings and as { text, strings } tables", function()
			for _, records in ipairs {
				{ "v=STSv1; id=a1" },
				{ { text = "v=STSv1; id=a1" } },
				{ { strings = { "v=STSv1; ", "id=a1" } } },
				{ "v=spf1 -all", { text = "v=STSv1; id=a1", strings = { "v=STSv1; id=a1" } } },
			} do
				local s = mtasts.sts_state { txt = { records = records }, fetch = host(), now = NOW }
				assert.equal("enforce", s.state)
				assert.equal("a1", s.id)
			end
			local s = mtasts.sts_state { txt = { records = { "v=STSv1; id=a1", { text = "v=STSv1; id=b2" } } }, now = NOW }
			assert.equal("no-policy", s.state)
			assert.matches("exactly one", s.reason, 1, true)
			s = mtasts.sts_state { txt = { records = { "v=STSv1; id=a_1" } }, now = NOW }
			assert.equal("no-policy", s.state)
			assert.matches("invalid MTA-STS TXT record", s.reason, 1, true)
			assert.equal("need-fetch", mtasts.sts_state { txt = { records = { "v=STSv1; id=a1" }, dnssec = "unknown" },
				now = NOW }.state)
		end)

		it("raises for inputs of the wrong type", function()
			assert.has_error(function() state(host { status = "200" }) end)
			assert.has_error(function() state(host { body = 42 }) end)
			assert.has_error(function() state(host { redirected = "yes" }) end)
			assert.has_error(function() state "not a table" end)
			assert.has_error(function() mtasts.sts_state { txt = { records = { 42 } }, now = NOW } end)
			assert.has_error(function() mtasts.sts_state { txt = { records = "v=STSv1; id=a1" }, now = NOW } end)
			assert.has_error(function() mtasts.sts_state { txt = TXT, now = "soon" } end)
			assert.has_error(function() mtasts.sts_state { txt = TXT, domain = 1 } end)
		end)
	end)

	it("raises on misuse", function()
		assert.has_error(function() mtasts.sts_state() end)
		assert.has_error(function() mtasts.sts_state { txt = {}, bogus = 1 } end)
		assert.has_error(function() mtasts.sts_state { now = NOW } end)
	end)
end)
