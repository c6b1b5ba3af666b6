-- Id not updated: `tests/testbed switch id-not-updated` changes the policy body (max_age) but keeps the TXT id.
return {
  domain = "id-not-updated.test",
  base = "enforce-ok",
  expect = { ["mta-sts"] = {} },
  switch = {
    policy = "version: STSv1\nmode: enforce\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 1209600\n",
    expect = { ["mta-sts"] = { "sts.id.stale" } },
  },
}
