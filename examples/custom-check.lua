-- A check of your own, registered next to the built-in ones: this domain must
-- enforce MTA-STS and every MX must pass DANE. One file: its ids, its run and
-- how its summary reads in the text report. Run it with
--   lua5.4 examples/custom-check.lua DOMAIN [CLIENT.LUA]
local mtasts = require "mtasts"
local F = require "mtasts.findings"

mtasts.register_check {
	name = "strict",
	prefix = "strict.",
	ids = {
		["strict.ok"] = { severity = "ok", rfc = "RFC 8461 §5, RFC 7672" },
		["strict.not_enforced"] = { severity = "error", rfc = "RFC 8461 §5" },
		["strict.no_dane"] = { severity = "error", rfc = "RFC 7672" },
	},
	-- ctx answers are memoised per run: the mta-sts and mx checks ask the same.
	run = function(ctx, domain)
		local out, add = F.collector()
		local policy = ctx:fetch(domain)
		local p = policy and mtasts.parse_policy(policy.body or "")
		if not (p and p.mode == "enforce") then
			add("strict.not_enforced", "mode: enforce is required")
		end
		local mx = ctx:query(domain, "MX")
		local protected = 0
		for _, r in ipairs(mx and mx.records or {}) do
			for _, res in ipairs(ctx:probe(r.exchange, mx.dnssec) or {}) do
				if res.dane and res.dane.usable and res.dane.ok then
					protected = protected + 1
				else
					add("strict.no_dane", r.exchange .. " (" .. res.ip .. ") is not DANE-protected")
				end
			end
		end
		if #out == 0 then
			add("strict.ok", domain .. " enforces MTA-STS and every MX passes DANE")
		end
		return out, { protected = protected }
	end,
	render = function(summary)
		return { ("%d MX address(es) DANE-protected"):format(summary.protected) }
	end,
}

local config = arg[2] and dofile(arg[2]) or nil
local report = mtasts.selfcheck(assert(arg[1], "usage: custom-check.lua DOMAIN [CLIENT.LUA]"),
	{ config = config, checks = { "mta-sts", "strict" } })
io.write(require("mtasts.report").text(report))
os.exit(report.checks.strict.status == "pass" and 0 or 1)
