#!/usr/bin/env python3
"""Lists C++ function and lambda bodies longer than a bound, longest first.

  scripts/function_lengths.py [--max 100] [PATH...]     (default: fcgi/)

Issue 18's bound: no function in fcgi/ over 100 lines, `Serve` and every route handler (the
lambdas given to Router::Add) under ~60. A body is a brace block whose head ends in ')' (plus
const/override/noexcept/a trailing return type) and does not start with a control keyword;
comments, string and raw-string literals are blanked first. Lines are counted from the line of
the opening brace to the line of the closing one. Exit status 1 when something is listed.
"""
import argparse
import pathlib
import re
import sys

CONTROL = re.compile(r'^(if|for|while|switch|catch|else|do|try|namespace|struct|class|enum|union|extern)\b')
HEAD_END = re.compile(r'\)\s*(const|override|noexcept|mutable|final|\s)*(->\s*[\w:<>*&, ]+)?\s*$')


def blank(text):
    """The text with comments and literals replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith('R"', i) and (m := re.match(r'R"([^(\s]*)\(', text[i:])):
            end = ')' + m.group(1) + '"'
            j = text.find(end, i)
            j = n if j < 0 else j + len(end)
        elif text[i] in '"\'':
            j = i + 1
            while j < n and text[j] != text[i]:
                j += 2 if text[j] == '\\' else 1
            j += 1
        else:
            out.append(text[i])
            i += 1
            continue
        out.append(re.sub(r'[^\n]', ' ', text[i:j]))
        i = j
    return ''.join(out)


def bodies(path):
    """(first line, line count, head) of every function or lambda body in the file."""
    text = blank(path.read_text(errors='replace'))
    stack, line = [], 1
    for i, ch in enumerate(text):
        if ch == '\n':
            line += 1
        elif ch == '{':
            k = max(text.rfind(';', 0, i), text.rfind('}', 0, i), text.rfind('{', 0, i))
            head = ' '.join(text[k + 1:i].split())
            is_fn = bool(HEAD_END.search(head)) and not CONTROL.match(head)
            stack.append((line, is_fn, head))
        elif ch == '}' and stack:
            start, is_fn, head = stack.pop()
            if is_fn:
                yield start, line - start + 1, head


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--max', type=int, default=100)
    ap.add_argument('paths', nargs='*', default=['fcgi'])
    args = ap.parse_args()
    found = []
    for root in map(pathlib.Path, args.paths):
        files = [root] if root.is_file() else sorted(p for p in root.rglob('*') if p.suffix in ('.cpp', '.h', '.cc'))
        for f in files:
            found += [(n, f, start, head) for start, n, head in bodies(f) if n > args.max]
    for n, f, start, head in sorted(found, reverse=True):
        print(f'{f}:{start}: {n} lines: {head[-100:]}')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
