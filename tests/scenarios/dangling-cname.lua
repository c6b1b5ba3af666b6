-- Dangling delegation: `mta-sts` is a CNAME to a name that does not exist.
return {
  domain = "dangling-cname.test",
  base = "enforce-ok",
  dns = { ["mta-sts"] = { CNAME = "mta-sts.gone.dangling-cname.test." } },
  https = { variant = "absent" },
  expect = {
    ["mta-sts"] = { "sts.policy.unreachable" },
  },
}
