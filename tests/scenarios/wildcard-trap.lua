-- Wildcard trap: the policy says `*.wildcard-trap.test`, the only MX is mx.a.wildcard-trap.test (two labels deep: no match).
return {
  domain = "wildcard-trap.test",
  base = "enforce-ok",
  dns = {
    ["@"] = { MX = "10 mx.a" },
    ["_25._tcp.mx1"] = false,
  },
  policy = "version: STSv1\nmode: enforce\nmx: *.{domain}\nmax_age: 604800\n",
  mx = { mx1 = false, mx2 = false, ["mx.a"] = { variant = "valid" } },
  expect = { ["mta-sts"] = { "sts.mx.uncovered", "sts.mx.stale" } },
}
