"""Seeded synthetic contract datasets with planted effects.

``generate_dataset(n_accounts, seed, scenario)`` returns the tables, dataset.yml
content and the planted truth; ``SyntheticData.write`` writes them
reproducibly. The generating model and every planted number are documented in
docs/synthetic-data.md.
"""

from .generate import SyntheticData, generate_dataset, synthesize
from .scenario import Scenario, resolve_scenario
from .writer import write_synthetic

__all__ = ["Scenario", "SyntheticData", "generate_dataset", "resolve_scenario", "synthesize", "write_synthetic"]
