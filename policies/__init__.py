"""The built-in control pack: controls/<provider>/*.yaml, profiles/*.yaml and frameworks/ catalog data."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
CONTROLS = ROOT / "controls"
PROFILES = ROOT / "profiles"
FRAMEWORKS = ROOT / "frameworks"
