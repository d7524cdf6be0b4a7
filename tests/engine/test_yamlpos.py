"""Safe YAML loading: YAML 1.1 traps closed, positions kept, duplicates rejected."""

from scanner.policy.yamlpos import load_documents


def one(text):
    docs, problems = load_documents(text, "f.yaml")
    assert problems == []
    assert len(docs) == 1
    return docs[0]


def test_norway_and_on_off_stay_strings():
    d = one("a: no\nb: yes\nc: on\nd: off\ne: true\nf: False\n")
    assert d.data == {"a": "no", "b": "yes", "c": "on", "d": "off", "e": True, "f": False}


def test_dates_and_leading_zero_numbers_stay_strings():
    d = one("when: 2026-11-01\nmode: 0644\nhex: 0x1f\noct: 0o755\nn: 12\nx: 1.5\nstamp: 2026-11-01T10:00:00Z\n")
    assert d.data == {"when": "2026-11-01", "mode": "0644", "hex": 31, "oct": 493, "n": 12, "x": 1.5,
                      "stamp": "2026-11-01T10:00:00Z"}


def test_positions_of_values_and_keys():
    d = one("a:\n  b:\n    - x\n    - {c: 1}\n")
    assert d.pos(("a", "b", 1, "c")) == (4, 11)
    assert d.pos(("a", "b", 1, "c"), key=True) == (4, 8)
    assert d.pos(("a", "b", 0)) == (3, 7)
    assert d.pos(("a", "missing", "deeper")) == (2, 3)  # falls back to the nearest ancestor


def test_duplicate_key_is_reported_with_both_lines():
    docs, problems = load_documents("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert [str(p) for p in problems] == ["f.yaml:3:1: duplicate key 'a' (first at line 1)"]
    assert docs[0].data == {"a": 1, "b": 2}


def test_unsafe_tags_are_refused():
    docs, problems = load_documents("x: !!python/object/apply:os.system ['true']\n", "f.yaml")
    assert len(problems) == 1
    assert problems[0].message.startswith("invalid YAML: could not determine a constructor for the tag")
    assert problems[0].line == 1


def test_syntax_error_has_position():
    docs, problems = load_documents("a: [1, 2\nb: 3\n", "f.yaml")
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.line) == ("f.yaml", 2)
    assert "invalid YAML" in p.message


def test_multiple_documents_keep_their_index():
    docs, problems = load_documents("a: 1\n---\nb: 2\n", "f.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
    assert [d.index for d in docs] == [0, 1]
    assert docs[1].pos(("b",)) == (3, 4)
