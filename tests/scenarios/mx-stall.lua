-- MX problem: mx2 (covered by the enforce policy) accepts the TCP connection and never says anything; mx1 is fine.
return {
  domain = "mx-stall.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "stall" } },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.unreachable" },
  },
}
