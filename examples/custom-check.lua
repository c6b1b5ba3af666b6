-- A check of your own, composed with the built-in ones: this domain must
-- enforce MTA-STS and every MX must pass DANE. Run it with
--   lua5.4 examples/custom-check.lua DOMAIN [CLIENT.LUA]
local mtasts = require "mtasts"
local F = require "mtasts.findings"

F.define("strict.not_enforced", "error", "RFC 8461 §5")
F.define("strict.no_dane", "error", "RFC 7672")

local strict = { name = "strict", run = function(ctx, domain)
	local out = {}
	local policy = ctx:fetch(domain)
	local p = policy and mtasts.parse_policy(policy.body or "")
	if not (p and p.mode == "enforce") then
		out[#out + 1] = F.new("strict.not_enforced", "mode: enforce is required", { check = "strict" })
	end
	local mx = ctx:query(domain, "MX")
	for _, r in ipairs(mx and mx.records or {}) do
		for _, res in ipairs(ctx:probe(r.exchange, mx.dnssec) or {}) do
			if not (res.dane and res.dane.usable and res.dane.ok) then
				out[#out + 1] = F.new("strict.no_dane", r.exchange .. " (" .. res.ip .. ") is not DANE-protected",
					{ check = "strict" })
			end
		end
	end
	return out
end }

local config = arg[2] and dofile(arg[2]) or nil
local report = mtasts.selfcheck(assert(arg[1], "usage: custom-check.lua DOMAIN [CLIENT.LUA]"),
	{ config = config, checks = { "mta-sts", strict } })
print(report.domain, report.verdict)
for _, f in ipairs(report.checks.strict.findings) do
	print("", f.severity, f.message)
end
os.exit(report.checks.strict.status == "pass" and 0 or 1)
