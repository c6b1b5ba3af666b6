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

	it("raises on misuse", function()
		assert.has_error(function() mtasts.sts_state() end)
		assert.has_error(function() mtasts.sts_state { txt = {}, bogus = 1 } end)
		assert.has_error(function() mtasts.sts_state { now = NOW } end)
	end)
end)
