-- TXT without policy: `_mta-sts` TXT published, but no `mta-sts.` host (NXDOMAIN).
return {
  domain = "no-policy-host.test",
  base = "enforce-ok",
  https = { variant = "absent" },
  expect = {
    ["mta-sts"] = { "sts.policy.unreachable" },
  },
}
