"""Synthetic B2B company generator with planted, documented effects (`accord simulate`).

It simulates under a compiled contract (`accord.contract.compiled`, the starter by
default) and imports nothing of the store. See `docs/simulator.md` for the company
model, the base conversion model, the effects file format and determinism.
"""

from accord.sim.contract_terms import ContractTermsError
from accord.sim.effects import (
    Effects,
    EffectsFileError,
    default_effects,
    load_effects,
    parse_effects,
)
from accord.sim.simulate import SimulationSummary, simulate

__all__ = [
    "ContractTermsError",
    "Effects",
    "EffectsFileError",
    "SimulationSummary",
    "default_effects",
    "load_effects",
    "parse_effects",
    "simulate",
]
