'use strict';
// bench/parse, peer: mailauth's parsePolicy (npm mailauth, lib/mta-sts.js),
// installed into bench/node_modules from bench/package.json.
// usage: node peer_mailauth.js CORPUS.json SECONDS ROUNDS
// Prints: RESULT <best round, policies/s> <worst round> <accepted per pass> <corpus size>
// parsePolicy throws on an invalid policy; that is counted as a rejection.
// Timing is wall time (process.hrtime): V8's GC and compiler run partly on
// helper threads, so the process's CPU time would overstate its cost.
const fs = require('node:fs');
const { parsePolicy } = require('mailauth/lib/mta-sts');

const [path, secondsArg, roundsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const rounds = Number(roundsArg);
const corpus = JSON.parse(fs.readFileSync(path, 'utf8'));
const n = corpus.length;

const clock = () => Number(process.hrtime.bigint()) / 1e9;

function run() {
    let ok = 0;
    for (let i = 0; i < n; i++) {
        try {
            if (parsePolicy(corpus[i])) {
                ok++;
            }
        } catch (err) {
            // rejected
        }
    }
    return ok;
}

let accepted = 0;
const t0 = clock();
do {
    accepted = run();
} while (clock() - t0 < 0.5);

let best = 0;
let worst = Infinity;
for (let r = 0; r < rounds; r++) {
    let passes = 0;
    let el;
    const start = clock();
    do {
        run();
        passes++;
        el = clock() - start;
    } while (el < seconds);
    const rate = (passes * n) / el;
    best = Math.max(best, rate);
    worst = Math.min(worst, rate);
}
console.log(`RESULT ${best.toFixed(0)} ${worst.toFixed(0)} ${accepted} ${n}`);
