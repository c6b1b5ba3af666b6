-- No input that a DNS zone or a web server controls may end in check.crashed
-- (issue #8 §5). Every check of the self-check runs over a fake context that
-- answers from generated tables: hostile values inside the shapes that
-- docs/resolver.md, docs/fetch.md and docs/probe.md document. No servers, no
-- sockets: nothing is sent anywhere.
local selfcheck = require "mtasts.selfcheck"
local F = require "mtasts.findings"

local DOMAIN = "example.test"

-- ---------------------------------------------------------------- generator

--- A seeded generator (Park–Miller: exact in doubles, so every interpreter
-- draws the same sequence).
local function generator(seed)
	local s = seed % 2147483646 + 1
	local g = {}
	function g.int(lo, hi) -- lo..hi inclusive
		s = s * 16807 % 2147483647
		return lo + s % (hi - lo + 1)
	end
	function g.pick(list)
		return list[g.int(1, #list)]
	end
	function g.chance(percent)
		return g.int(1, 100) <= percent
	end
	function g.bytes(n)
		local t = {}
		for i = 1, n do
			t[i] = string.char(g.int(0, 255))
		end
		return table.concat(t)
	end
	return g
end

local HUGE = ("x"):rep(100 * 1024)
local BOM = "\239\187\191"

--- A TXT record as the resolver gives it: character-strings of at most 255
-- octets, cut at random places, and their concatenation.
local function txt_record(g, text)
	local strings, i = {}, 1
	repeat
		local n = g.chance(50) and 255 or g.int(1, 255)
		strings[#strings + 1] = text:sub(i, i + n - 1)
		i = i + n
	until i > #text
	return { strings = strings, text = text }
end

local RUA = {
	"mailto:tlsrpt@example.test", "https://reports.example.test/tlsrpt", "HTTPS://Reports.Example.Test/v1",
	"MAILTO:TLS@Example.Test", "Mailto:a@mx1.example.test?subject=tls", "hTtPs://reports.example.test",
	"https:///no-host", "https://", "https:", "https:reports.example.test", "https://[2001:db8::1]/r",
	"https://[::1]:443/", "https://reports.example.test:8443/r", "https://reports.example.test:99999/r",
	"https://reports.example.test:/r", "https://user:pw@reports.example.test/", "https://user@reports.example.test/",
	"https://reports%2eexample.test/", "https://reports.example.test/%00%ff%", "https://192.0.2.1/r",
	"https://reports.example.test./r", "https://" .. ("a"):rep(64) .. ".test/", "https://-bad-.test/",
	"mailto:nobody", "mailto:", "mailto:@example.test", "mailto:a@", "mailto:a%40b@example.test",
	"mailto:a@192.0.2.1", "mailto:a@[192.0.2.1]", "mailto:a@nomx.test", "mailto:a@null.test",
	"ftp://reports.example.test/", "gopher:x", "x", "mailto:a@b@example.test", "mailto:a@EXAMPLE.TEST.",
}

local function rua_list(g)
	local list = {}
	for i = 1, g.pick { 1, 1, 1, 2, 3, 6 } do
		list[i] = g.chance(5) and g.bytes(g.int(1, 20)) or g.pick(RUA)
	end
	return table.concat(list, g.pick { ",", ", ", " ,", ",," })
end

local function txt_text(g, kind)
	local r = g.int(1, 100)
	if r <= 4 then
		return ""
	elseif r <= 8 then
		return g.bytes(g.int(1, 300))
	elseif r <= 9 then
		return (kind == "sts" and "v=STSv1; id=1; x=" or "v=TLSRPTv1; rua=mailto:a@example.test; x=") .. HUGE
	elseif r <= 12 then
		return g.pick { "v=spf1 -all", "google-site-verification=abc", "v=DMARC1; p=none" }
	elseif kind == "sts" then
		return g.pick {
			"v=STSv1; id=20240101T000000", "v=STSv1; id=20240101T000000", "v=STSv1;id=1;", "v=STSv1; id=abc",
			"V=STSv1; id=1", "v=STSv1", "v=STSv1 ;id=x", "v=STSv1; id=", "v=STSv1; id=" .. ("9"):rep(40),
			"v=STSv1; id=1; id=2", "v=STSv1;" .. g.bytes(10), "v=STSv10; id=1", BOM .. "v=STSv1; id=1",
			"v=STSv1; id=1\0", "v=STSv1; id=1;;", "v=stsv1; id=1", " v=STSv1; id=1", "v=STSv1; id=1; ext=\255",
			"v=STSv1; id=19991231", "v=STSv1; id=21001231T000000", "v=STSv1; id=20241399",
		}
	else
		return g.pick {
			"v=TLSRPTv1; rua=" .. rua_list(g), "v=TLSRPTv1; rua=" .. rua_list(g), "v=TLSRPTv1;rua=" .. rua_list(g) .. ";",
			"v=TLSRPTv1;", "v=TLSRPTv1; rua=", "V=TLSRPTV1; rua=mailto:a@example.test", "v=TLSRPTv1",
			"v=TLSRPTv1; rua=mailto:a@example.test; rua=https://reports.example.test/",
			"v=TLSRPTv1; rua=mailto:a@example.test; ext=" .. g.bytes(5), BOM .. "v=TLSRPTv1; rua=mailto:a@example.test",
		}
	end
end

local EXCHANGES = {
	"mx1.example.test", "mx1.example.test", "mx2.example.test", "MX1.EXAMPLE.TEST", "mx1.example.test.", ".", "",
	"192.0.2.1", "2001:db8::1", "[192.0.2.1]", "mx\\032a.example.test", "mx\\000.example.test", "example.test",
	"*.example.test", "localhost", "mx.other.test", ("a"):rep(63) .. "." .. ("b"):rep(63) .. "." .. ("c"):rep(63)
	.. "." .. ("d"):rep(57) .. ".test", "-mx-.example.test", "mx_1.example.test",
}

local DNSSEC = { "secure", "insecure", "bogus", "unknown" }
-- the resolver's failure codes (docs/resolver.md), and one it never gives
local DNS_FAIL = { "DNS_TIMEOUT", "DNS_SERVFAIL", "DNS_REFUSED", "DNS_NETWORK", "DNS_TOO_BIG", "BAD_NAME", "CANCELLED",
	"LOCAL_EMFILE", "NXDOMAIN" }

local function records_of(g, name, qtype)
	local out = {}
	if qtype == "TXT" then
		local kind = name:match "^_mta%-sts%." and "sts" or name:match "^_smtp%._tls%." and "tlsrpt"
			or g.pick { "sts", "tlsrpt" }
		local n = g.chance(2) and 1000 or g.pick { 0, 1, 1, 1, 1, 1, 2, 3 }
		for i = 1, n do
			out[i] = txt_record(g, txt_text(g, kind))
		end
	elseif qtype == "MX" then
		if g.chance(10) then
			return { { preference = 0, exchange = "." } }
		end
		for i = 1, g.pick { 0, 1, 1, 2, 2, 3, 5 } do
			out[i] = { preference = g.pick { 0, 10, 10, 20, 65535, g.int(0, 65535) }, exchange = g.pick(EXCHANGES) }
		end
	elseif qtype == "A" then
		for i = 1, g.pick { 0, 1, 1, 2 } do
			out[i] = g.pick { "192.0.2.1", "127.0.0.1", "0.0.0.0", "255.255.255.255" }
		end
	elseif qtype == "AAAA" then
		for i = 1, g.pick { 0, 1, 2 } do
			out[i] = g.pick { "2001:db8::1", "::1", "::", "fe80::1" }
		end
	elseif qtype == "SOA" then
		if g.chance(70) then
			out[1] = { mname = "ns.example.test", rname = "hostmaster.example.test", serial = g.pick { 0, 4294967295 },
				refresh = 0, retry = 0, expire = 0, minimum = 0 }
		end
	end
	return out
end

--- One DNS answer (docs/resolver.md), or nil, message, code.
local function dns_answer(g, name, qtype, force)
	local fail = force and force.dns_fail
	if fail or g.chance(8) then
		fail = fail or g.pick(DNS_FAIL)
		return nil, "the lookup of " .. name .. " failed (" .. fail .. ")", fail
	end
	local dnssec = force and force.dnssec or g.pick(DNSSEC)
	local nxdomain = g.chance(8)
	local records = (dnssec == "bogus" or nxdomain) and {} or records_of(g, name, qtype)
	return {
		name = name, type = qtype, rcode = nxdomain and "NXDOMAIN" or "NOERROR", dnssec = dnssec,
		why_bogus = dnssec == "bogus" and "signature expired" or nil, ttl = g.pick { 0, 300, 2147483647 },
		canonname = g.chance(10) and "alias.example.test" or name, nxdomain = nxdomain,
		nodata = not nxdomain and #records == 0, records = records,
	}
end

local POLICIES = {
	"version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: *.example.test\nmax_age: 604800\n",
	"version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 86400\n",
	"version: STSv1\r\nmode: testing\r\nmx: *.example.test\r\nmax_age: 31557600\r\n",
	"version: STSv1\nmode: testing\nmx: mx.other.test\nmax_age: 0\n",
	"version: STSv1\nmode: none\nmax_age: 1\n",
	"version: STSv1\nmode: enforce\nmx: *.\nmx: *\nmx: **.test\nmx: [192.0.2.1]\nmax_age: 604800\n",
	"version: STSv1\nmode: enforce\nmx: MX1.EXAMPLE.TEST.\nmax_age: 9999999999\n",
	"version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 31557601\n",
	BOM .. "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 604800\n",
	"version: STSv1\nmode: ENFORCE\nmx: mx1.example.test\nmax_age: 604800",
	"version: STSv1", "", "<html>not found</html>",
}

local function body_of(g)
	local r = g.int(1, 100)
	if r <= 5 then
		return g.bytes(g.int(1, 400))
	elseif r <= 7 then
		return POLICIES[1] .. ("mx: mx9.example.test\n"):rep(5000) -- over 64 KB
	elseif r <= 8 then
		return HUGE
	elseif r <= 10 then
		return "version: STSv1\nmode: enforce\nmx: " .. g.bytes(20) .. "\nmax_age: 604800\n"
	end
	return g.pick(POLICIES)
end

local function cert_of(g)
	if g.chance(10) then
		return { subject = "", issuer = "", san = {}, not_before = 0, not_after = 0, days_left = 0, self_signed = true }
	end
	return { subject = "CN=" .. g.pick { "mta-sts.example.test", "", "\\x00" }, issuer = "CN=Test CA",
		san = g.pick { {}, { "mta-sts.example.test" }, { "*.example.test", "192.0.2.1" } },
		not_before = g.pick { 0, 1735689600 }, not_after = g.pick { 0, 1743465600, 4102444800 },
		days_left = g.pick { -100000, -5, 0, 3, 13, 14, 400, 100000 }, self_signed = g.chance(30) }
end

local function tls_of(g)
	if g.chance(25) then
		return nil
	end
	return { version = g.pick { "TLSv1.3", "TLSv1.2", "TLSv1" }, cipher = "TLS_AES_256_GCM_SHA384",
		verified = g.chance(60), verify_error = g.pick { nil, "hostname mismatch", "certificate has expired" },
		cert = not g.chance(10) and cert_of(g) or nil }
end

local FETCH_FAIL = { "BAD_NAME", "DNS_NXDOMAIN", "DNS_NODATA", "DNS_SERVFAIL", "DNS_BOGUS", "DNS_TIMEOUT", "CONNECT",
	"TLS_HANDSHAKE", "TLS_VERIFY", "TLS_HOSTNAME", "TLS_EXPIRED", "HTTP_TIMEOUT", "HTTP_REDIRECT", "HTTP_STATUS",
	"CONTENT_TYPE", "TOO_LARGE", "CANCELLED" }
local CONTENT_TYPES = { "text/plain", "text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN", nil, "",
	"application/octet-stream", "text/plain;;;", "text/html", "text/plain\0" }

--- One fetch result (docs/fetch.md): result, or nil, message, code[, partial].
local function fetch_result(g, arg, force)
	local url = arg:match "^https://" and arg or "https://mta-sts." .. arg .. "/.well-known/mta-sts.txt"
	local addresses = {}
	for i = 1, g.pick { 0, 1, 2 } do
		addresses[i] = { ip = g.pick { "192.0.2.1", "2001:db8::1" }, family = g.pick { "ipv4", "ipv6" },
			dnssec = g.pick(DNSSEC), error = g.chance(30) and g.pick { "CONNECT", "TLS_VERIFY" } or nil,
			message = g.chance(30) and "connection refused" or nil }
	end
	local code = force and force.fetch_code or (g.chance(40) and "OK" or g.pick(FETCH_FAIL))
	local res = {
		ok = code == "OK", code = code, message = code == "OK" and "HTTP 200 from 192.0.2.1" or ("fetch failed: " .. code),
		url = url, host = url:match "^https://([^/:]*)", addresses = addresses,
		connected_ip = (code == "OK" or code:match "^HTTP_" or code == "CONTENT_TYPE" or code == "TOO_LARGE")
			and g.pick { "192.0.2.1", "2001:db8::1" } or nil,
		status = code == "OK" and 200 or code == "HTTP_REDIRECT" and g.pick { 301, 302, 307, 308 }
			or g.pick { nil, 0, 200, 301, 500 },
		content_type = g.pick(CONTENT_TYPES), location = code == "HTTP_REDIRECT" and g.pick { nil, "", "http://x.test/" } or nil,
		body = g.chance(85) and body_of(g) or nil, elapsed_ms = g.int(0, 60000), tls = tls_of(g),
		http_status = code == "CONNECT" and g.pick { nil, false, 0, 200, 404 } or nil,
	}
	if res.body then
		res.size = #res.body
	elseif code == "OK" then
		res.body = ""
		res.size = 0
	end
	if code == "OK" then
		return res
	end
	return nil, res.message, code, not g.chance(15) and res or nil
end

local PROBE_FAIL = { "DNS_NXDOMAIN", "DNS_NODATA", "DNS_SERVFAIL", "DNS_TIMEOUT", "DNS_BOGUS", "BAD_NAME" }
local PROBE_CODES = { "OK", "OK", "OK", "CONNECT", "TIMEOUT", "SMTP_REJECT", "SMTP_PROTOCOL", "NO_STARTTLS",
	"TLS_HANDSHAKE", "TLS_OLD", "DANE_BOGUS", "DANE_MISMATCH", "TLS_HOSTNAME", "TLS_EXPIRED", "TLS_VERIFY" }

local function probe_address(g, host, code)
	local tls
	if not g.chance(20) then
		tls = g.chance(15) and { handshake = false } or { handshake = true,
			version = g.pick { "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1" }, cipher = "TLS_AES_128_GCM_SHA256",
			legacy = g.chance(10), pkix_ok = g.chance(60), verify_error = g.pick { nil, "self-signed certificate" },
			hostname_ok = g.chance(70), cert = not g.chance(15) and cert_of(g) or nil, chain = g.pick { {}, nil } }
	end
	local dane
	if not g.chance(20) then
		local tlsa = {}
		for i = 1, g.pick { 0, 0, 1, 2 } do
			tlsa[i] = { usage = g.pick { 0, 1, 2, 3, 255 }, selector = g.pick { 0, 1, 7 }, mtype = g.pick { 0, 1, 2, 9 },
				data = g.pick { "", "ab01", ("f"):rep(64) } }
		end
		dane = { tlsa = tlsa, dnssec = g.pick(DNSSEC), usable = g.chance(40), ok = g.chance(50),
			bogus = code == "DANE_BOGUS" or nil, error = g.pick { nil, "SERVFAIL" },
			reason = g.pick { nil, "no TLSA records", "the TLSA RRset is not signed" } }
	end
	return { host = host, ip = g.pick { "192.0.2.25", "2001:db8::25", "127.0.0.1" }, family = g.pick { 4, 6 },
		dnssec = g.pick(DNSSEC), ok = code == "OK", code = code,
		message = g.pick { "STARTTLS with TLSv1.3", "", "the banner: 554 go away", "connection refused" },
		banner = g.pick { nil, "", "220 mx ESMTP", "554 no\n554 really" }, ehlo = g.pick { nil, {}, { "STARTTLS" } },
		starttls = g.chance(80), tls = tls, dane = dane, elapsed_ms = g.int(0, 30000) }
end

--- One probe result (docs/probe.md): an array of addresses, or nil, message, code.
local function probe_result(g, host, force)
	if (force and force.probe_fail) or g.chance(10) then
		local code = force and force.probe_fail or g.pick(PROBE_FAIL)
		return nil, host .. ": " .. code, code
	end
	local out = {}
	for i = 1, g.pick { 1, 1, 2, 3 } do
		out[i] = probe_address(g, host, force and force.probe_code or g.pick(PROBE_CODES))
	end
	return out
end

-- ---------------------------------------------------------------- the fake context

local QTYPES = { TXT = true, MX = true, A = true, AAAA = true, SOA = true, TLSA = true, CNAME = true, NS = true }
local DNSSEC_OK = { secure = true, insecure = true, bogus = true, unknown = true }

--- What the resolver refuses as BAD_NAME (docs/resolver.md), or nil.
local function bad_name(name)
	if name == "" or #name > 253 or name:find "[^%w%-%._*]" or name:find "%.%." or name:find "^%." and name ~= "." then
		return true
	end
	for label in name:gmatch "[^.]+" do
		if #label > 63 then
			return true
		end
	end
end

--- A context with ctx:query, ctx:fetch and ctx:probe (lua/mtasts/context.lua),
-- answering from the generator; it raises where the real one raises (misuse)
-- and yields once per call, as the real one does inside the runner.
-- force: optional { dns_fail, dnssec, fetch_code, probe_fail, probe_code }.
local function fake_ctx(g, force)
	local memo, calls = {}, {}
	local ctx = { calls = calls }
	local unpack = table.unpack or unpack
	local function memoised(key, make)
		calls[#calls + 1] = key
		if not memo[key] then
			memo[key] = { n = 0 }
			local e = memo[key]
			local function store(...)
				e.n = select("#", ...)
				for i = 1, e.n do
					e[i] = (select(i, ...))
				end
			end
			store(make())
		end
		coroutine.yield()
		return unpack(memo[key], 1, memo[key].n)
	end
	function ctx.query(self, name, qtype)
		assert(self == ctx, "ctx:query called without ':'")
		assert(type(name) == "string", "ctx:query: the name must be a string, got " .. type(name))
		assert(QTYPES[qtype], "ctx:query: unknown type " .. tostring(qtype))
		name = name:lower():gsub("%.$", "")
		return memoised("q " .. name .. " " .. qtype, function()
			if bad_name(name) then
				return nil, ("'%s' is not a DNS name"):format(name), "BAD_NAME"
			end
			return dns_answer(g, name, qtype, force)
		end)
	end
	function ctx.fetch(self, arg)
		assert(self == ctx, "ctx:fetch called without ':'")
		assert(type(arg) == "string", "ctx:fetch: a domain or an https:// URL expected, got " .. type(arg))
		if not arg:match "^https://" and arg:find("://", 1, true) then
			-- what the real fetcher raises (src/lua/lfetch.c)
			error("fetcher:submit: only https:// URLs can be fetched (RFC 8461 §3.3), not '" .. arg .. "'")
		end
		return memoised("f " .. arg, function()
			return fetch_result(g, arg, force)
		end)
	end
	function ctx.probe(self, host, mx_dnssec)
		assert(self == ctx, "ctx:probe called without ':'")
		assert(type(host) == "string", "ctx:probe: the host must be a string, got " .. type(host))
		assert(mx_dnssec == nil or DNSSEC_OK[mx_dnssec], "prober:submit: option 'mx_dnssec' must be \"secure\", "
			.. "\"insecure\", \"bogus\" or \"unknown\"")
		host = host:lower():gsub("%.$", "")
		return memoised("p " .. host .. " " .. (mx_dnssec or "unknown"), function()
			return probe_result(g, host, force)
		end)
	end
	return ctx
end

-- ---------------------------------------------------------------- running

--- Runs one check the way runner.lua does (a coroutine, resumed until it
-- ends); returns true, findings, summary or false, the error.
local function run(check, ctx, domain)
	local co = coroutine.create(function()
		return check.run(ctx, domain or DOMAIN, { state = {}, now = os.time() })
	end)
	local results
	repeat
		results = { coroutine.resume(co) }
		if not results[1] then
			return false, debug.traceback(co, tostring(results[2]))
		end
	until coroutine.status(co) == "dead"
	return true, results[2], results[3]
end

--- Asserts that a run did not raise and returned only catalogued findings
-- with a message a mail admin can read; returns the findings.
local function assert_sane(check, ok, found, summary, what)
	assert(ok, ("the %s check raised on %s: %s"):format(check.name, what, tostring(found)))
	assert(type(found) == "table", ("the %s check returned %s on %s"):format(check.name, type(found), what))
	assert(summary == nil or type(summary) == "table", check.name .. ": the summary is not a table")
	for _, f in ipairs(found) do
		assert(type(f.id) == "string", check.name .. ": a finding without an id on " .. what)
		local known, severity = pcall(F.severity, f.id)
		assert(known and F.catalogue[f.id], ("%s: finding id '%s' is not catalogued (%s)"):format(check.name, f.id, what))
		assert(f.severity == severity, ("%s: %s has severity %s"):format(check.name, f.id, tostring(f.severity)))
		assert(type(f.message) == "string" and f.message ~= "", check.name .. ": " .. f.id .. " has no message")
		assert(not f.message:find "%f[%w]nil%f[%W]",
			("%s: the message of %s says nil: %s (%s)"):format(check.name, f.id, f.message, what))
	end
	return found
end

local function ids(found)
	local set = {}
	for _, f in ipairs(found) do
		set[f.id] = true
	end
	return set
end

--- A fixed world: DNS answers by "name type", fetch and probe results by arg.
local function table_ctx(dns, fetches, probes)
	local ctx = fake_ctx(generator(1))
	local unpack = table.unpack or unpack
	function ctx.query(_, name, qtype)
		local key = name:lower():gsub("%.$", "") .. " " .. qtype
		local a = dns[key]
		ctx.calls[#ctx.calls + 1] = "q " .. key
		coroutine.yield()
		if a == nil then
			return nil, "the server failed", "DNS_SERVFAIL"
		end
		if a.code then
			return nil, a.message, a.code
		end
		local records = a.records or {}
		return { name = key:match "^%S+", type = qtype, rcode = "NOERROR", dnssec = a.dnssec or "secure", ttl = 300,
			canonname = key:match "^%S+", nxdomain = false, nodata = #records == 0, records = records }
	end
	function ctx.fetch(_, arg)
		if not arg:match "^https://" and arg:find("://", 1, true) then
			error("fetcher:submit: only https:// URLs can be fetched (RFC 8461 §3.3), not '" .. arg .. "'")
		end
		ctx.calls[#ctx.calls + 1] = "f " .. arg
		coroutine.yield()
		local r = fetches[arg] or { ok = false, code = "CONNECT", message = "connection refused" }
		if r.ok then
			return r
		end
		return nil, r.message, r.code, r
	end
	function ctx.probe(_, host)
		coroutine.yield()
		return unpack(probes[host] or { nil, "no address", "DNS_NXDOMAIN" })
	end
	return ctx
end

describe("every check, on hostile DNS, HTTP and SMTP answers", function()
	local checks = selfcheck.checks

	it("covers every check of the self-check", function()
		assert.is_true(#checks >= 4)
		local names = {}
		for _, c in ipairs(checks) do
			names[c.name] = true
		end
		for _, n in ipairs { "mta-sts", "tls-rpt", "dnssec", "mx" } do
			assert.is_true(names[n], n)
		end
	end)

	it("never raises when every lookup fails, with each documented code", function()
		for _, code in ipairs(DNS_FAIL) do
			for _, check in ipairs(checks) do
				local ok, found, summary = run(check, fake_ctx(generator(7), { dns_fail = code }))
				found = assert_sane(check, ok, found, summary, "DNS failures " .. code)
				assert.is_true(#found > 0, check.name .. " says nothing when lookups fail with " .. code)
			end
		end
	end)

	it("never raises for any DNSSEC status", function()
		for _, st in ipairs(DNSSEC) do
			for seed = 1, 40 do
				for _, check in ipairs(checks) do
					local ok, found, summary = run(check, fake_ctx(generator(seed), { dnssec = st }))
					assert_sane(check, ok, found, summary, ("dnssec %s, seed %d"):format(st, seed))
				end
			end
		end
	end)

	it("never raises for any fetch code or probe code", function()
		for i, code in ipairs(FETCH_FAIL) do
			for seed = 1, 15 do
				for _, check in ipairs(checks) do
					local force = { fetch_code = code, probe_code = PROBE_CODES[i % #PROBE_CODES + 1],
						probe_fail = seed % 5 == 0 and PROBE_FAIL[i % #PROBE_FAIL + 1] or nil }
					local ok, found, summary = run(check, fake_ctx(generator(seed * 100 + i), force))
					assert_sane(check, ok, found, summary, ("fetch %s, seed %d"):format(code, seed))
				end
			end
		end
		for _, code in ipairs(PROBE_CODES) do
			for seed = 1, 10 do
				for _, check in ipairs(checks) do
					local ok, found, summary = run(check, fake_ctx(generator(seed), { probe_code = code, fetch_code = "OK" }))
					assert_sane(check, ok, found, summary, ("probe %s, seed %d"):format(code, seed))
				end
			end
		end
	end)

	-- MTASTS_ROBUSTNESS_RUNS=50000 busted … spec/check_robustness_spec.lua searches longer.
	local runs = tonumber(os.getenv "MTASTS_ROBUSTNESS_RUNS") or 2000
	it("never raises on 2,000 generated worlds (seeded), and reaches deep into each check", function()
		local seen = {}
		for seed = 1, runs do
			for _, check in ipairs(checks) do
				local ok, found, summary = run(check, fake_ctx(generator(seed)))
				for id in pairs(ids(assert_sane(check, ok, found, summary, "seed " .. seed))) do
					seen[id] = true
				end
			end
		end
		-- The generator is useful only if it gets past the first lookup of each check.
		for _, id in ipairs { "sts.record.ok", "sts.record.invalid", "sts.record.multiple", "sts.policy.ok",
			"sts.policy.invalid", "sts.policy.too_large", "sts.mx.certificate", "sts.mx.uncovered", "sts.mx.ok",
			"sts.policy.certificate_expiring", "tlsrpt.record.ok", "tlsrpt.record.invalid", "tlsrpt.rua.ok",
			"tlsrpt.rua.https_failed", "tlsrpt.rua.mailto_no_mx", "tlsrpt.rua.unsupported", "dnssec.mx.secure",
			"dnssec.domain.bogus", "mx.null", "mx.ip_literal", "mx.dane.mismatch", "mx.certificate.invalid",
			"mx.tls.old", "mx.implicit", "mx.no_address" } do
			assert.is_true(seen[id] or false, "no generated world reached " .. id)
		end
	end)
end)

describe("the tls-rpt check and URI schemes (RFC 3986 §3.1: case-insensitive)", function()
	local tls_rpt
	for _, c in ipairs(selfcheck.checks) do
		if c.name == "tls-rpt" then
			tls_rpt = c
		end
	end

	local function world(rua)
		return table_ctx({
			["_smtp._tls.example.test TXT"] = { records = { { strings = { "v=TLSRPTv1; rua=" .. rua },
				text = "v=TLSRPTv1; rua=" .. rua } } },
			["reports.example.test MX"] = { records = { { preference = 10, exchange = "mx1.example.test" } } },
			["example.test MX"] = { records = { { preference = 10, exchange = "mx1.example.test" } } },
		}, {
			["https://Reports.Example.Test/v1"] = { ok = true, code = "OK", status = 200, body = "" },
			["https://reports.example.test/v1"] = { ok = true, code = "OK", status = 200, body = "" },
		}, {})
	end

	it("checks rua=HTTPS://… like https://… (the fetcher gets the lower-case scheme)", function()
		local ctx = world "HTTPS://Reports.Example.Test/v1"
		local ok, found = run(tls_rpt, ctx)
		found = assert_sane(tls_rpt, ok, found, nil, "HTTPS://")
		assert.is_true(ids(found)["tlsrpt.rua.ok"])
		assert.is_nil(ids(found)["check.crashed"])
		local fetched = {}
		for _, k in ipairs(ctx.calls) do
			if k:match "^f " then
				fetched[#fetched + 1] = k
			end
		end
		assert.same({ "f https://Reports.Example.Test/v1" }, fetched)
		for _, f in ipairs(found) do
			if f.id == "tlsrpt.rua.ok" then
				assert.matches("HTTPS://Reports.Example.Test/v1", f.message, 1, true) -- shown as written
			end
		end
	end)

	it("checks rua=MAILTO:… like mailto:… (the report domain's MX is looked up)", function()
		local ok, found = run(tls_rpt, world "MAILTO:TLS@Reports.Example.Test")
		found = assert_sane(tls_rpt, ok, found, nil, "MAILTO:")
		assert.is_true(ids(found)["tlsrpt.rua.ok"])
		local msg
		for _, f in ipairs(found) do
			msg = f.id == "tlsrpt.rua.ok" and f.message or msg
		end
		assert.matches("TLS@Reports.Example.Test", msg, 1, true)
	end)

	it("reports odd report URIs as an invalid record, never a crash", function()
		for _, rua in ipairs { "https://[2001:db8::1]/r", "https://user:pw@reports.example.test/", "https:///x",
			"https://reports.example.test:99999/", "https://r%2eexample.test/", "mailto:nobody", "MAILTO:" } do
			local ok, found = run(tls_rpt, world(rua))
			found = assert_sane(tls_rpt, ok, found, nil, rua)
			assert.is_true(ids(found)["tlsrpt.record.invalid"], rua)
		end
	end)
end)
