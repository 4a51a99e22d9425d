import AEPOJinja
import XCTest

/// The interpreter's pieces, each against what jinja2 3.1.6 renders with `trim_blocks=True, lstrip_blocks=True` (the
/// expected strings were checked with jinja2's `ImmutableSandboxedEnvironment`).
final class JinjaTemplateTests: XCTestCase {
    private func render(_ source: String, _ variables: [String: JinjaValue] = [:], file: StaticString = #filePath,
                        line: UInt = #line) -> String? {
        do {
            return try JinjaTemplate(source).render(variables)
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    private func error(_ source: String, _ variables: [String: JinjaValue] = [:]) -> JinjaError? {
        do {
            _ = try JinjaTemplate(source).render(variables)
            return nil
        } catch {
            return error as? JinjaError
        }
    }

    func testTextAndOutput() {
        XCTAssertEqual(render("Hello {{ name }}!", ["name": "world"]), "Hello world!")
        XCTAssertEqual(render("{{ missing }}|{{ 1 }}|{{ 1.5 }}|{{ none }}|{{ true }}|{{ [1, 'a'] }}|{{ {'k': none} }}|{{ (1,) }}"),
                       "|1|1.5|None|True|[1, 'a']|{'k': None}|(1,)")
        XCTAssertEqual(render("{{ \"it's\" }}|{{ ['it\\'s'] }}|{{ 'a' 'b' }}|{{ 1e20 }}|{{ 10 / 4 }}"), "it's|[\"it's\"]|ab|1e+20|2.5")
        XCTAssertEqual(render("{# a comment #}x{# another\nspanning lines #}"), "x")
        XCTAssertEqual(render("one trailing newline is dropped\n"), "one trailing newline is dropped")
        XCTAssertEqual(render("windows\r\nlines\r"), "windows\nlines")
    }

    func testWhitespaceControl() {
        XCTAssertEqual(render("a  {{- 'b' -}}  \n c"), "abc")
        XCTAssertEqual(render("a\n  {%- if true -%}\n  b\n{%- endif %}"), "ab")
        XCTAssertEqual(render("a {#- comment -#} b"), "ab")
        XCTAssertEqual(render("{{ 'x' }}\n{{ 'y' }}"), "x\ny", "no trimming after a variable tag")
    }

    func testTrimAndLstripBlocks() {
        XCTAssertEqual(render("  {% if true %}\n  x\n  {% endif %}\n  y {# c #}\n  {#- d -#}  z"), "  x\n  y z")
        XCTAssertEqual(render("a  {%+ if true %}b{% endif %}"), "a  b", "{%+ keeps the spaces before the tag")
        XCTAssertEqual(render("{% if true +%}\nkept{% endif %}"), "\nkept", "+%} keeps the newline after the tag")
        XCTAssertEqual(render("x {% if true %}y{% endif %}"), "x y", "text before the tag on its line is kept")
        XCTAssertEqual(render("{% for i in [1, 2] %}\n    {{ i }}\n{% endfor %}"), "    1\n    2\n")
    }

    func testConditionals() {
        let source = "{% if n > 2 %}big{% elif n == 2 %}two{% else %}small{% endif %}"
        XCTAssertEqual(render(source, ["n": 3]), "big")
        XCTAssertEqual(render(source, ["n": 2]), "two")
        XCTAssertEqual(render(source, ["n": 1]), "small")
        XCTAssertEqual(render("{{ 'y' if x else 'n' }}|{{ 'y' if x }}|{{ x or 'd' }}|{{ 0 and 1 }}", ["x": ""]), "n||d|0")
    }

    func testLoopVariables() {
        XCTAssertEqual(render("{% for x in 'abc' %}{{ loop.index0 }}{{ loop.index }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}"
                              + "{{ loop.length }} {% endfor %}"),
                       "013TrueFalse3 122FalseFalse3 231FalseTrue3 ")
        XCTAssertEqual(render("{% for x in [1, 2] %}{{ loop.previtem }}-{{ loop.nextitem }};{{ loop.cycle('a', 'b') }}{% endfor %}"),
                       "-2;a1-;b")
        XCTAssertEqual(render("{% for x in [1, 2, 3] if x > 1 %}{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}"), "1/2 2/2 ")
        XCTAssertEqual(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty")
        XCTAssertEqual(render("{% for a, b in [(1, 2), (3, 4)] %}{{ a }}{{ b }}{% endfor %}|{% for k, v in d | items %}{{ k }}={{ v }} {% endfor %}",
                              ["d": ["b": 1, "a": 2]]), "1234|b=1 a=2 ")
        XCTAssertEqual(render("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}"),
                       "13")
    }

    func testScopingAndNamespace() {
        XCTAssertEqual(render("{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}"), "12121",
                       "a set inside a loop does not outlive the iteration")
        XCTAssertEqual(render("{% if true %}{% set x = 5 %}{% endif %}{{ x }}"), "5")
        XCTAssertEqual(render("{% set ns = namespace(total=0, found=false) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}"
                              + "{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.found }}"), "6 True")
        XCTAssertEqual(render("{% set a, b = 1, 2 %}{{ b }}{{ a }}|{% set block %}x{{ 1 + 1 }}{% endset %}{{ block }}|"
                              + "{% set up | upper %}abc{% endset %}{{ up }}"), "21|x2|ABC")
        XCTAssertEqual(error("{% set n = 1 %}{% set n.x = 2 %}")?.kind, .runtime)
    }

    func testMacros() {
        XCTAssertEqual(render("{% macro m(a, b=2) %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ m(1) }}{{ m(1, b=3) }}{{ m() }}"), "[12][13][2]")
        XCTAssertEqual(render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}"), "321")
        let runaway = error("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}")
        XCTAssertEqual(runaway?.kind, .runtime, "endless recursion is an error, not a crash")
    }

    func testSubscriptsAndSlices() {
        let variables: [String: JinjaValue] = ["xs": [1, 2, 3], "m": ["role": "user", "content": "hi"]]
        XCTAssertEqual(render("{{ xs[::-1] }}|{{ xs[1:] }}|{{ xs[:-1] }}|{{ xs[-1] }}|{{ xs[5] }}|{{ 'abc'[::-1] }}|{{ 'abcdef'[1:5:2] }}", variables),
                       "[3, 2, 1]|[2, 3]|[1, 2]|3||cba|bd")
        XCTAssertEqual(render("{{ m['role'] }}|{{ m.content }}|{{ m.missing }}|{{ m.missing is defined }}|{{ xs.0 }}", variables), "user|hi||False|1")
        XCTAssertEqual(render("{{ 'tool_calls' in m }}|{{ 'x' not in m }}|{{ 2 in xs }}|{{ 'b' in 'abc' }}", variables), "False|True|True|True")
    }

    func testOperators() {
        XCTAssertEqual(render("{{ 1 + 2 * 3 }}|{{ 2 ** 3 ** 2 }}|{{ -2 ** 2 }}|{{ 7 % -3 }}|{{ -7 // 2 }}|{{ 7.5 // 2 }}|{{ 1 / 3 }}"),
                       "7|64|4|-2|-4|3.0|0.3333333333333333")
        XCTAssertEqual(render("{{ 'a' ~ 1 ~ none }}|{{ 'x' * 3 }}|{{ [1] * 2 }}|{{ [1] + [2] }}|{{ 1 == 1.0 }}|{{ true == 1 }}|{{ 1 < 2 < 3 }}"),
                       "a1None|xxx|[1, 1]|[1, 2]|True|True|True")
        XCTAssertEqual(render("{{ not x }}|{{ x is none }}|{{ x is not none }}|{{ 3 is odd }}|{{ 4 is divisibleby 2 }}|{{ 'a' is string }}",
                              ["x": .none]), "True|True|False|True|True|True")
        XCTAssertEqual(render("{{ d is mapping }}|{{ d is iterable }}|{{ 1 is iterable }}|{{ u is iterable }}|{{ true is number }}|{{ true is integer }}",
                              ["d": ["a": 1]]), "True|True|False|True|True|False")
        XCTAssertEqual(error("{{ 'a' + 1 }}")?.message, "can only concatenate str (not \"int\") to str")
        XCTAssertEqual(error("{{ 'a' < 1 }}")?.message, "'<' not supported between instances of 'str' and 'int'")
        XCTAssertEqual(error("{{ x + 1 }}")?.message, "'x' is undefined")
        XCTAssertEqual(error("{{ x.y.z }}", ["x": ["a": 1]])?.message, "'dict object' has no attribute 'y'")
    }

    func testFilters() {
        XCTAssertEqual(render("{{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ [1, 2] | length }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}"),
                       "a b|a|2|ABC|abc")
        XCTAssertEqual(render("{{ [3, 4] | first }}|{{ 'ab' | last }}|{{ [1, 2] | join(', ') }}|{{ u | default('d') }}|{{ none | default('d') }}"
                              + "|{{ '' | default('d', true) }}|{{ 3 | string }}"), "3|b|1, 2|d|None|d|3")
        XCTAssertEqual(render("{{ [3, 1, 2] | sort }}|{{ ['b', 'A', 'c'] | sort }}|{{ {'b': 1, 'a': 2} | dictsort }}|{{ [1, 2, 2, 3] | unique | list }}"),
                       "[1, 2, 3]|['A', 'b', 'c']|[('a', 2), ('b', 1)]|[1, 2, 3]")
        XCTAssertEqual(render("{{ 'hello world' | title }}|{{ 3.7 | int }}|{{ '12' | int + 1 }}|{{ 'x' | int }}|{{ 2.5 | round }}|{{ 3.14159 | round(2) }}"),
                       "Hello World|3|13|0|2.0|3.14")
        XCTAssertEqual(render("{{ [1, 2, 3] | select('odd') | list }}|{{ [{'a': 1}, {'a': 2}] | map(attribute='a') | list }}"
                              + "|{{ ['a', 'b'] | map('upper') | join(',') }}|{{ [{'r': 'u'}, {'r': 'a'}] | selectattr('r', 'equalto', 'u') | list }}"
                              + "|{{ ['x', 'code', 'y'] | reject('equalto', 'code') | join(',') }}"),
                       "[1, 3]|[1, 2]|A,B|[{'r': 'u'}]|x,y")
        XCTAssertEqual(render("{{ '  a\nb' | indent(2) }}|{{ 'x' | indent(2, true) }}|{{ d | items | list }}", ["d": ["b": 1, "a": 2]]),
                       "  a\n  b|  x|[('b', 1), ('a', 2)]")
    }

    func testToJSON() {
        XCTAssertEqual(render("{{ {'a': [1, 2.0, none, true, 'é\n\"'], 'b': {}} | tojson }}"), "{\"a\": [1, 2.0, null, true, \"é\\n\\\"\"], \"b\": {}}")
        XCTAssertEqual(render("{{ {'a': 1, 'b': [1]} | tojson(indent=2) }}"), "{\n  \"a\": 1,\n  \"b\": [\n    1\n  ]\n}")
        XCTAssertEqual(render("{{ 'é😀' | tojson(ensure_ascii=true) }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true, separators=(',', ':')) }}"),
                       "\"\\u00e9\\ud83d\\ude00\"|{\"a\":2,\"b\":1}")
        XCTAssertEqual(error("{{ u | tojson }}")?.message, "Object of type Undefined is not JSON serializable")
    }

    func testStringMethods() {
        XCTAssertEqual(render("{{ 'a,b,,c'.split(',') }}|{{ '  a  b '.split(none, 1) }}|{{ ' a b '.split() }}|{{ 'a b c'.rsplit(' ', 1) }}"),
                       "['a', 'b', '', 'c']|['a', 'b ']|['a', 'b']|['a b', 'c']")
        XCTAssertEqual(render("{{ 'abc'.startswith(('x', 'a')) }}|{{ 'abc'.endswith('bc') }}|{{ '\nx\n'.strip('\n') }}|{{ '\n\nx'.lstrip('\n') }}"
                              + "|{{ 'x  '.rstrip() }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ '-'.join(['x', 'y']) }}"),
                       "True|True|x|x|x|bba|x-y")
        XCTAssertEqual(render("{{ d.get('a') }}|{{ d.get('z', 0) }}|{{ d.keys() | list }}|{{ d.items() | list }}", ["d": ["a": 1]]),
                       "1|0|['a']|[('a', 1)]")
        XCTAssertEqual(error("{{ [].append(1) }}")?.message, "'list object' has no attribute 'append'", "the sandbox has no mutating methods")
    }

    func testRaiseException() {
        let raised = error("line 1\n{{ raise_exception('Roles must alternate') }}")
        XCTAssertEqual(raised, JinjaError(.raised, "Roles must alternate", line: 2))
        XCTAssertEqual(raised?.description, "line 2: raised by the template: Roles must alternate")
    }

    func testBadTemplatesAreClearErrors() {
        let cases: [(source: String, line: Int, message: String)] = [
            ("{% if %}", 1, "expected an expression, got end of statement block"),
            ("a\n{{ x | nofilter }}", 2, "no filter named 'nofilter'"),
            ("{{ x is nothing }}", 1, "no test named 'nothing'"),
            ("{% for a in b %}\nx", 2, "unexpected end of template, expected 'else' or 'endfor'"),
            ("{% endif %}", 1, "Encountered unknown tag 'endif'."),
            ("{% do x %}", 1, "Encountered unknown tag 'do'."),
            ("{{ 'unterminated }}", 1, "unterminated string"),
            ("{{ (1 }}", 1, "unexpected '}', expected ')'"),
            ("a\n\n{{ x", 3, "unexpected end of template: the tag opened on line 3 is not closed"),
            ("{# open comment", 1, "missing end of comment tag"),
            ("{% break %}", 1, "'break' outside of a loop"),
            ("{{ a $ b }}", 1, "unexpected character '$'"),
        ]
        for (source, line, message) in cases {
            XCTAssertThrowsError(try JinjaTemplate(source), source) { error in
                XCTAssertEqual(error as? JinjaError, JinjaError(.syntax, message, line: line), source)
            }
        }
        // Nesting deeper than a template needs is an error, not a stack overflow.
        for deep in ["{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}",
                     String(repeating: "{% if true %}", count: 5000), "{{ " + String(repeating: "not ", count: 5000) + "x }}",
                     "{{ 1" + String(repeating: " + 1", count: 5000) + " }}", "{{ x" + String(repeating: ".y", count: 5000) + " }}",
                     "{{ x" + String(repeating: " | trim", count: 5000) + " }}"] {
            XCTAssertThrowsError(try JinjaTemplate(deep), String(deep.prefix(20))) { error in
                XCTAssertEqual((error as? JinjaError)?.message, "the template nests more than 100 levels deep")
            }
        }
        XCTAssertEqual(render("{{ 1" + String(repeating: " + 1", count: 40) + " }}"), "41")
        XCTAssertEqual(error("a\n{{ 1 / 0 }}"), JinjaError(.runtime, "division by zero", line: 2))
        XCTAssertEqual(error("{% for a, b in [1] %}{% endfor %}")?.kind, .runtime)
        XCTAssertEqual(error("{{ f() }}")?.message, "'f' is undefined")
    }
}
