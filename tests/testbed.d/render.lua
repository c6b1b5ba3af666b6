-- render.lua: turns the scenario files into everything the testbed's servers need.
--
--   lua5.4 render.lua --state DIR --cache DIR --name NAME --scenarios DIR [--scenarios DIR]...
--                     [--clones N] [--switched NAME,NAME] [--now EPOCH]
--
-- Reads tests/scenarios/*.lua (and any other directory given), merges each scenario over its
-- `base`, allocates addresses, and writes into the state directory:
--   plan            tab-separated work list for tests/testbed (certificates, zones, TLSA hashes,
--                   corrupted signatures), in the order the work must be done
--   dns/*.zone      unsigned zone files (DS records are appended by tests/testbed when signing)
--   nsd.conf unbound.conf libunbound.conf root.hints client.lua
--   nginx/nginx.conf www/...     postfix/etc/{main,master}.cf postfix/reject.sh
--   hosts           one line per host: fqdn, IPv4, IPv6, role, variant, scenario
--   scenarios.lua   the merged scenarios (what tests/testbed-check and the specs read)
-- It never starts anything and never runs a program: pure file generation.

local ALLOWED = { domain = true, base = true, signed = true, dns = true, policy = true,
                  https = true, mx = true, expect = true, switch = true, testbed_check = true }
local SIGNED = { [true] = true, [false] = true, ["bogus-expired"] = true, ["bogus-ds"] = true,
                 lame = true }
local HTTPS_VARIANTS = {
  valid = true, ["self-signed"] = true, ["wrong-name"] = true, ["cn-only"] = true,
  expired = true, expiring = true, redirect = true, ["not-found"] = true, ["text-html"] = true,
  charset = true, oversize = true, ["oversize-chunked"] = true, slow = true,
  ["http-only"] = true, ["ipv6-only"] = true, ["ipv6-dead"] = true, absent = true, tls10 = true,
}
local SMTP_VARIANTS = {
  valid = true, ["no-starttls"] = true, expired = true, ["wrong-name"] = true,
  ["self-signed"] = true, tls10 = true, reject554 = true, stall = true, ["ipv6-only"] = true,
}
-- the certificate kind each variant presents ("scenario" = the domain's valid certificate)
local CERT_OF = {
  valid = "scenario", ["self-signed"] = "self-signed", ["wrong-name"] = "wrong-name",
  ["cn-only"] = "cn-only", expired = "expired", expiring = "expiring", redirect = "scenario",
  ["not-found"] = "scenario", ["text-html"] = "scenario", charset = "scenario",
  oversize = "scenario", ["oversize-chunked"] = "scenario", slow = "scenario",
  ["ipv6-only"] = "scenario", ["ipv6-dead"] = "scenario", tls10 = "scenario",
}

local SIG_OK = { "20200101000000", "20500101000000" }        -- RRSIG inception, expiration
local SIG_EXPIRED = { "20100101000000", "20110101000000" }
local ROOT_NS = { name = "ns.root-servers.test.", addr = "127.0.1.1" }
local TLD_NS = { name = "ns1.nic.test.", addr = "127.0.1.2" }
local RESOLVER_ADDR = "127.0.0.53"
local CLONE_PREFIX = "127.200.0."

------------------------------------------------------------------------------ arguments
local opt = { scenarios = {}, clones = 0, switched = {}, now = os.time() }
do
  local i = 1
  while i <= #arg do
    local a, v = arg[i], arg[i + 1]
    if a == "--state" then opt.state = v
    elseif a == "--cache" then opt.cache = v
    elseif a == "--name" then opt.name = v
    elseif a == "--scenarios" then opt.scenarios[#opt.scenarios + 1] = v
    elseif a == "--clones" then opt.clones = assert(math.tointeger(tonumber(v)), "--clones N")
    elseif a == "--switched" then
      for s in v:gmatch("[^,]+") do opt.switched[s] = true end
    elseif a == "--now" then opt.now = assert(tonumber(v))
    else error("render.lua: unknown argument " .. tostring(a)) end
    i = i + 2
  end
  assert(opt.state and opt.cache and opt.name, "render.lua: --state, --cache and --name are required")
end
local STATE = opt.state

------------------------------------------------------------------------------ helpers
local function die(fmt, ...) io.stderr:write("testbed: ", fmt:format(...), "\n"); os.exit(1) end

local function is_array(t) return type(t) == "table" and t[1] ~= nil end

local function copy(v)
  if type(v) ~= "table" then return v end
  local r = {}
  for k, x in pairs(v) do r[k] = copy(x) end
  return r
end

-- Maps merge key by key; arrays and scalars replace; `false` is kept and means "none".
local function merge(base, over)
  if over == nil then return copy(base) end
  if type(over) ~= "table" or is_array(over) or type(base) ~= "table" or is_array(base) then
    return copy(over)
  end
  local r = copy(base)
  for k, v in pairs(over) do r[k] = merge(base[k], v) end
  return r
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t or {}) do ks[#ks + 1] = k end
  table.sort(ks, function(a, b) return tostring(a) < tostring(b) end)
  return ks
end

local function list(v)
  if v == nil or v == false then return {} end
  if type(v) == "table" and not is_array(v) and next(v) ~= nil then return { v } end
  if type(v) ~= "table" then return { v } end
  return v
end

local function write(path, content)
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local mkdirs = {}
local function dir(path) mkdirs[#mkdirs + 1] = path; return path end

-- RFC 3492 punycode for one label (lower-case input)
local function punycode(label)
  local cps = {}
  for _, c in utf8.codes(label) do cps[#cps + 1] = c end
  local out, basic = {}, 0
  for _, c in ipairs(cps) do
    if c < 128 then out[#out + 1] = string.char(c); basic = basic + 1 end
  end
  if basic == #cps then return label end
  local h = basic
  if basic > 0 then out[#out + 1] = "-" end
  local BASE, TMIN, TMAX = 36, 1, 26
  local function digit(d) return string.char(d < 26 and d + 97 or d + 22) end
  local function adapt(delta, numpoints, first)
    delta = first and delta // 700 or delta // 2
    delta = delta + delta // numpoints
    local k = 0
    while delta > ((BASE - TMIN) * TMAX) // 2 do delta = delta // (BASE - TMIN); k = k + BASE end
    return k + (BASE - TMIN + 1) * delta // (delta + 38)
  end
  local n, delta, bias = 128, 0, 72
  while h < #cps do
    local m = math.huge
    for _, c in ipairs(cps) do if c >= n and c < m then m = c end end
    delta = delta + (m - n) * (h + 1)
    n = m
    for _, c in ipairs(cps) do
      if c < n then delta = delta + 1 end
      if c == n then
        local q, k = delta, BASE
        while true do
          local t = k <= bias and TMIN or (k >= bias + TMAX and TMAX or k - bias)
          if q < t then break end
          out[#out + 1] = digit(t + (q - t) % (BASE - t))
          q = (q - t) // (BASE - t)
          k = k + BASE
        end
        out[#out + 1] = digit(q)
        bias = adapt(delta, h + 1, h == basic)
        delta, h = 0, h + 1
      end
    end
    delta, n = delta + 1, n + 1
  end
  return "xn--" .. table.concat(out)
end

local function to_ascii(name)
  local labels = {}
  for l in name:gmatch("[^.]+") do labels[#labels + 1] = punycode(l:lower()) end
  return table.concat(labels, ".")
end

local function txt_quote(s)
  -- one TXT record value -> quoted character-strings of at most 255 bytes
  local parts = {}
  local i = 1
  repeat
    local chunk = s:sub(i, i + 254)
    parts[#parts + 1] = '"' .. chunk:gsub('[\\"]', "\\%0") .. '"'
    i = i + 255
  until i > #s
  return table.concat(parts, " ")
end

local function ngx_quote(s)
  return '"' .. s:gsub('[\\"]', "\\%0"):gsub("\n", "\\n"):gsub("\r", "\\r") .. '"'
end

------------------------------------------------------------------------------ load scenarios
local raw, order = {}, {}
for _, d in ipairs(opt.scenarios) do
  local p = io.popen('ls -1 "' .. d .. '" 2>/dev/null')
  local names = {}
  for f in p:lines() do if f:match("^[%w][%w%-_]*%.lua$") then names[#names + 1] = f end end
  p:close()
  table.sort(names)
  if #names == 0 then die("no scenario files (*.lua) in %s", d) end
  for _, f in ipairs(names) do
    local name = f:gsub("%.lua$", "")
    local path = d .. "/" .. f
    if raw[name] then die("scenario %s defined twice (%s and %s)", name, raw[name].path, path) end
    local ok, t = pcall(dofile, path)
    if not ok then die("%s: %s", path, t) end
    if type(t) ~= "table" then die("%s: must return a table", path) end
    for k in pairs(t) do
      if not ALLOWED[k] then die("%s: unknown key %s (allowed: domain, base, signed, dns, policy, https, mx, expect, switch)", path, tostring(k)) end
    end
    if type(t.domain) ~= "string" then die("%s: `domain` (a string) is required", path) end
    raw[name] = { path = path, t = t }
    order[#order + 1] = name
  end
end
if not raw["enforce-ok"] and opt.clones > 0 then die("--clones needs the enforce-ok scenario") end

local resolved = {}
local function resolve(name, seen)
  if resolved[name] then return resolved[name] end
  seen = seen or {}
  if seen[name] then die("scenario %s: `base` loop", name) end
  seen[name] = true
  local r = raw[name]
  if not r then die("unknown base scenario %s", name) end
  local t = r.t
  local s
  if t.base then
    local b = copy(resolve(t.base, seen))
    b.switch, b.base = nil, nil
    local over = copy(t)
    over.base = nil
    s = merge(b, over)
    s.base = t.base
  else
    s = copy(t)
  end
  if s.signed == nil then s.signed = true end
  if not SIGNED[s.signed] then die("%s: signed must be true, false, \"bogus-expired\", \"bogus-ds\" or \"lame\"", r.path) end
  resolved[name] = s
  return s
end

------------------------------------------------------------------------------ model
local plan = {}          -- lines for tests/testbed
local certs, cert_list = {}, {}
local hosts, host_list = {}, {}   -- fqdn -> host
local zones = {}         -- ordered: scenario zones, clones, test, root
local v6addrs, dead6 = {}, false
local nsd_addrs = { ROOT_NS.addr, TLD_NS.addr }
local scen_out = {}      -- for scenarios.lua
local spki_needed = {}

local function cert(name, kind, cn, sans)
  local c = certs[name]
  if not c then
    c = { name = name, kind = kind, cn = cn, sans = {}, seen = {} }
    certs[name] = c
    cert_list[#cert_list + 1] = c
  end
  for _, s in ipairs(sans or {}) do
    if not c.seen[s] then c.seen[s] = true; c.sans[#c.sans + 1] = s end
  end
  return c
end

local function block(k)       -- address block of the k-th scenario: 127.1.k.0/24, 127.2.…
  return ("127.%d.%d."):format(1 + k // 256, k % 256), ("fd00::1:%d:%d:"):format(k // 256, k % 256),
         ("fd00:dead::%d:%d:"):format(k // 256, k % 256)
end

local function subst(s, ctx)
  if type(s) ~= "string" then return s end
  return (s:gsub("{([%a][%w%-]*):?([^{}]*)}", function(key, a)
    if key == "domain" then return ctx.domain end
    if key == "days-ago" then return os.date("!%Y%m%d", opt.now - assert(tonumber(a)) * 86400) end
    if key == "dkim-p" then
      local p = read(opt.cache .. "/dkim-" .. a .. ".p")
      if not p then die("%s: unknown DKIM key %s (have rsa2048, rsa1024, ed25519)", ctx.path, a) end
      return (p:gsub("%s", ""))
    end
    if key == "tlsa-3-1-1" then
      local fq = a == "@" and ctx.domain or (a .. "." .. ctx.domain)
      local h = hosts[fq]
      if not h or not h.cert then die("%s: {tlsa-3-1-1:%s}: %s has no certificate", ctx.path, a, fq) end
      spki_needed[h.cert.name] = true
      return "3 1 1 @@SPKI:" .. h.cert.name .. "@@"
    end
    return nil
  end))
end

local function fqdn(rel, domain)
  if rel == "@" then return domain end
  if rel:sub(-1) == "." then return rel:sub(1, -2) end
  return to_ascii(rel) .. "." .. domain
end

local function file_entry(v)
  if type(v) == "string" then return { status = 200, type = "text/plain", body = v } end
  return { status = v.status or v[1] or 200, type = v.type or v[2] or "text/plain",
           body = v.body or v[3] or "" }
end

-- Builds one scenario instance (a real scenario, or a clone of enforce-ok).
-- inst = { name, s (merged), domain, zone, k (address block) or clone = true, path }
local function build(inst)
  local s, D = inst.s, inst.domain
  local ctx = { domain = D, path = inst.path, tlsa_refs = {} }
  local p4, p6, pdead = "", "", ""
  if not inst.clone then p4, p6, pdead = block(inst.k) end
  local hostseq = 10
  local by_rel = {}
  local function host(rel)
    if by_rel[rel] then return by_rel[rel] end
    local fq = fqdn(rel, D)
    if hosts[fq] then die("%s: host %s already defined by scenario %s", inst.path, fq, hosts[fq].scenario) end
    local h = { fqdn = fq, rel = rel, scenario = inst.name, domain = D }
    if inst.clone then
      h.v4 = inst.clone_addr(rel)
    elseif rel == "mta-sts" then
      h.v4, h.v6, h.v6dead = p4 .. "2", p6 .. "2", pdead .. "2"
    else
      h.v4, h.v6, h.v6dead = p4 .. hostseq, p6 .. hostseq, pdead .. hostseq
      hostseq = hostseq + 1
    end
    hosts[fq], by_rel[rel] = h, h
    host_list[#host_list + 1] = h
    return h
  end
  local function scen_cert(h)
    local name = inst.clone and "clones" or D
    local c = cert(name, "valid", inst.clone and "clones.test" or D,
                   inst.clone and { "*." .. D } or { h.fqdn })
    return c
  end
  local function variant_cert(h, kind)
    if kind == "scenario" then return scen_cert(h) end
    if kind == "wrong-name" then
      return cert(h.fqdn .. ".wrong-name", "valid", "wrong-name.invalid", { "wrong-name.invalid" })
    end
    if kind == "cn-only" then return cert(h.fqdn .. ".cn-only", "cn-only", h.fqdn, {}) end
    return cert(h.fqdn .. "." .. kind, kind, h.fqdn, { h.fqdn })
  end

  -- HTTPS hosts
  local https = s.https
  local policy = s.policy
  if https then
    if type(https) ~= "table" then https = {} end
    local variant = https.variant or "valid"
    if not HTTPS_VARIANTS[variant] then die("%s: unknown https variant %s", inst.path, variant) end
    if variant ~= "absent" then   -- absent: no policy host, but the other files are served
      local h = host("mta-sts")
      h.https = { variant = variant, files = {}, policy = policy and subst(policy, ctx) or false }
      h.https_address = https.address
      if variant == "http-only" then
        h.listen80 = true
      else
        h.cert = variant_cert(h, CERT_OF[variant])
      end
      if variant == "ipv6-only" then h.only6 = true; v6addrs[#v6addrs + 1] = h.v6 end
      if variant == "ipv6-dead" then h.dead6 = true; dead6 = true end
    end
    for _, rel in ipairs(sorted_keys(https.files)) do
      local files = https.files[rel]
      if files then
        local fh = host(rel)
        if not fh.https then
          fh.https = { variant = "valid", files = {}, policy = false }
          fh.cert = scen_cert(fh)
        end
        for _, path in ipairs(sorted_keys(files)) do
          if files[path] then
            local e = file_entry(files[path])
            e.body = subst(e.body, ctx)
            e.path = path
            fh.https.files[#fh.https.files + 1] = e
          end
        end
      end
    end
  end

  -- SMTP hosts
  for _, rel in ipairs(sorted_keys(s.mx)) do
    local m = s.mx[rel]
    if m then
      if type(m) == "string" then m = { variant = m } end
      local variant = m.variant or "valid"
      if not SMTP_VARIANTS[variant] then die("%s: unknown mx variant %s", inst.path, variant) end
      local h = host(rel)
      h.smtp = { variant = variant }
      if m.address then h.v4 = m.address end
      if variant == "ipv6-only" then h.only6 = true; v6addrs[#v6addrs + 1] = h.v6 end
      if CERT_OF[variant] then
        local c = variant_cert(h, CERT_OF[variant])
        if h.cert and h.cert ~= c then die("%s: host %s needs two certificates", inst.path, h.fqdn) end
        h.cert = c
      end
    end
  end

  -- DNS records (owner relative to the domain)
  local rr = {}
  local function add(owner, ty, data) rr[#rr + 1] = { owner, ty, data } end
  local dns = s.dns or {}
  for _, rel in ipairs(sorted_keys(by_rel)) do
    local h = by_rel[rel]
    local own = dns[rel]
    local explicit = type(own) == "table" and (own.CNAME or own.A or own.AAAA)
    if not explicit then
      if not h.only6 then add(rel, "A", h.v4) end
      if h.only6 then add(rel, "AAAA", h.v6) end
      if h.dead6 then add(rel, "AAAA", h.v6dead) end
    end
  end
  local corrupt = {}
  for _, owner in ipairs(sorted_keys(dns)) do
    local types = dns[owner]
    if types then
      for _, ty in ipairs(sorted_keys(types)) do
        if ty == "bogus" then
          for _, b in ipairs(list(types.bogus)) do corrupt[#corrupt + 1] = { owner, b } end
        elseif types[ty] then
          for _, v in ipairs(list(types[ty])) do
            if ty == "TXT" then
              if type(v) == "table" then
                local q = {}
                for _, part in ipairs(v) do q[#q + 1] = txt_quote(subst(part, ctx)) end
                add(owner, ty, table.concat(q, " "))
              else
                add(owner, ty, txt_quote(subst(v, ctx)))
              end
            else
              add(owner, ty, subst(tostring(v), ctx))
            end
          end
        end
      end
    end
  end

  local lines = {}
  lines[#lines + 1] = ("$ORIGIN %s."):format(D)
  for _, r in ipairs(rr) do
    lines[#lines + 1] = ("%s\t%s\t%s"):format(r[1], r[2], r[3])
  end
  return table.concat(lines, "\n") .. "\n", corrupt, by_rel, rr
end

-- the scenarios themselves
local zone_children = {}      -- lines for test. (delegations)
local k = 0
table.sort(order, function(a, b) return a < b end)
for _, name in ipairs(order) do
  local s = resolve(name)
  local state2 = opt.switched[name]
  if state2 and not raw[name].t.switch then die("scenario %s has no `switch`", name) end
  local eff = s
  if state2 then
    local sw = copy(raw[name].t.switch)
    eff = merge(s, sw)
  end
  k = k + 1
  local D = to_ascii(s.domain)
  if not D:match("%.test$") then die("%s: domain %s is not under test.", raw[name].path, D) end
  local inst = { name = name, s = eff, domain = D, k = k, path = raw[name].path }
  local body, corrupt, by_rel, rr = build(inst)
  local p4 = block(k)
  local ns = p4 .. "1"
  local z = { name = D, file = D, parent = "test", mode = s.signed, corrupt = corrupt }
  local header = table.concat({
    ("$ORIGIN %s."):format(D), "$TTL 300",
    ("@\tSOA\tns1 hostmaster %d 3600 600 86400 300"):format(state2 and 2 or 1),
    "@\tNS\tns1", ("ns1\tA\t%s"):format(ns), "" }, "\n")
  z.text = header .. body
  zones[#zones + 1] = z
  zone_children[#zone_children + 1] = ("%s.\tNS\tns1.%s.\nns1.%s.\tA\t%s"):format(D, D, D, ns)
  if s.signed ~= "lame" then nsd_addrs[#nsd_addrs + 1] = ns end
  local expect = s.expect or {}
  local sw = raw[name].t.switch
  scen_out[#scen_out + 1] = {
    name = name, domain = D, unicode = s.domain ~= D and s.domain or nil, base = s.base,
    signed = s.signed, ns = ns, switched = state2 or false,
    https = (eff.https and (type(eff.https) == "table" and (eff.https.variant or "valid") or "valid")) or false,
    policy = eff.policy and subst(eff.policy, { domain = D, tlsa_refs = {} }) or false,
    hosts = by_rel, records = (function()
      local out = {}
      for _, r in ipairs(rr) do
        out[#out + 1] = { owner = r[1], type = r[2], data = r[3] }
      end
      return out
    end)(),
    bogus = #corrupt > 0 and corrupt or nil,
    expect = state2 and merge(expect, sw.expect) or expect,
    expect_base = expect,
    testbed_check = s.testbed_check,
    switch = sw and { expect = merge(expect, sw.expect) } or nil,
  }
end

-- clones of enforce-ok under clones.test
if opt.clones > 0 then
  local s = resolve("enforce-ok")
  local roles, nrole = {}, 10
  local function clone_addr(rel)
    if rel == "mta-sts" then return CLONE_PREFIX .. "2" end
    if not roles[rel] then roles[rel] = CLONE_PREFIX .. nrole; nrole = nrole + 1 end
    return roles[rel]
  end
  local width = math.max(4, #tostring(opt.clones))
  local parts = { "$ORIGIN clones.test.", "$TTL 300", "@\tSOA\tns1 hostmaster 1 3600 600 86400 300",
                  "@\tNS\tns1", "ns1\tA\t" .. CLONE_PREFIX .. "1", "" }
  local corrupt_all = {}
  for i = 1, opt.clones do
    local D = ("c%0" .. width .. "d.clones.test"):format(i)
    local inst = { name = "clone", s = s, domain = D, clone = true, clone_addr = clone_addr,
                   path = "clone of enforce-ok" }
    local body = build(inst)
    parts[#parts + 1] = body
  end
  zones[#zones + 1] = { name = "clones.test", file = "clones.test", parent = "test", mode = true,
                        corrupt = corrupt_all, text = table.concat(parts, "\n") }
  zone_children[#zone_children + 1] = ("clones.test.\tNS\tns1.clones.test.\nns1.clones.test.\tA\t%s"):format(CLONE_PREFIX .. "1")
  nsd_addrs[#nsd_addrs + 1] = CLONE_PREFIX .. "1"
end

-- test. and the root
zones[#zones + 1] = { name = "test", file = "test", parent = "root", mode = true, corrupt = {},
  text = table.concat({ "$ORIGIN test.", "$TTL 300", "@\tSOA\tns1.nic hostmaster.nic 1 3600 600 86400 300",
    "@\tNS\t" .. TLD_NS.name, "ns1.nic\tA\t" .. TLD_NS.addr, "ns.root-servers\tA\t" .. ROOT_NS.addr,
    table.concat(zone_children, "\n"), "" }, "\n") }
zones[#zones + 1] = { name = ".", file = "root", parent = "-", mode = true, corrupt = {},
  text = table.concat({ "$ORIGIN .", "$TTL 300",
    ("@\tSOA\t%s hostmaster.nic.test. 1 3600 600 86400 300"):format(ROOT_NS.name),
    "@\tNS\t" .. ROOT_NS.name, ROOT_NS.name .. "\tA\t" .. ROOT_NS.addr,
    "test.\tNS\t" .. TLD_NS.name, TLD_NS.name .. "\tA\t" .. TLD_NS.addr, "" }, "\n") }

-- delegated policy hosts: `address` names another host whose address this one shares
for _, h in ipairs(host_list) do
  if h.https_address then
    local a = h.https_address
    if a:match("^%d+%.%d+%.%d+%.%d+$") then h.v4 = a
    else
      local other = hosts[a:gsub("%.$", "")]
      if not other then die("host %s: address %s is not a testbed host", h.fqdn, a) end
      h.v4 = other.v4
    end
  end
end

------------------------------------------------------------------------------ output: dns
dir(STATE .. "/dns"); dir(STATE .. "/dns/keys")
local files_out = {}
for _, z in ipairs(zones) do
  files_out[STATE .. "/dns/" .. z.file .. ".zone"] = z.text
end

------------------------------------------------------------------------------ output: plan
-- cert<TAB>name<TAB>kind<TAB>cn<TAB>sans(comma)|@file<TAB>spki(0|1)
for _, c in ipairs(cert_list) do
  local sans = table.concat(c.sans, ",")
  if #sans > 60000 then
    files_out[STATE .. "/pki/" .. c.name .. ".san"] = "DNS:" .. table.concat(c.sans, ",DNS:")
    sans = "@" .. STATE .. "/pki/" .. c.name .. ".san"
  end
  plan[#plan + 1] = table.concat({ "cert", c.name, c.kind, c.cn, sans ~= "" and sans or "-",
                                   spki_needed[c.name] and "1" or "0" }, "\t")
end
-- zone<TAB>name<TAB>file<TAB>parent-file<TAB>mode   (children before parents)
for _, z in ipairs(zones) do
  local mode = z.mode == true and "signed" or z.mode == false and "unsigned" or z.mode
  plan[#plan + 1] = table.concat({ "zone", z.name, z.file, z.parent, mode }, "\t")
  for _, c in ipairs(z.corrupt) do
    local owner = c[1] == "@" and z.name or (c[1] .. "." .. z.name)
    plan[#plan + 1] = table.concat({ "corrupt", z.file, owner .. ".", c[2] }, "\t")
  end
end
for _, a in ipairs(v6addrs) do plan[#plan + 1] = "addr6\t" .. a end
if dead6 then plan[#plan + 1] = "dead6\tfd00:dead::/32" end
plan[#plan + 1] = "sig\t" .. SIG_OK[1] .. "\t" .. SIG_OK[2] .. "\t" .. SIG_EXPIRED[1] .. "\t" .. SIG_EXPIRED[2]
files_out[STATE .. "/plan"] = table.concat(plan, "\n") .. "\n"

------------------------------------------------------------------------------ output: nsd
-- Three nsd instances, so that every delegation is a real referral: the root server knows only
-- ".", the test. server only "test.", and the third serves every scenario zone on the scenario's
-- own nameserver addresses.
do
  dir(STATE .. "/nsd")
  local function conf(inst, addrs, zlist)
    local d = STATE .. "/nsd/" .. inst
    dir(d)
    local t = { "server:", "\tserver-count: 1", "\tport: 53", "\tdatabase: \"\"",
      "\tusername: \"\"", "\tchroot: \"\"", "\tzonesdir: \"" .. STATE .. "/dns\"",
      "\tpidfile: \"" .. d .. "/nsd.pid\"", "\tlogfile: \"" .. d .. "/nsd.log\"",
      "\txfrdfile: \"" .. d .. "/xfrd.state\"", "\tzonelistfile: \"" .. d .. "/zone.list\"",
      "\txfrdir: \"" .. d .. "\"", "\tverbosity: 1", "\thide-version: yes", "\tdo-ip6: no",
      "\tzonefiles-check: yes", "\trefuse-any: yes",
      -- nsd's response rate limit puts a zone's NODATA answers (qname minimisation
      -- makes many) in one bucket of 200/s: benchmarks would measure it, not us.
      "\trrl-ratelimit: 0", "\trrl-whitelist-ratelimit: 0" }
    for _, a in ipairs(addrs) do t[#t + 1] = "\tip-address: " .. a end
    t[#t + 1] = "remote-control:\n\tcontrol-enable: no"
    for _, z in ipairs(zlist) do
      t[#t + 1] = ("zone:\n\tname: \"%s\"\n\tzonefile: \"%s.served\""):format(z.name, z.file)
    end
    files_out[STATE .. "/nsd-" .. inst .. ".conf"] = table.concat(t, "\n") .. "\n"
  end
  local root, tld, rest = {}, {}, {}
  for _, z in ipairs(zones) do
    if z.name == "." then root[#root + 1] = z
    elseif z.name == "test" then tld[#tld + 1] = z
    elseif z.mode ~= "lame" then rest[#rest + 1] = z end
  end
  local scen_addrs = {}
  for i = 3, #nsd_addrs do scen_addrs[#scen_addrs + 1] = nsd_addrs[i] end
  conf("root", { ROOT_NS.addr }, root)
  conf("tld", { TLD_NS.addr }, tld)
  conf("zones", scen_addrs, rest)
end

------------------------------------------------------------------------------ output: resolvers
files_out[STATE .. "/root.hints"] = (".\t3600000\tNS\t%s\n%s\t3600000\tA\t%s\n"):format(
  ROOT_NS.name, ROOT_NS.name, ROOT_NS.addr)
files_out[STATE .. "/unbound.conf"] = table.concat({
  "server:", "\tinterface: " .. RESOLVER_ADDR, "\tport: 53", "\tdo-ip6: no",
  "\tusername: \"\"", "\tchroot: \"\"", "\tdirectory: \"" .. STATE .. "/unbound\"",
  "\tpidfile: \"" .. STATE .. "/unbound/unbound.pid\"", "\tlogfile: \"" .. STATE .. "/unbound/unbound.log\"",
  "\tuse-syslog: no", "\tverbosity: 1", "\tnum-threads: 1", "\tdo-daemonize: yes",
  "\troot-hints: \"" .. STATE .. "/root.hints\"", "\ttrust-anchor-file: \"" .. STATE .. "/root.ds\"",
  "\tdo-not-query-localhost: no", "\tlocal-zone: \"test.\" nodefault", "\tval-log-level: 2",
  "\taccess-control: 127.0.0.0/8 allow", "\taccess-control: ::1 allow", "\taccess-control: fd00::/8 allow",
  "\tmodule-config: \"validator iterator\"", "\tserve-expired: no", "\tinfra-cache-max-rtt: 1000",
  "remote-control:", "\tcontrol-enable: no", "" }, "\n")
files_out[STATE .. "/libunbound.conf"] = table.concat({
  "# for unbound-host -C / ub_ctx_config(): the same resolver settings as client.lua",
  "server:", "\troot-hints: \"" .. STATE .. "/root.hints\"",
  "\ttrust-anchor-file: \"" .. STATE .. "/root.ds\"", "\tdo-not-query-localhost: no",
  "\tlocal-zone: \"test.\" transparent", "\tval-log-level: 2", "\tdo-ip6: no",
  "\tinfra-cache-max-rtt: 1000", "" }, "\n")
files_out[STATE .. "/client.lua"] = table.concat({
  "-- mtasts client configuration for the testbed \"" .. opt.name .. "\" (valid through `tests/testbed exec`)",
  "return {",
  "  resolver = {",
  ("    root_hints = %q,"):format(STATE .. "/root.hints"),
  ("    trust_anchor_file = %q,"):format(STATE .. "/root.ds"),
  "    timeout = 3,",
  "    options = {",
  "      { \"do-not-query-localhost:\", \"no\" },",
  "      { \"local-zone:\", \"test. transparent\" },",
  "    },",
  "  },",
  ("  ca_file = %q,"):format(STATE .. "/pki/ca.pem"),
  "  timeout = 5,",
  "}", "" }, "\n")

------------------------------------------------------------------------------ output: nginx
local WWW = dir(STATE .. "/www")
local CERTDIR = STATE .. "/pki/certs"
do
  local t = {
    "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;",
    "worker_processes " .. (os.getenv("MTASTS_TESTBED_NGINX_WORKERS") or "1") .. ";",
    "worker_rlimit_nofile 65536;",
    "pid " .. STATE .. "/nginx/nginx.pid;",
    "error_log " .. STATE .. "/nginx/error.log warn;",
    "events { worker_connections 16384; }",
    "http {",
    "  access_log " .. STATE .. "/nginx/access.log;",
    "  client_body_temp_path " .. STATE .. "/nginx/tmp/body;",
    "  proxy_temp_path " .. STATE .. "/nginx/tmp/proxy;",
    "  fastcgi_temp_path " .. STATE .. "/nginx/tmp/fastcgi;",
    "  uwsgi_temp_path " .. STATE .. "/nginx/tmp/uwsgi;",
    "  scgi_temp_path " .. STATE .. "/nginx/tmp/scgi;",
    "  types { text/plain txt; text/html html; image/svg+xml svg; application/x-pem-file pem; }",
    "  default_type application/octet-stream;",
    "  server_tokens off;",
    "  keepalive_timeout 10s;",
    "  ssl_protocols TLSv1.2 TLSv1.3;",
    "  ssl_session_cache off;",
    "  ssl_session_tickets off;",
  }
  dir(STATE .. "/nginx"); dir(STATE .. "/nginx/tmp")
  local function location_file(path, e, filepath)
    if e.status >= 300 and e.status < 400 then
      return ("    location = %s { return %d %s; }"):format(path, e.status, ngx_quote(e.body))
    elseif e.status ~= 200 then
      return ("    location = %s { types { } default_type %s; return %d %s; }"):format(
        path, ngx_quote(e.type), e.status, ngx_quote(e.body))
    end
    return ("    location = %s { types { } default_type %s; alias %s; }"):format(path, ngx_quote(e.type), filepath)
  end
  local clone_servers = {}
  for _, h in ipairs(host_list) do
    if h.https then
      local listens = {}
      if h.listen80 then listens[#listens + 1] = h.v4 .. ":80"
      elseif h.only6 then listens[#listens + 1] = "[" .. h.v6 .. "]:443 ssl"
      else listens[#listens + 1] = h.v4 .. ":443 ssl" end
      local clone = h.scenario == "clone"
      local key = clone and (h.rel .. " " .. listens[1]) or nil
      if not clone or not clone_servers[key] then
        local srv = { "  server {" }
        for _, l in ipairs(listens) do srv[#srv + 1] = "    listen " .. l .. ";" end
        if clone then
          clone_servers[key] = true
          srv[#srv + 1] = ("    server_name ~^%s\\.(?<clone>c[0-9]+)\\.clones\\.test$;"):format(h.rel:gsub("%.", "\\."))
        else
          srv[#srv + 1] = "    server_name " .. h.fqdn .. ";"
        end
        if h.cert then
          srv[#srv + 1] = ("    ssl_certificate %s/%s.pem;"):format(CERTDIR, h.cert.name)
          srv[#srv + 1] = ("    ssl_certificate_key %s/%s.key;"):format(CERTDIR, h.cert.name)
        end
        if h.https.variant == "tls10" then
          -- an old server: TLS 1.0 only (OpenSSL 3 needs security level 0 for it)
          srv[#srv + 1] = "    ssl_protocols TLSv1;"
          srv[#srv + 1] = "    ssl_ciphers DEFAULT:@SECLEVEL=0;"
        end
        local hdir = WWW .. "/" .. h.fqdn
        local pol = h.https.policy
        local v = h.https.variant
        local WK = "/.well-known/mta-sts.txt"
        if clone then
          -- one server block for all clones: the clone's name comes from the SNI/Host
          local D = "c0000.clones.test"
          local function templ(s) return ngx_quote(s):gsub("c%d+%.clones%.test", "${clone}.clones.test") end
          if pol then
            srv[#srv + 1] = ("    location = %s { types { } default_type text/plain; return 200 %s; }"):format(WK, templ(pol:gsub(h.domain:gsub("%p", "%%%0"), D)))
          end
          for _, e in ipairs(h.https.files) do
            srv[#srv + 1] = ("    location = %s { types { } default_type %s; return %d %s; }"):format(
              e.path, ngx_quote(e.type), e.status, templ(e.body:gsub(h.domain:gsub("%p", "%%%0"), D)))
          end
        else
          dir(hdir)
          if pol and v ~= "not-found" then
            local body = pol
            if v == "oversize" then
              local pad = {}
              local line = "# padding to make this policy larger than 64 KB ........................\n"
              for _ = 1, math.ceil(70 * 1024 / #line) do pad[#pad + 1] = line end
              body = (pol .. table.concat(pad)):sub(1, 70 * 1024)
            end
            files_out[hdir .. "/mta-sts.txt"] = body
            if v == "redirect" then
              srv[#srv + 1] = ("    location = %s { return 301 https://%s/policy/mta-sts.txt; }"):format(WK, h.fqdn)
              srv[#srv + 1] = ("    location = /policy/mta-sts.txt { types { } default_type text/plain; alias %s/mta-sts.txt; }"):format(hdir)
            elseif v == "text-html" then
              srv[#srv + 1] = ("    location = %s { types { } default_type text/html; alias %s/mta-sts.txt; }"):format(WK, hdir)
            elseif v == "charset" then
              srv[#srv + 1] = ("    location = %s { types { } default_type text/plain; charset utf-8; charset_types text/plain; alias %s/mta-sts.txt; }"):format(WK, hdir)
            elseif v == "oversize-chunked" then
              local first = pol:gsub("\n$", "")
              srv[#srv + 1] = ("    location = %s { types { } default_type text/plain; echo %s; echo_duplicate 1000 %s; }"):format(
                WK, ngx_quote(first), ngx_quote("# padding to make this policy larger than 64 KB, sent chunked .......\n"))
            elseif v == "slow" then
              local lines = { ("    location = %s { types { } default_type text/plain;"):format(WK) }
              for l in pol:gmatch("[^\n]*\n?") do
                if l ~= "" then
                  lines[#lines + 1] = ("      echo -n %s; echo_flush; echo_sleep 2;"):format(ngx_quote(l))
                end
              end
              for _ = 1, 6 do lines[#lines + 1] = "      echo -n \"#\"; echo_flush; echo_sleep 2;" end
              lines[#lines + 1] = "    }"
              srv[#srv + 1] = table.concat(lines, "\n")
            else
              srv[#srv + 1] = ("    location = %s { types { } default_type text/plain; alias %s/mta-sts.txt; }"):format(WK, hdir)
            end
          end
          for i, e in ipairs(h.https.files) do
            local fp = ("%s/file-%d"):format(hdir, i)
            files_out[fp] = e.body
            srv[#srv + 1] = location_file(e.path, e, fp)
          end
        end
        srv[#srv + 1] = "  }"
        t[#t + 1] = table.concat(srv, "\n")
      end
    end
  end
  t[#t + 1] = "}"
  files_out[STATE .. "/nginx/nginx.conf"] = table.concat(t, "\n") .. "\n"
end

------------------------------------------------------------------------------ output: postfix
do
  local PF = STATE .. "/postfix"
  dir(PF); dir(PF .. "/etc")
  local main = {
    "# mtasts testbed: a private postfix instance; /etc/postfix is never read",
    "compatibility_level = 3.6",
    "queue_directory = " .. PF .. "/queue",
    "data_directory = " .. PF .. "/data",
    "mail_owner = postfix", "setgid_group = postdrop",
    "myhostname = smtp.testbed.test", "mydomain = testbed.test", "myorigin = $myhostname",
    "mydestination =", "mynetworks = 127.0.0.0/8", "inet_interfaces = all", "inet_protocols = all",
    "relay_domains = test, .test", "local_recipient_maps =", "alias_maps =", "alias_database =",
    "smtpd_relay_restrictions = reject_unauth_destination",
    "smtpd_recipient_restrictions = check_recipient_access static:DISCARD",
    "default_transport = discard", "relay_transport = discard", "local_transport = discard",
    "smtpd_banner = $myhostname ESMTP mtasts testbed",
    "smtpd_tls_security_level = may", "smtpd_tls_loglevel = 0", "smtpd_tls_received_header = no",
    "smtpd_tls_session_cache_database =", "smtputf8_enable = no", "biff = no",
    "smtpd_client_connection_count_limit = 0", "smtpd_client_connection_rate_limit = 0",
    "maillog_file = " .. PF .. "/maillog", "maillog_file_prefixes = " .. PF,
    "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C",
    "default_process_limit = 200", "",
  }
  files_out[PF .. "/etc/main.cf"] = table.concat(main, "\n")
  local m = {
    "# service type private unpriv chroot wakeup maxproc command",
    "cleanup unix n - n - 0 cleanup",
    "qmgr unix n - n 300 1 qmgr",
    "rewrite unix - - n - - trivial-rewrite",
    "bounce unix - - n - 0 bounce",
    "defer unix - - n - 0 bounce",
    "trace unix - - n - 0 bounce",
    "tlsmgr unix - - n 1000? 1 tlsmgr",
    "anvil unix - - n - 1 anvil",
    "discard unix - - n - - discard",
    "postlog unix-dgram n - n - 1 postlogd",
  }
  local seen = {}
  for _, h in ipairs(host_list) do
    if h.smtp then
      local addr = h.only6 and ("[" .. h.v6 .. "]") or h.v4
      if not seen[addr] then
        seen[addr] = true
        local v = h.smtp.variant
        local name = h.scenario == "clone" and (h.rel .. ".clones.test") or h.fqdn
        if v == "reject554" then
          m[#m + 1] = ("%s:25 inet n n n - 20 spawn user=nobody argv=/bin/bash %s/reject.sh %s"):format(addr, PF, name)
        elseif v == "stall" then
          m[#m + 1] = ("%s:25 inet n n n - 20 spawn user=nobody argv=/bin/sleep 60"):format(addr)
        else
          local o = { ("%s:25 inet n - n - - smtpd -o myhostname=%s"):format(addr, name) }
          if h.cert then
            o[#o + 1] = ("-o smtpd_tls_chain_files=%s/%s.chain"):format(CERTDIR, h.cert.name)
          end
          if v == "no-starttls" then o[#o + 1] = "-o smtpd_tls_security_level=none" end
          if v == "tls10" then
            o[#o + 1] = "-o smtpd_tls_protocols=>=TLSv1,<=TLSv1"
            o[#o + 1] = "-o smtpd_tls_mandatory_protocols=>=TLSv1,<=TLSv1"
            o[#o + 1] = "-o tls_config_file=" .. PF .. "/tls10.cnf -o tls_config_name=tls10"
          end
          m[#m + 1] = table.concat(o, "\n  ")
        end
      end
    end
  end
  files_out[PF .. "/etc/master.cf"] = table.concat(m, "\n") .. "\n"
  files_out[PF .. "/reject.sh"] = table.concat({
    "# SMTP 554 greeting (RFC 5321 §3.1): then 503 to everything until QUIT",
    "printf '554 5.3.2 %s no SMTP service here\\r\\n' \"$1\"",
    "while IFS= read -r -t 30 line; do",
    "  case $line in",
    "    [Qq][Uu][Ii][Tt]*) printf '221 2.0.0 Bye\\r\\n'; exit 0 ;;",
    "    *) printf '503 5.5.1 Error: no SMTP service\\r\\n' ;;",
    "  esac",
    "done", "" }, "\n")
  files_out[PF .. "/tls10.cnf"] = table.concat({
    "tls10 = tls10_settings", "[tls10_settings]", "ssl_conf = tls10_ssl",
    "[tls10_ssl]", "system_default = tls10_system", "[tls10_system]",
    "MinProtocol = TLSv1", "MaxProtocol = TLSv1", "CipherString = DEFAULT:@SECLEVEL=0", "" }, "\n")
end

------------------------------------------------------------------------------ output: hosts, scenarios.lua
do
  local t = { "# fqdn\tipv4\tipv6\trole\tvariant\tscenario" }
  for _, h in ipairs(host_list) do
    if h.scenario ~= "clone" then
      local role = (h.smtp and "smtp" or "") .. (h.https and ((h.smtp and "+" or "") .. "https") or "")
      local variant = (h.smtp and h.smtp.variant) or (h.https and h.https.variant)
      local v6 = h.only6 and h.v6 or (h.dead6 and (h.v6dead .. "(dead)")) or "-"
      t[#t + 1] = table.concat({ h.fqdn, h.only6 and "-" or h.v4, v6, role, variant, h.scenario }, "\t")
    end
  end
  files_out[STATE .. "/hosts"] = table.concat(t, "\n") .. "\n"

  local function ser(v, ind)
    ind = ind or ""
    if type(v) == "string" then return ("%q"):format(v) end
    if type(v) ~= "table" then return tostring(v) end
    local keys = sorted_keys(v)
    if #keys == 0 then return "{}" end
    local out = {}
    local arr = is_array(v)
    for _, key in ipairs(keys) do
      local x = v[key]
      if type(x) ~= "function" then
        local kk = arr and "" or (type(key) == "string" and key:match("^[%a_][%w_]*$") and key .. " = "
                                   or "[" .. ser(key) .. "] = ")
        out[#out + 1] = ind .. "  " .. kk .. ser(x, ind .. "  ")
      end
    end
    if arr then
      out = {}
      for _, x in ipairs(v) do out[#out + 1] = ind .. "  " .. ser(x, ind .. "  ") end
    end
    return "{\n" .. table.concat(out, ",\n") .. "\n" .. ind .. "}"
  end
  for _, so in ipairs(scen_out) do
    local hs = {}
    for rel, h in pairs(so.hosts) do
      hs[rel] = { fqdn = h.fqdn, v4 = (not h.only6) and h.v4 or nil, v6 = h.only6 and h.v6 or nil,
                  v6dead = h.dead6 and h.v6dead or nil,
                  https = h.https and h.https.variant or nil,
                  files = h.https and #h.https.files > 0 and (function()
                    local f = {}
                    for _, e in ipairs(h.https.files) do f[e.path] = { status = e.status, type = e.type, body = e.body } end
                    return f
                  end)() or nil,
                  smtp = h.smtp and h.smtp.variant or nil,
                  cert = h.cert and h.cert.name or nil }
    end
    so.hosts = hs
  end
  files_out[STATE .. "/scenarios.lua"] = "-- generated by tests/testbed.d/render.lua: the merged scenarios of this testbed\nreturn "
    .. ser({ name = opt.name, state = STATE, clones = opt.clones, resolver = RESOLVER_ADDR,
             root = ROOT_NS, tld = TLD_NS, scenarios = scen_out }) .. "\n"
end

------------------------------------------------------------------------------ write everything
do
  local p = assert(io.popen("mkdir -p " .. STATE .. "/pki/certs " .. table.concat(mkdirs, " "):gsub("[^%w%-%._/ ]", "\\%0"), "w"))
  p:close()
  for path, content in pairs(files_out) do write(path, content) end
end
