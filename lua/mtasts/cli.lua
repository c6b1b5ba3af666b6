--- The mtasts-check command line (bin/mtasts-check is a thin launcher).
-- Exit status: 0 no errors, 1 warnings only, 2 errors, 3 could not run.
local mtasts = require "mtasts"

local cli = {}

local EXIT_OK, EXIT_WARN, EXIT_ERROR, EXIT_FAIL = 0, 1, 2, 3

--- The registered checks' names, for help and messages.
local function check_names()
	return table.concat(require("mtasts.registry").names(), ", ")
end

local function build_parser()
	local argparse = require "argparse"
	local p = argparse("mtasts-check", "Check a mail domain's transport security (" .. check_names() .. ").")
		:epilog("Exit status: 0 no errors, 1 warnings only, 2 errors, 3 the check could not run.")
	p:argument("domain", "Domains to check (Unicode names are accepted)."):args "*"
	p:option("--policy", "Check a policy file offline (- for standard input)."):argname "FILE"
	p:option("--record", "Check an _mta-sts TXT record offline, e.g. 'v=STSv1; id=20240101'."):argname "TXT"
	p:flag("--json", "One JSON document per domain (JSON lines).")
	p:option("--format", "Output format."):choices { "text", "json", "csv" }:default "text"
	p:option("--only", "Run only these checks (comma-separated): " .. check_names() .. "."):argname "CHECKS"
	p:option("--dkim-selector", "A DKIM selector to check (repeatable; used by the DKIM check)."):count "*"
		:argname "S"
	p:option("--timeout", "Overall time limit per domain, in seconds.", "60"):convert(tonumber)
	p:option("--state", "Remember ids, policies and testing start per domain in DIR (enables sts.id.stale)."):argname "DIR"
	p:option("--config", "Client configuration (the testbed's client.lua); also MTASTS_CONFIG."):argname "FILE"
	p:option("--from", "Read domains from FILE, one per line (- for standard input)."):argname "FILE"
	p:option("--concurrency", "Domains checked at once.", "10"):convert(tonumber)
	p:flag("--verbose", "Also list the findings that are ok.")
	p:flag("--demo", "Start the bundled loopback testbed and check every scenario domain (offline, needs root).")
	return p
end

local function read_file(name)
	if name == "-" then
		return io.stdin:read "*a"
	end
	local f, err = io.open(name, "rb")
	if not f then
		return nil, err
	end
	local body = f:read "*a"
	f:close()
	return body
end

--- Formats one diagnostic as a line of text.
local function diag_line(d)
	local where = d.line and ("line " .. d.line .. ": ") or ""
	local msg = d.message:gsub("^line %d+: ", "")
	return ("  %-7s %-18s %s%s"):format(d.severity, d.code, where, msg)
end

local function status_of(diags, failed)
	if failed then
		return EXIT_ERROR
	end
	for _, d in ipairs(diags) do
		if d.severity == "warning" then
			return EXIT_WARN
		end
	end
	return EXIT_OK
end

local function check_policy(name, out)
	local body, err = read_file(name)
	if not body then
		return nil, "cannot read policy: " .. err
	end
	local policy, a, code, diags = mtasts.parse_policy(body)
	local result = { input = name, policy = policy, ok = policy ~= nil }
	if policy then
		result.diagnostics = a
	else
		result.message, result.code, result.diagnostics = a, code, diags
	end
	out[#out + 1] = result
	return status_of(result.diagnostics, not policy)
end

local function check_record(txt, out)
	local record, a, code, diags = mtasts.parse_sts_record(txt)
	local result = { input = txt, record = record, ok = record ~= nil }
	if record then
		result.diagnostics = a
	else
		result.message, result.code, result.diagnostics = a, code, diags or {}
	end
	out[#out + 1] = result
	return status_of(result.diagnostics, not record)
end

local function print_text(r, write)
	if r.policy then
		local p = r.policy
		write(("policy %s: valid\n"):format(r.input == "-" and "(stdin)" or r.input))
		write(("  version  %s\n  mode     %s\n  max_age  %d\n"):format(p.version, p.mode, p.max_age))
		for i, mx in ipairs(p.mx) do
			write(("  %-8s %s\n"):format(i == 1 and "mx" or "", mx))
		end
		for _, e in ipairs(p.extensions) do
			write(("  %-8s %s (ignored)\n"):format(e.name, e.value))
		end
	elseif r.record then
		write(("record %q: valid\n  id       %s\n"):format(r.input, r.record.id))
		for _, e in ipairs(r.record.extensions) do
			write(("  %-8s %s (ignored)\n"):format(e.name, e.value))
		end
	else
		write(("%s %s: invalid (%s)\n"):format(r.code == "POLICY_SYNTAX" and "policy" or "record",
			r.code == "POLICY_SYNTAX" and r.input or ("%q"):format(r.input), r.code))
	end
	for _, d in ipairs(r.diagnostics) do
		write(diag_line(d) .. "\n")
	end
end

--- Is file descriptor fd a terminal? (os.execute returns 0 on 5.1, true later.)
local function is_tty(fd)
	local r = os.execute("test -t " .. fd)
	return r == true or r == 0
end

--- Loads the client configuration: --config, else MTASTS_CONFIG, else {} (the
-- resolver's defaults: the public root with Debian's trust anchor).
local function load_config(path)
	path = path or os.getenv "MTASTS_CONFIG"
	if not path or path == "" then
		return {}
	end
	local chunk, err = loadfile(path)
	if not chunk then
		return nil, "cannot read the configuration: " .. err
	end
	local ok, t = pcall(chunk)
	if not ok then
		return nil, "the configuration " .. path .. " failed: " .. tostring(t)
	end
	if type(t) ~= "table" then
		return nil, "the configuration " .. path .. " must return a table"
	end
	return t
end

local function read_domains(opts)
	local list = {}
	for _, d in ipairs(opts.domain) do
		list[#list + 1] = d
	end
	if opts.from then
		local text, err = read_file(opts.from)
		if not text then
			return nil, "cannot read " .. opts.from .. ": " .. err
		end
		for l in text:gmatch "[^\r\n]+" do
			l = l:match "^%s*(.-)%s*$"
			if l ~= "" and not l:match "^#" then
				list[#list + 1] = l
			end
		end
	end
	for i, d in ipairs(list) do
		local ascii, err = mtasts.to_ascii((d:gsub("%.$", "")))
		if not ascii or not mtasts.policy_url(ascii) then
			return nil, ("'%s' is not a domain name%s"):format(d, err and (": " .. err) or "")
		end
		list[i] = ascii
	end
	-- Each domain once, in the order given (a repeat would only be checked twice).
	local seen, unique = {}, {}
	for _, d in ipairs(list) do
		if not seen[d] then
			seen[d] = true
			unique[#unique + 1] = d
		end
	end
	return unique
end

--- Can DNS be reached at all? One query for the root's NS within the timeout.
local function dns_reachable(config)
	local ok, r = pcall(mtasts.resolver, config.resolver or {})
	if not ok then
		return nil, tostring(r)
	end
	local answer, msg, code = r:query(".", "NS")
	r:close()
	if not answer and (code == "TIMEOUT" or code == "NETWORK" or code == "SERVFAIL" or code == "REFUSED") then
		return nil, ("DNS is unreachable (%s: %s). Without internet access, try mtasts-check --demo: it runs offline "
			.. "against the bundled loopback testbed."):format(code, msg)
	end
	return true
end

--- The domain checks: concurrent self-checks, reports as they finish.
function cli.check_domains(opts, write, ewrite)
	local config, err = load_config(opts.config)
	if not config then
		ewrite("mtasts-check: " .. err .. "\n")
		return EXIT_FAIL
	end
	local domains
	domains, err = read_domains(opts)
	if not domains then
		ewrite("mtasts-check: " .. err .. "\n")
		return EXIT_FAIL
	end
	local selfcheck = require "mtasts.selfcheck"
	local report = require "mtasts.report"
	local registry = require "mtasts.registry"
	local checks
	if opts.only then
		checks = {}
		for name in opts.only:gmatch "[^,%s]+" do
			if not registry.get(name) then
				ewrite(("mtasts-check: unknown check '%s' for --only (%s)\n"):format(name, check_names()))
				return EXIT_FAIL
			end
			checks[#checks + 1] = name
		end
		if #checks == 0 then
			ewrite(("mtasts-check: --only names no check (%s)\n"):format(check_names()))
			return EXIT_FAIL
		end
	end
	if not (opts.timeout and opts.timeout > 0 and opts.timeout <= 86400) then
		ewrite("mtasts-check: --timeout must be seconds between 0 and 86400\n")
		return EXIT_FAIL
	end
	if not (opts.concurrency and opts.concurrency >= 1 and opts.concurrency <= 10000) then
		ewrite("mtasts-check: --concurrency must be a number from 1 to 10000\n")
		return EXIT_FAIL
	end
	if opts.state then
		local writable, serr = require("mtasts.state").check_dir(opts.state)
		if not writable then
			ewrite("mtasts-check: " .. serr .. "\n")
			return EXIT_FAIL
		end
	end
	local reachable
	reachable, err = dns_reachable(config)
	if not reachable then
		ewrite("mtasts-check: " .. err .. "\n")
		return EXIT_FAIL
	end
	local format = opts.json and "json" or opts.format
	local colour = format == "text" and (os.getenv "NO_COLOR" or "") == "" and is_tty(1)
	if format == "csv" then
		write(report.csv_header())
	end
	-- Several domains on a terminal: a progress line on stderr, cleared before each report.
	local progress = #domains > 1 and is_tty(2)
	local done = 0
	local function emit(r)
		if format == "json" then
			write(report.json(r))
		elseif format == "csv" then
			write(report.csv(r))
		else
			write(report.text(r, { colour = colour, verbose = opts.verbose }))
		end
	end
	-- Reports finish in any order; they are printed in the order the domains were given.
	local position, finished, next_out = {}, {}, 1
	for i, d in ipairs(domains) do
		position[d] = i
	end
	local ok, reports = pcall(selfcheck.run_many, domains, {
		checks = checks, config = config, state = opts.state, dkim_selectors = opts.dkim_selector,
		timeout = opts.timeout, concurrency = opts.concurrency,
	}, function(r)
		done = done + 1
		if progress then
			ewrite "\r\27[K"
		end
		finished[position[r.domain]] = r
		while finished[next_out] do
			emit(finished[next_out])
			next_out = next_out + 1
		end
		if progress then
			ewrite(("[%d/%d domains checked]"):format(done, #domains))
		end
	end)
	if progress then
		ewrite "\r\27[K"
	end
	if not ok then
		ewrite("mtasts-check: " .. tostring(reports) .. "\n")
		return EXIT_FAIL
	end
	return report.exit_status(reports)
end

--- Runs the command with an argument array; returns the exit status.
function cli.main(args, write, ewrite)
	write = write or function(s) io.stdout:write(s) end
	ewrite = ewrite or function(s) io.stderr:write(s) end
	local ok, opts = build_parser():pparse(args)
	if not ok then
		ewrite("mtasts-check: " .. opts .. "\n(try mtasts-check --help)\n")
		return EXIT_FAIL
	end
	local results, status = {}, EXIT_OK
	local function merge(st, err)
		if not st then
			ewrite("mtasts-check: " .. err .. "\n")
			status = EXIT_FAIL
		elseif status ~= EXIT_FAIL and st > status then
			status = st
		end
	end
	if opts.policy then
		merge(check_policy(opts.policy, results))
	end
	if opts.record then
		merge(check_record(opts.record, results))
	end
	if opts.demo then
		return require("mtasts.demo").run(opts, write, ewrite)
	end
	if #opts.domain > 0 or opts.from then
		if opts.policy or opts.record then
			ewrite("mtasts-check: give either domains or --policy/--record, not both\n")
			return EXIT_FAIL
		end
		return cli.check_domains(opts, write, ewrite)
	end
	if not opts.policy and not opts.record then
		ewrite("mtasts-check: nothing to check (try mtasts-check --help)\n")
		return EXIT_FAIL
	end
	if opts.format == "csv" then
		ewrite("mtasts-check: --format csv is for domain checks; use --json with --policy/--record\n")
		return EXIT_FAIL
	end
	if opts.json or opts.format == "json" then
		local cjson = require "cjson"
		if cjson.encode_empty_table_as_object then -- absent from older lua-cjson
			cjson.encode_empty_table_as_object(false)
		end
		for _, r in ipairs(results) do
			write(cjson.encode(r) .. "\n")
		end
	else
		for _, r in ipairs(results) do
			print_text(r, write)
		end
	end
	return status
end

return cli
