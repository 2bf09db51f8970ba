"""Random small Jinja templates for differential fuzzing of the C++ renderer against jinja2
(gen_template_goldens.py --live renders them; tests/cpp/template/test_jinja2_live.cpp compares).

Templates are built from a grammar over template_snippets.CONTEXT: statements (text, output,
if/elif/else, for with loop variables and else, set, set blocks, namespace, macros, call, filter
and with blocks, comments, raw), whitespace control (-, +, indentation and newlines around tags)
and expressions (literals, names, attributes, items, slices, filters, tests, methods, operators).
Numbers stay small and loops short, so every template renders in well under a millisecond.
"""
import random

STRINGS = ["", "a", "Hi", " x ", "é", "日本 🙂", "\"q\"", "it's", "<b>&</b>", "a,b,,c", "{x}", "%s",
           "A B c", "\\n", "line\nnext", "\ttab", "ÀÉ", "user", "assistant", "0x1f", "3.5", "12"]

# Expressions by the type they produce (most operations get operands of the type they accept, so
# most templates render; WRONG mixes in type errors and undefined values on purpose).
ATOMS = {
    "str": ["s", "u8", "sp", "esc", "html", "msgs[0].content", "users[1].name", "msgs[-1]['role']",
            "ys[0]", "d.c.x | string", "f | string"],
    "num": ["0", "1", "2", "3", "-1", "7", "12", "0.5", "2.25", "-1.5", "1e3", "1.0", "100", "i", "f",
            "neg", "xs[0]", "xs[-1]", "users[0].age", "d.a", "floats[3]", "true"],
    "list": ["xs", "ys", "empty", "users", "msgs", "floats", "d.c.x", "[1, 'a', none]", "(1, 2)",
             "range(3)", "msgs[1:]", "xs[::-1]"],
    "dict": ["d", "d.c", "users[0]", "msgs[1]", "{'a': 1, 'b': [2]}", "{}", "{'k': none}"],
    "bool": ["t", "true", "false", "none", "n"],
    "any": ["nope", "d.missing", "users[2].role", "n", "none", "x"],
}
METHODS = {
    "str": [("strip", ""), ("strip", "S"), ("lstrip", ""), ("rstrip", ""), ("upper", ""),
            ("lower", ""), ("title", ""), ("capitalize", ""), ("replace", "SS"), ("replace", "SSN"),
            ("split", ""), ("split", "S"), ("rsplit", "SN"), ("startswith", "S"), ("endswith", "S"),
            ("find", "S"), ("count", "S"), ("isdigit", ""), ("format", "E"), ("join", "L"),
            ("center", "N"), ("splitlines", ""), ("swapcase", ""), ("zfill", "N")],
    "dict": [("items", ""), ("keys", ""), ("values", ""), ("get", "S"), ("get", "SE"), ("copy", "")],
    "list": [("index", "E"), ("count", "E"), ("copy", ""), ("append", "E")],
}
FILTERS = {  # input type -> (filter, argument kinds, result type)
    "str": [("upper", "", "str"), ("lower", "", "str"), ("title", "", "str"), ("trim", "", "str"),
            ("capitalize", "", "str"), ("length", "", "num"), ("replace", "SS", "str"),
            ("indent", "N", "str"), ("center", "N", "str"), ("wordcount", "", "num"),
            ("e", "", "str"), ("safe", "", "str"), ("striptags", "", "str"), ("tojson", "", "str"),
            ("list", "", "list"), ("first", "", "str"), ("last", "", "str"), ("int", "", "num"),
            ("float", "", "num"), ("reverse", "", "str"), ("format", "E", "str"), ("string", "", "str")],
    "num": [("abs", "", "num"), ("round", "", "num"), ("round", "N", "num"), ("int", "", "num"),
            ("float", "", "num"), ("string", "", "str"), ("tojson", "", "str"), ("default", "E", "any")],
    "list": [("length", "", "num"), ("first", "", "any"), ("last", "", "any"), ("join", "S", "str"),
             ("join", "", "str"), ("sort", "", "list"), ("sort", "reverse=true", "list"),
             ("unique", "", "list"), ("reverse", "", "list"), ("list", "", "list"), ("sum", "", "num"),
             ("min", "", "any"), ("max", "", "any"), ("tojson", "", "str"), ("batch", "N", "list"),
             ("select", "", "list"), ("select", "'odd'", "list"), ("reject", "'none'", "list"),
             ("map", "'string'", "list"), ("map", "attribute='name'", "list"),
             ("selectattr", "'role'", "list"), ("rejectattr", "'age'", "list"),
             ("selectattr", "'role', 'equalto', 'user'", "list"), ("sum", "attribute='age'", "num"),
             ("sort", "attribute='name'", "list"), ("max", "attribute='age'", "any"),
             ("map", "'upper'", "list"), ("string", "", "str"), ("count", "", "num")],
    "dict": [("items", "", "list"), ("dictsort", "", "list"), ("length", "", "num"),
             ("tojson", "", "str"), ("tojson", "indent=2", "str"), ("list", "", "list"),
             ("attr", "'name'", "any"), ("string", "", "str"), ("tojson", "sort_keys=true", "str")],
    "any": [("default", "S", "str"), ("d", "E", "any"), ("string", "", "str"), ("tojson", "", "str"),
            ("length", "", "num"), ("list", "", "list")],
}
TESTS = [("defined", ""), ("undefined", ""), ("none", ""), ("string", ""), ("number", ""),
         ("mapping", ""), ("iterable", ""), ("sequence", ""), ("odd", ""), ("even", ""),
         ("integer", ""), ("float", ""), ("boolean", ""), ("true", ""), ("false", ""), ("lower", ""),
         ("upper", ""), ("callable", ""), ("divisibleby", "N"), ("in", "L"), ("eq", "E"),
         ("sameas", "E"), ("gt", "N"), ("escaped", "")]
NUM_OPS = ["+", "-", "*", "/", "//", "%"]
CMP_OPS = ["==", "!=", "<", ">", "<=", ">="]
TYPES = ["str", "num", "list", "dict", "bool", "any"]
TEXTS = ["", " ", "x", "\n", "  ", "\n  ", "text ", " - ", "\t", "a\nb", "<p>", "  \n", "\n\n", "é "]
WRONG = 0.08  # chance that an operand has a random type


class Gen:
    def __init__(self, rng):
        self.r = rng

    def pick(self, xs):
        return xs[self.r.randrange(len(xs))]

    def paren(self, e):
        return f"({e})" if " " in e or e[0] in "-0123456789" else e

    def arg(self, kind, d):
        if kind == "S":
            return repr(self.pick(STRINGS))  # a Python repr is a valid Jinja string literal here
        if kind == "N":
            return str(self.r.randint(-1, 4))
        if kind == "L":
            return self.expr("list", d + 1)
        return self.expr(self.pick(TYPES), d + 1)

    def args(self, kinds, d):
        if "=" in kinds or "'" in kinds:
            return kinds
        return ", ".join(self.arg(k, d) for k in kinds)

    def expr(self, ty, d=0):
        """An expression of type `ty` (str, num, list, dict, bool, any) nested at most 3 deep."""
        if self.r.random() < WRONG:
            ty = self.pick(TYPES)
        c = self.r.randrange(10) if d < 3 else 0
        if c <= 2 or ty == "bool" and c <= 4:  # an atom
            if ty == "str" and self.r.random() < 0.4:
                return repr(self.pick(STRINGS))
            if ty == "list" and self.r.random() < 0.2:
                return "[" + ", ".join(self.expr(self.pick(TYPES), d + 1) for _ in range(self.r.randrange(3))) + "]"
            if ty == "dict" and self.r.random() < 0.2:
                return "{" + ", ".join(f"{repr(self.pick(STRINGS))}: {self.expr('any', d + 1)}"
                                       for _ in range(self.r.randrange(3))) + "}"
            return self.pick(ATOMS[ty])
        srcs = [t for t in FILTERS if ty == "any" or any(f[2] == ty for f in FILTERS[t])]
        if c <= 4 and srcs:  # a filter on an operand of a type it accepts
            src = self.pick(srcs)
            name, kinds, _ = self.pick([f for f in FILTERS[src] if ty == "any" or f[2] == ty])
            a = self.args(kinds, d)
            return f"{self.paren(self.expr(src, d + 1))} | {name}" + (f"({a})" if a else "")
        if c == 5 and ty in ("str", "bool", "num", "list", "any"):  # a method
            src = self.pick(list(METHODS))
            name, kinds = self.pick(METHODS[src])
            return f"{self.paren(self.expr(src, d + 1))}.{name}({self.args(kinds, d)})"
        if c == 6:  # an operator
            if ty == "num":
                if self.r.random() < 0.15:
                    return f"{self.pick(['2', '3'])} ** {self.pick(['2', '3', '-1', '0.5'])}"
                return f"{self.expr('num', d + 1)} {self.pick(NUM_OPS)} {self.paren(self.expr('num', d + 1))}"
            if ty == "str":
                op = self.pick(["~", "+", "%", "*"])
                right = {"~": "any", "+": "str", "%": "any", "*": "num"}[op]
                return f"{self.expr('str', d + 1)} {op} {self.paren(self.expr(right, d + 1))}"
            if ty == "list":
                return f"{self.expr('list', d + 1)} + {self.paren(self.expr('list', d + 1))}"
            if ty in ("bool", "any"):
                k = self.r.randrange(4)
                if k == 0:
                    t = self.pick(["num", "str"])
                    return f"{self.expr(t, d + 1)} {self.pick(CMP_OPS)} {self.paren(self.expr(t, d + 1))}"
                if k == 1:
                    return f"{self.expr('any', d + 1)} {self.pick(['in', 'not in'])} {self.paren(self.expr(self.pick(['list', 'str', 'dict']), d + 1))}"
                if k == 2:
                    return f"{self.expr('any', d + 1)} {self.pick(['and', 'or'])} {self.paren(self.expr('any', d + 1))}"
                return f"not {self.paren(self.expr('any', d + 1))}"
        if c == 7:  # a test
            name, kinds = self.pick(TESTS)
            a = self.args(kinds, d)
            neg = "not " if self.r.random() < 0.3 else ""
            e = f"{self.paren(self.expr('any', d + 1))} is {neg}{name}" + (f"({a})" if a else "")
            return e if ty in ("bool", "any") else f"({e}) ~ ''" if ty == "str" else self.pick(ATOMS[ty])
        if c == 8:  # an inline if
            els = f" else {self.paren(self.expr(ty, d + 1))}" if self.r.random() < 0.8 else ""
            return f"{self.paren(self.expr(ty, d + 1))} if {self.paren(self.expr('bool', d + 1))}{els}"
        # an item, attribute or slice of a container
        if ty == "list" or self.r.random() < 0.3:
            return f"{self.paren(self.expr(self.pick(['list', 'str']), d + 1))}[{self.pick(['1:', ':-1', '::-1', '1:2', '::2', '-2:'])}]"
        if self.r.random() < 0.5:
            return f"{self.paren(self.expr('list', d + 1))}[{self.pick(['0', '1', '-1', '5'])}]"
        return f"{self.paren(self.expr('dict', d + 1))}.{self.pick(['a', 'b', 'c', 'role', 'name', 'content', 'missing', 'k'])}"

    def ws(self):  # whitespace control marker at a tag edge
        return self.pick(["", "", "", "-", "+"])

    def tag(self, inner):
        lead = self.pick(["", "", "\n", "  ", "\n    "])
        return f"{lead}{{%{self.ws()} {inner} {self.ws()}%}}" + self.pick(["", "\n", " "])

    def body(self, d, n=None):
        n = self.r.randint(1, 2) if n is None else n
        return "".join(self.stmt(d + 1) for _ in range(n))

    def stmt(self, d=0):
        c = self.r.randrange(16) if d < 3 else self.r.randrange(4)
        ty = self.pick(TYPES)
        if c == 0:
            return self.pick(TEXTS)
        if c in (1, 2, 3):
            return "{{" + self.pick(["", "", "-"]) + " " + self.expr(ty) + " " + self.pick(["", "", "-"]) + "}}"
        if c == 4:
            out = self.tag(f"if {self.paren(self.expr('bool'))}") + self.body(d)
            if self.r.random() < 0.4:
                out += self.tag(f"elif {self.paren(self.expr('any'))}") + self.body(d)
            if self.r.random() < 0.5:
                out += self.tag("else") + self.body(d)
            return out + self.tag("endif")
        if c in (5, 6):
            if self.r.random() < 0.3:
                var, src = "k, v", self.pick(["d.items()", "d | dictsort", "users[0] | items", "[(1, 2), 'ab']"])
            else:
                var, src = self.pick(["x", "m", "y"]), self.paren(self.expr("list"))
            cond = f" if {self.paren(self.expr('bool', 1))}" if self.r.random() < 0.2 else ""
            inner = self.body(d)
            if self.r.random() < 0.5:
                inner += "{{ " + self.pick(["loop.index", "loop.index0", "loop.first", "loop.last",
                                            "loop.length", "loop.revindex", "loop.previtem",
                                            "loop.cycle('a', 'b')", "loop.depth", "loop.nextitem"]) + " }}"
            if self.r.random() < 0.15:
                inner += (self.tag(f"if {self.paren(self.expr('bool', 1))}") +
                          self.tag(self.pick(["break", "continue"])) + self.tag("endif"))
            out = self.tag(f"for {var} in {src}{cond}") + inner
            if self.r.random() < 0.2:
                out += self.tag("else") + self.body(d)
            return out + self.tag("endfor")
        if c == 7:
            return self.tag(f"set {self.pick(['x', 'y', 'k', 'v'])} = {self.expr(ty)}")
        if c == 8:
            return (self.tag(f"set ns = namespace(a={self.expr('num', 1)}, b={self.expr('any', 1)})") +
                    self.tag(f"set ns.{self.pick(['a', 'b'])} = {self.expr(ty, 1)}") + "{{ ns.a }}|{{ ns.b }}")
        if c == 9:
            filt = self.pick(["", "", " | upper", " | trim"])
            return self.tag(f"set y{filt}") + self.body(d) + self.tag("endset") + "[{{ y }}]"
        if c == 10:
            return (self.tag("macro m(a, b=" + self.expr("any", 2) + ")") + self.body(d) + "{{ a }}{{ b }}" +
                    self.tag("endmacro") + "{{ m(" + self.expr(ty, 1) + ") }}")
        if c == 11:
            return (self.tag("macro w(x)") + "<{{ x }}>{{ caller() }}" + self.tag("endmacro") +
                    self.tag(f"call w({self.expr(ty, 1)})") + self.body(d) + self.tag("endcall"))
        if c == 12:
            return (self.tag(f"filter {self.pick(['upper', 'trim', 'lower', 'capitalize'])}") + self.body(d) +
                    self.tag("endfilter"))
        if c == 13:
            return self.tag(f"with x = {self.expr(ty, 1)}") + self.body(d) + self.tag("endwith")
        if c == 14:
            return self.pick(["{# c #}", "{#- c -#}", "\n{# c #}\n", "{% raw %}{{ x }}{% endraw %}"])
        return self.pick(TEXTS) + self.stmt(d + 1)


def generate(seed, count):
    """`count` random templates, the same for the same seed."""
    g = Gen(random.Random(seed))
    return [g.body(0, g.r.randint(1, 3)) for _ in range(count)]
