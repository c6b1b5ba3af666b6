--- The catalogue of finding ids: each id has one fixed severity and the RFC
-- section it rests on. docs/findings.md explains each (what it means, why it
-- matters, how to fix it); spec/findings_spec.lua keeps the two in step.
-- The wording of a message can change; an id never does.
local findings = {}

local CATALOGUE = {
	-- mta-sts (RFC 8461)
	["sts.record.ok"] = { "ok", "RFC 8461 §3.1" },
	["sts.record.missing"] = { "info", "RFC 8461 §3.1" },
	["sts.record.multiple"] = { "error", "RFC 8461 §3.1" },
	["sts.record.invalid"] = { "error", "RFC 8461 §3.1" },
	["sts.record.lookup_failed"] = { "error", "RFC 8461 §3.1" },
	["sts.policy.ok"] = { "ok", "RFC 8461 §3.3" },
	["sts.policy.unreachable"] = { "error", "RFC 8461 §3.3" },
	["sts.policy.http_only"] = { "error", "RFC 8461 §3.3" },
	["sts.policy.address"] = { "warning", "RFC 8461 §3.3" },
	["sts.policy.certificate"] = { "error", "RFC 8461 §3.3" },
	["sts.policy.certificate_expiring"] = { "warning", "RFC 8461 §3.3" },
	["sts.policy.redirect"] = { "error", "RFC 8461 §3.3" },
	["sts.policy.content_type"] = { "error", "RFC 8461 §3.2" },
	["sts.policy.too_large"] = { "error", "RFC 8461 §3.3" },
	["sts.policy.invalid"] = { "error", "RFC 8461 §3.2" },
	["sts.mode.enforce"] = { "ok", "RFC 8461 §5" },
	["sts.mode.testing"] = { "info", "RFC 8461 §5" },
	["sts.mode.testing_long"] = { "warning", "RFC 8461 §5" },
	["sts.mode.none"] = { "warning", "RFC 8461 §5, §8.3" },
	["sts.max_age.ok"] = { "ok", "RFC 8461 §3.2" },
	["sts.max_age.low"] = { "warning", "RFC 8461 §3.2" },
	["sts.mx.ok"] = { "ok", "RFC 8461 §4.1" },
	["sts.mx.uncovered"] = { "error", "RFC 8461 §4.1, §5" },
	["sts.mx.uncovered_testing"] = { "warning", "RFC 8461 §4.1, §5" },
	["sts.mx.stale"] = { "warning", "RFC 8461 §4.1" },
	["sts.mx.certificate"] = { "error", "RFC 8461 §4.2" },
	["sts.mx.certificate_testing"] = { "warning", "RFC 8461 §4.2, §5" },
	["sts.id.stale"] = { "error", "RFC 8461 §3.1, §8.1" },
	["sts.dnssec.bogus"] = { "error", "RFC 4035 §5.5" },
	-- tls-rpt (RFC 8460)
	["tlsrpt.record.ok"] = { "ok", "RFC 8460 §3" },
	["tlsrpt.record.missing"] = { "warning", "RFC 8460 §3" },
	["tlsrpt.record.multiple"] = { "error", "RFC 8460 §3" },
	["tlsrpt.record.invalid"] = { "error", "RFC 8460 §3" },
	["tlsrpt.record.lookup_failed"] = { "error", "RFC 8460 §3" },
	["tlsrpt.rua.ok"] = { "ok", "RFC 8460 §3" },
	["tlsrpt.rua.unsupported"] = { "warning", "RFC 8460 §3" },
	["tlsrpt.rua.mailto_no_mx"] = { "error", "RFC 8460 §5.3.1" },
	["tlsrpt.rua.https_failed"] = { "error", "RFC 8460 §5.3.2" },
	["tlsrpt.dnssec.bogus"] = { "error", "RFC 4035 §5.5" },
	-- dnssec
	["dnssec.domain.secure"] = { "ok", "RFC 4035" },
	["dnssec.domain.insecure"] = { "warning", "RFC 4035 §4.3" },
	["dnssec.domain.bogus"] = { "error", "RFC 4035 §5.5" },
	["dnssec.domain.lookup_failed"] = { "error", "RFC 4035" },
	["dnssec.domain.unvalidated"] = { "info", "RFC 4035" },
	["dnssec.mx.secure"] = { "ok", "RFC 7672 §2.2.1" },
	["dnssec.mx.insecure"] = { "info", "RFC 7672 §2.2.1" },
	["dnssec.mx.bogus"] = { "error", "RFC 7672 §2.1.1" },
	-- mx
	["mx.ok"] = { "ok", "RFC 5321 §5.1" },
	["mx.none"] = { "error", "RFC 5321 §5.1" },
	["mx.null"] = { "info", "RFC 7505 §3" },
	["mx.null_mixed"] = { "error", "RFC 7505 §3" },
	["mx.implicit"] = { "warning", "RFC 5321 §5.1" },
	["mx.lookup_failed"] = { "error", "RFC 5321 §5.1" },
	["mx.cname"] = { "warning", "RFC 2181 §10.3" },
	["mx.ip_literal"] = { "error", "RFC 7505 §3, RFC 5321 §5.1" },
	["mx.no_address"] = { "error", "RFC 5321 §5.1" },
	["mx.unreachable"] = { "error", "RFC 5321 §5.1" },
	["mx.rejects"] = { "error", "RFC 5321 §3.1" },
	["mx.protocol"] = { "error", "RFC 5321 §4.2" },
	["mx.starttls.ok"] = { "ok", "RFC 3207" },
	["mx.starttls.missing"] = { "error", "RFC 3207, RFC 8461 §4.2" },
	["mx.starttls.failed"] = { "error", "RFC 3207" },
	["mx.tls.old"] = { "error", "RFC 8461 §7.2, RFC 8996" },
	["mx.certificate.ok"] = { "ok", "RFC 8461 §4.2" },
	["mx.certificate.invalid"] = { "warning", "RFC 8461 §4.2" },
	["mx.dane.ok"] = { "ok", "RFC 7672 §3" },
	["mx.dane.none"] = { "info", "RFC 7672" },
	["mx.dane.unusable"] = { "warning", "RFC 7672 §2.2" },
	["mx.dane.mismatch"] = { "error", "RFC 7672 §3" },
	["mx.dane.bogus"] = { "error", "RFC 7672 §2.1.1" },
	-- the self-check itself
	["check.timeout"] = { "error", "" },
	["check.crashed"] = { "error", "" },
}

-- Check names (the report keys and --only values) by id prefix.
local CHECK_OF_PREFIX = { sts = "mta-sts", tlsrpt = "tls-rpt", dnssec = "dnssec", mx = "mx" }

findings.catalogue = CATALOGUE

--- Adds an id for a check of your own ("strict.no_dane"); its prefix must not
-- be one of the built-in checks'. Redefining an id with the same severity is fine.
function findings.define(id, severity, rfc)
	if type(id) ~= "string" or not id:match "^[%w_-]+%.[%w_.-]+$" then
		error("bad finding id '" .. tostring(id) .. "' (expected prefix.name)", 2)
	end
	if not ({ error = 1, warning = 1, info = 1, ok = 1 })[severity] then
		error("bad severity '" .. tostring(severity) .. "' (error, warning, info or ok)", 2)
	end
	local prefix = id:match "^[^.]+"
	local existing = CATALOGUE[id]
	if ({ sts = 1, tlsrpt = 1, dnssec = 1, mx = 1, check = 1 })[prefix] and not existing then
		error("finding ids starting with '" .. prefix .. ".' belong to the built-in checks", 2)
	end
	if existing and existing[1] ~= severity then
		error("finding id '" .. id .. "' is already defined as " .. existing[1], 2)
	end
	CATALOGUE[id] = { severity, rfc or "" }
end

--- The fixed severity of an id ("error", "warning", "info" or "ok").
function findings.severity(id)
	local entry = CATALOGUE[id]
	if not entry then
		error("unknown finding id '" .. tostring(id) .. "' (add it to lua/mtasts/findings.lua and docs/findings.md)", 2)
	end
	return entry[1]
end

--- A finding: { id, check, severity, message, evidence, rfc, fix }.
-- @param id a catalogued id
-- @param message one line a mail admin understands
-- @param extra optional { evidence = …, fix = …, check = … }
function findings.new(id, message, extra)
	local entry = CATALOGUE[id]
	if not entry then
		error("unknown finding id '" .. tostring(id) .. "' (add it to lua/mtasts/findings.lua and docs/findings.md)", 2)
	end
	extra = extra or {}
	return {
		id = id,
		check = extra.check or CHECK_OF_PREFIX[id:match "^[^.]+"],
		severity = entry[1],
		message = message,
		evidence = extra.evidence,
		rfc = entry[2] ~= "" and entry[2] or nil,
		fix = extra.fix,
	}
end

--- A list to collect a check's findings and the function that adds to it:
-- `local out, add = findings.collector()` then `add(id, message, extra)`.
function findings.collector()
	local out = {}
	return out, function(id, message, extra)
		out[#out + 1] = findings.new(id, message, extra)
	end
end

local RANK = { ok = 0, info = 1, warning = 2, error = 3 }

--- The status of a check from its findings: "fail" (an error), "warn", "info" or "pass".
function findings.status(list)
	local worst = 0
	for _, f in ipairs(list) do
		worst = math.max(worst, RANK[f.severity])
	end
	return ({ [0] = "pass", "info", "warn", "fail" })[worst]
end

--- Orders findings: errors first, then warnings, info, ok; stable by id.
function findings.sort(list)
	table.sort(list, function(a, b)
		if RANK[a.severity] ~= RANK[b.severity] then
			return RANK[a.severity] > RANK[b.severity]
		end
		return a.id < b.id
	end)
	return list
end

return findings
