--- The mtasts-check command line (bin/mtasts-check is a thin launcher).
-- Exit status: 0 no errors, 1 warnings only, 2 errors, 3 could not run.
local mtasts = require "mtasts"
local input = require "mtasts.input"

local cli = {}

local EXIT_OK, EXIT_WARN, EXIT_ERROR, EXIT_FAIL = 0, 1, 2, 3

--- Writes "mtasts-check: <message>" as one line with ewrite, its control
-- characters escaped (a message may echo a name or a file given by the user).
local function say(ewrite, message)
	ewrite("mtasts-check: " .. input.escape(message) .. "\n")
end

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
	local body, err = input.read(name, "the --policy file", input.POLICY_LIMIT)
	if not body then
		return nil, err
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

local function print_text(r, raw_write)
	-- Every line escaped: the input, a record or a file name, is the user's.
	local function write(text)
		raw_write((input.escape(text:gsub("\n$", ""))) .. "\n")
	end
	if r.policy then
		local p = r.policy
		write(("policy %s: valid\n"):format(r.input == "-" and "(stdin)" or r.input))
		write(("  version  %s\n"):format(p.version))
		write(("  mode     %s\n"):format(p.mode))
		write(("  max_age  %d\n"):format(p.max_age))
		for i, mx in ipairs(p.mx) do
			write(("  %-8s %s\n"):format(i == 1 and "mx" or "", mx))
		end
		for _, e in ipairs(p.extensions) do
			write(("  %-8s %s (ignored)\n"):format(e.name, e.value))
		end
	elseif r.record then
		write(('record "%s": valid\n'):format(r.input))
		write(("  id       %s\n"):format(r.record.id))
		for _, e in ipairs(r.record.extensions) do
			write(("  %-8s %s (ignored)\n"):format(e.name, e.value))
		end
	else
		write(("%s %s: invalid (%s)\n"):format(r.code == "POLICY_SYNTAX" and "policy" or "record",
			r.code == "POLICY_SYNTAX" and r.input or ('"%s"'):format(r.input), r.code))
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
-- The file is read within a limit (--config /dev/zero ends at once) and must
-- be Lua source, not a precompiled chunk.
local function load_config(path)
	local what = "the --config file"
	if not path then
		path, what = os.getenv "MTASTS_CONFIG", "the configuration (MTASTS_CONFIG)"
	end
	if not path or path == "" then
		return {}
	end
	local text, err = input.read(path, what, input.CONFIG_LIMIT)
	if not text then
		return nil, err
	end
	local shown = input.display(path)
	if text:byte(1) == 27 then
		return nil, ("%s %s is a precompiled chunk, not Lua source"):format(what, shown)
	end
	local chunk
	chunk, err = (loadstring or load)(text, "@" .. path)
	if not chunk then
		return nil, ("%s %s is not valid Lua: %s"):format(what, shown, err)
	end
	local ok, t = pcall(chunk)
	if not ok then
		return nil, ("%s %s failed: %s"):format(what, shown, tostring(t))
	end
	if type(t) ~= "table" then
		return nil, ("%s %s must return a table (it returned %s)"):format(what, shown, type(t))
	end
	return t
end

--- The I/O context of the run, made from config up front: its keys and types
-- (lua/mtasts/context.lua), the resolver options, and the fetcher's and
-- prober's (timeouts, CA store) are checked once, here, so that a bad value is
-- one line and exit 3 rather than an error in every check of every domain.
-- Returns the context, or nil and a one-line message.
local function make_context(config, path)
	local core = require "mtasts.core"
	local context = require "mtasts.context"
	local ok, ctx = pcall(context.new, config)
	local err = not ok and ctx
	if ok then
		for _, kind in ipairs { "fetcher", "prober" } do
			local made, e = true, nil
			if core[kind] then
				made, e = pcall(ctx[kind], ctx)
			end
			if not made then
				err = e
				ctx:close()
				break
			end
		end
	end
	if not err then
		return ctx
	end
	-- The message, without the position inside our own Lua files.
	local msg = tostring(err):gsub("^[^\n:]*mtasts/[%w_/]*%.lua:%d+: ", "")
	path = path or os.getenv "MTASTS_CONFIG"
	return nil, ("the configuration%s is invalid: %s"):format(
		path and path ~= "" and (" " .. input.display(path)) or "", msg)
end

--- name (an argument or a --from line) as an A-label, or nil and why it is
-- not a domain name.
local function ascii_domain(name)
	if input.ip_literal(name) then
		return nil, ("'%s' is an IP address, not a domain name (MTA-STS applies to mail domains)"):format(name)
	end
	local ascii, err = mtasts.to_ascii((name:gsub("%.$", "")))
	if ascii then
		local url, uerr = mtasts.policy_url(ascii)
		err = not url and uerr or nil
	end
	if err then
		return nil, ("'%s' is not a domain name: %s"):format(name, err)
	end
	return ascii
end

--- The domains to check: the arguments, then --from's lines (blank lines and
-- # comments skipped), as A-labels, each once in the order given.
local function read_domains(opts)
	local list = {}
	for _, d in ipairs(opts.domain) do
		local ascii, err = ascii_domain(d)
		if not ascii then
			return nil, err
		end
		list[#list + 1] = ascii
	end
	if opts.from then
		local ok, err = input.lines(opts.from, "the --from file", input.LINE_LIMIT, function(l, n)
			l = l:match "^%s*(.-)%s*$"
			if l == "" or l:match "^#" then
				return true
			end
			local ascii, why = ascii_domain(l)
			if not ascii then
				return nil, ("the --from file %s, line %d: %s"):format(input.display(opts.from), n, why)
			end
			list[#list + 1] = ascii
			return true
		end)
		if not ok then
			return nil, err
		end
	end
	if #list == 0 then
		return nil, ("nothing to check: the --from file %s names no domain"):format(input.display(opts.from))
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
local function dns_reachable(ctx)
	local answer, msg, code = ctx.resolver:query(".", "NS")
	if not answer and (code == "DNS_TIMEOUT" or code == "DNS_NETWORK" or code == "DNS_SERVFAIL"
			or code == "DNS_REFUSED") then
		return nil, ("DNS is unreachable (%s: %s). Without internet access, try mtasts-check --demo: it runs offline "
			.. "against the bundled loopback testbed."):format(code, msg)
	end
	return true
end

--- The domain checks: concurrent self-checks, reports as they finish.
function cli.check_domains(opts, write, ewrite)
	local config, err = load_config(opts.config)
	if not config then
		say(ewrite, err)
		return EXIT_FAIL
	end
	local domains
	domains, err = read_domains(opts)
	if not domains then
		say(ewrite, err)
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
				say(ewrite, ("unknown check '%s' for --only (%s)"):format(name, check_names()))
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
			say(ewrite, serr)
			return EXIT_FAIL
		end
	end
	local ctx
	ctx, err = make_context(config, opts.config)
	if not ctx then
		say(ewrite, err)
		return EXIT_FAIL
	end
	local reachable
	reachable, err = dns_reachable(ctx)
	if not reachable then
		ctx:close()
		say(ewrite, err)
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
	local noted = {} -- run notes shown (each once, above the first report it concerns)
	local function emit(r)
		for _, note in ipairs(format ~= "json" and r.notes or {}) do
			if not noted[note.id] then
				noted[note.id] = true
				if format == "csv" then
					say(ewrite, tostring(note.severity) .. ": " .. tostring(note.message))
				else
					write(report.note_text(note, { colour = colour }))
				end
			end
		end
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
	-- A state file that is ignored (unreadable, wrong types) is one warning line.
	local state_store = require "mtasts.state"
	local default_warning = state_store.on_warning
	state_store.on_warning = function(message)
		say(ewrite, "warning: " .. message)
	end
	local ok, reports = pcall(selfcheck.run_many, domains, {
		checks = checks, config = config, context = ctx, state = opts.state, dkim_selectors = opts.dkim_selector,
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
	state_store.on_warning = default_warning
	ctx:close()
	if progress then
		ewrite "\r\27[K"
	end
	if not ok then
		say(ewrite, tostring(reports))
		return EXIT_FAIL
	end
	return report.exit_status(reports)
end

local main

--- Runs the command with an argument array; returns the exit status. A fault
-- of the tool itself is one line and exit 3 too, never a stack trace.
function cli.main(args, write, ewrite)
	write = write or function(s) io.stdout:write(s) end
	ewrite = ewrite or function(s) io.stderr:write(s) end
	local ok, status = pcall(main, args, write, ewrite)
	if not ok then
		say(ewrite, "internal error (please report it): " .. tostring(status):match "^[^\n]*")
		return EXIT_FAIL
	end
	return status
end

function main(args, write, ewrite)
	local ok, opts = build_parser():pparse(args)
	if not ok then
		say(ewrite, opts)
		ewrite "(try mtasts-check --help)\n"
		return EXIT_FAIL
	end
	local results, status = {}, EXIT_OK
	local function merge(st, err)
		if not st then
			say(ewrite, err)
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
