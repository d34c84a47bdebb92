// Reference side of jsonata_bench: the npm jsonata package (2.0.6, what AWS Step
// Functions pins) evaluating the workload that `jsonata_bench --workload` prints,
// measured the way jsonata_bench.cc measures: each expression compiled once,
// batches of ~5 ms until a round lasts min_seconds, one untimed warm-up round,
// median rate of `rounds` rounds. Node start-up and module loading are outside
// the timed region. evaluate() is async in jsonata 2.x, so every call is awaited.
//
//   node jsonata_reference.js WORKLOAD.json JSONATA_MODULE_DIR
//
// Prints "name<TAB>evals/s<TAB>result JSON" per case ("undefined" when the
// expression yields nothing), like `jsonata_bench --tsv`.
'use strict';

const fs = require('fs');
const path = require('path');

async function timedRound(fn, batch, minSeconds) {
  let calls = 0;
  const start = process.hrtime.bigint();
  let seconds = 0;
  do {
    for (let i = 0; i < batch; ++i) await fn();
    calls += batch;
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
  } while (seconds < minSeconds);
  return calls / seconds;
}

async function medianRate(fn, minSeconds, rounds) {
  let batch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; ++i) await fn();
    if (Number(process.hrtime.bigint() - start) / 1e9 >= 0.005 || batch >= 2 ** 30) break;
    batch *= 2;
  }
  await timedRound(fn, batch, minSeconds);  // warm-up round (also lets the JIT settle)
  const rates = [];
  for (let r = 0; r < rounds; ++r) rates.push(await timedRound(fn, batch, minSeconds));
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

async function main() {
  const [workloadFile, moduleDir] = process.argv.slice(2);
  if (!workloadFile || !moduleDir) {
    console.error('usage: node jsonata_reference.js WORKLOAD.json JSONATA_MODULE_DIR');
    process.exit(2);
  }
  const jsonata = require(path.resolve(moduleDir, 'node_modules', 'jsonata'));
  const workload = JSON.parse(fs.readFileSync(workloadFile, 'utf8'));
  const bindings = workload.bindings;
  let sink = 0;
  for (const c of workload.cases) {
    const expr = jsonata(c.expression);
    // As the engine does: no input document, everything through $states.
    const first = await expr.evaluate(undefined, bindings);
    const result = first === undefined ? 'undefined' : JSON.stringify(first);
    const rate = await medianRate(async () => {
      const r = await expr.evaluate(undefined, bindings);
      if (r !== undefined) ++sink;
    }, workload.min_seconds, workload.rounds);
    process.stdout.write(`${c.name}\t${rate.toFixed(0)}\t${result}\n`);
  }
  if (sink < 0) console.log(sink);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
