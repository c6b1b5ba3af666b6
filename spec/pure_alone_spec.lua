-- mtasts.pure loads alone (issue #8 §1): `require "mtasts"` in a Lua whose
-- package.cpath holds only mtasts/pure.so (no mtasts.core, no cjson, no
-- system directories) parses, selects, matches and runs sts_state; touching a
-- network function there raises one clear error. And pure.so links none of
-- libunbound, libcurl, libssl (core.so does: the check can fail).
local read_file = require "helpers.read_file"

-- The build directory of this busted task (.busted: cpath "build-<flavor>/?.so").
local BUILD = package.cpath:match "(build%-[%w.]+)/%?%.so"
local INTERPRETERS = { ["build-5.1"] = "lua5.1", ["build-5.2"] = "lua5.2", ["build-5.3"] = "lua5.3",
	["build-5.4"] = "lua5.4", ["build-jit"] = "luajit" }

local function sh(cmd)
	local p = assert(io.popen(cmd .. " 2>&1; echo \"exit=$?\""))
	local out = p:read "*a"
	p:close()
	local body, code = out:match "^(.-)exit=(%d+)%s*$"
	return tonumber(code), body
end

-- What the fresh process runs: its paths are set before anything is loaded.
local SCRIPT = [=[
local dir = ...
package.path = "lua/?.lua;lua/?/init.lua"
package.cpath = dir .. "/?.so"
assert(not pcall(require, "cjson"), "cjson is findable")
assert(not pcall(require, "mtasts.core"), "mtasts.core is findable")
package.loaded["mtasts.core"] = nil

local mtasts = require "mtasts"
local policy = assert(mtasts.parse_policy "version: STSv1\nmode: enforce\nmx: *.example.net\nmax_age: 86400\n")
assert(policy.mode == "enforce" and policy.mx[1] == "*.example.net")
local rec = assert(mtasts.select_sts_record { "v=spf1 -all", "v=STSv1; id=20240101" })
assert(rec.id == "20240101")
assert(mtasts.mx_matches(policy, "mx1.example.net") == "*.example.net")
assert(mtasts.mx_matches(policy.mx, "a.b.example.net") == false)
assert(mtasts.policy_url "example.com" == "https://mta-sts.example.com/.well-known/mta-sts.txt")
assert(type(mtasts.now()) == "number")
local s = mtasts.sts_state {
	domain = "example.com", now = 1000,
	txt = { records = { "v=STSv1; id=20240101" }, dnssec = "insecure" },
	fetch = { status = 200, content_type = "text/plain", body = "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 600\n" },
}
assert(s.state == "testing" and s.id == "20240101", tostring(s.state) .. ": " .. tostring(s.reason))

local ok, err = pcall(function() return mtasts.resolver end)
assert(not ok, "mtasts.resolver loaded")
io.write("ERR ", tostring(err), "\n")
-- the pure functions keep working after that
assert(mtasts.parse_sts_record "v=STSv1; id=1")
assert(package.loaded["mtasts.core"] == nil and package.loaded.cjson == nil)
io.write("OK\n")
]=]

describe("mtasts.pure alone", function()
	local dir

	setup(function()
		assert(BUILD and INTERPRETERS[BUILD], "cannot tell the build directory from package.cpath " .. package.cpath)
		dir = os.tmpname()
		os.remove(dir)
		assert(sh(("mkdir -p %s/mtasts && cp %s/mtasts/pure.so %s/mtasts/"):format(dir, BUILD, dir)) == 0)
		local f = assert(io.open(dir .. "/run.lua", "w"))
		f:write(SCRIPT)
		f:close()
	end)

	teardown(function()
		if dir then
			sh("rm -rf " .. dir)
		end
	end)

	it("gives require \"mtasts\" its pure functions and sts_state, and a clear error for the network", function()
		local code, out = sh(("env -i PATH=\"$PATH\" %s %s/run.lua %s"):format(INTERPRETERS[BUILD], dir, dir))
		assert.equal(0, code, out)
		assert.matches("OK\n$", out)
		local err = assert(out:match "ERR ([^\n]*)")
		assert.matches("mtasts.resolver needs the C module mtasts.core", err, 1, true)
		assert.matches("module 'mtasts.core' not found", err, 1, true) -- the loader's message
	end)

	local function needed(so)
		local code, out = sh("readelf -d " .. so)
		assert.equal(0, code, out)
		local libs = {}
		for lib in out:gmatch "%(NEEDED%)%s+Shared library: %[([^%]]+)%]" do
			libs[#libs + 1] = lib:match "^(lib[%w_+-]-)%.so" or lib
		end
		return table.concat(libs, " ")
	end

	it("links no network library into pure.so (core.so has them)", function()
		local pure, core = needed(BUILD .. "/mtasts/pure.so"), needed(BUILD .. "/mtasts/core.so")
		for _, lib in ipairs { "libunbound", "libcurl", "libssl" } do
			assert.is_nil(pure:find(lib, 1, true), "pure.so needs " .. lib .. ": " .. pure)
			assert.truthy(core:find(lib, 1, true), "core.so lacks " .. lib .. ": " .. core)
		end
	end)

	it("exports only luaopen_* from each module", function()
		for _, m in ipairs { "pure", "core" } do
			local code, out = sh(("nm -D --defined-only %s/mtasts/%s.so"):format(BUILD, m))
			assert.equal(0, code, out)
			local names = {}
			for name in out:gmatch "%x+ %a ([%w_]+)" do
				names[#names + 1] = name
			end
			assert.same({ "luaopen_mtasts_" .. m }, names)
		end
	end)

	it("is what lua/mtasts requires where only pure functions are used", function()
		-- mtasts.core stays out of the modules that sts_state and the parsers need
		for _, file in ipairs { "lua/mtasts/init.lua", "lua/mtasts/sts_state.lua" } do
			assert.is_nil(read_file(file):find('require%s*%(?%s*"mtasts%.core"'), file)
		end
	end)
end)
