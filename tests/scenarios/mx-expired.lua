-- MX problem: mx2 (covered by the enforce policy) has an expired certificate (2020-01-01 .. 2021-01-01); mx1 is fine.
return {
  domain = "mx-expired.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "expired" } },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.certificate.invalid", "mx.dane.none" },
  },
}
