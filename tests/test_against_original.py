"""This package computes the same losses as the original micrograd 0.1.0 (hand-written, not generated).

Why this is not a `#| test` cell of a chapter: it needs the original package, installed from PyPI into
.build/micrograd-0.1.0 (the network, and `pip`), and it imports that package in a separate process,
because both are called `micrograd` and one interpreter can import only one of them. A chapter must run
offline, in one kernel, when the book is built; so the check lives here, next to `make bench`
(book/_tools/bench.py), which uses the same folder and the same workload.

If the original cannot be found or installed, the test is skipped with a message, except under CI=true,
where it fails: there the comparison must run.
"""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIG_DIR = os.path.join(ROOT, ".build", "micrograd-0.1.0")

# One training step of the moons demo (book/_tools/bench.py, W1), written so that it runs on either
# package: MLP(2, [16, 16, 1]) from random.seed(1337), hinge loss + 1e-4 L2, SGD with rate 0.1.
STEPS = r"""
import json, math, random, sys
sys.path.insert(0, sys.argv[1])
from micrograd.engine import Value
from micrograd.nn import MLP
import micrograd, os
assert os.path.abspath(micrograd.__file__).startswith(os.path.abspath(sys.argv[1])), micrograd.__file__

rng = random.Random(0)
X, y = [], []
for i in range(100):
    t = math.pi * rng.random()
    up = i % 2 == 0
    cx, cy = (math.cos(t), math.sin(t)) if up else (1 - math.cos(t), 0.5 - math.sin(t))
    X.append((cx + rng.gauss(0, 0.1), cy + rng.gauss(0, 0.1)))
    y.append(1.0 if up else -1.0)

random.seed(1337)
model = MLP(2, [16, 16, 1])
losses = []
for k in range(3):
    scores = [model([Value(a), Value(b)]) for a, b in X]
    data = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(X))
    total = data + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    losses.append(total.data)
print(json.dumps({"losses": losses, "n_params": len(model.parameters())}))
"""


def find_original() -> str | None:
    "The folder holding micrograd 0.1.0, installing it with pip if needed; None if that fails."
    if os.path.exists(os.path.join(ORIG_DIR, "micrograd", "engine.py")):
        return ORIG_DIR
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--no-deps", "--target", ORIG_DIR, "micrograd==0.1.0"], capture_output=True, text=True)
    if r.returncode == 0 and os.path.exists(os.path.join(ORIG_DIR, "micrograd", "engine.py")):
        return ORIG_DIR
    return None


def run_steps(where: str) -> dict:
    r = subprocess.run([sys.executable, "-c", STEPS, where], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_same_losses_as_original():
    orig = find_original()
    if orig is None:
        msg = (f"micrograd 0.1.0 is not in {ORIG_DIR} and `pip install --target` failed (offline?); "
               "install it with: .venv/bin/pip install --target .build/micrograd-0.1.0 micrograd==0.1.0 --no-deps")
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    theirs, ours = run_steps(orig), run_steps(ROOT)
    assert theirs["n_params"] == ours["n_params"] == 337
    assert len(ours["losses"]) == 3
    for a, b in zip(ours["losses"], theirs["losses"]):
        assert abs(a - b) < 1e-12, (ours["losses"], theirs["losses"])
    assert ours["losses"][2] < ours["losses"][0]   # and the steps do train
