// The npm `jsonata` package on the same expressions and documents as jsonata_bench.cc.
// Usage: npm install --prefix /tmp/jsonata-peer jsonata
//        NODE_PATH=/tmp/jsonata-peer/node_modules node bench/jsonata_peer.mjs
// Prints ns per evaluation for each expression (median of 5 timed rounds).
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const jsonata = require(process.env.JSONATA_MODULE || 'jsonata');

const items = [];
for (let i = 0; i < 10000; i++) {
  items.push({ id: 'item-' + i, price: (i % 100) + 0.5, qty: (i % 7) + 1,
               category: i % 3 === 0 ? 'books' : 'games' });
}
const itemsDoc = { items };
const order = {
  orderId: 'ord-12345',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
  total: 129.95,
  lines: [{ sku: 'A1', qty: 2 }, { sku: 'B2', qty: 1 }],
};

const cases = [
  ['BM_FieldAccess', '$states.input.customer.name', order, true],
  ['BM_Sum10k', '$sum(items.price)', itemsDoc, false],
  ['BM_FilterPredicate10k', "$count(items[price > 50 and category = 'books'])", itemsDoc, false],
  ['BM_MapLambda10k', '$sum($map(items, function($v) { $v.price * $v.qty }))', itemsDoc, false],
  ['BM_StringFunctions',
   "$uppercase($substring(customer.name, 0, 3)) & '-' & $join($split(customer.email, '@'), ' at ') & '-' & $string($length(orderId))",
   order, false],
  ['BM_Transform', "$ ~> |customer|{'vip': tier = 'gold'}, ['email']|", order, false],
  ['BM_ObjectConstruction', "{'id': orderId, 'who': customer.name, 'skus': lines.sku, 'n': $count(lines)}",
   order, false],
];

for (const [name, text, doc, asStates] of cases) {
  const expr = jsonata(text);
  const bindings = asStates ? { states: { input: doc } } : {};
  const input = asStates ? undefined : doc;
  // Warm up, then pick an iteration count that runs ~200 ms per round.
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await expr.evaluate(input, bindings);
    const dt = Number(process.hrtime.bigint() - t0);
    if (dt > 2e8 || n > 1e7) break;
    n *= 2;
  }
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await expr.evaluate(input, bindings);
    rounds.push(Number(process.hrtime.bigint() - t0) / n);
  }
  rounds.sort((a, b) => a - b);
  console.log(`${name.padEnd(24)} ${rounds[2].toFixed(0).padStart(12)} ns/eval`);
}
