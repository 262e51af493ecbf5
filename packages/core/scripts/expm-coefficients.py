"""Derives the constants of the degree-8, 12 and 18 exponential programs in src/expm.ts.

The degree-8 and 18 forms are those of Bader, Blanes & Casas, "Computing the matrix exponential
with an optimized Taylor polynomial approximation" (Mathematics 7, 1174, 2019), degree 12 a
variant of theirs (below); the constants are
solved for here, to 50 digits, from the conditions that each program equals the Taylor
polynomial of its degree. `src/expm.test.ts` expands the programs again in float64 and checks
every coefficient against 1/k!.

    python3 scripts/expm-coefficients.py      # numpy, scipy, sympy, mpmath; ~1 minute

Degree 8 (3 products): A4 = X²(x1 X + x2 X²), A8 = (x3 X² + A4)(x4 I + x5 X + x6 X² + x7 A4),
T = I + X + y2 X² + A8, with x3 = 2/3; of the two real solutions, the one with x1 > 0.

Degree 12 (4 products): X⁴ = (X²)², P = B·C + R, T = F + (Q + P)·P, with B, R, Q, F combinations
of I, X, X², X⁴ and C of X, X². Both X² and X⁴ are squares of even powers, so for skew-symmetric
X and directions the exact derivative takes 6 products instead of Bader, Blanes & Casas' form
(B_i of I, X, X², X³, a mixed square B4²), which takes 7. With u = P + Q/2, T = F + u² − Q²/4: F
sets degrees 0, 1, 2 and 4, and degrees 3 and 5…12 of u² − Q²/4 must be 1/k!. Degrees 12…9 give
u6…u3; u2 is free; degree 7 gives u1, degree 8 q4² (real for u2 > 0.1168), and degrees 6, 5 and 3
a quadratic in u0 (two branches). Of the family, u2 = 7/50 with the + branch and q4 < 0 has the
smallest constants (largest 2.5) and is the most accurate in float32: on 256×256 skew matrices
its error is 0.3–0.6× that of Bader, Blanes & Casas' form (‖X‖₂ up to 1.56, and ‖A‖₂ up to 3.1
with one squaring); the other branches are 1–13× worse. T has no terms above degree 12.
P(0) = 0 (q0 = 2 u0); B = b1 X + b4 X⁴ and C = c1 X + c2 X² carry P's x³, x⁵ and x⁶
(b4 = c2 = √|p6|), R the rest.

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


def degree12(u2=mp.mpf(7) / 50, branch=1, sign=-1):
    e = [1 / mp.factorial(k) for k in range(13)]
    u = [mp.mpf(0)] * 7
    u[6] = mp.sqrt(e[12])
    u[5] = e[11] / (2 * u[6])
    u[4] = (e[10] - u[5] ** 2) / (2 * u[6])
    u[3] = (e[9] - 2 * u[4] * u[5]) / (2 * u[6])
    u[2] = u2
    u[1] = (e[7] - 2 * u[2] * u[5] - 2 * u[3] * u[4]) / (2 * u[6])
    q4sq = 4 * (2 * u[2] * u[6] + 2 * u[3] * u[5] + u[4] ** 2 - e[8])
    q4 = sign * mp.sqrt(q4sq)
    # Degrees 6 and 5 give q2 and q1 in terms of u0; degree 3 is then a quadratic in u0.
    k6 = 2 * u[1] * u[5] + 2 * u[2] * u[4] + u[3] ** 2 - e[6]
    k5 = 2 * u[1] * u[4] + 2 * u[2] * u[3] - e[5]
    k3 = 2 * u[1] * u[2] - e[3]
    a = -8 * u[5] * u[6] / q4sq
    b = 2 * u[3] - 2 * (2 * u[5] * k6 + 2 * u[6] * k5) / q4sq
    c = k3 - 2 * k5 * k6 / q4sq
    u[0] = (-b + branch * mp.sqrt(b * b - 4 * a * c)) / (2 * a)
    q = [2 * u[0], 2 * (2 * u[0] * u[5] + k5) / q4, 2 * (2 * u[0] * u[6] + k6) / q4, 0, q4, 0, 0]
    p = [u[k] - q[k] / 2 for k in range(7)]
    s6 = mp.sqrt(abs(p[6]))
    b4, c2 = p[6] / s6, s6
    c1 = p[5] / b4
    b1 = p[3] / c2
    r = [p[0], p[1], p[2] - b1 * c1, p[4]]
    qp = [q[k] + p[k] for k in range(7)]
    t = [sum(qp[i] * p[k - i] for i in range(7) if 0 <= k - i < 7) for k in range(13)]
    f = [e[k] - t[k] for k in (0, 1, 2, 4)]
    assert abs(e[3] - t[3]) < mp.mpf(10) ** -45 and abs(p[0]) < mp.mpf(10) ** -45
    assert all(abs(e[k] - t[k]) < mp.mpf(10) ** -45 for k in range(5, 13))
    print(f"degree 12: u2 = {mp.nstr(u2, 6)}, branch {branch:+d}, q4 {'<' if sign < 0 else '>'} 0")
    show("  B (I, X, X², X⁴)", [0, b1, 0, b4])
    show("  C (I, X, X²)", [0, c1, c2])
    show("  R (I, X, X², X⁴)", r)
    show("  Q (I, X, X², X⁴)", [q[0], q[1], q[2], q[4]])
    show("  F (I, X, X², X⁴)", f)


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
