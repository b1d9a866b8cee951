#include "asl/path.h"

#include <gtest/gtest.h>

#include "json/json.h"

namespace stepway::asl {
namespace {

json::Value J(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::Value();
}

// Evaluates `path` on `input` and returns compact JSON, or "<none>" when nothing is found.
std::string Eval(std::string_view path, std::string_view input) {
  auto p = Path::Parse(path);
  EXPECT_TRUE(p.has_value()) << path << ": " << (p ? "" : p.error().message);
  if (!p) return "<parse error>";
  const json::Value in = J(input);
  const json::Value context = json::Object();
  auto v = p->Evaluate(Scope{in, context});
  return v ? json::Serialize(*v) : "<none>";
}

std::string ReadError(std::string_view path, std::string_view input) {
  auto p = Path::Parse(path);
  EXPECT_TRUE(p.has_value()) << path;
  const json::Value in = J(input);
  const json::Value context = json::Object();
  auto v = p->Read(Scope{in, context});
  EXPECT_FALSE(v.has_value()) << path;
  return v ? "" : v.error().message;
}

constexpr std::string_view kStore = R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
       "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord",
       "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10
})";

TEST(PathTest, RootsAndDefiniteSteps) {
  EXPECT_EQ(Eval("$", R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(Eval("$.a.b", R"({"a":{"b":[1,2]}})"), "[1,2]");
  EXPECT_EQ(Eval("$['a']['b'][1]", R"({"a":{"b":[1,2]}})"), "2");
  EXPECT_EQ(Eval("$[\"a\"]", R"({"a":true})"), "true");
  EXPECT_EQ(Eval("$.delivery-partner", R"({"delivery-partner":"UQS"})"), "\"UQS\"");
  EXPECT_EQ(Eval("$[0]", "[5,6]"), "5");
  EXPECT_EQ(Eval("$.a[-1]", R"({"a":[1,2,3]})"), "3");
  EXPECT_EQ(Eval("$.a", R"({"a":null})"), "null");
}

TEST(PathTest, MissingValuesOfDefinitePathsAreNone) {
  EXPECT_EQ(Eval("$.x", R"({"a":1})"), "<none>");
  EXPECT_EQ(Eval("$.a.b", R"({"a":1})"), "<none>");
  EXPECT_EQ(Eval("$.a[5]", R"({"a":[1]})"), "<none>");
  EXPECT_EQ(Eval("$.a[0]", R"({"a":{}})"), "<none>");
}

TEST(PathTest, ConformanceArrayAccess) {
  // test_base.py::test_json_path_array_access[$.items[10]]
  std::string items = R"({"items":[)";
  for (int k = 0; k <= 10; ++k) {
    if (k) items += ',';
    items += R"({"item_key":)" + std::to_string(k) + "}";
  }
  items += "]}";
  EXPECT_EQ(Eval("$.items[10]", items), R"({"item_key":10})");
  EXPECT_EQ(Eval("$.items[0]", items), R"({"item_key":0})");
}

TEST(PathTest, ConformanceEscapedBracketName) {
  // test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]: the name is taken as written.
  const std::string input = R"({"Test\\\"\"Name\"": "Value\"\\"})";
  EXPECT_EQ(Eval(R"($['Test\""Name"'])", input), R"("Value\"\\")");
}

TEST(PathTest, ConformanceFilterEquals) {
  // test_state_pass_regex_json_path_base
  EXPECT_EQ(Eval("$.users[?(@.status == 0)]",
                 R"({"users":[{"year":1997,"status":0},{"year":1998,"status":1}]})"),
            R"([{"year":1997,"status":0}])");
}

TEST(PathTest, WildcardsSlicesUnions) {
  EXPECT_EQ(Eval("$.store.book[*].author", kStore),
            R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])");
  EXPECT_EQ(Eval("$.store.*.color", kStore), R"(["red"])");
  EXPECT_EQ(Eval("$.store.book[0,1].price", kStore), "[8.95,12.99]");
  EXPECT_EQ(Eval("$.store.book[1:3].price", kStore), "[12.99,8.99]");
  EXPECT_EQ(Eval("$.store.book[:2].price", kStore), "[8.95,12.99]");
  EXPECT_EQ(Eval("$.store.book[-1:].price", kStore), "[22.99]");
  EXPECT_EQ(Eval("$.store.book[-2:].price", kStore), "[8.99,22.99]");
  EXPECT_EQ(Eval("$.store.book[2:].price", kStore), "[8.99,22.99]");
  EXPECT_EQ(Eval("$.store.book[10:].price", kStore), "[]");
  EXPECT_EQ(Eval("$[*]", R"({"a":1,"b":[2]})"), "[1,[2]]");
  // Indefinite paths skip what is missing and may match nothing.
  EXPECT_EQ(Eval("$.store.book[*].isbn", kStore), R"(["0-553-21311-3","0-395-19395-8"])");
  EXPECT_EQ(Eval("$.store.nothing[*]", kStore), "<none>");  // Jayway: "Missing property"
  EXPECT_EQ(Eval("$.store.book[*].nothing[*]", kStore), "[]");
}

TEST(PathTest, SeveralNamesAtTheEndMergeIntoAnObject) {
  EXPECT_EQ(Eval("$['a','b']", R"({"a":1,"b":2,"c":3})"), R"({"a":1,"b":2})");
  EXPECT_EQ(Eval("$['a','x']", R"({"a":1,"b":2})"), R"({"a":1})");
  EXPECT_EQ(Eval("$['a','b'].v", R"({"a":{"v":1},"b":{"v":2}})"), "[1,2]");
  EXPECT_TRUE(Path::Parse("$['a','b']")->is_definite());
  EXPECT_FALSE(Path::Parse("$['a','b'].v")->is_definite());
}

TEST(PathTest, RecursiveDescent) {
  EXPECT_EQ(Eval("$..author", kStore),
            R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])");
  EXPECT_EQ(Eval("$.store..price", kStore), "[8.95,12.99,8.99,22.99,19.95]");
  EXPECT_EQ(Eval("$..book[2].title", kStore), R"(["Moby Dick"])");
  EXPECT_EQ(Eval("$..[?(@.isbn)].title", kStore), R"(["Moby Dick","The Lord"])");
  EXPECT_EQ(Eval("$..*", R"({"a":{"b":1},"c":[2]})"), R"([{"b":1},[2],1,2])");
}

TEST(PathTest, Filters) {
  EXPECT_EQ(Eval("$.store.book[?(@.price < 10)].title", kStore), R"(["Sayings","Moby Dick"])");
  EXPECT_EQ(Eval("$.store.book[?(@.isbn)].title", kStore), R"(["Moby Dick","The Lord"])");
  EXPECT_EQ(Eval("$.store.book[?(!@.isbn)].title", kStore), R"(["Sayings","Sword"])");
  EXPECT_EQ(Eval("$.store.book[?(@.category == 'fiction' && @.price > 12)].title", kStore),
            R"(["Sword","The Lord"])");
  EXPECT_EQ(Eval("$.store.book[?(@.price > 20 || @.price < 9)].title", kStore),
            R"(["Sayings","Moby Dick","The Lord"])");
  EXPECT_EQ(Eval("$.store.book[?(@.price <= $.expensive)].title", kStore),
            R"(["Sayings","Moby Dick"])");
  EXPECT_EQ(Eval("$.store.book[?(@.author =~ /.*melville/i)].title", kStore), R"(["Moby Dick"])");
  EXPECT_EQ(Eval("$.store.book[?(@.category in ['reference'])].title", kStore), R"(["Sayings"])");
  EXPECT_EQ(Eval("$.store.book[?(@.category nin ['fiction'])].title", kStore), R"(["Sayings"])");
  EXPECT_EQ(Eval("$.store.book[?(@.title != \"Sword\")].price", kStore), "[8.95,8.99,22.99]");
  EXPECT_EQ(Eval("$.store.book[?((@.price > 22))].title", kStore), R"(["The Lord"])");
  EXPECT_EQ(Eval("$[?(@.t size 2)].t", R"([{"t":[1,2]},{"t":[1]},{"t":"ab"}])"), R"([[1,2],"ab"])");
  EXPECT_EQ(Eval("$[?(@.t empty true)].id", R"([{"id":1,"t":[]},{"id":2,"t":[1]}])"), "[1]");
  EXPECT_EQ(Eval("$[?(@.t contains 'b')].id", R"([{"id":1,"t":"abc"},{"id":2,"t":"x"}])"), "[1]");
  EXPECT_EQ(Eval("$[?(@.t subsetof [1,2,3])].id", R"([{"id":1,"t":[1,3]},{"id":2,"t":[4]}])"),
            "[1]");
  EXPECT_EQ(Eval("$[?(@.t anyof [4])].id", R"([{"id":1,"t":[1,3]},{"id":2,"t":[4]}])"), "[2]");
  EXPECT_EQ(Eval("$[?(@.t noneof [4])].id", R"([{"id":1,"t":[1,3]},{"id":2,"t":[4]}])"), "[1]");
  // Jayway: [?(@.x)] tests existence, even of false or null; numbers equal numeric strings.
  EXPECT_EQ(Eval("$[?(@.x)].id", R"([{"id":1,"x":false},{"id":2,"x":null},{"id":3}])"), "[1,2]");
  EXPECT_EQ(Eval("$[?(@.n == '5')].id", R"([{"id":1,"n":5},{"id":2,"n":6}])"), "[1]");
  // A missing member is unequal to anything.
  EXPECT_EQ(Eval("$[?(@.n != 1)].id", R"([{"id":1,"n":1},{"id":2}])"), "[2]");
  // A filter on an object tests the object itself.
  EXPECT_EQ(Eval("$.a[?(@.v == 1)]", R"({"a":{"v":1}})"), R"([{"v":1}])");
  EXPECT_EQ(Eval("$[?(@.a.length() > 1)].id", R"([{"id":1,"a":[1,2]},{"id":2,"a":[1]}])"),
            "[1]");
}

TEST(PathTest, Functions) {
  EXPECT_EQ(Eval("$.a.length()", R"({"a":[1,2,3]})"), "3");
  EXPECT_EQ(Eval("$.a.size()", R"({"a":{"x":1}})"), "1");
  EXPECT_EQ(Eval("$.a.sum()", R"({"a":[1,2,3]})"), "6.0");
  EXPECT_EQ(Eval("$.a.avg()", R"({"a":[1,2,3]})"), "2.0");
  EXPECT_EQ(Eval("$.a.min()", R"({"a":[4,2,3]})"), "2.0");
  EXPECT_EQ(Eval("$.a.max()", R"({"a":[4,2,3]})"), "4.0");
  EXPECT_EQ(Eval("$.a.keys()", R"({"a":{"x":1,"y":2}})"), R"(["x","y"])");
  EXPECT_EQ(Eval("$.a[*].b.length()", R"({"a":[{"b":1},{"b":2}]})"), "2");
  EXPECT_EQ(Eval("$.x.length()", R"({"a":[]})"), "<none>");
}

TEST(PathTest, ContextAndVariables) {
  const json::Value input = J(R"({"a":1})");
  const json::Value context = J(R"({"Execution":{"Name":"exec"},"Map":{"Item":{"Index":2}}})");
  VariableScope parent;
  parent.values["outer"] = json::Value(J(R"({"x":[10,20]})"));
  VariableScope vars;
  vars.parent = &parent;
  vars.values["answer"] = 42;
  Scope scope{input, context, &vars};

  auto p = Path::Parse("$$.Execution.Name");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->root(), Path::Root::kContext);
  EXPECT_EQ(json::Serialize(*p->Evaluate(scope)), "\"exec\"");
  EXPECT_EQ(json::Serialize(*Path::Parse("$$")->Evaluate(scope)), json::Serialize(context));
  EXPECT_EQ(json::Serialize(*Path::Parse("$$.Map.Item.Index")->Evaluate(scope)), "2");

  auto v = Path::Parse("$answer");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->root(), Path::Root::kVariable);
  EXPECT_EQ(v->variable(), "answer");
  EXPECT_EQ(json::Serialize(*v->Evaluate(scope)), "42");
  EXPECT_EQ(json::Serialize(*Path::Parse("$outer.x[1]")->Evaluate(scope)), "20");
  EXPECT_EQ(json::Serialize(*Path::Parse("$outer['x'][0]")->Evaluate(scope)), "10");
  EXPECT_FALSE(Path::Parse("$missing")->Evaluate(scope).has_value());
  EXPECT_EQ(Path::Parse("$missing")->Read(scope).error().message,
            "The variable 'missing' is not defined");
  EXPECT_FALSE(Path::Parse("$answer")->Evaluate(Scope{input, context}).has_value());
}

TEST(PathTest, JaywayNotFoundMessages) {
  // test_invalid_jsonpath[ST.INVALID_JSONPATH_IN_INPUTPATH] quotes this text.
  EXPECT_EQ(ReadError("$.NoSuchInputPath", R"({"int-literal":0})"),
            "No results for path: $['NoSuchInputPath']");
  EXPECT_EQ(ReadError("$.a.b.c", R"({"x":0})"), "Missing property in path $['a']");
  EXPECT_EQ(ReadError("$.a[*]", R"({"x":0})"), "Missing property in path $['a']");
  EXPECT_EQ(ReadError("$.a[0]", R"({"a":null})"), "The path $['a'] is null");
  EXPECT_EQ(ReadError("$.a[3]", R"({"a":[1]})"), "No results for path: $['a'][3]");
  EXPECT_EQ(ReadError("$.a.b", R"({"a":"s"})"),
            "Expected to find an object with property ['b'] in path $['a'] but found "
            "'java.lang.String'. This is not a json object according to the JsonProvider: "
            "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.");
}

TEST(PathTest, CanonicalAndDefiniteness) {
  EXPECT_EQ(Path::Parse("$.a.b[0]")->Canonical(), "$['a']['b'][0]");
  EXPECT_EQ(Path::Parse("$..a[*][1:2][?(@.x)]")->Canonical(), "$..['a'][*][1:2][?]");
  EXPECT_EQ(Path::Parse("$['a','b'][0,1]")->Canonical(), "$['a','b'][0,1]");
  EXPECT_TRUE(Path::Parse("$.a.b[0]")->is_definite());
  EXPECT_TRUE(Path::Parse("$")->is_definite());
  EXPECT_FALSE(Path::Parse("$.a[*]")->is_definite());
  EXPECT_FALSE(Path::Parse("$..a")->is_definite());
  EXPECT_FALSE(Path::Parse("$.a[0,1]")->is_definite());
  EXPECT_FALSE(Path::Parse("$.a[1:]")->is_definite());
  EXPECT_FALSE(Path::Parse("$.a[?(@.b)]")->is_definite());
  EXPECT_EQ(Path::Parse("$.a.b")->text(), "$.a.b");
}

TEST(PathTest, DeepNestingIsRejectedNotACrash) {
  EXPECT_FALSE(Path::Parse("$[?(" + std::string(100000, '(') + "@.a" + std::string(100000, ')') +
                           ")]")
                   .has_value());
  std::string nested = "@.a";
  for (int k = 0; k < 40; ++k) nested = "@.a[?(" + nested + ")]";
  EXPECT_FALSE(Path::Parse("$[?(" + nested + ")]").has_value());
  EXPECT_TRUE(Path::Parse("$[?((((@.a))))]").has_value());
}

TEST(PathTest, RejectsMalformedPaths) {
  for (std::string_view bad : {"", "a.b", "$.", "$..", "$.a.", "$[", "$['a'", "$[a]", "$.a[1:2:3]",
                               "$.a[?(@.b ==)]", "$.a.nope()", "$.a b", "$.length().a"}) {
    EXPECT_FALSE(Path::Parse(bad).has_value()) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// ReferencePath

std::string ApplyRef(std::string_view path, std::string_view target, std::string_view value) {
  auto p = ReferencePath::Parse(path);
  EXPECT_TRUE(p.has_value()) << path;
  if (!p) return "<parse error>";
  auto r = p->Apply(J(target), J(value));
  if (!r) return r.error().error + ": " + r.error().cause;
  return json::Serialize(*r);
}

TEST(ReferencePathTest, PlacesValues) {
  EXPECT_EQ(ApplyRef("$", R"({"a":1})", "[1]"), "[1]");
  EXPECT_EQ(ApplyRef("$.b", R"({"a":1})", "2"), R"({"a":1,"b":2})");
  EXPECT_EQ(ApplyRef("$.a", R"({"a":1})", "2"), R"({"a":2})");
  EXPECT_EQ(ApplyRef("$.x.y.z", R"({"a":1})", "true"), R"({"a":1,"x":{"y":{"z":true}}})");
  EXPECT_EQ(ApplyRef("$['x']['y']", R"({"x":{"k":0}})", "1"), R"({"x":{"k":0,"y":1}})");
  EXPECT_EQ(ApplyRef("$.a[1]", R"({"a":[1,2,3]})", "9"), R"({"a":[1,9,3]})");
  EXPECT_EQ(ApplyRef("$.a[0].b", R"({"a":[{}]})", "9"), R"({"a":[{"b":9}]})");
  // Map state conformance: ResultPath "$.detail.shipped_output".
  EXPECT_EQ(ApplyRef("$.detail.shipped_output", R"({"detail":{"shipped":[]}})", "[]"),
            R"({"detail":{"shipped":[],"shipped_output":[]}})");
}

TEST(ReferencePathTest, FailsWhereAValueCannotBePlaced) {
  EXPECT_EQ(ApplyRef("$.a", R"("text")", "1"),
            "States.Runtime: Unable to apply ReferencePath $.a to input \"text\"");
  EXPECT_EQ(ApplyRef("$.a.b", R"({"a":5})", "1"),
            "States.Runtime: Unable to apply ReferencePath $.a.b to input {\"a\":5}");
  EXPECT_EQ(ApplyRef("$.a[3]", R"({"a":[1]})", "1"),
            "States.Runtime: Unable to apply ReferencePath $.a[3] to input {\"a\":[1]}");
  EXPECT_EQ(ApplyRef("$.x[0]", R"({})", "1"),
            "States.Runtime: Unable to apply ReferencePath $.x[0] to input {}");
  EXPECT_EQ(ApplyRef("$.a.b", R"({"a":null})", "1"),
            "States.Runtime: Unable to apply ReferencePath $.a.b to input {\"a\":null}");
}

TEST(ReferencePathTest, RejectsIndefiniteOrForeignRoots) {
  for (std::string_view bad :
       {"", "a", "$$.a", "$var", "$.a[*]", "$..a", "$.a[?(@.b)]", "$['a','b']", "$.a[0,1]",
        "$.a[1:2]", "$.a[-1]", "$.a.length()"}) {
    EXPECT_FALSE(ReferencePath::Parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(ReferencePath::Parse("$.a.b")->text(), "$.a.b");
}

}  // namespace
}  // namespace stepway::asl
