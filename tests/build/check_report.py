"""The ending the source checks of tests/build share: each problem on its
own line and a count (exit 1), or one summary line (exit 0)."""


def report(problems, what, summary):
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} {what} problem(s)")
        return 1
    print(summary)
    return 0
