--- The decision an RFC 8461 sender makes about a domain's policy, from what
-- it has seen: the _mta-sts TXT answer, the policy fetch (if any) and the
-- policy it cached before (§3.1, §3.3, §5.1). Pure: no I/O, plain tables in
-- and out, so embeddings (nginx, Rspamd, Postfix) can drive it with their own
-- DNS and HTTP.
local core = require "mtasts.core"

--- Is this media type text/plain (parameters such as charset allowed)?
local function is_text_plain(ct)
	ct = ct:lower()
	return ct:match "^%s*text/plain%s*$" ~= nil or ct:match "^%s*text/plain%s*;" ~= nil
end

--- An earlier result that a sender may still apply at time now.
local function usable_cache(cached, now)
	return cached and cached.policy and cached.expires and cached.expires > now and cached
end

local function from_cache(cached, reason)
	return {
		state = cached.policy.mode, id = cached.id, policy = cached.policy, fetched_at = cached.fetched_at,
		expires = cached.expires, from_cache = true, reason = reason,
	}
end

--- Without a (new) usable policy: apply an unexpired cached one, else `state`.
local function fallback(cached, now, state, reason, id)
	local c = usable_cache(cached, now)
	if c then
		return from_cache(c, reason .. "; the cached policy (id " .. tostring(c.id) .. ") still applies")
	end
	return { state = state, id = id, from_cache = false, reason = reason }
end

--- Why a fetch result cannot be used, or nil when it can.
local function fetch_problem(fetch)
	if not fetch.ok then
		return ("policy fetch failed: %s (%s)"):format(tostring(fetch.message), tostring(fetch.code))
	end
	if fetch.status and fetch.status ~= 200 then
		return ("policy fetch answered HTTP %d, not 200"):format(fetch.status)
	end
	if fetch.content_type and not is_text_plain(fetch.content_type) then
		return ("policy is served as %s, not text/plain"):format(fetch.content_type)
	end
	if type(fetch.body) ~= "string" then
		return "policy fetch returned no body"
	end
end

--- mtasts.sts_state{ txt = …, fetch = …, cached = …, now = … }
-- @return `{ state, id, policy, fetched_at, expires, from_cache, reason }` with state
-- "enforce" | "testing" | "none" | "no-policy" | "need-fetch" | "error"
local function sts_state(args)
	if type(args) ~= "table" then
		error("bad argument #1 to 'sts_state' (table expected, got " .. type(args) .. ")", 2)
	end
	for k in pairs(args) do
		if k ~= "txt" and k ~= "fetch" and k ~= "cached" and k ~= "now" then
			error("sts_state: unknown key '" .. tostring(k) .. "'", 2)
		end
	end
	local txt, fetch, cached = args.txt, args.fetch, args.cached
	local now = args.now or os.time()
	if type(txt) ~= "table" then
		error("sts_state: 'txt' must be a TXT answer or { code = … }", 2)
	end

	-- §3.1: the TXT record. A failed or bogus lookup is not "no record".
	if txt.code then
		return fallback(cached, now, "error", ("_mta-sts TXT lookup failed (%s)"):format(txt.code))
	end
	if txt.dnssec == "bogus" then
		return fallback(cached, now, "error", "_mta-sts TXT answer failed DNSSEC validation (bogus)")
	end
	local record, msg, code = core.select_sts_record(txt.records or {})
	if not record then
		local reason = code == "STS_NONE" and "no MTA-STS TXT record" or ("invalid MTA-STS TXT record: " .. msg)
		return fallback(cached, now, "no-policy", reason)
	end
	local id = record.id

	-- §3.3/§5.1: an unchanged id keeps the cached policy; a new one needs a fetch.
	local c = usable_cache(cached, now)
	if c and c.id == id then
		return from_cache(c, "the TXT id is unchanged; the cached policy applies")
	end
	if fetch == nil then
		return { state = "need-fetch", id = id, from_cache = false,
			reason = c and ("the TXT id changed from " .. tostring(c.id) .. " to " .. id) or "no cached policy" }
	end
	local problem = fetch_problem(fetch)
	if problem then
		return fallback(cached, now, "no-policy", problem, id)
	end
	local policy, perr = core.parse_policy(fetch.body)
	if not policy then
		return fallback(cached, now, "no-policy", "the policy is invalid: " .. perr, id)
	end
	return {
		state = policy.mode, id = id, policy = policy, fetched_at = now, expires = now + policy.max_age,
		from_cache = false, reason = "policy fetched",
	}
end

return sts_state
