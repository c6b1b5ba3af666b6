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

--- A number as a person reads it: integers without ".0" (JSON decoding
-- makes every number a float under Lua 5.3+), anything else as Lua prints it.
function report.number(v)
	if type(v) == "number" and v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then
		return ("%d"):format(v)
	end
	return v == nil and "" or tostring(v)
end

--- An epoch time as a UTC date ("2026-12-01 23:00 UTC"), for text reports.
function report.date(t)
	if type(t) ~= "number" or t ~= t or t < 0 or t > 253402300799 then
		return tostring(t)
	end
	return os.date("!%Y-%m-%d %H:%M UTC", math.floor(t))
end

local function registry()
	return require "mtasts.registry"
end

--- The check names of a report in report order: its own order (kept in the
-- report since 0.2), else the registry's, then any others it holds.
local function order_of(r, opts)
	local order, seen = {}, {}
	for _, list in ipairs { opts.order or r.order or registry().names(), registry().names() } do
		for _, name in ipairs(list) do
			if not seen[name] and (r.checks or {})[name] then
				seen[name] = true
				order[#order + 1] = name
			end
		end
	end
	local rest = {}
	for name in pairs(r.checks or {}) do
		if not seen[name] then
			rest[#rest + 1] = name
		end
	end
	table.sort(rest)
	for _, name in ipairs(rest) do
		order[#order + 1] = name
	end
	return order
end

--- What a registered check's hook (render, headline) says about its summary;
-- nil when it has none (or no summary). A hook that fails is shown as such.
local function hook(name, field, summary)
	local c = registry().get(name)
	if not (c and c[field] and summary) then
		return nil
	end
	local ok, v = pcall(c[field], summary)
	if not ok then
		return field == "render" and { ("(the %s check's summary cannot be shown: %s)"):format(name, tostring(v)) }
			or nil
	end
	return v
end

--- The human report for one domain. opts: { colour = bool, verbose = bool
-- (show ok findings), order = check names (default: the report's) }.
function report.text(r, opts)
	opts = opts or {}
	-- What DNS and HTTP data put in a message reaches a terminal only escaped.
	local esc = require("mtasts.input").escape
	local c = opts.colour
	local out = {}
	local function line(s)
		out[#out + 1] = s
	end
	local order = order_of(r, opts)
	local summaries = r.summaries or {}
	local heads = {}
	for _, name in ipairs(order) do
		local h = hook(name, "headline", summaries[name])
		if type(h) == "string" and h ~= "" then
			heads[#heads + 1] = h
		end
	end
	line(("%s  %s  %s  (%.1f s)"):format(paint(c, r.verdict, r.verdict:upper()), r.domain, esc(table.concat(heads, "; ")),
		(r.elapsed_ms or 0) / 1000))
	for _, name in ipairs(order) do
		local chk = r.checks[name]
		line(("  %s: %s"):format(name, paint(c, chk.status, chk.status)))
		for _, f in ipairs(chk.findings) do
			if f.severity ~= "ok" or opts.verbose then
				line(("    %s %-8s %s"):format(paint(c, f.severity, MARK[f.severity]), f.severity, esc(tostring(f.message))))
				line(("      %s%s"):format(f.id, f.rfc and ("  (" .. f.rfc .. ")") or ""))
				if f.fix then
					for fl in tostring(f.fix):gmatch "[^\n]+" do
						line("      fix: " .. esc(fl))
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
		local lines = hook(name, "render", summaries[name])
		for _, l in ipairs(type(lines) == "table" and lines or {}) do
			-- a line may carry { text, severity } to be painted
			if type(l) == "table" then
				line("    " .. paint(c, l[2], esc(tostring(l[1]))))
			else
				line("    " .. esc(tostring(l)))
			end
		end
	end
	return table.concat(out, "\n") .. "\n"
end

--- A run note (docs/selfcheck.md "Run notes": e.g. port 25 looks blocked) as
-- text; the command line shows each once, above the first report it concerns.
function report.note_text(note, opts)
	local esc = require("mtasts.input").escape
	local c = (opts or {}).colour
	local sev = tostring(note.severity)
	return ("%s %-8s %s\n  %s\n\n"):format(paint(c, sev, MARK[sev] or "!"), sev, esc(tostring(note.message)),
		esc(tostring(note.id)))
end

-- CSV: domain and verdict, then each registered check's columns, then counts.
local function csv_layout()
	local cols, from = { "domain", "verdict" }, {}
	for _, chk in ipairs(registry().checks()) do
		for _, col in ipairs(chk.csv and chk.csv.columns or {}) do
			cols[#cols + 1] = col
			from[#cols] = chk
		end
	end
	cols[#cols + 1] = "errors"
	cols[#cols + 1] = "warnings"
	return cols, from
end

--- The CSV column names (from the registry, so they are known before any row).
function report.csv_columns()
	return (csv_layout())
end

local function csv_field(v)
	v = type(v) == "number" and report.number(v) or (v == nil and "" or tostring(v))
	if v:find '[",\r\n]' then
		v = '"' .. v:gsub('"', '""') .. '"'
	end
	return v
end

function report.csv_header()
	return table.concat(csv_layout(), ",") .. "\n"
end

--- One CSV row: domain, verdict, the registered checks' columns (the
-- mta-sts check's: mode, id, max_age, mx), errors, warnings.
function report.csv(r)
	local errors, warnings = 0, 0
	for _, f in ipairs(r.findings) do
		errors = errors + (f.severity == "error" and 1 or 0)
		warnings = warnings + (f.severity == "warning" and 1 or 0)
	end
	local cols, from = csv_layout()
	local rows, row = {}, {}
	for i, col in ipairs(cols) do
		local chk = from[i]
		local v
		if col == "domain" then
			v = r.domain
		elseif col == "verdict" then
			v = r.verdict
		elseif col == "errors" then
			v = errors
		elseif col == "warnings" then
			v = warnings
		elseif chk then
			if rows[chk] == nil then
				local summary = (r.summaries or {})[chk.name]
				local ok, t = pcall(chk.csv.row, summary or {})
				rows[chk] = ok and type(t) == "table" and t or false
			end
			v = rows[chk] and rows[chk][col]
		end
		row[i] = csv_field(v)
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
