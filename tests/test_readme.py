"""README.md's examples are what their commands produce (tests/readme_examples.py).

A block that shows output carries ``<!-- checked: ... -->``; this runs what it
shows and compares. ``make readme`` rewrites the blocks after an intended change.
"""

import difflib
import re

from tests.readme_examples import README, checked, examples, masked


def test_every_example_shows_what_its_command_produces():
    text = README.read_text(encoding="utf-8")
    stale = []
    for example, produced in checked(text):
        if masked(produced) != masked(example.body):
            diff = difflib.unified_diff(
                example.body.splitlines(),
                produced.splitlines(),
                "README.md",
                "produced",
                lineterm="",
            )
            stale.append(f"<!-- checked: {example.what} -->\n" + "\n".join(diff))
    assert not stale, "stale README examples (make readme rewrites them):\n" + "\n\n".join(stale)


def test_every_block_that_shows_output_is_checked():
    """Output is shown in ``console`` blocks, and each of those has a marker."""
    text = README.read_text(encoding="utf-8")
    checked_at = {example.start for example in examples(text)}
    consoles = [m.end() for m in re.finditer(r"^```console\n", text, re.M)]
    assert consoles and set(consoles) <= checked_at
    assert len(examples(text)) >= 10
