"""A 1,000-laboratory proficiency round (issue 19: scores and all plots' data in ≤ 100 ms),
beside a plain numpy computation of the same estimators in the same run.

The round is generated, seeded: 1,000 laboratories, two items (A and B, for the Youden
plot), two replicates each, a laboratory bias shared by both items, 5 % gross errors, and
each laboratory's standard uncertainty (U = 2u). One evaluation of the round is, per item:
Algorithm A on the laboratory means (x_pt, u(x_pt), sigma_pt = s*), Q/Hampel on the same
means, z, z', zeta and En with verdicts, the results in ascending order (the sorted-results
plot with its U bars) and a 256-point kernel density; then the Youden pairs (z_A, z_B)
and Mandel's h and k of item A with their critical values. The z-score control chart
draws these z values across rounds: nothing more to compute per round.

The peer computes the same estimators in plain numpy, as one would write them from the
standard: Algorithm A's loop, the Q method from every pairwise difference, the Hampel
estimator's finite-step algorithm by evaluating Psi at every knot, the scores, the
density and h and k. Both answers are compared (the Q method may differ in the fifth
decimal: the peer takes differences equal in decimals but not in their last bits as
separate steps of H1, Caveat as one); times are the median of RUNS calls after a warm-up
(the first call imports scipy for the critical values, reported apart).

``python -m benchmarks.proficiency``. Results: benchmarks/results/proficiency.json.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks.common import percentile, write_result
from caveat.domain.proficiency import (
    RobustMethod,
    RoundEvaluation,
    ScoreKind,
    Verdict,
    evaluate_round,
    mandel,
    q_hampel,
)

Array = npt.NDArray[np.float64]
LABORATORIES = 1000
REPLICATES = 2
RUNS = 25
GOAL_MS = 100.0
SEED = 19


def make_round(laboratories: int = LABORATORIES) -> dict[str, Array]:
    """Item A and B replicates (laboratories x replicates), and each laboratory's u."""
    rng = np.random.default_rng(SEED)
    bias = rng.normal(0.0, 0.03, laboratories)
    gross = rng.random(laboratories) < 0.05
    bias[gross] += rng.choice([-1.0, 1.0], gross.sum()) * rng.uniform(0.2, 0.5, gross.sum())
    item_a = 1.0 + bias[:, None] + rng.normal(0.0, 0.01, (laboratories, REPLICATES))
    item_b = 2.0 + 1.5 * bias[:, None] + rng.normal(0.0, 0.015, (laboratories, REPLICATES))
    u = rng.uniform(0.005, 0.03, laboratories)
    return {"a": np.round(item_a, 4), "b": np.round(item_b, 4), "u": np.round(u, 4)}


def caveat_round(data: dict[str, Array]) -> dict[str, Any]:
    """The round through caveat.domain.proficiency."""
    u = data["u"]
    out: dict[str, Any] = {}
    for item in ("a", "b"):
        means = data[item].mean(axis=1)
        evaluation = evaluate_round(
            means,
            method=RobustMethod.ALGORITHM_A,
            standard_uncertainties=u,
            expanded_uncertainties=2.0 * u,
        )
        out[item] = evaluation
        out[f"{item}_q_hampel"] = q_hampel(means)
    z_a, z_b = _z(out["a"]), _z(out["b"])
    out["youden"] = list(zip(z_a, z_b, strict=True))
    names = [f"L{i:04d}" for i in range(len(u))]
    out["mandel"] = mandel(dict(zip(names, data["a"], strict=True)))
    return out


def _z_count(evaluation: RoundEvaluation, verdict: Verdict) -> int:
    z = evaluation.score(ScoreKind.Z)
    assert z is not None
    return z.count(verdict)


def _z(evaluation: RoundEvaluation) -> tuple[float, ...]:
    z = evaluation.score(ScoreKind.Z)
    assert z is not None
    return z.values


# --- the peer: the same estimators in plain numpy ----------------------------------------


def peer_algorithm_a(x: Array) -> tuple[float, float]:
    location = float(np.median(x))
    scale = 1.483 * float(np.median(np.abs(x - location)))
    while True:
        w = np.clip(x, location - 1.5 * scale, location + 1.5 * scale)
        new_location = float(w.mean())
        new_scale = 1.134 * float(np.std(w, ddof=1))
        unit = 10.0 ** (math.floor(math.log10(new_scale)) - 2)
        same = round(location / unit) == round(new_location / unit) and round(
            scale / unit
        ) == round(new_scale / unit)
        location, scale = new_location, new_scale
        if same:
            return location, scale


def peer_q_method(x: Array) -> float:
    p = x.size
    d = np.sort(np.abs(np.subtract.outer(x, x))[np.triu_indices(p, 1)])
    points, first = np.unique(d, return_index=True)
    h1 = np.append(first[1:], d.size) / d.size
    h0 = float(h1[0]) if points[0] == 0.0 else 0.0
    g1 = np.concatenate(([0.5 * h1[0]], 0.5 * (h1[1:] + h1[:-1])))
    if points[0] > 0.0:
        points, g1 = np.concatenate(([0.0], points)), np.concatenate(([0.0], g1))
    quantile = float(np.interp(0.25 + 0.75 * h0, g1, points))
    from statistics import NormalDist

    return quantile / (math.sqrt(2.0) * NormalDist().inv_cdf(0.625 + 0.375 * h0))


def _psi(u: Array) -> Array:
    a = np.abs(u)
    inner = np.where(a <= 1.5, u, 1.5 * np.sign(u))
    ramp = np.where(a <= 4.5, (4.5 - a) * np.sign(u), 0.0)
    out: Array = np.where(a <= 3.0, inner, ramp)
    return out


def peer_hampel(x: Array, scale: float) -> float:
    median = float(np.median(x))
    knots = np.sort(np.concatenate([x + c * scale for c in (-4.5, -3.0, -1.5, 1.5, 3.0, 4.5)]))
    # Psi at every knot, as one (6p x p) matrix in blocks of 500 knots.
    psi = np.concatenate(
        [
            _psi((x[None, :] - block[:, None]) / scale).sum(axis=1)
            for block in np.split(knots, range(500, knots.size, 500))
        ]
    )
    roots = list(knots[np.abs(psi) < 1e-9])
    change = np.flatnonzero(psi[:-1] * psi[1:] < 0.0)
    roots += list(knots[change] - psi[change] * np.diff(knots)[change] / np.diff(psi)[change])
    if not roots:
        return median
    candidates = np.unique(np.array(roots))
    distance = np.abs(candidates - median)
    best = np.flatnonzero(distance <= distance.min() + 1e-12)
    return float(candidates[best[0]]) if best.size == 1 else median


def peer_scores(x: Array, x_pt: float, u_pt: float, sigma: float, u: Array) -> dict[str, Array]:
    big_u, big_u_pt = 2.0 * u, 2.0 * u_pt
    scores = {
        "z": (x - x_pt) / sigma,
        "z_prime": (x - x_pt) / math.sqrt(sigma**2 + u_pt**2),
        "zeta": (x - x_pt) / np.sqrt(u**2 + u_pt**2),
        "en": (x - x_pt) / np.sqrt(big_u**2 + big_u_pt**2),
    }
    verdicts = {
        name: np.select([np.abs(s) <= 2.0, np.abs(s) < 3.0], [0, 1], 2)
        for name, s in scores.items()
        if name != "en"
    }
    verdicts["en"] = np.where(np.abs(scores["en"]) <= 1.0, 0, 2)
    return scores | {f"{k}_verdict": v.astype(np.float64) for k, v in verdicts.items()}


def peer_density(x: Array, bandwidth: float, points: int = 256) -> Array:
    grid = np.linspace(x.min() - 3 * bandwidth, x.max() + 3 * bandwidth, points)
    kernel = np.exp(-0.5 * ((grid[:, None] - x[None, :]) / bandwidth) ** 2)
    out: Array = kernel.sum(axis=1) / (x.size * bandwidth * math.sqrt(2 * math.pi))
    return out


def peer_round(data: dict[str, Array]) -> dict[str, Any]:
    """The same round in plain numpy."""
    u = data["u"]
    out: dict[str, Any] = {}
    for item in ("a", "b"):
        x = data[item].mean(axis=1)
        location, scale = peer_algorithm_a(x)
        u_pt = 1.25 * scale / math.sqrt(x.size)
        q_scale = peer_q_method(x)
        out[item] = {
            "x_pt": location,
            "s_star": scale,
            "scores": peer_scores(x, location, u_pt, scale, u),
            "ascending": np.argsort(x, kind="stable"),
            "density": peer_density(x, 0.9 * scale * x.size**-0.2),
            "q_hampel": (peer_hampel(x, q_scale), q_scale),
        }
    out["youden"] = np.column_stack([out["a"]["scores"]["z"], out["b"]["scores"]["z"]])
    cells = data["a"]
    means, sds = cells.mean(axis=1), cells.std(axis=1, ddof=1)
    out["h"] = (means - means.mean()) / means.std(ddof=1)
    out["k"] = sds / math.sqrt(float(np.mean(sds**2)))
    return out


# --- through the service: what closing a round runs, and the plots' data it draws ------------


def service_inputs(data: dict[str, Array]) -> tuple[Any, list[tuple[Any, list[Any]]]]:
    """The round as the proficiency service holds it at close: a round row with its
    choices (Algorithm A, consensus, sigma_pt from the round, limits 2/3, En 1), two item
    rows and each laboratory's stored submission (value, u, k = 2, replicates as JSON),
    in code order. Transient rows: no database in the timed path."""
    import json

    from caveat.adapters.db.models import OrganisationRow
    from caveat.adapters.db.models.policy import ResourceRow
    from caveat.adapters.db.models.proficiency import RoundItemRow, RoundRow, SubmissionRow
    from caveat.services.proficiency._submissions import Stored

    row = RoundRow(
        id="bench",
        robust_method="algorithm_a",
        assigned_method="consensus",
        sigma_method="robust_sd_of_round",
        sigma_value=None,
        warning_limit=2.0,
        action_limit=3.0,
        en_limit=1.0,
        en_boundary="satisfactory_at_limit",
    )
    items = []
    for position, name in enumerate(("a", "b")):
        item = RoundItemRow(id=f"item-{name}", round_id="bench", position=position, name=name)
        cells, u = data[name], data["u"]
        entries = [
            Stored(
                SubmissionRow(
                    id=f"{name}-{i}",
                    value=float(cells[i].mean()),
                    standard_uncertainty=float(u[i]),
                    coverage_factor=2.0,
                    replicates_json=json.dumps([float(v) for v in cells[i]]),
                ),
                ResourceRow(),
                OrganisationRow(),
                f"L{i + 1:04d}",
                item,
            )
            for i in range(cells.shape[0])
        ]
        items.append((item, entries))
    return row, items


def service_round(inputs: tuple[Any, list[tuple[Any, list[Any]]]]) -> dict[str, Any]:
    """Scores and every plot's data for the round, by the service's own code: per item
    ``_evaluation.evaluate_item`` (the round's choices, every score, Mandel's h and k
    from the stored replicates) and the evaluation record closing stores (canonical
    JSON); then what the round page draws: results in ascending order with U bars, the
    score series, the kernel density (``proficiency_report.kernel_density``) and the
    Youden pairs (``proficiency_report.youden``). A control chart draws stored z values
    of earlier rounds: a query, no computation."""
    from caveat.domain.proficiency_report import kernel_density, youden
    from caveat.services.kernel.records import canonical
    from caveat.services.proficiency._evaluation import _record, evaluate_item

    row, items = inputs
    out: dict[str, Any] = {}
    pairs = []
    for item, entries in items:
        evaluated = evaluate_item(row, item, entries)
        ev = evaluated.evaluation
        record = canonical(_record(evaluated, row))
        values = [e.submission.value for e in entries]
        codes = [e.code for e in entries]
        expanded = [2.0 * e.submission.standard_uncertainty for e in entries]
        order = sorted(range(len(values)), key=lambda i: (values[i], codes[i]))
        series = {kind.value: ev.score(kind) for kind in ScoreKind}
        density = kernel_density(values, assigned=ev.assigned.value, scale=ev.robust.scale)
        out[item.name] = {
            "evaluation": ev,
            "mandel": evaluated.mandel,
            "record_bytes": len(record),
            "results_plot": ([values[i] for i in order], [expanded[i] for i in order]),
            "scores_plot": series,
            "density": density,
        }
        pairs.append(
            (
                (item.name, ev.assigned.value, ev.sigma_pt.value),
                [(c, c, v) for c, v in zip(codes, values, strict=True)],
            )
        )
    (first, a), (second, b) = pairs
    out["youden"] = youden(first, second, a, b)
    return out


def peer_service_round(data: dict[str, Array]) -> dict[str, Any]:
    """The same estimators as ``service_round`` in plain numpy: per item Algorithm A,
    the four scores with verdicts, the ascending order, the density, Mandel's h and k;
    the Youden pairs."""
    u = data["u"]
    out: dict[str, Any] = {}
    for item in ("a", "b"):
        cells = data[item]
        x = cells.mean(axis=1)
        location, scale = peer_algorithm_a(x)
        u_pt = 1.25 * scale / math.sqrt(x.size)
        means, sds = x, cells.std(axis=1, ddof=1)
        out[item] = {
            "x_pt": location,
            "s_star": scale,
            "scores": peer_scores(x, location, u_pt, scale, u),
            "ascending": np.argsort(x, kind="stable"),
            "density": peer_density(x, 0.9 * scale * x.size**-0.2),
            "h": (means - means.mean()) / means.std(ddof=1),
            "k": sds / math.sqrt(float(np.mean(sds**2))),
        }
    out["youden"] = np.column_stack([data["a"].mean(axis=1), data["b"].mean(axis=1)])
    return out


def _service_agreement(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, float]:
    """Largest absolute differences between the service's path and the peer."""
    worst: dict[str, float] = {}
    for item in ("a", "b"):
        ev: RoundEvaluation = ours[item]["evaluation"]
        theirs = peer[item]
        worst[f"{item}_x_pt"] = abs(ev.assigned.value - theirs["x_pt"])
        worst[f"{item}_sigma_pt"] = abs(ev.sigma_pt.value - theirs["s_star"])
        for kind in ScoreKind:
            score_set = ev.score(kind)
            assert score_set is not None
            worst[f"{item}_{kind.value}"] = float(
                np.max(np.abs(np.array(score_set.values) - theirs["scores"][kind.value]))
            )
        density = ours[item]["density"]
        worst[f"{item}_density"] = float(
            np.max(np.abs(np.array(density.density) - theirs["density"]))
        )
        mandel_stats = ours[item]["mandel"]
        worst[f"{item}_h"] = float(np.max(np.abs(np.array(mandel_stats.h) - theirs["h"])))
        worst[f"{item}_k"] = float(np.max(np.abs(np.array(mandel_stats.k) - theirs["k"])))
    youden_data = ours["youden"]
    worst["youden"] = float(
        np.max(np.abs(np.column_stack([youden_data.xs, youden_data.ys]) - peer["youden"]))
    )
    return {name: float(f"{value:.3g}") for name, value in worst.items()}


# --- measuring ---------------------------------------------------------------------------


def _times(fn: Callable[[], object], runs: int = RUNS) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "min_ms": round(min(samples), 2),
    }


def _agreement(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, float]:
    """Largest absolute differences between the two computations."""
    worst: dict[str, float] = {}
    for item in ("a", "b"):
        evaluation: RoundEvaluation = ours[item]
        theirs = peer[item]
        worst[f"{item}_x_pt"] = abs(evaluation.assigned.value - theirs["x_pt"])
        worst[f"{item}_s_star"] = abs(evaluation.robust.scale - theirs["s_star"])
        qh = ours[f"{item}_q_hampel"]
        worst[f"{item}_q_hampel_x"] = abs(qh.location - theirs["q_hampel"][0])
        worst[f"{item}_q_hampel_s"] = abs(qh.scale - theirs["q_hampel"][1])
        for kind in ScoreKind:
            score_set = evaluation.score(kind)
            assert score_set is not None
            values = np.array(score_set.values)
            worst[f"{item}_{kind.value}"] = float(
                np.max(np.abs(values - theirs["scores"][kind.value]))
            )
        worst[f"{item}_density"] = float(
            np.max(np.abs(np.array(evaluation.density.density) - theirs["density"]))
        )
    assert ours["mandel"].k is not None
    worst["h"] = float(np.max(np.abs(np.array(ours["mandel"].h) - peer["h"])))
    worst["k"] = float(np.max(np.abs(np.array(ours["mandel"].k) - peer["k"])))
    return {name: float(f"{value:.3g}") for name, value in worst.items()}


def _parts(data: dict[str, Array]) -> dict[str, float]:
    """Where one evaluation's time goes (item A alone), median ms."""
    from caveat.domain.proficiency import algorithm_a

    means, u = data["a"].mean(axis=1), data["u"]
    cells = {f"L{i:04d}": row for i, row in enumerate(data["a"])}
    return {
        "algorithm_a": _times(lambda: algorithm_a(means))["median_ms"],
        "q_hampel": _times(lambda: q_hampel(means))["median_ms"],
        "evaluate_round (A + scores + density + order)": _times(
            lambda: evaluate_round(means, standard_uncertainties=u, expanded_uncertainties=2 * u)
        )["median_ms"],
        "mandel_h_k": _times(lambda: mandel(cells))["median_ms"],
    }


def _peer_parts(data: dict[str, Array]) -> dict[str, float]:
    """Where the peer's time goes (item A alone), median ms."""
    x = data["a"].mean(axis=1)
    scale = peer_q_method(x)
    return {
        "algorithm_a": _times(lambda: peer_algorithm_a(x))["median_ms"],
        "q_method": _times(lambda: peer_q_method(x))["median_ms"],
        "hampel_finite_step": _times(lambda: peer_hampel(x, scale))["median_ms"],
    }


def run() -> dict[str, Any]:
    """Measure the round through Caveat and through the plain numpy peer."""
    load_before = round(os.getloadavg()[0], 2)
    data = make_round()
    started = time.perf_counter()
    ours = caveat_round(data)
    first_call_ms = (time.perf_counter() - started) * 1000
    peer = peer_round(data)
    caveat_times = _times(lambda: caveat_round(data))
    peer_times = _times(lambda: peer_round(data))
    a: RoundEvaluation = ours["a"]
    result: dict[str, Any] = {
        "load_average_1min_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "goal_ms": GOAL_MS,
        "laboratories": LABORATORIES,
        "items": 2,
        "replicates": REPLICATES,
        "runs": RUNS,
        "caveat_round": caveat_times,
        "caveat_first_call_ms": round(first_call_ms, 1),
        "peer_plain_numpy_round": peer_times,
        "ratio_caveat_to_peer": round(caveat_times["median_ms"] / peer_times["median_ms"], 2),
        "ratio_caveat_to_goal": round(caveat_times["median_ms"] / GOAL_MS, 2),
        "parts_item_a_ms": _parts(data),
        "peer_parts_item_a_ms": _peer_parts(data),
        "agreement_max_abs_difference": _agreement(ours, peer),
        "item_a": {
            "x_pt": round(a.assigned.value, 5),
            "u_x_pt": round(a.assigned.standard_uncertainty, 5),
            "sigma_pt": round(a.sigma_pt.value, 5),
            "algorithm_a_iterations": a.robust.iterations,
            "q_hampel": [round(ours["a_q_hampel"].location, 5), round(ours["a_q_hampel"].scale, 5)],
            "z_unsatisfactory": _z_count(a, Verdict.UNSATISFACTORY),
            "z_questionable": _z_count(a, Verdict.QUESTIONABLE),
        },
    }
    inputs = service_inputs(data)
    service = service_round(inputs)
    service_times = _times(lambda: service_round(inputs))
    service_peer_times = _times(lambda: peer_service_round(data))
    result["through_the_service"] = {
        "what": "per item: _evaluation.evaluate_item (Algorithm A, z, z', zeta, En with "
        "verdicts, Mandel h and k from the stored replicates), the evaluation record as "
        "canonical JSON, the results plot's order and U bars, the score series, the "
        "kernel density; the Youden pairs",
        "service_round": service_times,
        "peer_plain_numpy": service_peer_times,
        "ratio_service_to_peer": round(
            service_times["median_ms"] / service_peer_times["median_ms"], 2
        ),
        "ratio_service_to_goal": round(service_times["median_ms"] / GOAL_MS, 2),
        "agreement_max_abs_difference": _service_agreement(service, peer_service_round(data)),
    }
    write_result("proficiency", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
