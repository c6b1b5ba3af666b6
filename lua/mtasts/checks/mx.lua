--- The MX check: the domain's MX records (RFC 5321 §5.1, RFC 7505 null MX,
-- RFC 2181 §10.3) and each MX host probed with STARTTLS: TLS version,
-- certificate, DANE (RFC 7672). Finding ids: mx.*.
local F = require "mtasts.findings"
local mx_hosts = require "mtasts.mx_hosts"
local core_now = require("mtasts.pure").now -- monotonic seconds (the runner's deadlines)

-- The finding ids this check emits (docs/findings.md): fixed severity, the RFC section.
local check = { name = "mx", prefix = "mx.", ids = {
	["mx.ok"] = { severity = "ok", rfc = "RFC 5321 §5.1" },
	["mx.none"] = { severity = "error", rfc = "RFC 5321 §5.1" },
	["mx.null"] = { severity = "info", rfc = "RFC 7505 §3" },
	["mx.null_mixed"] = { severity = "error", rfc = "RFC 7505 §3" },
	["mx.implicit"] = { severity = "warning", rfc = "RFC 5321 §5.1" },
	["mx.lookup_failed"] = { severity = "error", rfc = "RFC 5321 §5.1" },
	["mx.cname"] = { severity = "warning", rfc = "RFC 2181 §10.3" },
	["mx.ip_literal"] = { severity = "error", rfc = "RFC 7505 §3, RFC 5321 §5.1" },
	["mx.no_address"] = { severity = "error", rfc = "RFC 5321 §5.1" },
	["mx.unreachable"] = { severity = "error", rfc = "RFC 5321 §5.1" },
	["mx.rejects"] = { severity = "error", rfc = "RFC 5321 §3.1" },
	["mx.protocol"] = { severity = "error", rfc = "RFC 5321 §4.2" },
	["mx.starttls.ok"] = { severity = "ok", rfc = "RFC 3207" },
	["mx.starttls.missing"] = { severity = "error", rfc = "RFC 3207, RFC 8461 §4.2" },
	["mx.starttls.failed"] = { severity = "error", rfc = "RFC 3207" },
	["mx.tls.old"] = { severity = "error", rfc = "RFC 8461 §7.2, RFC 8996" },
	["mx.certificate.ok"] = { severity = "ok", rfc = "RFC 8461 §4.2" },
	["mx.certificate.invalid"] = { severity = "warning", rfc = "RFC 8461 §4.2" },
	["mx.dane.ok"] = { severity = "ok", rfc = "RFC 7672 §3" },
	["mx.dane.none"] = { severity = "info", rfc = "RFC 7672" },
	["mx.dane.unusable"] = { severity = "warning", rfc = "RFC 7672 §2.2" },
	["mx.dane.mismatch"] = { severity = "error", rfc = "RFC 7672 §3" },
	["mx.dane.bogus"] = { severity = "error", rfc = "RFC 7672 §2.1.1" },
} }

-- TIMEOUT: an SMTP phase timeout before the prober said SMTP_TIMEOUT (issue #11).
local UNREACHABLE = { CONNECT = true, TIMEOUT = true, SMTP_TIMEOUT = true }
local CERT = { TLS_VERIFY = true, TLS_HOSTNAME = true, TLS_EXPIRED = true }

-- Seconds before the domain's deadline (opts.deadline) the check stops
-- waiting for probes, to report what it knows before the runner gives it up
-- (check.timeout); at most a tenth of the time left.
local MARGIN = 0.5

local function looks_like_ip(host)
	return host:match "^%d+%.%d+%.%d+%.%d+$" or host:find(":", 1, true) or host:match "^%[.*%]$"
end

--- Findings for one probed address of host.
local function probe_findings(add, host, r)
	local where = ("%s (%s)"):format(host, r.ip)
	local code = r.code
	if UNREACHABLE[code] then
		add("mx.unreachable", ("%s does not answer on port 25: %s"):format(where, tostring(r.message)))
		return
	elseif code == "SMTP_REJECT" then
		add("mx.rejects", ("%s refuses connections: %s"):format(where, tostring(r.banner or r.message)))
		return
	elseif code == "SMTP_PROTOCOL" then
		add("mx.protocol", ("%s does not speak SMTP properly: %s"):format(where, tostring(r.message)))
		return
	elseif code == "NO_STARTTLS" then
		add("mx.starttls.missing", ("%s does not offer STARTTLS: mail to it travels in clear text"):format(where),
			{ fix = "enable STARTTLS on " .. host })
		return
	elseif code == "TLS_HANDSHAKE" then
		add("mx.starttls.failed", ("%s offers STARTTLS but the TLS handshake fails: %s"):format(where, tostring(r.message)))
		return
	elseif code == "TLS_TIMEOUT" then
		add("mx.starttls.failed", ("%s offers STARTTLS but the TLS handshake stalled (no answer in time): %s")
			:format(where, tostring(r.message)))
		return
	elseif code == "TLS_OLD" then
		add("mx.tls.old", ("%s only speaks %s: senders require TLS 1.2 or newer"):format(where,
			r.tls and r.tls.version or "TLS older than 1.2"), { fix = "enable TLS 1.2 and 1.3 on " .. host })
		return
	end
	add("mx.starttls.ok", ("%s offers STARTTLS%s"):format(where, r.tls and r.tls.version and (" (" .. r.tls.version .. ")") or ""))
	local tls = r.tls or {}
	if CERT[code] or tls.pkix_ok == false or tls.hostname_ok == false then
		add("mx.certificate.invalid", ("the certificate of %s fails validation for %s: %s"):format(where, host,
			tostring(tls.verify_error or r.message)), { evidence = tls.cert,
			fix = "install a certificate from a public CA whose subjectAltName includes " .. host })
	else
		add("mx.certificate.ok", ("the certificate of %s is valid for %s"):format(where, host))
	end
	local dane = r.dane or {}
	if code == "DANE_BOGUS" then
		add("mx.dane.bogus", ("the TLSA records of %s cannot be validated: DANE senders defer mail to it (%s)")
			:format(host, tostring(dane.reason or r.message)))
	elseif code == "DANE_MISMATCH" then
		add("mx.dane.mismatch", ("%s presents a certificate that matches none of its TLSA records: DANE senders will not deliver")
			:format(where), { evidence = dane.tlsa, fix = "publish TLSA records for the current key (and the next)" })
	elseif dane.usable and dane.ok then
		add("mx.dane.ok", ("%s matches its DNSSEC-signed TLSA records"):format(where))
	elseif dane.tlsa and #dane.tlsa > 0 then
		add("mx.dane.unusable", ("%s publishes TLSA records that senders cannot use: %s"):format(host,
			dane.reason or "none of them can be used"))
	else
		add("mx.dane.none", ("%s has no TLSA records (no DANE)"):format(host))
	end
end

local unpack = table.unpack or unpack

local function packed(...)
	return { n = select("#", ...), ... }
end

-- Starts ctx:<what>(...) now and returns a handle to read later
-- (docs/context.md); a context without start_* (a test double) is asked now.
local function start(ctx, what, ...)
	local begin = ctx["start_" .. what]
	if begin then
		return begin(ctx, ...)
	end
	local r = packed(ctx[what](ctx, ...))
	return { done = function() return true end, result = function() return unpack(r, 1, r.n) end }
end

--- What the check waits for of one MX host: its A and AAAA (alias and
-- no-address findings) and its probe, all started at once.
local function start_host(ctx, host, mx_dnssec)
	return { host = host, a = start(ctx, "query", host, "A"), aaaa = start(ctx, "query", host, "AAAA"),
		probe = start(ctx, "probe", host, mx_dnssec) }
end

-- Findings for one MX host once its answers are in (or the time is up).
local function host_findings(add, w, late)
	local host = w.host
	local a, aaaa = w.a:result(), w.aaaa:result()
	local looked_up = w.a:done() and w.aaaa:done()
	local canon = (a and a.canonname) or (aaaa and aaaa.canonname)
	if canon and canon:lower() ~= host:lower() then
		add("mx.cname", ("MX %s is an alias (CNAME) of %s: an MX must name the host itself"):format(host, canon))
	end
	if looked_up and not ((a and #a.records > 0) or (aaaa and #aaaa.records > 0)) then
		add("mx.no_address", ("MX %s has no address (A/AAAA) records"):format(host))
		return "no address"
	elseif not w.probe:done() then
		add("mx.unreachable", ("MX %s did not answer within the check's time limit (%s s): %s")
			:format(host, late, looked_up and "its probe had not finished" or "its addresses were still being looked up"))
		return "pending"
	end
	local results, pmsg, pcode = w.probe:result()
	if not results then
		add("mx.unreachable", ("MX %s cannot be probed: %s (%s)"):format(host, pmsg, pcode))
		return "failed"
	end
	for _, res in ipairs(results) do
		probe_findings(add, host, res)
	end
	return "probed"
end

--- The check's time limit as a person reads it ("10", "2.5"): opts.timeout,
-- else from the deadline and when the check started.
local function seconds(opts, started)
	local t = opts.timeout
	if type(t) ~= "number" then
		t = (opts.deadline or started) - started
	end
	return (("%.1f"):format(t):gsub("%.0$", ""))
end

--- opts.deadline (mtasts.now() seconds; the runner's) bounds the wait for
-- the probes: just before it, hosts still pending get mx.unreachable saying
-- so, next to the findings of the hosts that answered. opts.timeout (seconds)
-- is the limit those findings name.
function check.run(ctx, domain, opts)
	opts = opts or {}
	local started = core_now()
	local out, add = F.collector()
	local info, msg, code = mx_hosts(ctx, domain)
	if not info then
		add("mx.lookup_failed", ("the MX records of %s cannot be looked up: %s"):format(domain,
			code == "DNS_BOGUS" and "DNSSEC validation failed" or (msg .. " (" .. code .. ")")))
		return out
	end
	local mx = info.answer
	local hosts = info.hosts
	if info.null and #hosts == 0 and #mx.records == 1 and mx.records[1].preference == 0 then
		add("mx.null", domain .. " publishes a null MX: it accepts no mail (RFC 7505)")
		return out
	elseif info.null then
		add("mx.null_mixed", domain .. " mixes a null MX with other MX records", {
			fix = "publish either only '0 .' or only real MX hosts" })
	end
	if info.implicit then
		add("mx.implicit", ("%s has no MX records: senders fall back to its address records (implicit MX)")
			:format(domain), { fix = ("%s. MX 10 mail.%s. (or '0 .' if it takes no mail)"):format(domain, domain) })
	elseif #mx.records == 0 then
		add("mx.none", domain .. " has no MX and no address records: mail to it cannot be delivered")
		return out
	end
	-- Every host at once (two black-holed MX hosts cost one timeout, not two).
	local waits, handles = {}, {}
	for i, h in ipairs(hosts) do
		if not looks_like_ip(h.host) then
			local w = start_host(ctx, h.host, mx.dnssec)
			waits[i] = w
			handles[#handles + 1], handles[#handles + 2], handles[#handles + 3] = w.a, w.aaaa, w.probe
		end
	end
	local deadline = opts.deadline
	if deadline then
		deadline = deadline - math.min(MARGIN, math.max(0, deadline - core_now()) / 10)
	end
	if ctx.wait_all then
		ctx:wait_all(handles, deadline)
	end
	local late = seconds(opts, started)
	local summary = { mx = {} } -- the MX hosts in preference order, for the report
	for i, h in ipairs(hosts) do
		local entry = { host = h.host, preference = h.preference }
		summary.mx[i] = entry
		if waits[i] then
			entry.probe = host_findings(add, waits[i], late)
		else
			add("mx.ip_literal", ("MX %s is an IP address: an MX must name a host"):format(h.host))
		end
	end
	if #hosts > 0 then
		add("mx.ok", ("%s has %d MX host(s)"):format(domain, #hosts))
	end
	return out, summary
end

return check
