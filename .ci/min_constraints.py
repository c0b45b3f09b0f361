"""Print pip constraints pinning every dependency of pyproject.toml to its declared minimum.

Used by `make test-min`: `name>=X` in [project] dependencies and the parquet extra becomes
`name==X`, so the fast tests run against the oldest versions the package claims to support.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml").read_text())
project = project["project"]
wanted = [*project["dependencies"], *project["optional-dependencies"].get("parquet", [])]
for requirement in wanted:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", requirement)
    if match is None:
        sys.exit(f"cannot pin {requirement!r}: declare its minimum as name>=version")
    print(f"{match.group(1)}=={match.group(2)}")
