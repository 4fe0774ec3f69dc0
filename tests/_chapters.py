"""What the generated tests/test_<chapter>.py files run on (book/_tools/build.py writes them).

Hand-written, not generated: it is how a chapter's check cells run under pytest, not part of any chapter.
A chapter's cells run at import, in the chapter's order; each `#| test` cell runs right where it stands,
seeing the state the chapter has there, and its outcome is kept for the test function that reports it.
"""
import os

BOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "book")


class Checks:
    "The outcomes of one chapter's check cells."

    def __init__(self):
        os.chdir(BOOK)  # chapters run from book/, as under nbdev_test and in the website build
        self.outcome = {}

    def run(self, name: str, cell) -> None:
        "Run a check cell now; keep what it raised (None when it passed)."
        try:
            cell()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # pytest's skip and fail are BaseExceptions too
            self.outcome[name] = e
        else:
            self.outcome[name] = None

    def report(self, name: str) -> None:
        "Raise, inside the test function, what the check cell raised."
        if self.outcome[name] is not None:
            raise self.outcome[name]
