"""octosim: a faithful, stateful Octopus Server simulator for tests, benchmarks and demos."""

from tests.octosim.clock import ManualClock, RealClock
from tests.octosim.errors import ApiError, SimulatorError
from tests.octosim.faults import Fault, Faults
from tests.octosim.server import SimServer
from tests.octosim.simulator import DEFAULT_START, Simulator

__all__ = [
    "DEFAULT_START",
    "ApiError",
    "Fault",
    "Faults",
    "ManualClock",
    "RealClock",
    "SimServer",
    "Simulator",
    "SimulatorError",
]
