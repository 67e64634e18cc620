"""The function-completion tasks: a signature and docstring to complete, hidden tests.

Written by hand for Genloom, in the plain stdlib style the bundled code models learn from
(string, list and dict utilities, small algorithms, path handling). Each prompt ends
after the docstring's line; the model writes the body. The tests are ``assert``
statements run after the completed function, in a child process fenced in by ``genloom.sdk.sandbox``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """One task: ``prompt`` (imports, signature, docstring) and ``tests`` (asserts)."""

    name: str
    prompt: str
    tests: str


def _task(name: str, signature: str, doc: str, tests: str, imports: str = "") -> Task:
    head = f"{imports}\n\n\n" if imports else ""
    return Task(name, f'{head}def {signature}:\n    """{doc}"""\n', tests.strip() + "\n")


TASKS: tuple[Task, ...] = (
    _task("add", "add(a, b)", "Return the sum of a and b.",
          "assert add(2, 3) == 5\nassert add(-1, 1) == 0\nassert add('a', 'b') == 'ab'"),
    _task("reverse_words", "reverse_words(text)",
          "Return text with the order of its whitespace-separated words reversed.",
          "assert reverse_words('a b c') == 'c b a'\nassert reverse_words('hello') == 'hello'\n"
          "assert reverse_words('') == ''"),
    _task("is_palindrome", "is_palindrome(text)",
          "Return True if text reads the same backwards, ignoring case.",
          "assert is_palindrome('Level')\nassert not is_palindrome('python')\n"
          "assert is_palindrome('')"),
    _task("count_vowels", "count_vowels(text)",
          "Return the number of vowels (a, e, i, o, u, either case) in text.",
          "assert count_vowels('Hello World') == 3\nassert count_vowels('xyz') == 0\n"
          "assert count_vowels('AEIOU') == 5"),
    _task("flatten", "flatten(lists)",
          "Return one list with the items of each list in lists, in order.",
          "assert flatten([[1, 2], [3], []]) == [1, 2, 3]\nassert flatten([]) == []"),
    _task("chunks", "chunks(items, size)",
          "Split the list items into lists of at most size items.",
          "assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]\n"
          "assert chunks([], 3) == []\nassert chunks([1, 2], 5) == [[1, 2]]"),
    _task("unique", "unique(items)",
          "Return a list of the items without duplicates, keeping the first of each.",
          "assert unique([3, 1, 3, 2, 1]) == [3, 1, 2]\nassert unique([]) == []\n"
          "assert unique('abca') == ['a', 'b', 'c']"),
    _task("word_count", "word_count(text)",
          "Return a dict mapping each whitespace-separated word of text to its count.",
          "assert word_count('a b a') == {'a': 2, 'b': 1}\nassert word_count('') == {}"),
    _task("fibonacci", "fibonacci(n)",
          "Return the n-th Fibonacci number, with fibonacci(0) == 0 and fibonacci(1) == 1.",
          "assert fibonacci(0) == 0\nassert fibonacci(1) == 1\nassert fibonacci(10) == 55\n"
          "assert fibonacci(20) == 6765"),
    _task("factorial", "factorial(n)", "Return n! for a non-negative integer n.",
          "assert factorial(0) == 1\nassert factorial(5) == 120\nassert factorial(10) == 3628800"),
    _task("is_prime", "is_prime(n)", "Return True if n is a prime number.",
          "assert is_prime(2) and is_prime(13) and is_prime(97)\n"
          "assert not is_prime(1) and not is_prime(0) and not is_prime(91)"),
    _task("gcd", "gcd(a, b)", "Return the greatest common divisor of two positive integers.",
          "assert gcd(12, 18) == 6\nassert gcd(7, 5) == 1\nassert gcd(10, 10) == 10"),
    _task("clamp", "clamp(value, low, high)",
          "Return value limited to the range from low to high.",
          "assert clamp(5, 0, 10) == 5\nassert clamp(-3, 0, 10) == 0\nassert clamp(11, 0, 10) == 10"),
    _task("mean", "mean(values)", "Return the arithmetic mean of a non-empty list of numbers.",
          "assert mean([1, 2, 3, 4]) == 2.5\nassert mean([5]) == 5"),
    _task("median", "median(values)",
          "Return the median of a non-empty list of numbers (the mean of the two middle "
          "values when their number is even).",
          "assert median([3, 1, 2]) == 2\nassert median([4, 1, 3, 2]) == 2.5\n"
          "assert median([7]) == 7"),
    _task("capitalize_words", "capitalize_words(text)",
          "Return text with the first letter of every space-separated word in upper case.",
          "assert capitalize_words('hello big world') == 'Hello Big World'\n"
          "assert capitalize_words('') == ''"),
    _task("strip_comment", "strip_comment(line)",
          "Return line without its '#' comment and the whitespace before it.",
          "assert strip_comment('x = 1  # set x') == 'x = 1'\n"
          "assert strip_comment('# only') == ''\nassert strip_comment('y = 2') == 'y = 2'"),
    _task("get_extension", "get_extension(path)",
          "Return the extension of path without the dot, or '' when it has none.",
          "assert get_extension('/tmp/a/report.txt') == 'txt'\n"
          "assert get_extension('archive.tar.gz') == 'gz'\nassert get_extension('README') == ''",
          imports="import os"),
    _task("stem", "stem(path)",
          "Return the file name of path without its directory and extension.",
          "assert stem('/usr/lib/python3/os.py') == 'os'\nassert stem('notes') == 'notes'\n"
          "assert stem('a/b/data.tar.gz') == 'data.tar'",
          imports="import os"),
    _task("snake_to_camel", "snake_to_camel(name)",
          "Convert a snake_case name to camelCase.",
          "assert snake_to_camel('hello_world') == 'helloWorld'\n"
          "assert snake_to_camel('a_b_c') == 'aBC'\nassert snake_to_camel('name') == 'name'"),
    _task("camel_to_snake", "camel_to_snake(name)",
          "Convert a camelCase name to snake_case.",
          "assert camel_to_snake('helloWorld') == 'hello_world'\n"
          "assert camel_to_snake('name') == 'name'\n"
          "assert camel_to_snake('getHTTPCode') == 'get_h_t_t_p_code'"),
    _task("invert_dict", "invert_dict(mapping)",
          "Return a new dict with the keys and values of mapping swapped.",
          "assert invert_dict({'a': 1, 'b': 2}) == {1: 'a', 2: 'b'}\nassert invert_dict({}) == {}"),
    _task("merge_dicts", "merge_dicts(first, second)",
          "Return a new dict with the items of both; second wins on equal keys.",
          "a = {'x': 1, 'y': 2}\nassert merge_dicts(a, {'y': 3}) == {'x': 1, 'y': 3}\n"
          "assert a == {'x': 1, 'y': 2}"),
    _task("max_key", "max_key(mapping)",
          "Return the key of mapping whose value is the largest.",
          "assert max_key({'a': 1, 'b': 5, 'c': 2}) == 'b'\nassert max_key({'z': 0}) == 'z'"),
    _task("running_sum", "running_sum(values)",
          "Return the list of running totals of values.",
          "assert running_sum([1, 2, 3]) == [1, 3, 6]\nassert running_sum([]) == []"),
    _task("binary_search", "binary_search(items, target)",
          "Return the index of target in the sorted list items, or -1 if it is missing.",
          "xs = [1, 3, 5, 7, 9, 11]\nassert binary_search(xs, 7) == 3\n"
          "assert binary_search(xs, 1) == 0\nassert binary_search(xs, 4) == -1\n"
          "assert binary_search([], 1) == -1"),
    _task("sort_by_length", "sort_by_length(words)",
          "Return the words sorted by length, shortest first, keeping the order of ties.",
          "assert sort_by_length(['ccc', 'a', 'bb', 'd']) == ['a', 'd', 'bb', 'ccc']"),
    _task("transpose", "transpose(matrix)",
          "Return the transpose of a matrix given as a list of equal-length lists.",
          "assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]\n"
          "assert transpose([]) == []"),
    _task("count_lines", "count_lines(text)",
          "Return the number of lines of text that are not blank.",
          "assert count_lines('a\\n\\n  \\nb\\n') == 2\nassert count_lines('') == 0"),
    _task("parse_pairs", "parse_pairs(text)",
          "Parse lines of the form 'key=value' into a dict of strings; skip other lines.",
          "assert parse_pairs('a=1\\nb=two\\n\\njunk') == {'a': '1', 'b': 'two'}"),
    _task("truncate", "truncate(text, width)",
          "Return text cut to width characters, ending in '...' when it was longer.",
          "assert truncate('hello world', 8) == 'hello...'\nassert truncate('hi', 8) == 'hi'"),
    _task("is_anagram", "is_anagram(first, second)",
          "Return True if the two words have the same letters, ignoring case.",
          "assert is_anagram('Listen', 'silent')\nassert not is_anagram('abc', 'abd')"),
    _task("digit_sum", "digit_sum(n)",
          "Return the sum of the decimal digits of a non-negative integer.",
          "assert digit_sum(0) == 0\nassert digit_sum(1234) == 10"),
    _task("to_binary", "to_binary(n)",
          "Return the binary representation of a non-negative integer, without '0b'.",
          "assert to_binary(0) == '0'\nassert to_binary(5) == '101'\nassert to_binary(255) == '11111111'"),
    _task("rotate", "rotate(items, k)",
          "Return the list rotated left by k positions.",
          "assert rotate([1, 2, 3, 4], 1) == [2, 3, 4, 1]\nassert rotate([1, 2, 3], 3) == [1, 2, 3]\n"
          "assert rotate([1, 2, 3], 4) == [2, 3, 1]"),
    _task("char_frequency", "char_frequency(text)",
          "Return a dict mapping each character of text to the number of times it occurs.",
          "assert char_frequency('abca') == {'a': 2, 'b': 1, 'c': 1}\nassert char_frequency('') == {}"),
    _task("first_unique_char", "first_unique_char(text)",
          "Return the first character that occurs only once in text, or None.",
          "assert first_unique_char('swiss') == 'w'\nassert first_unique_char('aabb') is None"),
    _task("run_length", "run_length(text)",
          "Return the run-length encoding of text: each run of a character as the "
          "character followed by the run's length.",
          "assert run_length('aaabcc') == 'a3b1c2'\nassert run_length('') == ''"),
    _task("normalize_space", "normalize_space(text)",
          "Return text with runs of whitespace replaced by one space and the ends stripped.",
          "assert normalize_space('  a   b\\t\\nc ') == 'a b c'\nassert normalize_space('') == ''"),
    _task("read_lines", "read_lines(path)",
          "Return the lines of the text file at path, without their line endings.",
          "with open('sample.txt', 'w') as fh:\n    fh.write('one\\ntwo\\n')\n"
          "assert read_lines('sample.txt') == ['one', 'two']"),
)
