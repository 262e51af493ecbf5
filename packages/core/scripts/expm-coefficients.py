"""Derives the constants of the degree-8, 12 and 18 exponential programs in src/expm.ts.

The forms are those of Bader, Blanes & Casas, "Computing the matrix exponential with an
optimized Taylor polynomial approximation" (Mathematics 7, 1174, 2019); the constants are
solved for here, to 50 digits, from the conditions that each program equals the Taylor
polynomial of its degree. `src/expm.test.ts` expands the programs again in float64 and checks
every coefficient against 1/k!.

    python3 scripts/expm-coefficients.py      # numpy, scipy, sympy, mpmath; ~1 minute

Degree 8 (3 products): A4 = X²(x1 X + x2 X²), A8 = (x3 X² + A4)(x4 I + x5 X + x6 X² + x7 A4),
T = I + X + y2 X² + A8, with x3 = 2/3; of the two real solutions, the one with x1 > 0.

Degree 12 (4 products): A6 = B3 + B4², T = B1 + (B2 + A6)·A6, B_i combinations of I, X, X², X³.
Written as p = A6 (degree 6, p(0) = 0: a constant shift of p is absorbed by B1) and B2, the
conditions on degrees 4…12 leave one free parameter; B2's X³ coefficient is set to 1/20, the most
accurate in float32 of a scan over [−0.5, 0.5] (n = 256 skew matrices, ‖X‖₂ up to 3.2, one
squaring: within 2.5× of Paterson–Stockmeyer's error; 0.1 is 5× worse, ±0.5 1000×).
B4 = b1 X + b2 X² + b3 X³ then follows from p's top three coefficients.

Degree 18 (5 products): A9 = B1·B5 + B4, T = B2 + (B3 + A9)·A9, B_i combinations of I, X, X²,
X³, X⁶ (B1 without X⁶). With p = A9 (degree 9, p(0) = 0) and q = B3, the conditions on the degrees
B2 cannot reach (4, 5, 7…18) are 14 equations in 14 unknowns; up to the sign of (p, q) they have
four real solutions; the one whose largest constant is smallest (|B3(0)| ≈ 11.1; the others
have 19, 22 and 37) is also the most accurate in float32. B1 = a1 X + a2 X² + a3 X³ and B5 = b1 X + b2 X² + b6 X⁶ (a3 = b6)
follow from p.
"""

import mpmath as mp
import numpy as np
import sympy as sp
from scipy.optimize import least_squares

mp.mp.dps = 50
x = sp.symbols("x")


def solve_all(unknowns, equations, start_scale, tries, seed):
    """Real roots of a square polynomial system: float64 least squares from random starts,
    polished with mpmath at 50 digits; duplicates (and sign twins, when `canonical`) dropped."""
    f_mp = sp.lambdify(unknowns, equations, "mpmath")
    jac = sp.Matrix(equations).jacobian(unknowns)
    f_np = sp.lambdify(unknowns, equations, "numpy")
    j_np = sp.lambdify(unknowns, jac, "numpy")
    j_mp = sp.lambdify(unknowns, jac, "mpmath")
    rng = np.random.default_rng(seed)
    roots = []
    for _ in range(tries):
        start = rng.uniform(-1, 1, len(unknowns)) * start_scale * rng.uniform(0.3, 3)
        fit = least_squares(
            lambda v: np.array(f_np(*v), dtype=float),
            start,
            jac=lambda v: np.array(j_np(*v), dtype=float),
            xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000,
        )
        if np.max(np.abs(fit.fun)) > 1e-9:
            continue
        try:
            root = mp.findroot(
                lambda *v: f_mp(*v), [mp.mpf(v) for v in fit.x], tol=1e-45, maxsteps=50,
                J=lambda *v: j_mp(*v),
            )
        except (ZeroDivisionError, ValueError):
            continue
        root = [mp.re(root[i]) for i in range(len(unknowns))]
        if max(abs(v) for v in f_mp(*root)) > 1e-40:
            continue
        if not any(max(abs(a - b) for a, b in zip(root, r)) < 1e-20 for r in roots):
            roots.append(root)
    return roots


def poly(expr):
    return sp.Poly(sp.expand(expr), x)


def taylor_conditions(p, degrees, scale=True):
    """coefficient of x^k − 1/k! for each k, scaled by k! so all are O(1)."""
    return [
        (p.coeff_monomial(x**k) - sp.Rational(1, sp.factorial(k))) * (sp.factorial(k) if scale else 1)
        for k in degrees
    ]


def show(name, values):
    print(f"{name}: [" + ", ".join(mp.nstr(v, 21, min_fixed=-4, max_fixed=4) for v in values) + "]")


def degree8():
    x1, x2, x4, x5, x6, x7, y2 = sp.symbols("x1 x2 x4 x5 x6 x7 y2")
    x3 = sp.Rational(2, 3)
    a4 = x1 * x**3 + x2 * x**4
    t = 1 + x + y2 * x**2 + (x3 * x**2 + a4) * (x4 + x5 * x + x6 * x**2 + x7 * a4)
    unknowns = [x1, x2, x4, x5, x6, x7, y2]
    roots = solve_all(unknowns, taylor_conditions(poly(t), range(2, 9)), np.ones(7), 200, 1)
    root = max(roots, key=lambda r: r[0])
    print("degree 8 (x1, x2, x4, x5, x6, x7, y2):", len(roots), "real solutions")
    show("  chosen", root)


def degree12(b2_cubic=sp.Rational(1, 20)):
    c = sp.symbols("c1:7")
    r0, r1, r2 = sp.symbols("r0:3")
    p = sum(c[i - 1] * x**i for i in range(1, 7))
    b2 = r0 + r1 * x + r2 * x**2 + b2_cubic * x**3
    t = poly(p * p + b2 * p)
    unknowns = list(c) + [r0, r1, r2]
    scale = np.array([1 / np.sqrt(float(sp.factorial(2 * i))) for i in range(1, 7)] + [1, 1, 0.5])
    roots = solve_all(unknowns, taylor_conditions(t, range(4, 13)), scale, 150, 0)
    roots = [r for r in roots if r[5] > 0]  # B4² needs p's x⁶ coefficient > 0
    print("degree 12: ", len(roots), "real solutions with B2's x³ coefficient", b2_cubic)
    cs = [mp.mpf(0)] + roots[0][:6]
    b2v = roots[0][6:] + [mp.mpf(b2_cubic.p) / b2_cubic.q]
    b3 = mp.sqrt(cs[6])
    b2 = cs[5] / (2 * b3)
    b1 = (cs[4] - b2**2) / (2 * b3)
    b4v = [mp.mpf(0), b1, b2, b3]
    square = [sum(b4v[i] * b4v[k - i] for i in range(4) if 0 <= k - i < 4) for k in range(7)]
    b3v = [cs[k] - square[k] for k in range(4)]
    tv = [sum(cs[i] * cs[k - i] for i in range(7) if 0 <= k - i < 7)
          + sum(b2v[j] * cs[k - j] for j in range(4) if 0 <= k - j < 7) for k in range(4)]
    b1v = [1 / mp.factorial(k) - tv[k] for k in range(4)]
    for name, v in [("B4", b4v), ("B3", b3v), ("B2", b2v), ("B1", b1v)]:
        show(f"  {name} (I, X, X², X³)", v)


def degree18():
    c = sp.symbols("c1:10")
    q = sp.symbols("q0 q1 q2 q3 q6")
    p = sum(c[i - 1] * x**i for i in range(1, 10))
    qq = q[0] + q[1] * x + q[2] * x**2 + q[3] * x**3 + q[4] * x**6
    t = poly(p * p + qq * p)
    degrees = [4, 5] + list(range(7, 19))
    scale = np.array([1 / np.sqrt(float(sp.factorial(2 * i))) for i in range(1, 10)] + [1, 1, 0.5, 0.2, 0.01])
    roots = solve_all(list(c) + list(q), taylor_conditions(t, degrees), scale, 250, 1)
    canonical = []
    for r in roots:
        r = r if r[8] > 0 else [-v for v in r]  # (p, q) and (−p, −q) give the same T
        if not any(max(abs(a - b) for a, b in zip(r, o)) < 1e-20 for o in canonical):
            canonical.append(r)
    print("degree 18:", len(canonical), "real solutions up to sign")
    programs = [degree18_program(r) for r in canonical]
    for program in programs:
        print("  largest constant", mp.nstr(largest(program), 6))
    for name, v in min(programs, key=largest):
        show(f"  {name} (I, X, X², X³{'' if name == 'B1' else ', X⁶'})", v)


def largest(program):
    return max(abs(v) for _, values in program for v in values)


def degree18_program(root):
    """B1…B5 of a solution (p, q): B1·B5 + B4 = p, B3 = q, B2 = the Taylor terms left over."""
    cs = [mp.mpf(0)] + root[:9]
    q0, q1, q2, q3, q6 = root[9:]
    b6 = mp.sqrt(abs(cs[9]))
    a3, a2, a1 = cs[9] / b6, cs[8] / b6, cs[7] / b6
    b3 = mp.mpf(0)
    b2 = (cs[5] - a2 * b3) / a3
    b1 = (cs[4] - a2 * b2 - a1 * b3) / a3
    b1v = [mp.mpf(0), a1, a2, a3]
    b5v = [mp.mpf(0), b1, b2, b3, b6]
    prod = [mp.mpf(0)] * 10
    for i, a in enumerate(b1v):
        for j, b in zip([0, 1, 2, 3, 6], b5v):
            prod[i + j] += a * b
    b4v = [cs[k] - prod[k] for k in [0, 1, 2, 3, 6]]
    qv = {0: q0, 1: q1, 2: q2, 3: q3, 6: q6}
    tv = [mp.mpf(0)] * 19
    for i in range(10):
        for j in range(10):
            tv[i + j] += cs[i] * cs[j]
        for j, v in qv.items():
            tv[i + j] += v * cs[i]
    b2v = [1 / mp.factorial(k) - tv[k] for k in [0, 1, 2, 3, 6]]
    return [("B1", b1v), ("B5", b5v), ("B4", b4v), ("B3", [q0, q1, q2, q3, q6]), ("B2", b2v)]


if __name__ == "__main__":
    degree8()
    degree12()
    degree18()
