"""Make the repository's ``bench`` package importable: it is run from the repository root
(``python -m bench``) and is deliberately not installed with the product."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
