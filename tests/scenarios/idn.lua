-- IDN: a domain with a Unicode label, bücher.test (xn--bcher-kva.test in DNS, the policy and the certificates).
return {
  domain = "bücher.test",
  base = "enforce-ok",
  expect = { ["mta-sts"] = {} },
}
