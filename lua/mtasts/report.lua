--- Rendering self-check reports: the human text report (colour on a
-- terminal), JSON (one document per domain) and CSV (one row per domain).
local report = {}

local COLOURS = { error = "31", warning = "33", info = "36", ok = "32",
	fail = "31", warn = "33", pass = "32", ["error "] = "31" }
local MARK = { error = "✗", warning = "!", info = "i", ok = "✓" }

local function paint(colour, s, text)
	if not colour or not COLOURS[s] then
		return text
	end
	return "\27[" .. COLOURS[s] .. "m" .. text .. "\27[0m"
end

--- The human report for one domain. opts: { colour = bool, verbose = bool (show ok findings) }.
function report.text(r, opts)
	opts = opts or {}
	local c = opts.colour
	local out = {}
	local function line(s)
		out[#out + 1] = s
	end
	local sts = r.sts or {}
	local summary = sts.state and ("MTA-STS: %s%s"):format(sts.state, sts.id and (", id " .. sts.id) or "") or ""
	line(("%s  %s  %s  (%.1f s)"):format(paint(c, r.verdict, r.verdict:upper()), r.domain, summary,
		(r.elapsed_ms or 0) / 1000))
	if sts.reason then
		line("  " .. sts.reason)
	end
	for _, name in ipairs(opts.order or {}) do
		local chk = r.checks[name]
		if chk then
			line(("  %s: %s"):format(name, paint(c, chk.status, chk.status)))
			for _, f in ipairs(chk.findings) do
				if f.severity ~= "ok" or opts.verbose then
					line(("    %s %-8s %s"):format(paint(c, f.severity, MARK[f.severity]), f.severity, f.message))
					line(("      %s%s"):format(f.id, f.rfc and ("  (" .. f.rfc .. ")") or ""))
					if f.fix then
						for fl in tostring(f.fix):gmatch "[^\n]+" do
							line("      fix: " .. fl)
						end
					end
				end
			end
			local oks = 0
			for _, f in ipairs(chk.findings) do
				oks = oks + (f.severity == "ok" and 1 or 0)
			end
			if oks > 0 and not opts.verbose then
				line(("    %s %d check(s) ok"):format(paint(c, "ok", MARK.ok), oks))
			end
		end
	end
	if r.mx and #r.mx > 0 then
		line("  MX hosts as an enforcing MTA-STS sender sees them:")
		for _, m in ipairs(r.mx) do
			line(("    %-32s pref %-3s %-26s %s"):format(m.host, tostring(m.preference),
				m.covered_by and ("covered by " .. m.covered_by) or "not covered",
				m.sender == "skip" and paint(c, "error", "would skip: " .. tostring(m.reason))
					or (m.reason and ("would deliver (" .. m.reason .. ")") or "would deliver")))
		end
	end
	return table.concat(out, "\n") .. "\n"
end

local CSV_COLUMNS = { "domain", "verdict", "mode", "id", "max_age", "mx", "errors", "warnings" }
report.csv_columns = CSV_COLUMNS

local function csv_field(v)
	v = v == nil and "" or tostring(v)
	if v:find '[",\n]' then
		v = '"' .. v:gsub('"', '""') .. '"'
	end
	return v
end

function report.csv_header()
	return table.concat(CSV_COLUMNS, ",") .. "\n"
end

--- One CSV row: domain, verdict, mode, id, max_age, mx (the MX hosts, space-separated), errors, warnings.
function report.csv(r)
	local errors, warnings = 0, 0
	for _, f in ipairs(r.findings) do
		errors = errors + (f.severity == "error" and 1 or 0)
		warnings = warnings + (f.severity == "warning" and 1 or 0)
	end
	local mx = {}
	for i, m in ipairs(r.mx or {}) do
		mx[i] = m.host
	end
	local sts = r.sts or {}
	-- mode: what senders apply (enforce, testing, none), or no-policy when they see none
	local row = { r.domain, r.verdict, sts.state or sts.mode, sts.id, sts.max_age, table.concat(mx, " "), errors, warnings }
	for i = 1, #CSV_COLUMNS do
		row[i] = csv_field(row[i])
	end
	return table.concat(row, ",") .. "\n"
end

function report.json(r)
	local cjson = require "cjson"
	if cjson.encode_empty_table_as_object then -- absent from older lua-cjson
		cjson.encode_empty_table_as_object(false)
	end
	return cjson.encode(r) .. "\n"
end

--- The non-ok finding ids of a report, per check, as sorted arrays without
-- repeats: what a scenario's `expect` lists.
function report.non_ok_ids(r)
	local by_check = {}
	for name, c in pairs(r.checks or {}) do
		local seen, list = {}, {}
		for _, f in ipairs(c.findings) do
			if f.severity ~= "ok" and not seen[f.id] then
				seen[f.id] = true
				list[#list + 1] = f.id
			end
		end
		table.sort(list)
		by_check[name] = list
	end
	return by_check
end

--- The exit status for a set of reports: 0 no errors, 1 warnings only, 2 errors, 3 could not run.
function report.exit_status(reports)
	local worst = 0
	for _, r in ipairs(reports) do
		local s = ({ pass = 0, warn = 1, fail = 2, error = 3 })[r.verdict] or 3
		worst = math.max(worst, s)
	end
	return worst
end

return report
