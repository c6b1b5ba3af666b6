-- MX problem?: mx2 has only an AAAA record (fd00::/8); it works over IPv6.
return {
  domain = "mx-ipv6-only.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "ipv6-only" } },
  expect = { ["mta-sts"] = {} },
}
