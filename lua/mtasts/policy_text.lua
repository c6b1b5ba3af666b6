--- Writing policies back out: the canonical form remembered by --state (to
-- notice a changed body behind an unchanged id) and the fix that lists the
-- real MX hosts.
local policy_text = {}

--- A stable one-line summary of what a policy says.
function policy_text.canonical(p)
	local mx = {}
	for i, m in ipairs(p.mx) do
		mx[i] = m
	end
	table.sort(mx)
	return ("mode=%s max_age=%d mx=%s"):format(p.mode, p.max_age, table.concat(mx, ","))
end

--- The policy file to publish so that it covers exactly these MX hosts
-- (an array of { host = … }), keeping mode and max_age.
function policy_text.with_mx(p, hosts)
	local lines = { "version: STSv1", "mode: " .. p.mode }
	for _, h in ipairs(hosts) do
		lines[#lines + 1] = "mx: " .. h.host
	end
	lines[#lines + 1] = "max_age: " .. math.max(p.max_age, 604800)
	return table.concat(lines, "\n") .. "\n"
end

return policy_text
