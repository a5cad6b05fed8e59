"""The registry of species renderers ("plans") and the parameter record they read.

A plan is a function ``plan(p, rng, ctx) -> Shape`` registered with a table of its continuous parameters
``{name: (genus default, spread[, lower bound])}``. The *spread* is the parameter's natural unit of variation: a leaf
(species) moves away from its genus by ``sibling_spread x spread`` and an instance away from its leaf by
``instance_jitter x spread`` (see ``species.py``), so one number per world (the difficulty) sets how confusable
siblings are. A spread of 0 marks a discrete, genus-level choice (``kind``: which variant of the plan is drawn).
``ctx`` carries scene context (``flying``, ``pose``, ...) and may be empty.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from oquab_lib.data.synth.geometry import Shape


class Params(dict):
    """A dict with attribute access (``p.leg_len``), so plan code reads like the geometry it draws."""

    def __getattr__(self, name: str) -> float:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


PlanFn = Callable[[Params, np.random.Generator, dict], Shape]
PLANS: dict[str, PlanFn] = {}
PLAN_PARAMS: dict[str, dict[str, tuple]] = {}


def register(name: str, params: dict[str, tuple]) -> Callable[[PlanFn], PlanFn]:
    def wrap(fn: PlanFn) -> PlanFn:
        PLANS[name] = fn
        PLAN_PARAMS[name] = {k: (v + (0.0,))[:3] if len(v) == 2 else v for k, v in params.items()}
        return fn
    return wrap


def kind_of(p: Params) -> int:
    return int(round(p.get("kind", 0)))
