--- The TLS-RPT check (RFC 8460): the _smtp._tls TXT record and whether its
-- report addresses can receive reports. Finding ids: tlsrpt.*.
local core = require "mtasts.pure"
local F = require "mtasts.findings"
local mx_hosts = require "mtasts.mx_hosts"

-- The finding ids this check emits (docs/findings.md): fixed severity, the RFC section.
local check = { name = "tls-rpt", prefix = "tlsrpt.", ids = {
	["tlsrpt.record.ok"] = { severity = "ok", rfc = "RFC 8460 §3" },
	["tlsrpt.record.missing"] = { severity = "warning", rfc = "RFC 8460 §3" },
	["tlsrpt.record.multiple"] = { severity = "error", rfc = "RFC 8460 §3" },
	["tlsrpt.record.invalid"] = { severity = "error", rfc = "RFC 8460 §3" },
	["tlsrpt.record.lookup_failed"] = { severity = "error", rfc = "RFC 8460 §3" },
	["tlsrpt.rua.ok"] = { severity = "ok", rfc = "RFC 8460 §3" },
	["tlsrpt.rua.unsupported"] = { severity = "warning", rfc = "RFC 8460 §3" },
	["tlsrpt.rua.mailto_no_mx"] = { severity = "error", rfc = "RFC 8460 §5.3.1" },
	["tlsrpt.rua.https_failed"] = { severity = "error", rfc = "RFC 8460 §5.3.2" },
	["tlsrpt.dnssec.bogus"] = { severity = "error", rfc = "RFC 4035 §5.5" },
} }

--- Can a mailto: report domain receive mail? (MX hosts, or an implicit MX.)
local function mail_domain_problem(ctx, domain)
	local info, msg, code = mx_hosts(ctx, domain)
	if not info then
		return ("its MX lookup failed: %s (%s)"):format(tostring(msg), tostring(code))
	elseif info.nxdomain then
		return "the domain does not exist"
	elseif #info.hosts == 0 and info.null then
		return "the domain publishes a null MX (it accepts no mail)"
	elseif #info.hosts == 0 then
		return "the domain has neither MX nor address records"
	end
end

function check.run(ctx, domain)
	local out, add = F.collector()
	local name = "_smtp._tls." .. domain
	local txt, msg, code = ctx:query(name, "TXT")
	if not txt then
		add("tlsrpt.record.lookup_failed", ("looking up %s failed: %s (%s)"):format(name, msg, code))
		return out
	end
	if txt.dnssec == "bogus" then
		add("tlsrpt.dnssec.bogus", ("the %s TXT answer failed DNSSEC validation"):format(name),
			{ evidence = txt.why_bogus })
		return out
	end
	local texts = {}
	for i, r in ipairs(txt.records) do
		texts[i] = r.text
	end
	local record, a, rcode, diags = core.select_tlsrpt_record(txt.records)
	if not record then
		if rcode == "TLSRPT_NONE" and mail_domain_problem(ctx, domain) then
			return out -- a domain that takes no mail needs no TLS reports
		elseif rcode == "TLSRPT_NONE" then
			add("tlsrpt.record.missing", ("no v=TLSRPTv1 TXT record at %s: you will not hear about failed TLS deliveries")
				:format(name), { fix = ("%s. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\""):format(name, domain) })
		elseif rcode == "TLSRPT_MULTIPLE" then
			add("tlsrpt.record.multiple", a .. ": senders send no reports", { evidence = texts })
		else
			add("tlsrpt.record.invalid", ("the TXT record at %s is invalid: %s"):format(name, a),
				{ evidence = diags or texts })
		end
		return out
	end
	add("tlsrpt.record.ok", ("%s asks for reports at %d address(es)"):format(name, #record.rua))
	for _, w in ipairs(a) do
		if w.code == "UNSUPPORTED_SCHEME" then
			add("tlsrpt.rua.unsupported", w.message)
		end
	end
	for _, rua in ipairs(record.rua) do
		if rua.scheme == "mailto" then
			local problem = mail_domain_problem(ctx, rua.domain)
			if problem then
				add("tlsrpt.rua.mailto_no_mx", ("reports to %s cannot be delivered: %s"):format(rua.address, problem))
			else
				add("tlsrpt.rua.ok", ("reports by mail to %s can be delivered"):format(rua.address))
			end
		else
			-- Reports are POSTed; only reachability and the certificate matter here.
			-- The scheme is case-insensitive (RFC 3986 §3.1) and the parser saw
			-- "https:" in some case: the fetcher takes only the lower-case form.
			local r, rmsg, rcode2, partial = ctx:fetch("https:" .. rua.uri:sub(7))
			local res = r or partial or { code = rcode2, message = rmsg }
			local code2 = res.code
			-- Any HTTP answer over verified TLS counts (a big or slow GET page too).
			local answered = code2 == "HTTP_STATUS" or code2 == "HTTP_REDIRECT"
				or ((code2 == "TOO_LARGE" or code2 == "HTTP_TIMEOUT") and res.tls and res.tls.verified)
			if r or answered then
				add("tlsrpt.rua.ok", ("%s answers over valid HTTPS"):format(rua.uri))
			else
				add("tlsrpt.rua.https_failed", ("reports to %s cannot be posted: %s (%s)"):format(rua.uri,
					tostring(res.message), tostring(code2)), { evidence = { code = code2, tls = res.tls } })
			end
		end
	end
	return out
end

return check
