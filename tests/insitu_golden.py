"""Golden numbers of the in-situ spec (shared/specs/insitu_spice.md §8 E): ngspice first-crossing times of the
paper's circuit, µs after the window start, as (image, neuron) → time; missing pairs never cross."""

import math

INF = math.inf
E_XPUE = {(0, 0): 320.5, (1, 1): 324.7, (2, 2): 157.5, (2, 3): 327.5, (3, 3): 208.6, (3, 2): 318.6}
E_DIGITS = [[80, INF, 100, 100, 130, 100], [INF, 322.7, INF, INF, INF, INF], [96.3, INF, 86.3, 96.3, 156.3, 106.3],
            [96.9, INF, 96.9, 86.9, 126.9, 96.9], [125.3, INF, 155.3, 125.3, 105.3, 125.3],
            [91.9, INF, 111.9, 91.9, 131.9, 81.9]]


def e_table(name: str) -> list[list[float]]:
    """Spec E as a full (images × neurons) table."""
    if name == "012345":
        return E_DIGITS
    table = [[INF] * 4 for _ in range(4)]
    for (img, out), t in E_XPUE.items():
        table[img][out] = t
    return table


def within(got: list[list[float]], want: list[list[float]], tol: float) -> bool:
    """Same neurons cross, and each crossing within ``tol``."""
    return all((math.isinf(g) and math.isinf(w)) or abs(g - w) < tol
               for grow, wrow in zip(got, want) for g, w in zip(grow, wrow))
