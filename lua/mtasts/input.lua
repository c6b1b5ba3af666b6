--- Input from the user: files read within limits (never until memory runs
-- out: `--policy /dev/zero` ends at once), and user strings made safe to echo
-- (a name with ESC in it must not drive the terminal). Used by the CLI
-- (`--policy`, `--from`, `--config`, and `--reports` later), the --state
-- store and mtasts.selfcheck's domain check. Pure Lua, no C module needed.
local input = {}

input.POLICY_LIMIT = 65536   -- RFC 8461 §3.3: a policy is at most 64 KiB
input.LINE_LIMIT = 1024      -- a domain per line: a long IDN in UTF-8 is far below it
input.CONFIG_LIMIT = 1048576 -- the client configuration (client.lua is a few hundred bytes)
local CHUNK = 4096

local function hex(c)
	return ("\\x%02x"):format(c:byte())
end

--- s with its control characters written as \xHH: C0 (0x00-0x1f), DEL, and
-- the C1 controls as UTF-8 (U+0080-U+009F, which some terminals obey). Other
-- bytes, backslashes included, stay as they are, so escaping twice changes
-- nothing (a message built from already escaped parts can be escaped whole).
function input.escape(s)
	s = tostring(s):gsub("[%z\1-\31\127]", hex)
	return (s:gsub("\194([\128-\159])", function(c)
		return "\\xc2" .. hex(c)
	end))
end

--- How a file name appears in messages.
function input.display(name)
	return name == "-" and "(standard input)" or input.escape(name)
end

--- 12,345 for 12345 (the limits in messages).
local function thousands(n)
	local s = tostring(math.floor(n))
	repeat
		local k
		s, k = s:gsub("^(%d+)(%d%d%d)", "%1,%2")
	until k == 0
	return s
end
input.thousands = thousands

--- The reason of an io.open/read error without the file name it may start with.
local function reason(err, name)
	err = tostring(err or "unknown error")
	if err:sub(1, #name + 2) == name .. ": " then
		err = err:sub(#name + 3)
	end
	return err
end

--- Opens name for reading ("-": standard input); returns the file, or nil and
-- "cannot read <what> <name>: <reason>".
local function open(name, what)
	if name == "-" then
		return io.stdin
	end
	local f, err = io.open(name, "rb")
	if not f then
		return nil, ("cannot read %s %s: %s"):format(what, input.display(name), reason(err, name))
	end
	return f
end

local function close(f)
	if f ~= io.stdin then
		f:close()
	end
end

--- Reads n bytes at most; returns the bytes ("" at the end), or nil, message.
-- (A directory opens but fails here: "Is a directory".)
local function read_some(f, n, name, what)
	local s, err = f:read(n)
	if s then
		return s
	elseif err then
		return nil, ("cannot read %s %s: %s"):format(what, input.display(name), reason(err, name))
	end
	return ""
end

--- The whole of file name ("-": standard input), at most limit bytes: reads
-- at most limit + 1. Returns the text, or nil and a one-line message naming
-- what (e.g. "the --policy file") and the file.
function input.read(name, what, limit)
	local f, err = open(name, what)
	if not f then
		return nil, err
	end
	local parts, size = {}, 0
	while size <= limit do
		local s
		s, err = read_some(f, math.min(CHUNK, limit + 1 - size), name, what)
		if not s then
			close(f)
			return nil, err
		elseif s == "" then
			break
		end
		parts[#parts + 1] = s
		size = size + #s
	end
	close(f)
	if size > limit then
		return nil, ("%s %s is over %s bytes"):format(what, input.display(name), thousands(limit))
	end
	return table.concat(parts)
end

--- Calls fn(line, number) for each line of file name ("-": standard input),
-- without its "\n" or "\r\n"; a line over limit bytes stops the reading (so a
-- file without newlines is never read whole). Returns true, or nil and a
-- one-line message (fn may return nil, message to stop with that message).
function input.lines(name, what, limit, fn)
	local f, err = open(name, what)
	if not f then
		return nil, err
	end
	local pending, number = "", 0
	local function line(l)
		number = number + 1
		l = l:gsub("\r$", "")
		if #l > limit then
			return nil, ("%s %s: line %d is over %s bytes"):format(what, input.display(name), number, thousands(limit))
		end
		local r, e = fn(l, number)
		if r == nil and e then
			return nil, e
		end
		return true
	end
	local ok = true
	while ok do
		local s
		s, err = read_some(f, CHUNK, name, what)
		if not s then
			ok = nil
			break
		elseif s == "" then
			if pending ~= "" then
				ok, err = line(pending)
			end
			break
		end
		pending = pending .. s
		local from = 1
		while ok do
			local nl = pending:find("\n", from, true)
			if not nl then
				break
			end
			ok, err = line(pending:sub(from, nl - 1))
			from = nl + 1
		end
		pending = pending:sub(from)
		if ok and #pending > limit + 1 then -- (+1: a "\r" before the "\n" still to come)
			number = number + 1
			ok, err = nil, ("%s %s: line %d is over %s bytes"):format(what, input.display(name), number,
				thousands(limit))
		end
	end
	close(f)
	if not ok then
		return nil, err
	end
	return true
end

--- Is name an IP address rather than a domain name? "[192.0.2.1]", "::1",
-- "2001:db8::1", "127.0.0.1", "192.0.2.1." and the other forms inet_aton
-- takes ("127.1", "0x7f.1", "2130706433"): every label numeric. (No top-level
-- domain is numeric, so no domain name is refused.)
function input.ip_literal(name)
	name = tostring(name)
	if name:match "^%[.*%]%.?$" then
		return true
	end
	if name:find(":", 1, true) and name:match "^[%x:.]+$" and select(2, name:gsub(":", "")) >= 2 then
		return true
	end
	name = name:gsub("%.$", "")
	if name == "" then
		return false
	end
	for label in (name .. "."):gmatch "([^.]*)%." do
		if not (label:match "^%d+$" or label:match "^0[xX]%x*$") then
			return false
		end
	end
	return true
end

return input
