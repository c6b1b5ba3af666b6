--- The decision an RFC 8461 sender makes about a domain's policy, from what
-- it has seen: the _mta-sts TXT answer, the policy fetch (if any) and the
-- policy it cached before (§3.1, §3.3, §5.1). Pure: no I/O, plain tables in
-- and out, so embeddings (nginx, Rspamd, Postfix) can drive it with their own
-- DNS and HTTP. Whatever built the fetch table (our fetcher or the host's own
-- HTTP client), the §3.3 rules are applied here again.
local core = require "mtasts.pure"

--- RFC 8461 §3.3: "the policy body MUST NOT be larger than 64 KB".
local MAX_BODY = 65536

local KEYS = { txt = true, fetch = true, cached = true, now = true, domain = true }

-- The fields of a fetch table that sts_state reads, with their Lua type.
local FETCH_TYPES = { ok = "boolean", code = "string", message = "string", status = "number",
	content_type = "string", body = "string", url = "string", redirected = "boolean" }

--- Is this media type text/plain (parameters such as charset allowed)?
-- (src/net/fetch.c has the same test for our own fetcher.)
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

--- A URL with its scheme and host lower-cased (they are case-insensitive).
local function url_key(url)
	local head, rest = url:match "^([^/]*//[^/]*)(.*)$"
	return head and (head:lower() .. rest) or url
end

--- The policy URL of domain (Unicode names as A-labels), or raises.
local function policy_url(domain)
	local url, msg = core.policy_url(domain)
	if not url then
		local ascii = core.to_ascii(domain)
		url = ascii and core.policy_url(ascii)
	end
	if not url then
		error("sts_state: 'domain' is not a domain name (" .. tostring(msg) .. ")", 3)
	end
	return url
end

--- Did the client that built the fetch table follow a redirect?
-- Returns a description of where it ended, or nil.
local function redirect_seen(fetch, expected)
	if fetch.redirected then
		return fetch.url and ("to " .. fetch.url) or ""
	end
	if not fetch.url then
		return nil
	end
	local got = url_key(fetch.url)
	if expected then
		if got ~= expected then
			return "to " .. fetch.url
		end
	elseif not got:match "^https://mta%-sts%.[^/?#]+/%.well%-known/mta%-sts%.txt$" then
		return "to " .. fetch.url
	end
end

--- Why a failed fetch failed, in one line (never "nil").
local function failure_reason(fetch)
	local msg, code = fetch.message, fetch.code
	if msg and code then
		return ("policy fetch failed: %s (%s)"):format(msg, code)
	elseif code then
		return ("policy fetch failed (%s)"):format(code)
	elseif msg then
		return "policy fetch failed: " .. msg
	end
	return "policy fetch failed (the fetch result gives no code or message)"
end

--- Why a fetch result cannot be used, or nil when it can (RFC 8461 §3.3).
local function fetch_problem(fetch, expected)
	if fetch.ok == false or (fetch.code and fetch.code ~= "OK")
		or (fetch.ok == nil and fetch.status == nil and fetch.message) then
		return failure_reason(fetch)
	end
	local where = redirect_seen(fetch, expected)
	if where then
		return ("the policy fetch followed a redirect%s%s; RFC 8461 §3.3: senders must not follow redirects")
			:format(where == "" and "" or " ", where)
	end
	local status = fetch.status
	local shown = status and (status == math.floor(status) and ("%d"):format(status) or tostring(status))
	if status == nil then
		return "the policy fetch gives no HTTP status; RFC 8461 §3.3 accepts only status 200"
	end
	if status >= 300 and status < 400 then
		return ("the policy fetch answered HTTP %s, a redirect; RFC 8461 §3.3: senders must not follow redirects and accept only status 200")
			:format(shown)
	end
	if status ~= 200 then
		return ("the policy fetch answered HTTP %s; RFC 8461 §3.3 accepts only status 200"):format(shown)
	end
	if fetch.content_type == nil then
		return "the policy is served without a Content-Type; RFC 8461 §3.3 requires text/plain"
	end
	if not is_text_plain(fetch.content_type) then
		return ("the policy is served as '%s'; RFC 8461 §3.3 requires text/plain"):format(fetch.content_type)
	end
	if fetch.body == nil then
		return "the policy fetch returned no body"
	end
	if #fetch.body > MAX_BODY then
		return ("the policy is %d bytes; RFC 8461 §3.3 limits it to 64 KB (65,536 bytes)"):format(#fetch.body)
	end
end

--- Raises unless v is nil or of type t.
local function check_type(v, t, what)
	if v ~= nil and type(v) ~= t then
		error(("sts_state: '%s' must be a %s, got %s"):format(what, t, type(v)), 3)
	end
end

--- Raises for a txt or fetch table that cannot be what the docs describe.
local function check_inputs(args)
	local txt, fetch = args.txt, args.fetch
	if type(txt) ~= "table" then
		error("sts_state: 'txt' must be a TXT answer or { code = … }", 3)
	end
	check_type(txt.code, "string", "txt.code")
	check_type(txt.dnssec, "string", "txt.dnssec")
	check_type(txt.records, "table", "txt.records")
	for i, r in ipairs(txt.records or {}) do
		if type(r) ~= "string" and type(r) ~= "table" then
			error(("sts_state: 'txt.records[%d]' must be a string or a { text, strings } table, got %s")
				:format(i, type(r)), 3)
		end
	end
	check_type(fetch, "table", "fetch")
	for k, t in pairs(FETCH_TYPES) do
		check_type(fetch and fetch[k], t, "fetch." .. k)
	end
	check_type(args.cached, "table", "cached")
	check_type(args.now, "number", "now")
	check_type(args.domain, "string", "domain")
end

--- mtasts.sts_state{ txt = …, fetch = …, cached = …, now = …, domain = … }
-- @return `{ state, id, policy, fetched_at, expires, from_cache, reason }` with state
-- "enforce" | "testing" | "none" | "no-policy" | "need-fetch" | "error"
local function sts_state(args)
	if type(args) ~= "table" then
		error("bad argument #1 to 'sts_state' (table expected, got " .. type(args) .. ")", 2)
	end
	for k in pairs(args) do
		if not KEYS[k] then
			error("sts_state: unknown key '" .. tostring(k) .. "'", 2)
		end
	end
	check_inputs(args)
	local expected_url = args.domain and policy_url(args.domain)
	local txt, fetch, cached = args.txt, args.fetch, args.cached
	local now = args.now or os.time()

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
	local problem = fetch_problem(fetch, expected_url)
	if problem then
		return fallback(cached, now, "no-policy", problem, id)
	end
	local policy, perr = core.parse_policy(fetch.body)
	if not policy then
		return fallback(cached, now, "no-policy", "the policy is invalid (RFC 8461 §3.2): " .. perr, id)
	end
	return {
		state = policy.mode, id = id, policy = policy, fetched_at = now, expires = now + policy.max_age,
		from_cache = false, reason = "policy fetched",
	}
end

return sts_state
