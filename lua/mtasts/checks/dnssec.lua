--- The DNSSEC check: is the domain's zone, and each MX host's, signed and
-- validating? (DANE needs it; a bogus zone makes mail undeliverable for
-- validating senders.) Finding ids: dnssec.*.
local F = require "mtasts.findings"

-- The finding ids this check emits (docs/findings.md): fixed severity, the RFC section.
local check = { name = "dnssec", prefix = "dnssec.", ids = {
	["dnssec.domain.secure"] = { severity = "ok", rfc = "RFC 4035" },
	["dnssec.domain.insecure"] = { severity = "warning", rfc = "RFC 4035 §4.3" },
	["dnssec.domain.bogus"] = { severity = "error", rfc = "RFC 4035 §5.5" },
	["dnssec.domain.lookup_failed"] = { severity = "error", rfc = "RFC 4035" },
	["dnssec.domain.unvalidated"] = { severity = "info", rfc = "RFC 4035" },
	["dnssec.mx.secure"] = { severity = "ok", rfc = "RFC 7672 §2.2.1" },
	["dnssec.mx.insecure"] = { severity = "info", rfc = "RFC 7672 §2.2.1" },
	["dnssec.mx.bogus"] = { severity = "error", rfc = "RFC 7672 §2.1.1" },
} }

--- The DNSSEC status of a name as a resolver proves it (SOA: present at
-- every zone apex, and a proven NODATA below it).
local function status_of(ctx, name)
	local soa, msg, code = ctx:query(name, "SOA")
	if not soa then
		return nil, ("%s (%s)"):format(msg, code)
	end
	return soa.dnssec, soa.why_bogus
end

function check.run(ctx, domain)
	local out, add = F.collector()
	local st, why = status_of(ctx, domain)
	if not st then
		add("dnssec.domain.lookup_failed", ("the DNS of %s does not answer: %s"):format(domain, why))
		return out
	elseif st == "secure" then
		add("dnssec.domain.secure", domain .. " is DNSSEC-signed and validates")
	elseif st == "bogus" then
		add("dnssec.domain.bogus", ("%s fails DNSSEC validation: validating resolvers answer SERVFAIL, so mail cannot be delivered")
			:format(domain), { evidence = why })
		return out
	elseif st == "unknown" then
		add("dnssec.domain.unvalidated", "no DNSSEC trust anchor is configured: nothing was validated")
		return out
	elseif st == "insecure" then
		add("dnssec.domain.insecure", ("%s is not DNSSEC-signed (no chain of trust): its MX records can be forged and DANE cannot be used")
			:format(domain), { fix = "sign the zone and publish its DS record at the parent" })
	end
	local mx = ctx:query(domain, "MX")
	for _, r in ipairs(mx and mx.records or {}) do
		local host = r.exchange
		if host ~= "." then
			local hst, hwhy = status_of(ctx, host)
			if hst == "secure" then
				add("dnssec.mx.secure", ("MX host %s is DNSSEC-signed"):format(host))
			elseif hst == "bogus" then
				add("dnssec.mx.bogus", ("MX host %s fails DNSSEC validation"):format(host), { evidence = hwhy })
			elseif hst == "insecure" then
				add("dnssec.mx.insecure", ("MX host %s is not DNSSEC-signed: DANE cannot protect it"):format(host))
			end
		end
	end
	return out
end

return check
