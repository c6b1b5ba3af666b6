--- mtasts-check --demo: starts the bundled loopback testbed in a namespace
-- of its own, checks every scenario domain inside it, prints the reports and
-- a table of expected against found finding ids, and stops the testbed.
-- Exit status: 0 when every domain gives exactly its expected ids, 1 when
-- some do not, 3 when the demo cannot run (no testbed, not root).
local demo = {}

local function shell_quote(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The source checkout this module runs from, or nil (installed from a rock).
local function checkout_root()
	local src = debug.getinfo(1, "S").source:match "^@(.*)$"
	local root = src and src:match "^(.*)/lua/mtasts/demo%.lua$"
	if root then
		local f = io.open(root .. "/tests/testbed", "rb")
		if f then
			f:close()
			return root
		end
	end
end

local function sorted_copy(t)
	local c = {}
	for i, v in ipairs(t or {}) do
		c[i] = v
	end
	table.sort(c)
	return c
end

function demo.run(opts, write, ewrite)
	local root = checkout_root()
	if not root then
		ewrite("mtasts-check: --demo needs the loopback testbed of a source checkout (tests/testbed); "
			.. "this installation has none\n")
		return 3
	end
	local p = io.popen "id -u"
	local uid = p:read "*l"
	p:close()
	if uid ~= "0" then
		ewrite("mtasts-check: --demo starts DNS, HTTPS and SMTP servers in a network namespace and needs root\n")
		return 3
	end
	local name = ("demo%d"):format(os.time() % 100000 * 100 + math.random(0, 99))
	local testbed = shell_quote(root .. "/tests/testbed") .. " --name " .. name
	ewrite("mtasts-check: starting the loopback testbed (" .. name .. ") ...\n")
	p = io.popen(testbed .. " up 2>&1")
	local out = p:read "*a"
	local ok = p:close()
	local client = out:match "([^\n]*client%.lua)%s*$"
	if not (ok and client) then
		ewrite("mtasts-check: the testbed did not start:\n" .. out)
		os.execute(testbed .. " down >/dev/null 2>&1")
		return 3
	end
	local status = 3
	local done, err = pcall(function()
		local state = dofile((client:gsub("client%.lua$", "scenarios.lua")))
		local domains, expect = {}, {}
		for _, s in ipairs(state.scenarios) do
			domains[#domains + 1] = s.domain
			expect[s.domain] = s.expect or {}
		end
		table.sort(domains)
		local cmd = ("%s exec %s --config %s --json --timeout %d --concurrency %d"):format(testbed,
			shell_quote(root .. "/bin/mtasts-check"), shell_quote(client), opts.timeout or 60, opts.concurrency or 10)
		if opts.only then
			cmd = cmd .. " --only " .. shell_quote(opts.only)
		end
		for _, d in ipairs(domains) do
			cmd = cmd .. " " .. shell_quote(d)
		end
		local cjson = require "cjson"
		local report = require "mtasts.report"
		local order = {}
		for _, c in ipairs(require("mtasts.selfcheck").checks) do
			if not opts.only or (("," .. opts.only .. ","):find("," .. c.name .. ",", 1, true)) then
				order[#order + 1] = c.name
			end
		end
		local reports = {}
		p = io.popen(cmd)
		for line in p:lines() do
			local okj, r = pcall(cjson.decode, line)
			if okj and type(r) == "table" and r.domain then
				reports[r.domain] = r
				if not opts.json then
					write(report.text(r, { order = order, verbose = opts.verbose }))
				else
					write(line .. "\n")
				end
			end
		end
		p:close()
		local mismatches = 0
		write(("\n%-28s %-8s %s\n"):format("domain", "match", "expected ids → found ids (per check)"))
		for _, d in ipairs(domains) do
			local r = reports[d]
			local found = r and require("mtasts.report").non_ok_ids(r) or {}
			local diffs = {}
			for _, check in ipairs(order) do
				local want = table.concat(sorted_copy(expect[d][check]), ",")
				local got = table.concat(found[check] or {}, ",")
				if not r or want ~= got then
					diffs[#diffs + 1] = ("%s: [%s] → [%s]"):format(check, want, r and got or "no report")
				end
			end
			if #diffs > 0 then
				mismatches = mismatches + 1
			end
			local shown = {}
			for _, check in ipairs(order) do
				if #(found[check] or {}) > 0 then
					shown[#shown + 1] = table.concat(found[check], ",")
				end
			end
			write(("%-28s %-8s %s\n"):format(d, #diffs == 0 and "yes" or "NO",
				#diffs == 0 and table.concat(shown, " ") or table.concat(diffs, "; ")))
		end
		write(("\n%d domains, %d as expected, %d not\n"):format(#domains, #domains - mismatches, mismatches))
		status = mismatches == 0 and 0 or 1
	end)
	os.execute(testbed .. " down >/dev/null 2>&1")
	if not done then
		ewrite("mtasts-check: --demo failed: " .. tostring(err) .. "\n")
		return 3
	end
	return status
end

return demo
