-- MX problem: mx2 (covered by the enforce policy) does not offer STARTTLS; mx1 is fine.
return {
  domain = "mx-no-starttls.test",
  base = "enforce-ok",
  mx = { mx2 = { variant = "no-starttls" } },
  expect = {
    ["mta-sts"] = { "sts.mx.certificate" },
    mx = { "mx.starttls.missing" },
  },
}
