"""Measure this package's speed and memory against micrograd 0.1.0, plain Python floats and an ablation (`make bench`).

Usage (from the repository root):  .venv/bin/python book/_tools/bench.py [--quick] [--out book/_data]
       with an earlier version beside this one:  ... bench.py --before DIR (DIR/micrograd/; make bench-compare)

Each implementation runs in a long-lived worker process of its own (so that the two packages called
`micrograd` never share an interpreter, and one engine's garbage never slows another):
  book   this repository's micrograd (imported from the repository root),
  orig   micrograd 0.1.0 from PyPI, installed with pip into .build/micrograd-0.1.0 if missing,
  float  the floor: the same arithmetic on Python floats with hand-derived gradients, no graph,
  abl:*  the five engines of book/12_fast.ipynb's ablation (ENGINES), run from the chapter's own cells.
The driver interleaves the runs (A B C, C B A, ...) and reports medians and the median of the per-round
ratios, because the machine is noisy; the clock is the worker's CPU time. Workloads:
  ablation  W1's step written on lists of weights (the chapter's `step`), one engine per design change,
            with the collector on (steady state: every timed step follows a step) and switched off while the
            clock runs; bytes per node;
  W1  one training step of the moons demo: MLP(2, [16, 16, 1]), 100 points, hinge loss + 1e-4 L2,
      forward, zero_grad, backward, SGD update (steady state, default garbage-collector settings);
  W2  a chain x = x * 1.0001 + 0.1 repeated N times: forward and backward (the package's graph is freed on
      return; the collection that frees the original's is not timed), the collector on and off;
  W3  the sum of N products a_i * b_i: time (forward, backward, free) and bytes per node (tracemalloc).
Writes book/_data/bench.json (read by book/12_fast.ipynb) and book/_data/bench.md, and prints the table.
"""
import argparse, datetime, gc, json, math, os, platform, random, statistics, subprocess, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORIG_DIR = os.path.join(ROOT, ".build", "micrograd-0.1.0")
IMPLS = ("book", "orig", "float")
BOOK_ROOT = os.environ.get("BENCH_BOOK_ROOT", ROOT)
BEFORE_ROOT = os.environ.get("BENCH_BEFORE_ROOT", "")   # --before: an earlier version of this package, side by side


# ----------------------------------------------------------------------------- the workloads
def moons(n=100, seed=0):
    "Two interleaved half circles with a little noise; labels +1 and -1. Seeded, pure Python."
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            px, py, lab = math.cos(t), math.sin(t), 1.0
        else:
            px, py, lab = 1.0 - math.cos(t), 0.5 - math.sin(t), -1.0
        X.append((px + rng.gauss(0.0, 0.1), py + rng.gauss(0.0, 0.1)))
        y.append(lab)
    return X, y


class GraphImpl:
    "W1-W3 written with an autograd package (this one or the original)."

    def __init__(self, name):
        self.name = name
        from micrograd.engine import Value
        from micrograd.nn import MLP
        self.Value, self.MLP = Value, MLP
        if name in ("book", "before"):
            from micrograd.engine import dot, vsum
            self.dot, self.sum = dot, vsum
        else:
            self.dot, self.sum = None, sum

    def new_model(self, seed):
        random.seed(seed)
        return self.MLP(2, [16, 16, 1])

    def step(self, model, X, y, lr):
        Value, S = self.Value, self.sum
        inputs = [[Value(a), Value(b)] for a, b in X]
        scores = [model(x) for x in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = S(losses) * (1.0 / len(losses)) + 1e-4 * S(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        return total.data

    def chain(self, n):
        x = self.Value(1.0)
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.1
        y.backward()
        return y.data, x.grad

    def wrap(self, xs):
        V = self.Value
        return [V(x) for x in xs]

    def products(self, A, B, how):
        if how == "dot":
            return self.dot(A, B)
        return sum(a * b for a, b in zip(A, B))


class FloatImpl:
    "The floor: the same computations on floats, gradients derived by hand."
    name = "float"

    def new_model(self, seed):
        # the same draws, in the same order, as MLP(2, [16, 16, 1]): per neuron nin weights, bias 0
        random.seed(seed)
        sizes = [2, 16, 16, 1]
        return [([[random.uniform(-1, 1) for _ in range(sizes[l])] for _ in range(sizes[l + 1])],
                 [0.0] * sizes[l + 1]) for l in range(3)]

    def step(self, model, X, y, lr):
        n = len(X)
        gW = [[[0.0] * len(row) for row in W] for W, _ in model]
        gB = [[0.0] * len(B) for _, B in model]
        data = 0.0
        for (x0, x1), yi in zip(X, y):
            acts = [[x0, x1]]
            for li, (W, B) in enumerate(model):
                a = acts[-1]
                out = []
                for row, b in zip(W, B):
                    s = b
                    for w, ak in zip(row, a):
                        s += w * ak
                    out.append(s if li == 2 or s > 0 else 0.0)
                acts.append(out)
            m = 1 + -yi * acts[-1][0]
            if m > 0:
                data += m
                # d total / d score = (1/n) * (-y); then back through the layers
                delta = [(1.0 / n) * -yi]
                for li in (2, 1, 0):
                    W, _ = model[li]
                    a = acts[li]
                    back = [0.0] * len(a)
                    for j, (row, dj) in enumerate(zip(W, delta)):
                        if dj == 0.0:
                            continue
                        gw = gW[li][j]
                        for k, w in enumerate(row):
                            gw[k] += a[k] * dj
                            back[k] += w * dj
                        gB[li][j] += dj
                    if li:
                        delta = [g if ak > 0 else 0.0 for g, ak in zip(back, a)]
            else:
                data += 0.0
        reg = 0.0
        for W, B in model:
            for row, b in zip(W, B):
                for w in row:
                    reg += w * w
                reg += b * b
        total = data * (1.0 / n) + 1e-4 * reg
        for (W, B), gw, gb in zip(model, gW, gB):
            for j, row in enumerate(W):
                for k in range(len(row)):
                    row[k] -= lr * (gw[j][k] + 2e-4 * row[k])
                B[j] -= lr * (gb[j] + 2e-4 * B[j])
        return total

    def chain(self, n):
        y = 1.0
        for _ in range(n):
            y = y * 1.0001 + 0.1
        g = 1.0
        for _ in range(n):
            g *= 1.0001
        return y, g

    def wrap(self, xs):
        return list(xs)

    def products(self, A, B, how):
        s = 0.0
        for a, b in zip(A, B):
            s += a * b
        return s, list(B), list(A)   # the value and the two gradients


# ----------------------------------------------------------------------------- the ablation
# One change at a time, on the same training step. The engines, the network in lists and the step are the code of
# book/12_fast.ipynb itself: the cells that start with MARK are run here, so the benchmark measures what the book shows.
CHAPTER = os.path.join(ROOT, "book", "12_fast.ipynb")
MARK = "# book/_tools/bench.py runs the cells marked like this one"


def chapter_code():
    "The namespace of chapter 12's marked cells (with the package's _topo, which they use)."
    from micrograd.engine import _topo
    with open(CHAPTER) as f:
        cells = json.load(f)["cells"]
    ns = {"math": math, "random": random, "_topo": _topo}
    for c in cells:
        src = "".join(c["source"])
        if c["cell_type"] == "code" and src.startswith(MARK):
            exec(compile(src, CHAPTER, "exec"), ns)
    return ns


class AblationImpl:
    "One engine of chapter 12's ENGINES, in a worker process of its own (so that one's garbage cannot slow another)."

    def __init__(self, label):
        self.name = label
        self.ns = chapter_code()
        self.V, self.dot = self.ns["ENGINES"][label]

    def handle(self, state, req):
        w, V, ns = req["w"], self.V, self.ns
        if w == "A-losses":
            net, (X, y) = ns["init"](V, [2, 16, 16, 1]), ns["moons"](100)
            return {"losses": [ns["step"](V, net, X, y, 0.1, self.dot) for _ in range(req["steps"])]}
        if w == "A":
            if "net" not in state:
                state["net"], state["data"] = ns["init"](V, [2, 16, 16, 1]), ns["moons"](100)
                for _ in range(2):
                    ns["step"](V, state["net"], *state["data"], 0.01, self.dot)   # warm up
            off = req.get("gc_off")
            if off:
                gc.collect()
                gc.disable()
            try:
                c0 = clocks()
                ns["step"](V, state["net"], *state["data"], 0.01, self.dot)
                got = since(c0)
            finally:
                if off:
                    gc.enable()
            if off:
                gc.collect()   # not timed: everything a closure engine left while the collector was off
                # and one untimed step with the collector on, so that the next timed step, like every step of a
                # training loop, follows a step whose garbage is waiting (after the collection it would find none)
                ns["step"](V, state["net"], *state["data"], 0.01, self.dot)
            return got
        if w == "A-mem":   # bytes per node of sum(a_i * b_i) (leaves included), or per term with dot
            n = req["n"]
            rng = random.Random(n)
            fa, fb = [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]
            gc.collect()
            import tracemalloc
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            A, B = [V(x) for x in fa], [V(x) for x in fb]
            s = self.dot(A, B, V(0.0)) if self.dot else sum(a * b for a, b in zip(A, B))
            used = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            nodes = _count(s)
            return {"bytes": used, "nodes": nodes, "bytes_per_node": used / nodes, "bytes_per_term": used / n}
        raise ValueError(f"unknown request {req!r}")


def ablation_labels():
    "The engines' names, in the chapter's order (read in the driver, which does not import the package)."
    import ast
    with open(CHAPTER) as f:
        cells = json.load(f)["cells"]
    for c in cells:
        src = "".join(c["source"])
        if src.startswith(MARK) and "ENGINES = {" in src:
            return [k.value for k in ast.parse(src).body[-1].value.keys]
    raise LookupError(f"no ENGINES in {CHAPTER}")


# ----------------------------------------------------------------------------- the worker side
def _count(root):
    "Number of distinct nodes in a graph (works for both packages; iterative)."
    seen, stack = {id(root)}, [root]
    while stack:
        v = stack.pop()
        for c in v._prev:
            if id(c) not in seen:
                seen.add(id(c)); stack.append(c)
    return len(seen)


def clocks():
    return time.process_time(), time.perf_counter()


def since(c0):
    "CPU seconds of this process (the measure the table uses: other processes do not inflate it) and wall seconds."
    c1 = clocks()
    return {"t": c1[0] - c0[0], "wall": c1[1] - c0[1]}


def handle(impl, state, req):
    "One request of the driver, for a package or the floats (the ablation's engines answer in AblationImpl.handle)."
    w = req["w"]
    if w == "W1-losses":   # a fresh model, the first few steps: for the agreement check
        model, (X, y) = impl.new_model(req["seed"]), moons()
        return {"losses": [impl.step(model, X, y, 0.1) for _ in range(req["steps"])]}
    if w in ("W1", "A"):
        return time_step(impl, state, req)
    if w == "W2":
        return chain_survives(impl, req["n"]) if req.get("default_limit") else time_chain(impl, req)
    if w == "W3":
        return sum_of_products(impl, req)
    raise ValueError(f"unknown request {req!r}")


def time_step(impl, state, req):
    "W1: the time of `steps` training steps, on one model kept across requests (the steady state of a training loop)."
    if "model" not in state:
        state["model"], state["data"] = impl.new_model(1337), moons()
        for _ in range(2):
            impl.step(state["model"], *state["data"], 0.01)   # warm up
    c0 = clocks()
    for _ in range(req.get("steps", 1)):
        impl.step(state["model"], *state["data"], 0.01)
    return since(c0)


def chain_survives(impl, n):
    "W2: does the chain of n links work with Python's default recursion limit?"
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        impl.chain(n)
        return {"ok": True}
    except RecursionError:
        return {"ok": False}
    finally:
        sys.setrecursionlimit(old)
        gc.collect()


def time_chain(impl, req):
    "W2: the time of building the chain and running backward, the collector on or (gc_off) off while the clock runs."
    n = req["n"]
    gc.collect()
    off = req.get("gc_off")
    if off:
        gc.disable()
    try:
        c0 = clocks()
        impl.chain(n)   # build, backward; the package's graph is freed on return (reference counts)
        got = since(c0)
    finally:
        if off:
            gc.enable()
    gc.collect()   # not timed: the original's graph is one big reference cycle, left for the collector
    return got


def sum_of_products(impl, req):
    "W3: the sum of n products, plain or with dot: its time (forward, backward, free), or with mem its bytes."
    n, how = req["n"], req["how"]
    rng = random.Random(n)
    fa, fb = [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]
    gc.collect()
    if req.get("mem"):   # bytes for the whole graph, leaves included, built from lists of floats
        import tracemalloc
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        s = impl.products(impl.wrap(fa), impl.wrap(fb), how)
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        return {"bytes": used, "nodes": _count(s)}
    c0 = clocks()
    s = impl.products(impl.wrap(fa), impl.wrap(fb), how)
    if impl.name != "float":
        s.backward()
    del s
    gc.collect()
    return since(c0)




def worker(name):
    home = None
    if name.startswith("abl:"):
        sys.path.insert(0, BOOK_ROOT)
        impl = AblationImpl(name[4:])
    else:
        home = {"book": BOOK_ROOT, "before": BEFORE_ROOT, "orig": ORIG_DIR}.get(name)
        if home:
            sys.path.insert(0, home)
        impl = FloatImpl() if name == "float" else GraphImpl(name)
    if home:   # make sure the right package was imported
        import micrograd
        where = os.path.dirname(os.path.abspath(micrograd.__file__))
        assert where.startswith(os.path.join(home, "")), (name, where)
    state = {}
    for line in sys.stdin:
        req = json.loads(line)
        try:
            res = impl.handle(state, req) if name.startswith("abl:") else handle(impl, state, req)
        except Exception as e:   # report, keep serving
            res = {"error": f"{type(e).__name__}: {e}"[:300]}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


def worker_main(name):
    # the original's backward recurses once per node: give it room (same settings for all three)
    sys.setrecursionlimit(10**8)
    threading.stack_size(1 << 30)
    t = threading.Thread(target=worker, args=(name,))
    t.start()
    t.join()


# ----------------------------------------------------------------------------- the driver side
def ensure_original():
    if os.path.exists(os.path.join(ORIG_DIR, "micrograd", "engine.py")):
        return
    print(f"installing micrograd==0.1.0 into {ORIG_DIR}", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--no-deps", "--target", ORIG_DIR, "micrograd==0.1.0"], check=True)


class Workers:
    def __init__(self, names=IMPLS):
        env = dict(os.environ, PYTHONHASHSEED="0")  # BENCH_BOOK_ROOT is passed on
        self.procs = {n: subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", n],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                          env=env, cwd=ROOT) for n in names}

    def ask(self, name, **req):
        if name.endswith("@gc-off"):   # the same worker, with the collector switched off while the clock runs
            name, req = name[:-len("@gc-off")], dict(req, gc_off=True)
        p = self.procs[name]
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {name} died on {req}")
        res = json.loads(line)
        if "error" in res:
            raise RuntimeError(f"worker {name} on {req}: {res['error']}")
        return res

    def close(self):
        for p in self.procs.values():
            p.stdin.close()
            p.wait()


def interleaved(ws, names, reps, **req):
    "Times of `reps` rounds, each round running every implementation once, in turn."
    times, walls = {n: [] for n in names}, {n: [] for n in names}
    for r in range(reps):
        order = names if r % 2 == 0 else names[::-1]   # A B C, C B A, ...: no fixed position
        for n in order:
            res = ws.ask(n, **req)
            times[n].append(res["t"])
            walls[n].append(res["wall"])
    return times, walls


def summary(times_walls, pairs):
    "Medians per implementation and, for each (x, y) in pairs, the median of the per-round ratios x/y."
    times, walls = times_walls
    out = {n: {"median_s": statistics.median(t), "min_s": min(t), "times_s": t,
               "wall_median_s": statistics.median(walls[n]), "walls_s": walls[n]} for n, t in times.items()}
    ratios = {}
    for x, y in pairs:
        per = [a / b for a, b in zip(times[x], times[y])]
        ratios[f"{x}/{y}"] = {"median": statistics.median(per), "min": min(per), "max": max(per), "per_pair": per,
                              "of_minimums": min(times[x]) / min(times[y])}
    return out, ratios


def fmt_t(s):
    return f"{s:.3g} s" if s >= 1 else f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} us"


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds (a smoke test)")
    ap.add_argument("--out", default=os.path.join(ROOT, "book", "_data"))
    ap.add_argument("--book-root", default=ROOT, help="where to import this package from (to try a changed copy)")
    ap.add_argument("--before", default="", help="a directory holding an earlier micrograd/ of this book: it runs "
                    "beside this one in W1, W2 and W3, and the ratios before/book are reported")
    ap.add_argument("--rounds", type=int, default=41, help="with --before: the rounds of W1 (3 steps each); more "
                    "rounds narrow the median of the per-round ratios on a noisy machine")
    return ap.parse_args()


def set_roots(args):
    "Where the workers import this package and the earlier version from: they read it in the environment."
    os.environ["BENCH_BOOK_ROOT"] = os.path.abspath(args.book_root)
    if args.before:
        before = os.path.abspath(args.before)
        if not os.path.isfile(os.path.join(before, "micrograd", "engine.py")):
            raise SystemExit(f"bench.py: --before {args.before}: no micrograd/engine.py there")
        os.environ["BENCH_BEFORE_ROOT"] = before


def meta(args):
    "What the numbers were measured on, and how."
    return {"python": platform.python_version(), "machine": platform.machine(),
            "system": platform.system(), "cpus": os.cpu_count(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "quick": args.quick,
            "clock": "CPU time of the worker process (time.process_time); wall times are kept as wall_*",
            "book_root": os.path.relpath(os.environ["BENCH_BOOK_ROOT"], ROOT),
            "before_root": args.before and os.path.abspath(args.before),
            "memory_method": "tracemalloc: bytes allocated while building the whole graph (leaves included) "
                             "from two lists of floats, divided by its number of nodes or by N"}


def main():
    "Start the workers, run the workloads in turn (interleaving the implementations), write the results."
    args = parse_args()
    if args.worker:
        return worker_main(args.worker)
    set_roots(args)
    graphs = ("book", "before") if args.before else ("book",)   # the versions of this package that run
    t_start = time.perf_counter()
    ensure_original()
    q = args.quick
    labels = ablation_labels()
    ws = Workers(IMPLS + graphs[1:] + (() if args.before else tuple(f"abl:{a}" for a in labels)))
    res = {"meta": meta(args)}
    try:
        res["W1"] = run_w1(ws, graphs, q, args.rounds)
        if not args.before:   # a comparison with an earlier version runs W1, the chain beside it, and W3
            res["ablation"] = run_ablation(ws, labels, res["W1"]["losses"]["orig"], q)
            res["W2"] = run_w2(ws, q)
        else:
            res["W2-before"] = run_w2_before(ws, q)
        res["W3"] = run_w3(ws, graphs, q)
    finally:
        ws.close()
    res["targets"] = before_targets(res) if args.before else targets(res)
    res["meta"]["duration_s"] = time.perf_counter() - t_start
    write_results(res, args.out)


def print_times(head, t):
    "The medians of one workload, on one line, as the run goes."
    print(f"{head} " + "  ".join(f"{n} {fmt_t(v['median_s'])}" for n, v in t.items()), flush=True)


def run_w1(ws, graphs, q, rounds):
    "W1: the first losses agree with the original's, then the time of a training step (`rounds` of 3 with --before)."
    agree = {n: ws.ask(n, w="W1-losses", seed=1337, steps=3)["losses"] for n in IMPLS + graphs[1:]}
    diff = max(abs(a - b) for n in ("float",) + graphs for a, b in zip(agree[n], agree["orig"]))
    assert diff < 1e-12, f"W1 losses disagree with the original by {diff}: {agree}"
    print(f"W1 losses of the first 3 steps agree (max difference {diff:.1e}): {agree['orig']}", flush=True)
    if "before" in graphs:   # the comparison itself: many rounds of 3 steps each, without the slow original
        if rounds < 1:
            raise SystemExit(f"bench.py: --rounds must be at least 1, got {rounds}")
        reps = 5 if q else rounds
        t, r = summary(interleaved(ws, ["book", "before", "float"], reps, w="W1", steps=3),
                       [("book", "float"), ("before", "book"), ("before", "float")])
    else:
        reps = 3 if q else 9
        t, r = summary(interleaved(ws, list(IMPLS), reps, w="W1"), [("orig", "book"), ("book", "float")])
    print_times("W1", t)
    return {"reps": reps, "impl": t, "ratios": r, "losses": agree, "max_loss_diff": diff}


def run_ablation(ws, labels, orig_losses, q):
    "One change at a time on W1's step, each engine in its own process, interleaved; and their bytes per node."
    keys = [f"abl:{a}" for a in labels]
    agree_a = {k: ws.ask(k, w="A-losses", steps=3)["losses"] for k in keys}
    diff_a = max(abs(x - z) for k in keys for x, z in zip(agree_a[k], orig_losses))
    assert diff_a < 1e-12, f"the ablation's losses disagree with the original by {diff_a}: {agree_a}"
    reps = 3 if q else 9
    steps = [(keys[i - 1], keys[i]) for i in range(1, len(keys))]
    offs = [f"{k}@gc-off" for k in keys]
    t, r = summary(interleaved(ws, keys + offs + ["orig", "book"], reps, w="A"),
                   steps + [(keys[0], k) for k in keys[1:]] + [("orig", keys[0]), ("book", keys[-1])]
                   + [(a + "@gc-off", b + "@gc-off") for a, b in steps] + [(k, k + "@gc-off") for k in keys])
    for k in keys:
        t[k].update({f"mem_{key}": v for key, v in ws.ask(k, w="A-mem", n=10**5).items()})
    for k in keys:
        print(f"ablation {k:>28}: {fmt_t(t[k]['median_s'])}  {t[k]['mem_bytes_per_node']:.0f} B/node", flush=True)
    return {"reps": reps, "variants": labels,
            "impl": t, "ratios": r, "losses": agree_a, "max_loss_diff": diff_a,
            "note": "W1's step on the network in lists, with book/12_fast.ipynb's ENGINES, init and step; 'orig' and "
                    "'book' are the two packages' own W1 step (their MLP classes), for reference"}


def run_w2(ws, q):
    "W2: does the original survive the default recursion limit? then times, the collector on and off."
    out = {"default_limit": {n: {str(k): ws.ask(n, w="W2", n=k, default_limit=True)["ok"]
                                 for k in (400, 600)} for n in ("book", "orig")}, "rows": [],
           "note": "CPU time of building the chain and running backward (the package's graph is freed on "
                   "return); the collection that frees the original's graph afterwards is not timed. "
                   "name@gc-off: the same with the collector switched off while the clock runs."}
    sizes = [10**3, 10**4, 10**5] if q else [10**3, 10**4, 10**5, 10**6]
    orig_max = 10**4 if q else 10**5
    for k in sizes:
        names = (["book", "orig", "float", "book@gc-off", "orig@gc-off"] if k <= orig_max
                 else ["book", "float", "book@gc-off"])
        reps = 7 if k < 10**5 else 3 if k == 10**5 and not q else 2
        t, r = summary(interleaved(ws, names, reps, w="W2", n=k),
                       [("orig", "book"), ("orig@gc-off", "book@gc-off"), ("orig", "orig@gc-off")] * (k <= orig_max)
                       + [("book", "float")])
        nodes = 4 * k + 1   # x, and per link: the constant 1.0001, the product, 0.1, the sum
        for n in t:
            t[n]["per_link_s"] = t[n]["median_s"] / k
            if n != "float":
                t[n]["per_node_s"] = t[n]["median_s"] / nodes
        out["rows"].append({"n": k, "nodes": nodes, "reps": reps, "impl": t, "ratios": r})
        print_times(f"W2 N={k:>7}:", t)
    return out


def run_w2_before(ws, q):
    "W2 with --before: this version beside the earlier one, the collector on and off (no original, no floor)."
    out = {"rows": []}
    for k in ([10**4] if q else [10**4, 10**5]):
        names = ["book", "before", "book@gc-off", "before@gc-off"]
        reps = 3 if q else 7
        t, r = summary(interleaved(ws, names, reps, w="W2", n=k),
                       [("before", "book"), ("before@gc-off", "book@gc-off")])
        out["rows"].append({"n": k, "reps": reps, "impl": t, "ratios": r})
        print_times(f"W2 N={k:>7}:", t)
    return out


def run_w3(ws, graphs, q):
    "W3: the sum of N products, plain and with dot: time, then bytes per node and per term."
    out = {"rows": []}
    for k in ([10**5] if q else [10**5, 10**6]):
        variants = [(g, h) for g in graphs for h in ("sum", "dot")] + [("orig", "sum"), ("float", "sum")]
        reps = 3 if k <= 10**5 else 1   # at 10**6 the original alone takes about a minute
        t, rr = summary(interleaved_w3(ws, variants, reps, k),
                        [("orig:sum", "book:sum"), ("orig:sum", "book:dot"),
                         ("book:sum", "float:sum"), ("book:dot", "float:sum")]
                        + [("before:sum", "book:sum"), ("before:dot", "book:dot")] * ("before" in graphs))
        for n, h in variants[:-1]:
            if n == "orig" and k > 10**5:   # bytes per node do not depend on N: measured at 10**5
                t[f"{n}:{h}"].update({key: out["rows"][0]["impl"][f"{n}:{h}"][key] for key in
                                      ("bytes_per_node", "bytes_per_term")}, mem_at_n=10**5)
                continue
            m = ws.ask(n, w="W3", n=k, how=h, mem=True)
            t[f"{n}:{h}"].update(bytes=m["bytes"], nodes=m["nodes"],
                                 bytes_per_node=m["bytes"] / m["nodes"], bytes_per_term=m["bytes"] / k)
        out["rows"].append({"n": k, "reps": reps, "impl": t, "ratios": rr})
        print_times(f"W3 N={k:>7}:", t)
    return out


def interleaved_w3(ws, variants, reps, k):
    "As interleaved, for W3's (implementation, sum or dot) variants, which differ in the request as well."
    times, walls = {f"{n}:{h}": [] for n, h in variants}, {f"{n}:{h}": [] for n, h in variants}
    for r in range(reps):
        for n, h in (variants if r % 2 == 0 else variants[::-1]):
            got = ws.ask(n, w="W3", n=k, how=h)
            times[f"{n}:{h}"].append(got["t"])
            walls[f"{n}:{h}"].append(got["wall"])
    return times, walls


def write_results(res, out):
    "Print the table, then write it (bench.md) and the measurements (bench.json) into out."
    md = markdown(res)
    print(md)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write(md)
    print(f"wrote {os.path.relpath(out, ROOT)}/bench.json and bench.md in {res['meta']['duration_s']:.0f} s")


def before_targets(res):
    "With --before: this tree against the earlier version, side by side in this run; each must cost at most 5%."
    w1 = res["W1"]["ratios"]
    w3 = res["W3"]["rows"][0]["impl"]
    b1, m1 = w1["before/book"]["median"], w1["before/book"]["of_minimums"]
    out = [
        {"name": "W1: book / before, CPU time per training step (median of the rounds' ratios)", "goal": "<= 1.05",
         "unit": "x", "value": 1 / b1, "met": 1 / b1 <= 1.05},
        {"name": "W1: book / before, CPU time per training step (fastest round of each)", "goal": "<= 1.05",
         "unit": "x", "value": 1 / m1, "met": 1 / m1 <= 1.05},
        {"name": "W3: book / before, bytes per node (plain sum)", "goal": "<= 1.05", "unit": "x",
         "value": w3["book:sum"]["bytes_per_node"] / w3["before:sum"]["bytes_per_node"],
         "met": w3["book:sum"]["bytes_per_node"] <= 1.05 * w3["before:sum"]["bytes_per_node"]},
        {"name": "W3: book / before, bytes per term (dot)", "goal": "<= 1.05", "unit": "x",
         "value": w3["book:dot"]["bytes_per_term"] / w3["before:dot"]["bytes_per_term"],
         "met": w3["book:dot"]["bytes_per_term"] <= 1.05 * w3["before:dot"]["bytes_per_term"]}]
    c2 = res["W2-before"]["rows"][-1]
    for suf, how in (("", "collector on"), ("@gc-off", "collector off")):
        v = 1 / c2["ratios"][f"before{suf}/book{suf}"]["median"]
        out.append({"name": f"W2: book / before, CPU time of the chain (N = {c2['n']:,}, {how})",
                    "goal": "<= 1.05", "unit": "x", "value": v, "met": v <= 1.05})
    return out


# ----------------------------------------------------------------------------- the targets and bench.md
def targets(res):
    "The goals of the full benchmark, each with its measured value."
    w1 = res["W1"]["ratios"]
    common = [row for row in res["W2"]["rows"] if "orig" in row["impl"]][-1]
    big = res["W2"]["rows"][-1]
    w3 = res["W3"]["rows"][0]["impl"]
    return [
        {"name": "W1: original / book, CPU time per training step", "goal": ">= 20", "unit": "x",
         "value": w1["orig/book"]["median"], "met": w1["orig/book"]["median"] >= 20},
        {"name": "W1: book / float floor, CPU time per training step", "goal": "<= 10", "unit": "x",
         "value": w1["book/float"]["median"], "met": w1["book/float"]["median"] <= 10},
        {"name": f"W2: the chain of N = {big['n']:,} completes (CPU time)", "goal": "N = 1,000,000", "unit": "s",
         "value": big["impl"]["book"]["median_s"], "met": big["n"] >= 10**6},
        {"name": f"W2: book / original, CPU time per node (N = {common['n']:,}, collector on)", "goal": "<= 0.3",
         "unit": "x", "value": 1 / common["ratios"]["orig/book"]["median"],
         "met": 1 / common["ratios"]["orig/book"]["median"] <= 0.3},
        {"name": "W3: book bytes per node (plain sum, leaves included)", "goal": "<= 150", "unit": "B",
         "value": w3["book:sum"]["bytes_per_node"], "met": w3["book:sum"]["bytes_per_node"] <= 150},
        {"name": "W1: losses of the first 3 steps agree with the original", "goal": "< 1e-12",
         "unit": "(absolute difference)", "value": res["W1"]["max_loss_diff"], "met": res["W1"]["max_loss_diff"] < 1e-12},
    ]


def rfmt(r):
    "A ratio: the median of the per-round ratios, with their range when there was more than one round."
    f = (lambda x: f"{x:.1f}")
    return f"{f(r['median'])}x" + (f" ({f(r['min'])}-{f(r['max'])})" if len(r["per_pair"]) > 1 else "")


def markdown(res):
    "bench.md: the ablation's table, the workloads' table and its notes, and the targets."
    L = md_header(res["meta"]) + md_ablation(res.get("ablation"))
    L += ["| workload | size | book | original 0.1.0 | float floor | original / book | book / float |",
          "| --- | --- | --- | --- | --- | --- | --- |"]
    L += md_w1(res["W1"]) + md_w2_before(res.get("W2-before", {}).get("rows", []))
    L += md_w2(res["W2"]["rows"] if "W2" in res else []) + md_w3(res["W3"]["rows"]) + md_notes(res)
    L += md_targets(res["targets"])
    return "\n".join(L) + "\n"


def md_header(m):
    return [f"Benchmark of {m['date']}: Python {m['python']}, {m['system']} {m['machine']}, {m['cpus']} CPUs"
            f"{' (quick)' if m['quick'] else ''}. CPU time, medians of interleaved runs; ratios are medians of the "
            "per-round ratios (their range in brackets).", ""]


def md_ablation(A):
    "The ablation's own table: each engine against the row above and the first, the collector on and off."
    if not A:   # not run with --before
        return []
    t, r = A["impl"], A["ratios"]
    L = ["One change at a time, on one training step (W1), each engine in a process of its own, in its steady state "
         "(collector off: a gc.collect() before and after the step, not timed):", "",
         "| engine | time per step | faster than the row above | faster than the first row | bytes per node "
         "| collector off: time per step | faster than the row above |",
         "| --- | --- | --- | --- | --- | --- | --- |"]
    prev = None
    for v in A["variants"]:
        k = f"abl:{v}"
        up = rfmt(r[f"{prev}/{k}"]) if prev else "-"
        first = rfmt(r[f"abl:{A['variants'][0]}/{k}"]) if prev else "-"
        mem = (f"{t[k]['mem_bytes_per_node']:.0f} B" if "dot" not in v
               else f"{t[k]['mem_bytes_per_node']:.0f} B ({t[k]['mem_bytes_per_term']:.0f} B per term)")
        up_off = rfmt(r[f"{prev}@gc-off/{k}@gc-off"]) if prev else "-"
        L.append(f"| {v} | {fmt_t(t[k]['median_s'])} | {up} | {first} | {mem} | {fmt_t(t[k + '@gc-off']['median_s'])} "
                 f"| {up_off} |")
        prev = k
    return L + [f"| (micrograd 0.1.0's own step) | {fmt_t(t['orig']['median_s'])} | - | - | - | - | - |",
                f"| (this package's own step: MLP, dot) | {fmt_t(t['book']['median_s'])} | - | - | - | - | - |", ""]


def md_w1(w):
    "W1's rows: against the original, or (--before) against the earlier version."
    L = []
    if "orig" in w["impl"]:
        L.append(f"| W1 training step, time per step | MLP(2, [16, 16, 1]), 100 points | {fmt_t(w['impl']['book']['median_s'])} | "
                 f"{fmt_t(w['impl']['orig']['median_s'])} | {fmt_t(w['impl']['float']['median_s'])} | "
                 f"{rfmt(w['ratios']['orig/book'])} | {rfmt(w['ratios']['book/float'])} |")
    if "before" in w["impl"]:
        b, e = w["impl"]["book"], w["impl"]["before"]
        L.append(f"| W1 training step, 3 steps per round | MLP(2, [16, 16, 1]), 100 points | {fmt_t(b['median_s'])} | - | "
                 f"{fmt_t(w['impl']['float']['median_s'])} | - | {rfmt(w['ratios']['book/float'])} |")
        L.append(f"| W1, the earlier version (--before) | the same | {fmt_t(e['median_s'])} | - | - | "
                 f"before / book: {rfmt(w['ratios']['before/book'])}; of the fastest rounds "
                 f"{w['ratios']['before/book']['of_minimums']:.3f} | {rfmt(w['ratios']['before/float'])} |")
    return L


def md_w2_before(rows):
    "The chain's rows with --before: this version beside the earlier one."
    L = []
    for row in rows:
        t, r = row["impl"], row["ratios"]
        for mode, suf in (("collector on", ""), ("collector off", "@gc-off")):
            L.append(f"| W2 chain, {mode}, the earlier version beside this one | N = {row['n']:,} | "
                     f"{fmt_t(t['book' + suf]['median_s'])} | - | - | before / book: {rfmt(r[f'before{suf}/book{suf}'])} "
                     f"(before: {fmt_t(t['before' + suf]['median_s'])}) | - |")
    return L


def md_w2(rows):
    "The chain's rows: time per repetition, the collector on and off; the original only up to the size it was run at."
    L = []
    for row in rows:
        t, r = row["impl"], row["ratios"]
        for mode, suf in (("collector on", ""), ("collector off", "@gc-off")):
            o = fmt_t(t["orig" + suf]["per_link_s"]) if "orig" + suf in t else "not run"
            ratio = rfmt(r[f"orig{suf}/book{suf}"]) if f"orig{suf}/book{suf}" in r else "-"
            fl = fmt_t(t["float"]["per_link_s"]) if not suf else "-"
            bf = rfmt(r["book/float"]) if not suf else "-"
            L.append(f"| W2 chain, time per repetition, {mode} | N = {row['n']:,} | {fmt_t(t['book' + suf]['per_link_s'])} | "
                     f"{o} | {fl} | {ratio} | {bf} |")
    return L


def md_w3(rows):
    "W3's rows: times, bytes per node and per term, and (--before) the earlier version's."
    L = []
    for row in rows:
        t, r = row["impl"], row["ratios"]
        for how in ("sum", "dot"):
            b = t[f"book:{how}"]
            o = t["orig:sum"]
            L.append(f"| W3 sum of products, {how}, time | N = {row['n']:,} | {fmt_t(b['median_s'])} | "
                     f"{fmt_t(o['median_s'])} (sum) | {fmt_t(t['float:sum']['median_s'])} | "
                     f"{rfmt(r[f'orig:sum/book:{how}'])} | {rfmt(r[f'book:{how}/float:sum'])} |")
        L.append(f"| W3 bytes per node (sum graph, leaves included) | N = {row['n']:,} | {t['book:sum']['bytes_per_node']:.0f} B | "
                 f"{t['orig:sum']['bytes_per_node']:.0f} B | - | "
                 f"{t['orig:sum']['bytes_per_node'] / t['book:sum']['bytes_per_node']:.1f}x | - |")
        L.append(f"| W3 bytes per term (sum / dot) | N = {row['n']:,} | {t['book:sum']['bytes_per_term']:.0f} B / "
                 f"{t['book:dot']['bytes_per_term']:.0f} B | {t['orig:sum']['bytes_per_term']:.0f} B | - | "
                 f"{t['orig:sum']['bytes_per_term'] / t['book:dot']['bytes_per_term']:.1f}x (vs dot) | - |")
        if "before:sum" in t:
            for how in ("sum", "dot"):
                e = t[f"before:{how}"]
                L.append(f"| W3 {how}, the earlier version (--before) | N = {row['n']:,} | {fmt_t(e['median_s'])}, "
                         f"{e['bytes_per_node']:.0f} B per node, {e['bytes_per_term']:.0f} B per term | - | - | "
                         f"before / book: {rfmt(r[f'before:{how}/book:{how}'])} | - |")
    return L


def md_notes(res):
    "Under the workloads' table: what a W2 repetition is, and whether the chain survives the default recursion limit."
    if "W2" in res:
        limit = "W2 with Python's default recursion limit: " + ", ".join(
            f"{n} N={k}: {'ok' if ok else 'RecursionError'}" for n, d in res["W2"]["default_limit"].items()
            for k, ok in d.items())
    else:
        limit = "The ablation, and W2 against the original, were not run (--before)."
    return ["", "W2: one repetition is 4 nodes (the constant 1.0001, the product, 0.1, the sum); the collection that "
            "frees the original's graph after the clock stops is not counted.", limit, ""]


def md_targets(targets):
    return (["| target | goal | value | met |", "| --- | --- | --- | --- |"]
            + [f"| {t['name']} | {t['goal']} | {t['value']:.3g} {t['unit']} | {'yes' if t['met'] else 'NO'} |"
               for t in targets])


if __name__ == "__main__":
    main()
