"""Settlement tests: the fact sheet's UMS examples (ums_examples.py) and helpers on the path."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
