#include "stepflow/asl/path.h"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <utility>

#include "stepflow/asl/json.h"

using stepflow::asl::Array;
using stepflow::asl::JsonError;
using stepflow::asl::Object;
using stepflow::asl::ParseJson;
using stepflow::asl::Path;
using stepflow::asl::ToJson;
using stepflow::asl::Value;

namespace {

Value J(const std::string& text) {
  Value v;
  JsonError e;
  INFO(text);
  REQUIRE(ParseJson(text, &v, &e));
  return v;
}

Path P(const std::string& text) {
  Path p;
  std::string error;
  INFO(text, ": ", error);
  REQUIRE(Path::Parse(text, &p, &error));
  return p;
}

// Evaluates `path` on `doc`: the result as JSON, or "error: <message>".
std::string Eval(const std::string& path, const std::string& doc) {
  Path p = P(path);
  Value out;
  std::string error;
  if (!p.Evaluate(J(doc), &out, &error)) return "error: " + error;
  return ToJson(out);
}

// Assigns `value` at `path` in `doc`: the new document as JSON, or "error: ...".
std::string AssignAt(const std::string& path, const std::string& doc, const std::string& value) {
  Path p = P(path);
  Value out;
  std::string error;
  if (!p.Assign(J(doc), J(value), &out, &error)) return "error: " + error;
  return ToJson(out);
}

std::string ParseError(const std::string& path) {
  Path p;
  std::string error;
  if (Path::Parse(path, &p, &error)) return "accepted";
  return error;
}

}  // namespace

const char* kStore = R"({
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

// ---- Parsing: roots, definiteness.

TEST_CASE("Parse reports the root: input, context object or variable") {
  Path p = P("$.a");
  CHECK(p.root() == Path::Root::kInput);
  CHECK(p.text() == "$.a");
  p = P("$$.Execution.Id");
  CHECK(p.root() == Path::Root::kContext);
  p = P("$myVar.field[0]");
  CHECK(p.root() == Path::Root::kVariable);
  CHECK(p.variable_name() == "myVar");
  p = P("$my_var2");
  CHECK(p.root() == Path::Root::kVariable);
  CHECK(p.variable_name() == "my_var2");
  CHECK(p.is_root_only());
  CHECK(P("$").is_root_only());
  CHECK(P("$$").is_root_only());
  CHECK_FALSE(P("$.a").is_root_only());
}

TEST_CASE("Only member names and single indexes make a path definite") {
  for (const char* definite :
       {"$", "$.a", "$.a.b[0]", "$['a'][-1]", "$$.Map.Item.Value", "$v.x", "$[\"a b\"]"}) {
    CAPTURE(definite);
    CHECK(P(definite).is_definite());
  }
  for (const char* indefinite : {"$.*", "$[*]", "$[0,1]", "$['a','b']", "$[1:2]", "$[:2]", "$[-2:]",
                                 "$..a", "$.a[?(@.b)]", "$..*", "$..[0]"}) {
    CAPTURE(indefinite);
    CHECK_FALSE(P(indefinite).is_definite());
  }
}

TEST_CASE("Dot names accept the characters AWS paths use") {
  CHECK(Eval("$.a-b", R"({"a-b":1})") == "1");
  CHECK(Eval("$.a_b$c", R"({"a_b$c":2})") == "2");
  CHECK(Eval("$.caf\u00e9", "{\"caf\u00e9\":3}") == "3");
  CHECK(Eval("$.0", R"({"0":4})") == "4");
  CHECK(Eval("  $.a  ", R"({"a":5})") == "5");  // Jayway trims the path
}

TEST_CASE("Quoted names take any character") {
  CHECK(Eval(R"($['a b'])", R"({"a b":1})") == "1");
  CHECK(Eval(R"($["a.b"])", R"({"a.b":2})") == "2");
  CHECK(Eval(R"($['say "hi"'])", R"({"say \"hi\"":3})") == "3");
  CHECK(Eval(R"($[ 'a' ])", R"({"a":6})") == "6");
  CHECK(Eval(R"($.['a'])", R"({"a":7})") == "7");
}

TEST_CASE("Quoted names keep backslash escapes verbatim, as AWS reads them") {
  // Recorded from AWS: $['Test\""Name"'] reads the member named Test\""Name".
  CHECK(Eval(R"($['Test\""Name"'])", R"({"Test\\\"\"Name\"":"Value\"\\"})") == R"("Value\"\\")");
  CHECK(Eval(R"($['it\'s'])", R"({"it\\'s":3})") == "3");
  CHECK(Eval(R"($['it\'s'])", R"({"it's":3})") == "error: No results for path: $['it\\'s']");
  CHECK(Eval(R"($["\u0041"])", R"({"\\u0041":4})") == "4");
}

TEST_CASE("Filter string literals decode escapes") {
  CHECK(Eval(R"($[?(@ == 'it\'s')])", R"(["it's","it\\'s"])") == R"(["it's"])");
  CHECK(Eval(R"($[?(@ == "\u0041\n")])", R"(["A\n","A"])") == R"(["A\n"])");
}

TEST_CASE("BracketNotation renders the path as Jayway prints it") {
  CHECK(P("$.a.b[0]").BracketNotation() == "$['a']['b'][0]");
  CHECK(P("$").BracketNotation() == "$");
  CHECK(P("$$.Execution.Id").BracketNotation() == "$['Execution']['Id']");
  CHECK(P("$v.x[-1]").BracketNotation() == "$v['x'][-1]");
  CHECK(P("$..a[*][1:2]['x','y']").BracketNotation() == "$..['a'][*][1:2]['x','y']");
}

// ---- Malformed paths.

TEST_CASE("Malformed paths are rejected saying what and where") {
  CHECK(ParseError("$.") == "a path must not end with '.' at offset 1");
  CHECK(ParseError("$[") == "unterminated '[' at offset 1");
  CHECK(ParseError("a.b") == "a path must start with '$' at offset 0");
  CHECK(ParseError("") == "empty path; a path starts with '$' at offset 0");
  CHECK(ParseError("$..") == "a path must not end with '..' at offset 1");
  CHECK(ParseError("$.a[?(") == "expected a filter expression at offset 6");
  CHECK(ParseError("$['abc") == "unterminated string at offset 2");
  CHECK(ParseError("$[\"abc]") == "unterminated string at offset 2");
  CHECK(ParseError("$.a[0") == "unterminated '[' at offset 3");
  CHECK(ParseError("$.a]") == "unexpected ']' at offset 3");
  CHECK(ParseError("$...a") == "unexpected '.' at offset 3");
  CHECK(ParseError("$.a b") == "unexpected 'b' at offset 4");
  CHECK(ParseError("$. a") ==
        "use bracket notation ['my prop'] for a name with blanks at offset 2");
  CHECK(ParseError("$[]") == "empty '[]' at offset 2");
  CHECK(ParseError("$[abc]") == "unexpected 'a' at offset 2");
  CHECK(ParseError("$[1:2:3]") == "slice steps ([start:end:step]) are not supported at offset 5");
  CHECK(ParseError("$[:]") == "a slice needs a start or an end at offset 2");
  CHECK(ParseError("$[99999999999]") == "index out of range at offset 2");
  CHECK(ParseError("$['a',]") == "expected a quoted name after ',' at offset 6");
  CHECK(ParseError("$.a.length()") == "functions such as length() are not supported at offset 4");
  CHECK(ParseError("$[?(@.a == )]") == "unexpected ')' at offset 11");
  CHECK(ParseError("$[?(@.a ==)]") == "unexpected ')' at offset 10");
  CHECK(ParseError("$[?(@.a <> 1)]") == "unknown operator '<>' at offset 8");
  CHECK(ParseError("$[?(@.a like 1)]") == "unknown operator 'like' at offset 8");
  CHECK(ParseError("$[?(@.a == 1]") == "expected ')' but found ']' at offset 12");
  CHECK(ParseError("$[?(@.a == 1)") == "unterminated '[' at offset 1");
  CHECK(ParseError("$[?('x')]") == "expected a comparison after a literal at offset 4");
  CHECK(ParseError("$[?(@.a =~ /(/)]").find("invalid regular expression /(/") == 0);
  CHECK(ParseError("$[?(@.a == $x)]") ==
        "only '@' and '$' paths are supported inside a filter at offset 11");
  CHECK(ParseError("$[?(@.a in [1,2)]") ==
        "invalid JSON literal: Missing a comma or ']' after an array element. at offset 11");
  CHECK(ParseError("$.a$") == "accepted");  // '$' may follow the first character of a name
}

TEST_CASE("A failed parse leaves the output path untouched") {
  Path p = P("$.keep");
  std::string error;
  CHECK_FALSE(Path::Parse("$.", &p, &error));
  CHECK(p.text() == "$.keep");
}

// ---- Definite evaluation and Jayway's error texts.

TEST_CASE("Definite paths read members and indexes") {
  CHECK(Eval("$", R"({"a":1})") == R"({"a":1})");
  CHECK(Eval("$.a.b", R"({"a":{"b":[1,2]}})") == "[1,2]");
  CHECK(Eval("$.a.b[1]", R"({"a":{"b":[1,2]}})") == "2");
  CHECK(Eval("$['a']['b'][0]", R"({"a":{"b":[1,2]}})") == "1");
  CHECK(Eval("$.a[-1]", R"({"a":[1,2,3]})") == "3");
  CHECK(Eval("$.a[-3]", R"({"a":[1,2,3]})") == "1");
  CHECK(Eval("$.a", R"({"a":null})") == "null");
  CHECK(Eval("$[1]", R"([10,20])") == "20");
}

TEST_CASE("Missing last member reports No results for path") {
  CHECK(Eval("$.NoSuchInputPath", "{}") == "error: No results for path: $['NoSuchInputPath']");
  CHECK(Eval("$.a.b", R"({"a":{}})") == "error: No results for path: $['a']['b']");
}

TEST_CASE("Missing intermediate member reports Missing property in path") {
  CHECK(Eval("$.no.such.result.path", "{}") == "error: Missing property in path $['no']");
  CHECK(Eval("$.a.no.c", R"({"a":{}})") == "error: Missing property in path $['a']['no']");
}

TEST_CASE("Index out of range on a definite path reports No results for path") {
  CHECK(Eval("$.a[5]", R"({"a":[1,2]})") == "error: No results for path: $['a'][5]");
  CHECK(Eval("$.a[-3]", R"({"a":[1,2]})") == "error: No results for path: $['a'][-3]");
  CHECK(Eval("$.a[5].b", R"({"a":[1,2]})") == "error: No results for path: $['a'][5]['b']");
}

TEST_CASE("A name step on a non-object names the Java class Jayway found") {
  CHECK(Eval("$.a.x", R"({"a":"s"})") ==
        "error: Expected to find an object with property ['x'] in path $['a'] but found "
        "'java.lang.String'");
  CHECK(Eval("$.a.x", R"({"a":1})") ==
        "error: Expected to find an object with property ['x'] in path $['a'] but found "
        "'java.lang.Integer'");
  CHECK(Eval("$.a.x", R"({"a":12345678901})") ==
        "error: Expected to find an object with property ['x'] in path $['a'] but found "
        "'java.lang.Long'");
  CHECK(Eval("$.a.x", R"({"a":1.5})") ==
        "error: Expected to find an object with property ['x'] in path $['a'] but found "
        "'java.lang.Double'");
  CHECK(Eval("$.a.x", R"({"a":true})") ==
        "error: Expected to find an object with property ['x'] in path $['a'] but found "
        "'java.lang.Boolean'");
  CHECK(Eval("$.a.x.y", R"({"a":[1]})") ==
        "error: Expected to find an object with property ['x'] in path $['a'] but found "
        "'net.minidev.json.JSONArray'");
  CHECK(Eval("$.a.x", R"({"a":null})") ==
        "error: Expected to find an object with property ['x'] in path $['a'] but found 'null'");
  CHECK(Eval("$.x", R"("top")") ==
        "error: Expected to find an object with property ['x'] in path $ but found "
        "'java.lang.String'");
}

TEST_CASE("An index step on a non-array fails as Jayway's array filter does") {
  CHECK(Eval("$.a[0]", R"({"a":{"b":1}})") ==
        R"(error: Filter: [0] can only be applied to arrays. Current context is: {"b":1})");
  CHECK(Eval("$.a[0].c", R"({"a":"text"})") ==
        "error: Filter: [0]['c'] can only be applied to arrays. Current context is: text");
  CHECK(Eval("$.a[0]", R"({"a":null})") == "error: The path $['a'] is null");
}

TEST_CASE("A final name union yields one merged object, as in Jayway") {
  CHECK(Eval("$['a','c']", R"({"a":1,"b":2,"c":3})") == R"({"a":1,"c":3})");
  CHECK(Eval("$['c','a','zz']", R"({"a":1,"b":2,"c":3})") == R"({"c":3,"a":1})");
  CHECK(Eval("$.x['a','b']", R"({"x":{}})") == "{}");
  CHECK(Eval("$.x['a','b']", R"({"x":3})") ==
        "error: Expected to find an object with property ['a','b'] in path $['x'] but found "
        "'java.lang.Integer'");
}

// ---- Indefinite evaluation.

TEST_CASE("Wildcards list object members in order and array elements") {
  CHECK(Eval("$.*", R"({"b":1,"a":[2],"c":null})") == R"([1,[2],null])");
  CHECK(Eval("$[*]", R"([3,4])") == "[3,4]");
  CHECK(Eval("$.a[*].b", R"({"a":[{"b":1},{"c":2},{"b":3},5]})") == "[1,3]");
  CHECK(Eval("$.a.*", R"({"a":"scalar"})") == "[]");
  CHECK(Eval("$.missing[*]", "{}") == "[]");
  CHECK(Eval("$.*.x", R"({"p":{"x":1},"q":{"x":2}})") == "[1,2]");
}

TEST_CASE("Indefinite paths skip what is missing or of the wrong type") {
  // Recorded from AWS: `$.items[:1].itemValue` on {} gives [].
  CHECK(Eval("$.items[:1].itemValue", "{}") == "[]");
  CHECK(Eval("$.item.items[1:5]", "{}") == "[]");
  CHECK(Eval("$.a[?(@.x)]", "{}") == "[]");
  CHECK(Eval("$.a.b[*]", R"({"a":"text"})") == "[]");
  CHECK(Eval("$[?(@.a)]", "7") == "[]");
  CHECK(Eval("$..*", "7") == "[]");
  CHECK(Eval("$[0,1].x", R"([{"x":1},5,{"x":3}])") == "[1]");
}

TEST_CASE("Index and name unions keep the order they are written in") {
  CHECK(Eval("$[2,0,9,-1]", "[10,11,12]") == "[12,10,12]");
  CHECK(Eval("$['b','a'].v", R"({"a":{"v":1},"b":{"v":2}})") == "[2,1]");
  CHECK(Eval("$['b','zz'].v", R"({"a":{"v":1},"b":{"v":2}})") == "[2]");
}

TEST_CASE("Slices follow Jayway's from, to and between forms") {
  const char* a = "[0,1,2,3,4]";
  CHECK(Eval("$[1:3]", a) == "[1,2]");
  CHECK(Eval("$[:2]", a) == "[0,1]");
  CHECK(Eval("$[-2:]", a) == "[3,4]");
  CHECK(Eval("$[2:]", a) == "[2,3,4]");
  CHECK(Eval("$[:-2]", a) == "[0,1,2]");
  CHECK(Eval("$[3:100]", a) == "[3,4]");
  CHECK(Eval("$[10:]", a) == "[]");
  CHECK(Eval("$[-10:]", a) == "[0,1,2,3,4]");
  CHECK(Eval("$[-3:-1]", a) == "[2,3]");
  CHECK(Eval("$[3:1]", a) == "[]");
  // Jayway's [from:to] with a negative start walks positions from..to-1,
  // each resolved as an index: [-2:1] is positions -2, -1, 0.
  CHECK(Eval("$[-2:1]", a) == "[3,4,0]");
  CHECK(Eval("$[-2000000000:1]", a) == "[0,1,2,3,4,0]");
  CHECK(Eval("$[1:3]", "{}") == "[]");
}

TEST_CASE("Deep scan finds members at every depth in document order") {
  CHECK(Eval("$..author", kStore) ==
        R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])");
  CHECK(Eval("$.store..price", kStore) == "[8.95,12.99,8.99,22.99,19.95]");
  CHECK(Eval("$..a", R"({"a":{"a":1},"b":[{"a":2}]})") == R"([{"a":1},1,2])");
  CHECK(Eval("$..nothing", kStore) == "[]");
  CHECK(Eval("$..x", "5") == "[]");
}

TEST_CASE("Deep scan wildcard lists a node's children before its descendants") {
  CHECK(Eval("$..*", R"({"a":{"b":1},"c":[2]})") == R"([{"b":1},[2],1,2])");
}

TEST_CASE("Deep scan with an index applies it to every array") {
  CHECK(Eval("$..[0]", R"({"a":[1,[2,3]],"b":{"c":[4]}})") == "[1,2,4]");
  CHECK(Eval("$..book[2].title", kStore) == R"(["Moby Dick"])");
  // Jayway's walkArray hands every element of a matching array to the step
  // after the index, so `$..[0].x` reads x of all elements.
  CHECK(Eval("$..[0].x", R"([{"x":1},{"x":2}])") == "[1,2]");
}

TEST_CASE("Deep scan with a filter finds every matching object") {
  CHECK(Eval("$..[?(@.price < 10)].title", kStore) == R"(["Sayings","Moby Dick"])");
  CHECK(Eval("$..['color','price']", kStore) == R"([{"color":"red","price":19.95}])");
}

// ---- Filters.

TEST_CASE("Filters compare numbers") {
  CHECK(Eval("$.store.book[?(@.price < 10)].title", kStore) == R"(["Sayings","Moby Dick"])");
  CHECK(Eval("$.store.book[?(@.price<=8.99)].title", kStore) == R"(["Sayings","Moby Dick"])");
  CHECK(Eval("$.store.book[?(@.price > 20)].title", kStore) == R"(["The Lord"])");
  CHECK(Eval("$.store.book[?(@.price >= 22.99)].title", kStore) == R"(["The Lord"])");
  CHECK(Eval("$.store.book[?(@.price == 12.99)].title", kStore) == R"(["Sword"])");
  CHECK(Eval("$.store.book[?(@.price != 12.99)].title", kStore) ==
        R"(["Sayings","Moby Dick","The Lord"])");
  CHECK(Eval("$[?(@ > 1)]", "[1,2,3]") == "[2,3]");
  CHECK(Eval("$[?(@ == -1.5e0)]", "[1,-1.5]") == "[-1.5]");
}

TEST_CASE("Filters test existence and its negation") {
  CHECK(Eval("$.store.book[?(@.isbn)].title", kStore) == R"(["Moby Dick","The Lord"])");
  CHECK(Eval("$.store.book[?(!@.isbn)].title", kStore) == R"(["Sayings","Sword"])");
  CHECK(Eval("$[?(@.a)]", R"([{"a":null},{"b":1}])") == R"([{"a":null}])");
  CHECK(Eval("$[?(@.a.b)]", R"([{"a":{"b":0}},{"a":1}])") == R"([{"a":{"b":0}}])");
}

TEST_CASE("Filters compare strings, booleans and null") {
  CHECK(Eval("$.store.book[?(@.category == 'reference')].author", kStore) == R"(["Nigel Rees"])");
  CHECK(Eval("$.store.book[?(@.author == \"Evelyn Waugh\")].price", kStore) == "[12.99]");
  CHECK(Eval("$[?(@.t == true)].n", R"([{"t":true,"n":1},{"t":false,"n":2},{"t":"true","n":3}])") ==
        "[1]");
  CHECK(Eval("$[?(@.v == null)].n", R"([{"v":null,"n":1},{"n":2},{"v":0,"n":3}])") == "[1]");
  CHECK(Eval("$[?(@.s < 'b')]", R"([{"s":"a"},{"s":"c"},{"s":1}])") == R"([{"s":"a"}])");
  CHECK(Eval("$[?(@.s > 1)]", R"([{"s":"2"}])") == "[]");  // no cross-type ordering
}

TEST_CASE("Filter equality compares strings and numbers by value, as Jayway's ValueNode") {
  CHECK(Eval("$[?(@.n == '5')]", R"([{"n":5},{"n":6}])") == R"([{"n":5}])");
  CHECK(Eval("$[?(@.s == 5)]", R"([{"s":"5"},{"s":"05"}])") == R"([{"s":"5"}])");
  CHECK(Eval("$[?(@.n == 1)]", R"([{"n":1.0},{"n":2}])") == R"([{"n":1.0}])");
  CHECK(Eval("$[?(@.n === '5')]", R"([{"n":5},{"n":"5"}])") == R"([{"n":"5"}])");
  CHECK(Eval("$[?(@.n !== 5)]", R"([{"n":5},{"n":"5"}])") == R"([{"n":"5"}])");
}

TEST_CASE("A missing operand is undefined: equal to nothing, unequal to everything") {
  CHECK(Eval("$[?(@.a == @.b)]", R"([{"c":1}])") == "[]");
  CHECK(Eval("$[?(@.a != 1)].n", R"([{"a":1,"n":1},{"n":2},{"a":2,"n":3}])") == "[2,3]");
  CHECK(Eval("$[?(@.a < 1)]", R"([{"n":1}])") == "[]");
}

TEST_CASE("Filters combine with &&, || and ! with the usual precedence") {
  const char* doc = R"([{"a":1,"b":1},{"a":1,"b":3},{"a":2,"b":3},{"a":3,"b":0}])";
  CHECK(Eval("$[?(@.a != 1 && @.b > 2)]", doc) == R"([{"a":2,"b":3}])");
  CHECK(Eval("$[?(@.a == 3 || @.b == 1)]", doc) == R"([{"a":1,"b":1},{"a":3,"b":0}])");
  CHECK(Eval("$[?(@.a == 3 || @.a == 1 && @.b == 3)]", doc) == R"([{"a":1,"b":3},{"a":3,"b":0}])");
  CHECK(Eval("$[?((@.a == 3 || @.a == 1) && @.b == 3)]", doc) == R"([{"a":1,"b":3}])");
  CHECK(Eval("$[?(!(@.a == 1))]", doc) == R"([{"a":2,"b":3},{"a":3,"b":0}])");
  CHECK(Eval("$[?(! (@.a == 1 || @.b == 0))]", doc) == R"([{"a":2,"b":3}])");
}

TEST_CASE("Filters may refer to the document root with $") {
  CHECK(Eval("$.store.book[?(@.price > $.expensive)].title", kStore) == R"(["Sword","The Lord"])");
  CHECK(Eval("$.store.book[?(@.price < $['store']['bicycle'].price && @.isbn)].title", kStore) ==
        R"(["Moby Dick"])");
}

TEST_CASE("Filters match regular expressions against the whole string") {
  CHECK(Eval("$.store.book[?(@.author =~ /.*REES/i)].author", kStore) == R"(["Nigel Rees"])");
  CHECK(Eval("$.store.book[?(@.author =~ /Rees/)].author", kStore) == "[]");  // full match
  CHECK(Eval("$[?(@.p =~ /a\\/b/)]", R"([{"p":"a/b"},{"p":"ab"}])") == R"([{"p":"a/b"}])");
  CHECK(Eval("$[?(@ =~ /1\\d/)]", R"([12,3,"15",true])") == R"([12,"15"])");
  // Catastrophic backtracking hits the match limit and counts as no match.
  std::string hostile(5000, 'a');
  hostile += "!";
  CHECK(Eval("$[?(@ =~ /(a+)+b/)]", "[\"" + hostile + "\"]") == "[]");
}

TEST_CASE("Filters support in, nin, subsetof, anyof, noneof, size, empty and contains") {
  const char* doc = R"([{"c":"x","t":["a","b"]},{"c":"y","t":[]},{"c":"z","t":["c"]}])";
  CHECK(Eval("$[?(@.c in ['x','z'])].c", doc) == R"(["x","z"])");
  CHECK(Eval("$[?(@.c nin ['x','z'])].c", doc) == R"(["y"])");
  CHECK(Eval("$[?(@.c IN [\"y\"])].c", doc) == R"(["y"])");
  CHECK(Eval("$[?(@.t subsetof ['a','b','c'])].c", doc) == R"(["x","y","z"])");
  CHECK(Eval("$[?(@.t subsetof ['a'])].c", doc) == R"(["y"])");
  CHECK(Eval("$[?(@.t anyof ['b','c'])].c", doc) == R"(["x","z"])");
  CHECK(Eval("$[?(@.t noneof ['b','c'])].c", doc) == R"(["y"])");
  CHECK(Eval("$[?(@.t size 2)].c", doc) == R"(["x"])");
  CHECK(Eval("$[?(@.c size 1)].c", doc) == R"(["x","y","z"])");
  CHECK(Eval("$[?(@.t empty true)].c", doc) == R"(["y"])");
  CHECK(Eval("$[?(@.t empty false)].c", doc) == R"(["x","z"])");
  CHECK(Eval("$[?(@.t contains 'c')].c", doc) == R"(["z"])");
  CHECK(Eval("$[?(@.c contains 'x')].c", doc) == R"(["x"])");
  CHECK(Eval("$[?(@.n in [1, 2.0])].n", R"([{"n":2},{"n":3}])") == "[2]");
  CHECK(Eval("$[?(@.o == {'k': [1]})].i", R"([{"o":{"k":[1]},"i":1},{"o":{"k":[2]},"i":2}])") ==
        "[1]");
}

TEST_CASE("A filter on an object tests the object itself") {
  CHECK(Eval("$.a[?(@.x == 1)]", R"({"a":{"x":1}})") == R"([{"x":1}])");
  CHECK(Eval("$.a[?(@.x == 2)]", R"({"a":{"x":1}})") == "[]");
  CHECK(Eval("$.a[?(@.x == 2)]", R"({"a":"primitive"})") == "[]");
}

TEST_CASE("Filters nest and may use indefinite operand paths") {
  const char* doc =
      R"([{"n":1,"items":[{"ok":true}]},{"n":2,"items":[{"ok":false}]},{"n":3,"items":[]},{"n":4}])";
  CHECK(Eval("$[?(@.items[*].ok contains false)].n", doc) == "[2]");
  CHECK(Eval("$[?(@.items[0].ok == false)].n", doc) == "[2]");
  CHECK(Eval("$[?(@.items[?(@.ok == true)] size 1)].n", doc) == "[1]");
  // An indefinite operand that Jayway cannot start (no `items`) is undefined.
  CHECK(Eval("$[?(@.items[*] empty true)].n", doc) == "[3]");
  CHECK(Eval("$[?(@.items[*] empty false)].n", doc) == "[1,2]");
}

TEST_CASE("An indefinite existence check holds unless a member is missing, as in Jayway") {
  const char* doc =
      R"([{"n":1,"items":[{"ok":true}]},{"n":2,"items":[{"ok":false}]},{"n":3,"items":[]},{"n":4}])";
  // Jayway reads an empty match list as present: the nested filter does not filter.
  CHECK(Eval("$[?(@.items[?(@.ok == true)])].n", doc) == "[1,2,3]");
  CHECK(Eval("$[?(@.items[*].ok)].n",
             R"([{"n":1,"items":[{"ok":1},{}]},{"n":2,"items":[{"ok":1}]}])") == "[2]");
}

// ---- Variables and the context object.

TEST_CASE("Variable and context paths evaluate against the value their root stands for") {
  Path var = P("$order.items[1].sku");
  CHECK(var.variable_name() == "order");
  Value out;
  std::string error;
  REQUIRE(var.Evaluate(J(R"({"items":[{"sku":"a"},{"sku":"b"}]})"), &out, &error));
  CHECK(ToJson(out) == R"("b")");

  Path ctx = P("$$.Execution.Id");
  REQUIRE(ctx.Evaluate(J(R"({"Execution":{"Id":"arn:x"}})"), &out, &error));
  CHECK(ToJson(out) == R"("arn:x")");
  CHECK_FALSE(ctx.Evaluate(J(R"({"Execution":{}})"), &out, &error));
  CHECK(error == "No results for path: $['Execution']['Id']");

  Path all = P("$$.Map.Item.Value[*]");
  REQUIRE(all.Evaluate(J(R"({"Map":{"Item":{"Value":[1,2]}}})"), &out, &error));
  CHECK(ToJson(out) == "[1,2]");
}

// ---- Assign (ResultPath).

TEST_CASE("Assign replaces the root for $") {
  CHECK(AssignAt("$", R"({"a":1})", R"([1])") == "[1]");
}

TEST_CASE("Assign replaces an existing member in place and appends new ones") {
  CHECK(AssignAt("$.a", R"({"a":1,"b":2})", "9") == R"({"a":9,"b":2})");
  CHECK(AssignAt("$.c", R"({"a":1,"b":2})", "9") == R"({"a":1,"b":2,"c":9})");
  CHECK(AssignAt("$['x y']", "{}", R"("v")") == R"({"x y":"v"})");
}

TEST_CASE("Assign creates missing intermediate objects") {
  CHECK(AssignAt("$.a.b.c", R"({"z":0})", "1") == R"({"z":0,"a":{"b":{"c":1}}})");
  CHECK(AssignAt("$.a.b.c", R"({"a":{"k":1}})", "1") == R"({"a":{"k":1,"b":{"c":1}}})");
}

TEST_CASE("Assign sets array elements in range and rejects the rest") {
  CHECK(AssignAt("$.a[1].v", R"({"a":[{},{"v":0,"w":1}]})", "5") == R"({"a":[{},{"v":5,"w":1}]})");
  CHECK(AssignAt("$.a[-1]", R"({"a":[1,2]})", "5") == R"({"a":[1,5]})");
  CHECK(AssignAt("$.a[2]", R"({"a":[1,2]})", "5") ==
        "error: Index [2] is out of bounds in path $['a'] (length 2)");
  CHECK(AssignAt("$.a[0]", R"({"a":{}})", "5") ==
        "error: Expected to find an array with index [0] in path $['a'] but found "
        "'net.minidev.json.JSONObject'");
  CHECK(AssignAt("$.a.b[0]", "{}", "5") ==
        "error: Cannot create array element [0] in path $['a']['b']: the array does not exist");
}

TEST_CASE("Assign walks paths longer than its on-stack spine") {
  CHECK(AssignAt("$.a.b.c.d.e.f.g.h.i[1].k", R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":[0,{"j":1}]}}}}}}}}})",
                 "2") == R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":[0,{"j":1,"k":2}]}}}}}}}}})");
  CHECK(AssignAt("$.a.b.c.d.e.f.g.h.i.j", R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}})", "3") ==
        R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":3}}}}}}}}}})");
}

TEST_CASE("Assign fails when a step meets a non-object") {
  CHECK(AssignAt("$.a.b", R"({"a":"text"})", "1") ==
        "error: Expected to find an object with property ['b'] in path $['a'] but found "
        "'java.lang.String'");
  CHECK(AssignAt("$.a", R"("top")", "1") ==
        "error: Expected to find an object with property ['a'] in path $ but found "
        "'java.lang.String'");
  CHECK(AssignAt("$.a.b", R"({"a":null})", "1") ==
        "error: Expected to find an object with property ['b'] in path $['a'] but found 'null'");
}

TEST_CASE("Assign rejects indefinite paths") {
  CHECK(AssignAt("$.a[*]", R"({"a":[1]})", "1") ==
        "error: Cannot assign to $.a[*]: only a path of member names and single indexes can be "
        "assigned");
}

TEST_CASE("Assign leaves the input value unchanged") {
  Value doc = J(R"({"a":{"b":1},"c":[1]})");
  Value out;
  std::string error;
  REQUIRE(P("$.a.b").Assign(doc, J("2"), &out, &error));
  CHECK(ToJson(doc) == R"({"a":{"b":1},"c":[1]})");
  CHECK(ToJson(out) == R"({"a":{"b":2},"c":[1]})");
  // Siblings off the spine are shared, not copied.
  CHECK(&out.Find("c")->AsArray() == &doc.Find("c")->AsArray());
}

// ---- Value semantics of Path.

TEST_CASE("Paths copy and move with their compiled steps") {
  Path a = P("$.store.book[?(@.price < 10)].title");
  Path b = a;
  Path c = std::move(a);
  Path d;
  CHECK(d.text() == "$");
  CHECK(d.is_root_only());
  d = b;
  for (Path* p : {&b, &c, &d}) {
    Value out;
    std::string error;
    REQUIRE(p->Evaluate(J(kStore), &out, &error));
    CHECK(ToJson(out) == R"(["Sayings","Moby Dick"])");
  }
  a = c;  // a moved-from path can be assigned again
  CHECK(a.text() == "$.store.book[?(@.price < 10)].title");
}

// ---- Hostile input.

TEST_CASE("A path 10,000 steps long parses and evaluates without recursion") {
  std::string text = "$";
  for (int i = 0; i < 10000; ++i) text += ".a";
  Path p = P(text);
  CHECK(p.is_definite());
  Value out;
  std::string error;
  CHECK_FALSE(p.Evaluate(J(R"({"a":{"a":1}})"), &out, &error));
  CHECK(error ==
        "Expected to find an object with property ['a'] in path $['a']['a'] but found "
        "'java.lang.Integer'");
  std::string scans = "$";
  for (int i = 0; i < 10000; ++i) scans += "..a[*]";
  Path q = P(scans);
  REQUIRE(q.Evaluate(J(R"({"a":[{"a":[1]}]})"), &out, &error));
  CHECK(ToJson(out) == "[]");
}

TEST_CASE("Filters nested 10,000 deep are rejected, not a stack overflow") {
  std::string text = "$";
  for (int i = 0; i < 10000; ++i) text += "[?(@.a";
  CHECK(ParseError(text) == "filters nested more than 32 deep at offset 193");
  std::string parens = "$[?(";
  for (int i = 0; i < 10000; ++i) parens += "(";
  CHECK(ParseError(parens) == "filter expression nested more than 64 deep at offset 68");
  std::string nots = "$[?(";
  for (int i = 0; i < 10000; ++i) nots += "!";
  CHECK(ParseError(nots) == "filter expression nested more than 64 deep at offset 68");
  std::string brackets = "$[?(@.a in ";
  for (int i = 0; i < 10000; ++i) brackets += "[";
  CHECK(ParseError(brackets) == "unterminated JSON literal at offset 11");
  std::string closed = "$[?(@.a in " + std::string(100, '[') + std::string(100, ']') + ")]";
  CHECK(ParseError(closed).find("invalid JSON literal") == 0);
}

TEST_CASE("Filters nested 32 deep still evaluate") {
  // $[?(@.a[?(@.a[?( ... @.a ... )])])] over [d31], where d0 = {"a":1} and
  // d(k) = {"a":[d(k-1)]}: every level's filter holds.
  std::string text = "$";
  std::string close;
  for (int i = 0; i < 32; ++i) {
    text += "[?(@.a";
    close += ")]";
  }
  text += close;
  std::string doc = R"({"a":1})";
  for (int i = 0; i < 31; ++i) doc = R"({"a":[)" + doc + "]}";
  CHECK(Eval(text, "[" + doc + "]") == "[" + doc + "]");
}

TEST_CASE("A filter over 1,000,000 elements is linear") {
  Array items;
  items.reserve(1000000);
  for (int i = 0; i < 1000000; ++i) {
    Object o;
    o.emplace_back("price", Value::Int(i % 1000));
    o.emplace_back("id", Value::Int(i));
    items.push_back(Value::MakeObject(std::move(o)));
  }
  Value doc = Value::MakeArray(std::move(items));
  Path p = P("$[?(@.price < 10 && @.id >= 0)].id");
  Value out;
  std::string error;
  auto start = std::chrono::steady_clock::now();
  REQUIRE(p.Evaluate(doc, &out, &error));
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(out.is_array());
  CHECK(out.AsArray().size() == 10000);
  CHECK(out.AsArray()[0].AsInt() == 0);
  CHECK(out.AsArray()[10].AsInt() == 1000);
  // Linear work is a few hundred milliseconds even unoptimised; quadratic would be hours.
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count() < 20);
  Path all = P("$[*]");
  REQUIRE(all.Evaluate(doc, &out, &error));
  CHECK(out.AsArray().size() == 1000000);
}

TEST_CASE("Deep scan over a document 1,000 levels deep does not overflow") {
  std::string doc;
  for (int i = 0; i < 999; ++i) doc += R"({"a":)";
  doc += "1";
  for (int i = 0; i < 999; ++i) doc += "}";
  Value out;
  std::string error;
  REQUIRE(P("$..a").Evaluate(J(doc), &out, &error));
  CHECK(out.AsArray().size() == 999);
  CHECK(ToJson(out.AsArray().back()) == "1");
}

TEST_CASE("Random path text is either parsed or rejected with an offset, never a crash") {
  // Fixed seed: the same 20,000 strings every run.
  std::mt19937 rng(20261126);
  const std::string alphabet = "$$@@..[[]]()??**''\"\",,::--!!==<<>>&&||~~//\\ ab01xyi";
  Value doc = J(R"({"a":[1,{"b":"x","a":[2,{"a":null}]}],"b":{"a":true},"x":"s"})");
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = "$";
    size_t length = rng() % 16;
    for (size_t j = 0; j < length; ++j) text += alphabet[rng() % alphabet.size()];
    CAPTURE(text);
    Path p;
    std::string error;
    if (!Path::Parse(text, &p, &error)) {
      CHECK(error.find(" at offset ") != std::string::npos);
      continue;
    }
    ++parsed;
    Value out;
    if (p.Evaluate(doc, &out, &error)) {
      if (!p.is_definite() && !out.is_object()) CHECK(out.is_array());
    } else {
      // Definite paths fail, and so do final name unions (Jayway merges them).
      CHECK((p.is_definite() || text.find(',') != std::string::npos));
      CHECK_FALSE(error.empty());
    }
    if (p.is_definite()) (void)p.Assign(doc, Value::Int(1), &out, &error);
  }
  CHECK(parsed > 1000);  // the generator reaches the evaluator, not just the parser
}

TEST_CASE("Paths of the same text share one compiled form that outlives each of them") {
  const Value doc = J(R"({"a": {"b": [10, 20]}})");
  Value out;
  std::string error;
  {
    Path first = P("$.a.b[1]");
    Path second = P("$.a.b[1]");
    REQUIRE(second.Evaluate(doc, &out, &error));
    CHECK(ToJson(out) == "20");
  }
  // Thousands of distinct texts come and go: the table drops what nobody holds.
  for (int i = 0; i < 5000; ++i) {
    Path transient = P("$.k" + std::to_string(i));
    REQUIRE(transient.Evaluate(J(R"({"k)" + std::to_string(i) + R"(": 1})"), &out, &error));
  }
  Path again = P("$.a.b[1]");
  REQUIRE(again.Evaluate(doc, &out, &error));
  CHECK(ToJson(out) == "20");
  Path copy = again;
  again = Path();
  CHECK(copy.text() == "$.a.b[1]");
  CHECK(again.text() == "$");
  REQUIRE(copy.Evaluate(doc, &out, &error));
  CHECK(ToJson(out) == "20");
}
