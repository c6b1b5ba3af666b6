--- Does outbound port 25 look blocked from here? Many home networks and
-- clouds drop outgoing SMTP: every MX then "does not answer", which says
-- nothing about the domains. When, in one run, at least two domains have
-- every MX address time out on connect while their DNS and HTTPS work (and
-- no MX of the run answered), the self-check says so once, as a run note
-- (docs/selfcheck.md "Run notes"). The decisions here take plain tables: what
-- a domain's probes and policy fetch returned.
local port25 = {}

port25.ID = "run.port25_blocked"

-- Policy-fetch failures that say the network failed, not the policy host:
-- with those the domain is no evidence of a port-25-only block.
local NETWORK = { CONNECT = true, TLS_TIMEOUT = true, HTTP_TIMEOUT = true, DNS_TIMEOUT = true,
	DNS_SERVFAIL = true, DNS_NETWORK = true, DNS_REFUSED = true, LOCAL_EMFILE = true, CANCELLED = true }

--- Did this probed address (one entry of a probe result) time out on
-- connect? CONNECT also covers refused and unreachable: only a timeout (the
-- packets went nowhere) looks like a firewall that drops them.
function port25.connect_timed_out(a)
	if type(a) ~= "table" or a.code ~= "CONNECT" then
		return false
	end
	if a.connect_timeout ~= nil then -- a marker, should the prober give one
		return a.connect_timeout == true
	end
	local m = tostring(a.message or ""):lower()
	return m:find("no answer within", 1, true) ~= nil or m:find("timed out", 1, true) ~= nil
end

--- Did this probed address get past the TCP connect (an SMTP reply, TLS)?
function port25.reached(a)
	return type(a) == "table" and type(a.code) == "string" and a.code ~= "CONNECT" and a.code ~= "LOCAL_EMFILE"
end

--- Does any address of a probe's return values (results or nil, …) show port 25 open?
function port25.any_reached(results)
	if type(results) == "table" then
		for _, a in ipairs(results) do
			if port25.reached(a) then
				return true
			end
		end
	end
	return false
end

--- What one domain's answers say. probes: array of probe outcomes, each
-- { done = bool, n = count, [1] = results or nil, [2] = message, [3] = code };
-- fetch: the policy fetch's outcome the same way, or nil when none was made.
-- Returns "blocked" and the set { [ip] = true } when every MX address timed
-- out on connect while DNS (every probe resolved) and HTTPS worked; "reached"
-- when some MX address answered; else nil (nothing to say).
function port25.classify(probes, fetch)
	local addresses, any, reached, other = {}, false, false, false
	for _, p in ipairs(probes) do
		if not p.done or type(p[1]) ~= "table" then
			other = true -- still pending, or the host did not resolve: DNS did not work
		else
			for _, a in ipairs(p[1]) do
				if port25.connect_timed_out(a) then
					addresses[a.ip or "?"], any = true, true
				elseif port25.reached(a) then
					reached = true
				else
					other = true -- refused, unreachable: something answered
				end
			end
		end
	end
	if reached then
		return "reached"
	end
	if fetch and (not fetch.done or (fetch[1] == nil and NETWORK[fetch[3]])) then
		return nil -- HTTPS did not work either: not a port-25 block
	end
	if any and not other then
		return "blocked", addresses
	end
	return nil
end

--- The state of one run: domains that look blocked (held until the note is
-- decided), whether any MX answered, the note once raised.
function port25.tracker()
	return { domains = {}, addresses = {}, naddresses = 0, reached = false, note = nil }
end

--- Records a blocked-looking domain; returns the note when this one raises it
-- (two domains, two distinct addresses, no MX of the run answered).
function port25.add(t, domain, addresses)
	t.domains[#t.domains + 1] = domain
	for ip in pairs(addresses) do
		if not t.addresses[ip] then
			t.addresses[ip] = true
			t.naddresses = t.naddresses + 1
		end
	end
	if t.note then
		t.note.domains[#t.note.domains + 1] = domain
	elseif not t.reached and #t.domains >= 2 and t.naddresses >= 2 then
		t.note = port25.note(t.domains)
		return t.note
	end
	return nil
end

--- The run note: { id, severity, message, domains }.
function port25.note(domains)
	local names = {}
	for i, d in ipairs(domains) do
		names[i] = d
	end
	return {
		id = port25.ID, severity = "warning", domains = names,
		message = ("outbound port 25 looks blocked from this machine: every MX address of %s timed out on connect, "
			.. "while their DNS and HTTPS worked and no MX of this run answered. Their mx findings say nothing "
			.. "about their MX hosts: check from a host that may connect to port 25 (many home networks and "
			.. "clouds block it)"):format(table.concat(names, " and ")),
	}
end

port25.SUFFIX = " (outbound port 25 looks blocked from this machine; see the run note)"

--- Marks a domain's report: the note in report.notes, and each of its
-- mx.unreachable findings saying that port 25 looks blocked.
function port25.annotate(report, note)
	report.notes = report.notes or {}
	report.notes[#report.notes + 1] = note
	for _, f in ipairs(report.findings or {}) do
		if f.id == "mx.unreachable" and not f.message:find(port25.SUFFIX, 1, true) then
			f.message = f.message .. port25.SUFFIX
		end
	end
end

return port25
