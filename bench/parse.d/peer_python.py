"""bench/parse, peer: postfix-mta-sts-resolver's policy parser (Debian package).

Run with /usr/bin/python3 (Debian's, which has the package).
usage: peer_python.py CORPUS.json SECONDS ROUNDS
Prints: RESULT <best round, policies/s> <worst round> <accepted per pass> <corpus size>
parse_mta_sts_policy(text: str) -> dict never rejects anything (the
resolver validates the dict afterwards), so "accepted" is every policy.
Timing is time.process_time() (CPU time of this single-threaded process).
"""
import json
import sys
import time

from postfix_mta_sts_resolver.utils import parse_mta_sts_policy


def main():
    path, seconds, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    with open(path, encoding="utf-8") as f:
        corpus = json.load(f)
    n = len(corpus)
    parse = parse_mta_sts_policy
    clock = time.process_time

    def run():
        ok = 0
        for s in corpus:
            if parse(s):
                ok += 1
        return ok

    t0 = clock()
    accepted = run()
    while clock() - t0 < 0.5:
        accepted = run()

    best, worst = 0.0, float("inf")
    for _ in range(rounds):
        passes, start = 0, clock()
        while True:
            run()
            passes += 1
            el = clock() - start
            if el >= seconds:
                break
        rate = passes * n / el
        best, worst = max(best, rate), min(worst, rate)
    print("RESULT %.0f %.0f %d %d" % (best, worst, accepted, n))


if __name__ == "__main__":
    main()
