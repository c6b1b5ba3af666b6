-- Implicit MX: no MX record, the domain's own A record is the mail server (RFC 5321 §5.1); policy `mx: implicit-mx.test`.
return {
  domain = "implicit-mx.test",
  base = "enforce-ok",
  dns = {
    ["@"] = { MX = false },
    ["_25._tcp.mx1"] = false,
    ["_25._tcp"] = { TLSA = "{tlsa-3-1-1:@}" },
  },
  policy = "version: STSv1\nmode: enforce\nmx: {domain}\nmax_age: 604800\n",
  mx = { mx1 = false, mx2 = false, ["@"] = { variant = "valid" } },
  expect = {
    ["mta-sts"] = {},
    mx = { "mx.implicit" },
  },
}
