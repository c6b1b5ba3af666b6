-- The policy URL answers 301 to a valid policy (/policy/mta-sts.txt on the same host): RFC 8461 §3.3 forbids following it.
return {
  domain = "redirect.test",
  base = "enforce-ok",
  https = { variant = "redirect" },
  expect = { ["mta-sts"] = { "sts.policy.redirect" } },
}
