-- A second domain like mx-blackhole (its own dead addresses), so a run can hold two of them.
return {
  domain = "mx-blackhole-2.test",
  base = "mx-blackhole",
  dns = {
    mx1 = { AAAA = "fd00:dead:0:26::1" },
    mx2 = { AAAA = "fd00:dead:0:26::2" },
  },
}
