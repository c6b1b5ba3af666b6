--- The mtasts-check command line (bin/mtasts-check is a thin launcher).
-- Exit status: 0 no errors, 1 warnings only, 2 errors, 3 could not run.
local mtasts = require "mtasts"

local cli = {}

local EXIT_OK, EXIT_WARN, EXIT_ERROR, EXIT_FAIL = 0, 1, 2, 3

local function build_parser()
	local argparse = require "argparse"
	local p = argparse("mtasts-check", "Check a mail domain's MTA-STS setup.")
	p:argument("domain", "Domains to check (arrives with the self-check; use --policy/--record now)."):args "*"
	p:option("--policy", "Check a policy file offline (- for standard input)."):argname "FILE"
	p:option("--record", "Check an _mta-sts TXT record offline, e.g. 'v=STSv1; id=20240101'."):argname "TXT"
	p:flag("--json", "Print the result as JSON.")
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
	if #opts.domain > 0 then
		ewrite("mtasts-check: checking domains over the network is not available yet; "
			.. "use --policy FILE or --record TXT\n")
		return EXIT_FAIL
	end
	if not opts.policy and not opts.record then
		ewrite("mtasts-check: nothing to check (try mtasts-check --help)\n")
		return EXIT_FAIL
	end
	if opts.json then
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
