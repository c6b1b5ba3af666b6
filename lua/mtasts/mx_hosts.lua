--- The MX hosts of a domain as a sending MTA finds them: the MX records
-- without a null MX (RFC 7505), in preference order, or the domain itself when
-- it has no MX records but has address records (the implicit MX, RFC 5321
-- §5.1). The mta-sts, mx and tls-rpt checks all read a domain's MX hosts
-- here; the lookups go through ctx, so they are memoised per run.
--
--   local info, msg, code = mx_hosts(ctx, domain)
--   info = {
--     hosts = { { host = "mx1.example.com", preference = 10 }, … }  -- lower-case; implicit = true for the domain
--     null = true,       -- a null MX ("." as exchange) is among the records
--     implicit = true,   -- no MX records, the domain's own addresses receive mail
--     no_address = true, -- no MX records and no A/AAAA records either
--     nxdomain = true,   -- the domain does not exist
--     dnssec = "secure" | "insecure" | "unknown",  -- the MX answer's
--     answer = …,        -- the MX answer itself (docs/resolver.md)
--   }
-- or nil, message, code when the MX lookup failed (code "DNS_BOGUS" when the
-- answer failed DNSSEC validation).

--- Does name have an A or AAAA record?
local function has_address(ctx, name)
	local a = ctx:query(name, "A")
	local aaaa = ctx:query(name, "AAAA")
	return (a and #a.records > 0) or (aaaa and #aaaa.records > 0) or false
end

local function mx_hosts(ctx, domain)
	local answer, msg, code = ctx:query(domain, "MX")
	if not answer then
		return nil, msg, code
	elseif answer.dnssec == "bogus" then
		return nil, "the MX answer failed DNSSEC validation" .. (answer.why_bogus and (": " .. answer.why_bogus) or ""),
			"DNS_BOGUS"
	end
	local info = { hosts = {}, dnssec = answer.dnssec, answer = answer, nxdomain = answer.nxdomain or nil }
	for _, r in ipairs(answer.records) do
		if r.exchange == "." then
			info.null = true
		else
			info.hosts[#info.hosts + 1] = { host = r.exchange:lower(), preference = r.preference }
		end
	end
	table.sort(info.hosts, function(a, b)
		return a.preference < b.preference or (a.preference == b.preference and a.host < b.host)
	end)
	if #answer.records == 0 and not answer.nxdomain then
		if has_address(ctx, domain) then
			info.implicit = true
			info.hosts[1] = { host = domain, preference = 0, implicit = true }
		else
			info.no_address = true
		end
	end
	return info
end

return mx_hosts
