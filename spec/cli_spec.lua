local cli = require "mtasts.cli"

-- Runs the CLI in-process; returns status, stdout, stderr.
local function run(args)
	local out, err = {}, {}
	local status = cli.main(args, function(s) out[#out + 1] = s end, function(s) err[#err + 1] = s end)
	return status, table.concat(out), table.concat(err)
end

describe("mtasts-check (offline)", function()
	it("exits 0 for a valid policy and prints it", function()
		local st, out = run { "--policy", "examples/policy-enforce.txt" }
		assert.equal(0, st)
		assert.matches("mode%s+enforce", out)
		assert.matches("%*%.example%.net", out)
	end)

	it("exits 1 for warnings only, naming the likely key", function()
		local st, out = run { "--policy", "examples/policy-typo.txt" }
		assert.equal(1, st)
		assert.matches("LIKELY_TYPO.*did you mean 'mx'", out)
	end)

	it("exits 2 for an invalid record, with the reason", function()
		local st, out = run { "--record", "v=STSv1; id=has-dash" }
		assert.equal(2, st)
		assert.matches("STS_SYNTAX", out)
	end)

	it("prints JSON", function()
		local cjson = require "cjson"
		local st, out = run { "--record", "v=STSv1; id=abc", "--json" }
		assert.equal(0, st)
		local doc = cjson.decode(out)
		assert.equal("abc", doc.record.id)
		assert.is_true(doc.ok)
	end)

	it("exits 3 for usage errors and unreadable files", function()
		local st, _, err = run { "--frobnicate" }
		assert.equal(3, st)
		assert.matches("unknown option", err)
		st, _, err = run { "--policy", "/nonexistent/policy.txt" }
		assert.equal(3, st)
		assert.matches("cannot read the %-%-policy file /nonexistent/policy.txt: No such file", err)
		st = run {}
		assert.equal(3, st)
	end)
end)
