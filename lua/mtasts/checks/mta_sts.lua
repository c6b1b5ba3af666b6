--- The MTA-STS check (RFC 8461): the _mta-sts TXT record and the policy file
-- together, compared with the real MX records and the MX hosts' TLS, the way
-- an enforcing sender sees them. Finding ids: sts.* (docs/findings.md).
local core = require "mtasts.pure"
local F = require "mtasts.findings"
local policy_text = require "mtasts.policy_text"
local sts_state = require "mtasts.sts_state"
local mx_hosts = require "mtasts.mx_hosts"

-- The finding ids this check emits (docs/findings.md): fixed severity, the RFC section.
local check = { name = "mta-sts", prefix = "sts.", ids = {
	["sts.record.ok"] = { severity = "ok", rfc = "RFC 8461 §3.1" },
	["sts.record.missing"] = { severity = "info", rfc = "RFC 8461 §3.1" },
	["sts.record.multiple"] = { severity = "error", rfc = "RFC 8461 §3.1" },
	["sts.record.invalid"] = { severity = "error", rfc = "RFC 8461 §3.1" },
	["sts.record.lookup_failed"] = { severity = "error", rfc = "RFC 8461 §3.1" },
	["sts.policy.ok"] = { severity = "ok", rfc = "RFC 8461 §3.3" },
	["sts.policy.unreachable"] = { severity = "error", rfc = "RFC 8461 §3.3" },
	["sts.policy.http_only"] = { severity = "error", rfc = "RFC 8461 §3.3" },
	["sts.policy.address"] = { severity = "warning", rfc = "RFC 8461 §3.3" },
	["sts.policy.certificate"] = { severity = "error", rfc = "RFC 8461 §3.3" },
	["sts.policy.certificate_expiring"] = { severity = "warning", rfc = "RFC 8461 §3.3" },
	["sts.policy.redirect"] = { severity = "error", rfc = "RFC 8461 §3.3" },
	["sts.policy.content_type"] = { severity = "error", rfc = "RFC 8461 §3.2" },
	["sts.policy.too_large"] = { severity = "error", rfc = "RFC 8461 §3.3" },
	["sts.policy.invalid"] = { severity = "error", rfc = "RFC 8461 §3.2" },
	["sts.mode.enforce"] = { severity = "ok", rfc = "RFC 8461 §5" },
	["sts.mode.testing"] = { severity = "info", rfc = "RFC 8461 §5" },
	["sts.mode.testing_long"] = { severity = "warning", rfc = "RFC 8461 §5" },
	["sts.mode.none"] = { severity = "warning", rfc = "RFC 8461 §5, §8.3" },
	["sts.max_age.ok"] = { severity = "ok", rfc = "RFC 8461 §3.2" },
	["sts.max_age.low"] = { severity = "warning", rfc = "RFC 8461 §3.2" },
	["sts.mx.ok"] = { severity = "ok", rfc = "RFC 8461 §4.1" },
	["sts.mx.uncovered"] = { severity = "error", rfc = "RFC 8461 §4.1, §5" },
	["sts.mx.uncovered_testing"] = { severity = "warning", rfc = "RFC 8461 §4.1, §5" },
	["sts.mx.stale"] = { severity = "warning", rfc = "RFC 8461 §4.1" },
	["sts.mx.certificate"] = { severity = "error", rfc = "RFC 8461 §4.2" },
	["sts.mx.certificate_testing"] = { severity = "warning", rfc = "RFC 8461 §4.2, §5" },
	["sts.id.stale"] = { severity = "error", rfc = "RFC 8461 §3.1, §8.1" },
	["sts.dnssec.bogus"] = { severity = "error", rfc = "RFC 4035 §5.5" },
} }

local DAY = 86400
local TESTING_LONG = 28 * DAY
local EXPIRING_DAYS = 14

-- Fetch codes (docs/fetch.md) by the finding they give.
local UNREACHABLE = { DNS_NXDOMAIN = true, DNS_NODATA = true, DNS_SERVFAIL = true, DNS_TIMEOUT = true,
	BAD_NAME = true, CONNECT = true, HTTP_TIMEOUT = true, HTTP_STATUS = true }
local CERTIFICATE = { TLS_HANDSHAKE = true, TLS_VERIFY = true, TLS_HOSTNAME = true, TLS_EXPIRED = true }
local SINGLE = { HTTP_REDIRECT = "sts.policy.redirect", CONTENT_TYPE = "sts.policy.content_type",
	TOO_LARGE = "sts.policy.too_large", DNS_BOGUS = "sts.dnssec.bogus" }

--- The date an id like "20240101T000000" was made, as epoch seconds, or nil.
local function id_date(id)
	local y, m, d = id:match "^(%d%d%d%d)(%d%d)(%d%d)"
	y, m, d = tonumber(y), tonumber(m), tonumber(d)
	if y and y >= 2000 and y <= 2100 and m >= 1 and m <= 12 and d >= 1 and d <= 31 then
		return os.time { year = y, month = m, day = d, hour = 12 }
	end
end

local function days(seconds)
	return math.floor(seconds / DAY)
end

-- Probe codes that are about the host being reachable at an address, not
-- about its TLS: another address of the same host may still serve.
local REACHABILITY = { CONNECT = true, SMTP_TIMEOUT = true, TIMEOUT = true } -- TIMEOUT: the wait ran out

--- An enforcing sender's view of one MX after probing each of its addresses:
-- the TLS problems (certificate, STARTTLS, TLS version — wherever they are,
-- a sender landing there skips the host) and whether any address passes.
-- Returns problem text or nil, and whether a sender could deliver at all.
local function probe_verdict(results, msg, code)
	if not results then
		return ("%s (%s)"):format(msg, code), false
	end
	local problems, passes, unreachable = {}, false, {}
	for _, r in ipairs(results) do
		local pkix_bad = r.tls and (r.tls.pkix_ok == false or r.tls.hostname_ok == false)
		local failed = not r.ok and not tostring(r.code):match "^DANE_"
		if REACHABILITY[r.code] then
			unreachable[#unreachable + 1] = ("%s: %s"):format(r.ip, r.message or r.code)
		elseif failed or pkix_bad then
			problems[#problems + 1] = ("%s: %s"):format(r.ip, r.message or r.code or "certificate not valid")
		else
			passes = true
		end
	end
	if #problems == 0 and not passes then
		problems = unreachable -- no address answers at all
	end
	if #problems > 0 then
		return table.concat(problems, "; "), passes
	end
	return nil, true
end

--- Step 1: the TXT record. Returns the record (or nil) and whether to go on.
local function check_record(ctx, domain, add, summary)
	local name = "_mta-sts." .. domain
	local txt, msg, code = ctx:query(name, "TXT")
	if not txt then
		add("sts.record.lookup_failed", ("looking up %s failed: %s (%s); senders retry later"):format(name, msg, code))
		return nil, false, { code = code }
	end
	if txt.dnssec == "bogus" then
		add("sts.dnssec.bogus", ("the %s TXT answer failed DNSSEC validation: senders see no policy"):format(name),
			{ evidence = txt.why_bogus })
		return nil, false, txt
	end
	local texts = {}
	for i, r in ipairs(txt.records) do
		texts[i] = r.text
	end
	local record, a, rcode = core.select_sts_record(txt.records)
	if record then
		add("sts.record.ok", ("%s publishes MTA-STS policy id %s"):format(name, record.id), { evidence = texts })
		return record, true, txt
	end
	if rcode == "STS_NONE" then
		add("sts.record.missing", ("no v=STSv1 TXT record at %s: MTA-STS is not deployed"):format(name),
			{ evidence = texts, fix = ("%s. TXT \"v=STSv1; id=%s\""):format(name, os.date("!%Y%m%dT%H%M%S")) })
		return nil, false, txt
	end
	summary.reason = "senders see no policy: " .. a
	if rcode == "STS_MULTIPLE" then
		add("sts.record.multiple", a .. ": senders see no policy", { evidence = texts,
			fix = "delete all but one v=STSv1 TXT record at " .. name })
	else
		add("sts.record.invalid", ("the TXT record at %s is invalid: %s; senders see no policy"):format(name, a),
			{ evidence = texts, fix = ("%s. TXT \"v=STSv1; id=%s\""):format(name, os.date("!%Y%m%dT%H%M%S")) })
	end
	return nil, true, txt
end

--- Step 2: the policy fetch. Returns the body to parse, or nil.
local function check_fetch(ctx, domain, add)
	local url = core.policy_url(domain)
	local r, msg, code, partial = ctx:fetch(domain)
	local res = r or partial or { ok = false, code = code, message = msg }
	if res.ok then
		local failed = {}
		for _, a in ipairs(res.addresses or {}) do
			if a.error then
				failed[#failed + 1] = ("%s (%s)"):format(a.ip, a.error)
			end
		end
		if #failed > 0 then
			add("sts.policy.address", ("the policy is served from %s, but not from %s: senders using that address see no policy")
				:format(res.connected_ip or "another address", table.concat(failed, ", ")), { evidence = res.addresses })
		end
		local cert = res.tls and res.tls.cert
		if cert and cert.days_left and cert.days_left < EXPIRING_DAYS then
			add("sts.policy.certificate_expiring",
				("the certificate of mta-sts.%s expires in %d days (%s)"):format(domain, cert.days_left,
					type(cert.not_after) == "number" and os.date("!%Y-%m-%d %H:%M UTC", cert.not_after)
						or tostring(cert.not_after)), { evidence = cert, fix = "renew the certificate of mta-sts." .. domain })
		end
		add("sts.policy.ok", ("%s is served over valid HTTPS"):format(url))
		return res.body, res
	end
	local c = res.code or code
	local evidence = { code = c, message = res.message or msg, status = res.status, location = res.location,
		addresses = res.addresses, tls = res.tls }
	if c == "CONNECT" and res.http_status then
		add("sts.policy.http_only", ("mta-sts.%s answers plain HTTP (status %d) but not HTTPS on port 443: senders see no policy")
			:format(domain, res.http_status), { evidence = evidence,
			fix = "serve the policy over HTTPS with a certificate valid for mta-sts." .. domain })
	elseif UNREACHABLE[c] then
		add("sts.policy.unreachable", ("the TXT record promises a policy, but %s cannot be fetched: %s; senders see no policy")
			:format(url, tostring(res.message or msg)), { evidence = evidence,
			fix = "publish the policy at " .. url .. " (HTTP 200, text/plain)" })
	elseif c == "TLS_HANDSHAKE" then
		add("sts.policy.certificate", ("the TLS handshake with mta-sts.%s fails: %s; senders (TLS 1.2 or newer) see no policy")
			:format(domain, tostring(res.message or msg)), { evidence = evidence,
			fix = "enable TLS 1.2 and 1.3 on mta-sts." .. domain .. ", with a certificate valid for that name" })
	elseif CERTIFICATE[c] then
		add("sts.policy.certificate", ("the certificate of mta-sts.%s is not valid: %s; senders see no policy")
			:format(domain, tostring(res.message or msg)), { evidence = evidence,
			fix = "install a certificate from a public CA whose subjectAltName includes mta-sts." .. domain })
	elseif SINGLE[c] then
		local id = SINGLE[c]
		local text = {
			["sts.policy.redirect"] = ("%s answers %s with a redirect%s: senders never follow redirects")
				:format(url, res.status and ("HTTP " .. tostring(res.status)) or "HTTP 3xx",
					res.location and (" to " .. res.location) or " (without a Location header)"),
			["sts.policy.content_type"] = ("%s is served %s, not as text/plain: senders may reject it")
				:format(url, res.content_type and ("as '" .. res.content_type .. "'") or "without a Content-Type"),
			["sts.policy.too_large"] = ("%s is larger than 64 KB: senders refuse it"):format(url),
			["sts.dnssec.bogus"] = ("the address of mta-sts.%s failed DNSSEC validation: senders see no policy")
				:format(domain),
		}
		add(id, text[id], { evidence = evidence })
		if c == "CONTENT_TYPE" then
			return res.body, res -- still worth checking what it says
		end
	else
		add("sts.policy.unreachable", ("%s cannot be fetched: %s (%s)"):format(url, tostring(res.message or msg),
			tostring(c)), { evidence = evidence })
	end
	return nil, res
end

--- Step 4: the MX records against the policy, and the covered hosts' TLS.
local function check_mx(ctx, domain, policy, add, summary, sender_state, deadline)
	local info, err, code = mx_hosts(ctx, domain)
	if not info then
		if code == "DNS_BOGUS" then
			add("sts.dnssec.bogus", ("the MX records of %s failed DNSSEC validation: senders cannot deliver"):format(domain))
		end
		summary.reason = summary.reason or ("the MX records could not be compared: " .. tostring(err))
		return
	end
	local hosts, mx_dnssec = info.hosts, info.dnssec
	-- The policy says what is wrong; whether senders act on it depends on
	-- whether they can see the policy at all (sender_state, from sts_state).
	local enforce = policy.mode == "enforce"
	local senders_enforce = sender_state == "enforce"
	local unseen = sender_state ~= policy.mode and " once senders can see the policy" or ""
	local uncovered = {}
	-- Every covered host's probe starts now, so they run at once (the mx
	-- check shares them when it runs too).
	local probes = {}
	for _, h in ipairs(hosts) do
		if ctx.start_probe and core.mx_matches(policy, h.host) then
			probes[h.host] = probes[h.host] or ctx:start_probe(h.host, mx_dnssec)
		end
	end
	for _, h in ipairs(hosts) do
		local pattern = core.mx_matches(policy, h.host)
		local entry = { host = h.host, preference = h.preference, covered_by = pattern or nil }
		summary.mx[#summary.mx + 1] = entry
		if not pattern then
			uncovered[#uncovered + 1] = h.host
			entry.sender = senders_enforce and "skip" or "deliver"
			entry.reason = "no policy mx pattern matches it"
		else
			local problem, deliverable
			if probes[h.host] then
				-- Stop waiting just before the check's own deadline: what is known gets reported.
				problem, deliverable = probe_verdict(probes[h.host]:wait(deadline and deadline - 0.5))
			else
				problem, deliverable = probe_verdict(ctx:probe(h.host, mx_dnssec))
			end
			entry.sender = (senders_enforce and not deliverable) and "skip" or "deliver"
			entry.reason = problem
			if problem and enforce then
				add("sts.mx.certificate", ("%s (covered by %s) fails TLS as an enforcing sender checks it: %s%s")
					:format(h.host, pattern, problem, deliverable and "" or unseen), { evidence = { host = h.host },
					fix = "give " .. h.host .. " STARTTLS with a certificate from a public CA valid for its name" })
			elseif problem then
				add("sts.mx.certificate_testing", ("%s (covered by %s) fails TLS as a sender checks it: %s; in mode %s "
					.. "mail is still delivered (and reported through TLS-RPT)"):format(h.host, pattern, problem, policy.mode),
					{ evidence = { host = h.host },
					fix = "fix this before switching to mode: enforce: STARTTLS with a publicly trusted certificate for " .. h.host })
			end
		end
	end
	local fix = policy_text.with_mx(policy, hosts)
	for _, host in ipairs(uncovered) do
		if enforce then
			add("sts.mx.uncovered", ("MX %s matches no mx line of the policy: enforcing senders will not deliver to it%s")
				:format(host, unseen), { fix = fix })
		else
			add("sts.mx.uncovered_testing", ("MX %s matches no mx line of the policy: reported through TLS-RPT, delivered anyway")
				:format(host), { fix = fix })
		end
	end
	for _, pattern in ipairs(policy.mx) do
		local used = false
		for _, h in ipairs(hosts) do
			used = used or core.mx_matches(pattern, h.host) ~= false
		end
		if not used then
			add("sts.mx.stale", ("the policy's mx: %s matches no MX record of %s"):format(pattern, domain), { fix = fix })
		end
	end
	if #uncovered == 0 and #hosts > 0 then
		add("sts.mx.ok", ("every MX of %s is covered by the policy"):format(domain))
	end
end

--- Without a policy that senders apply (none, mode: none or unusable), the
-- per-MX table lists the MX hosts, in preference order, as "no policy applies".
local function no_policy_mx(ctx, domain, summary)
	summary.no_policy = true
	local info = mx_hosts(ctx, domain)
	for _, h in ipairs(info and info.hosts or {}) do
		summary.mx[#summary.mx + 1] = { host = h.host, preference = h.preference, sender = "deliver",
			reason = "no MTA-STS policy applies" }
	end
	return summary
end

--- Step 3: what the policy says.
local function check_policy_fields(policy, record, state, now, add)
	if policy.mode == "enforce" then
		add("sts.mode.enforce", "mode: enforce — senders refuse to deliver without valid TLS")
	elseif policy.mode == "testing" then
		local since = state.testing_since or (record and id_date(record.id))
		if since and now - since > TESTING_LONG then
			add("sts.mode.testing_long", ("mode: testing since about %s (%d days): switch to enforce when TLS-RPT reports are clean")
				:format(os.date("!%Y-%m-%d", since), days(now - since)), { fix = "mode: enforce (and a new id)" })
		else
			add("sts.mode.testing", "mode: testing — failures are only reported" ..
				(since and (" (since " .. os.date("!%Y-%m-%d", since) .. ")") or ""))
		end
	else
		add("sts.mode.none", "mode: none — senders treat the domain as having no MTA-STS policy")
	end
	if policy.max_age < DAY then
		add("sts.max_age.low", ("max_age %d is under a day: a policy should be cached for weeks"):format(policy.max_age),
			{ fix = "max_age: 604800" })
	else
		add("sts.max_age.ok", ("max_age %d (%d days)"):format(policy.max_age, days(policy.max_age)))
	end
end

function check.run(ctx, domain, opts)
	local out, add = F.collector()
	local now = opts.now or os.time()
	local state = opts.state or {}
	local summary = { mx = {} }

	local record, go_on, txt = check_record(ctx, domain, add, summary)
	summary.id = record and record.id
	local body, fetched
	if go_on then
		body, fetched = check_fetch(ctx, domain, add)
	end
	-- What a sender with nothing cached decides (the same code the embeddings use).
	local decision = sts_state { txt = txt, fetch = fetched, now = now }
	summary.state = decision.state == "need-fetch" and "no-policy" or decision.state
	if summary.state ~= "enforce" and summary.state ~= "testing" and summary.state ~= "none" then
		summary.reason = summary.reason or ("senders see no policy: " .. decision.reason)
	end
	if not body then
		return out, no_policy_mx(ctx, domain, summary)
	end
	local policy, perr, _, diags = core.parse_policy(body)
	if not policy then
		add("sts.policy.invalid", "the policy file is invalid: " .. perr .. "; senders see no policy",
			{ evidence = diags })
		return out, no_policy_mx(ctx, domain, summary)
	end
	summary.mode, summary.max_age, summary.policy_mx = policy.mode, policy.max_age, policy.mx

	-- sts.id.stale: the body changed while the TXT id stayed (needs --state).
	local canon = policy_text.canonical(policy)
	if record and state.id == record.id and state.policy and state.policy ~= canon then
		add("sts.id.stale", ("the policy changed since the last run but the TXT id is still %s: senders keep the old policy")
			:format(record.id), { evidence = { before = state.policy, now = canon },
			fix = ("_mta-sts.%s. TXT \"v=STSv1; id=%s\""):format(domain, os.date("!%Y%m%dT%H%M%S", now)) })
	end
	check_policy_fields(policy, record, state, now, add)
	if policy.mode ~= "none" then
		check_mx(ctx, domain, policy, add, summary, summary.state, opts and opts.deadline)
	else
		no_policy_mx(ctx, domain, summary)
	end
	-- What the next run remembers (the caller saves it with --state).
	-- A changed body behind an unchanged id stays remembered as it was, so that
	-- sts.id.stale is reported on every run until the id changes.
	local stale = record and state.id == record.id and state.policy and state.policy ~= canon
	summary.remember = { id = record and record.id, policy = stale and state.policy or canon,
		testing_since = policy.mode == "testing" and (state.testing_since or now) or nil }
	return out, summary
end

--- The report's headline: what senders apply ("MTA-STS: enforce, id …").
function check.headline(summary)
	if summary.state then
		return ("MTA-STS: %s%s"):format(summary.state, summary.id and (", id " .. summary.id) or "")
	end
end

--- The text report's lines under the check: why senders see no policy, and
-- the per-MX table of what an enforcing sender does.
function check.render(summary)
	local number = require("mtasts.report").number
	local lines = {}
	-- senders apply no policy: none published, mode none, or one they cannot use
	local no_policy = summary.no_policy or not (summary.state == "enforce" or summary.state == "testing")
	if summary.reason then
		lines[1] = summary.reason
	end
	if summary.mx and #summary.mx > 0 then
		lines[#lines + 1] = no_policy and "MX hosts (no MTA-STS policy applies to them):"
			or "MX hosts as an enforcing MTA-STS sender sees them:"
		for _, m in ipairs(summary.mx) do
			local coverage = no_policy and "no policy applies"
				or (m.covered_by and ("covered by " .. m.covered_by) or "not covered")
			local sender
			if no_policy then
				sender = "would deliver"
			elseif m.sender == "skip" then
				sender = { "would skip: " .. tostring(m.reason), "error" }
			else
				sender = m.reason and ("would deliver (" .. m.reason .. ")") or "would deliver"
			end
			local text = ("  %-32s pref %-3s %-26s "):format(tostring(m.host), number(m.preference), coverage)
			lines[#lines + 1] = type(sender) == "table" and { text .. sender[1], sender[2] } or (text .. sender)
		end
	end
	return lines
end

-- CSV columns: what senders apply (enforce, testing, none, or no-policy), id,
-- max_age and the MX hosts (space-separated).
check.csv = { columns = { "mode", "id", "max_age", "mx" }, row = function(summary)
	local mx = {}
	for i, m in ipairs(summary.mx or {}) do
		mx[i] = m.host
	end
	return { mode = summary.state or summary.mode, id = summary.id, max_age = summary.max_age,
		mx = table.concat(mx, " ") }
end }

return check
