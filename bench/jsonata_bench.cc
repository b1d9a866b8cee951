// JSONata evaluation speed on typical Step Functions expressions (Google Benchmark).
// bench/jsonata_peer.mjs runs the same expressions on the same documents with the npm
// `jsonata` package, so the two outputs compare per expression (ns per evaluation).
#include <benchmark/benchmark.h>

#include <string>

#include "json/json.h"
#include "jsonata/jsonata.h"

namespace {

using stepway::json::Value;
namespace jsonata = stepway::jsonata;

// The same documents as jsonata_peer.mjs builds: an order with 10,000 line items.
Value MakeItems() {
  boost::json::array items;
  items.reserve(10000);
  for (int i = 0; i < 10000; ++i) {
    items.push_back(boost::json::object{{"id", "item-" + std::to_string(i)},
                                        {"price", (i % 100) + 0.5},
                                        {"qty", i % 7 + 1},
                                        {"category", i % 3 == 0 ? "books" : "games"}});
  }
  return boost::json::object{{"items", std::move(items)}};
}

Value MakeOrder() {
  return boost::json::object{
      {"orderId", "ord-12345"},
      {"customer",
       boost::json::object{{"name", "Ada Lovelace"}, {"email", "ada@example.com"}, {"tier", "gold"}}},
      {"total", 129.95},
      {"lines", boost::json::array{boost::json::object{{"sku", "A1"}, {"qty", 2}},
                                   boost::json::object{{"sku", "B2"}, {"qty", 1}}}}};
}

void Run(benchmark::State& state, const char* text, const Value& doc, bool as_states) {
  auto expr = jsonata::Expression::Compile(text);
  if (!expr) {
    state.SkipWithError(expr.error().message.c_str());
    return;
  }
  jsonata::Bindings bindings;
  if (as_states) bindings.Bind("states", boost::json::object{{"input", doc}});
  for (auto _ : state) {
    auto r = expr->Evaluate(as_states ? nullptr : &doc, bindings, {});
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
  }
}

const Value& Items() {
  static const Value v = MakeItems();
  return v;
}
const Value& Order() {
  static const Value v = MakeOrder();
  return v;
}

void BM_FieldAccess(benchmark::State& s) {
  Run(s, "$states.input.customer.name", Order(), true);
}
void BM_Sum10k(benchmark::State& s) { Run(s, "$sum(items.price)", Items(), false); }
void BM_FilterPredicate10k(benchmark::State& s) {
  Run(s, "$count(items[price > 50 and category = 'books'])", Items(), false);
}
void BM_MapLambda10k(benchmark::State& s) {
  Run(s, "$sum($map(items, function($v) { $v.price * $v.qty }))", Items(), false);
}
void BM_StringFunctions(benchmark::State& s) {
  Run(s,
      "$uppercase($substring(customer.name, 0, 3)) & '-' & $join($split(customer.email, '@'), ' at ') "
      "& '-' & $string($length(orderId))",
      Order(), false);
}
void BM_Transform(benchmark::State& s) {
  Run(s, "$ ~> |customer|{'vip': tier = 'gold'}, ['email']|", Order(), false);
}
void BM_ObjectConstruction(benchmark::State& s) {
  Run(s, "{'id': orderId, 'who': customer.name, 'skus': lines.sku, 'n': $count(lines)}", Order(),
      false);
}

BENCHMARK(BM_FieldAccess);
BENCHMARK(BM_Sum10k);
BENCHMARK(BM_FilterPredicate10k);
BENCHMARK(BM_MapLambda10k);
BENCHMARK(BM_StringFunctions);
BENCHMARK(BM_Transform);
BENCHMARK(BM_ObjectConstruction);

}  // namespace

BENCHMARK_MAIN();
