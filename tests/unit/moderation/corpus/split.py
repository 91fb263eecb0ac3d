"""Split the incoming corpus files into a development half and a held-out half.

Run once per round of writing, before any screening rule was tuned on them, and the incoming
files removed after it: round 1 (writers a and b) gave dev.yaml and heldout.yaml
(`python split.py`), round 2 (writers c and d) dev2.yaml and heldout2.yaml
(`python split.py 2`), round 3 (writers e, f and g) dev3.yaml and heldout3.yaml
(`python split.py 3`), round 4 (writers h, i and j) dev4.yaml and heldout4.yaml
(`python split.py 4`), round 5 (writers k, l and m) dev5.yaml and heldout5.yaml
(`python split.py 5`), round 6 (writers n, o and p) dev6.yaml and heldout6.yaml
(`python split.py 6`), round 7 (writers q, r and s) dev7.yaml and heldout7.yaml
(`python split.py 7`), round 8 (writers t, u and v) dev8.yaml and heldout8.yaml
(`python split.py 8`), round 9 (writers w, x and y) dev9.yaml and heldout9.yaml
(`python split.py 9`), round 10 (writers z, za and zb) dev10.yaml and heldout10.yaml
(`python split.py 10`), round 11 (writers zc, zd and ze) dev11.yaml and heldout11.yaml
(`python split.py 11`), round 12 (writers zf, zg and zh) dev12.yaml and heldout12.yaml
(`python split.py 12`), round 13 (writers zi, zj and zk) dev13.yaml and heldout13.yaml
(`python split.py 13`), round 14 (writers zl, zm and zn) dev14.yaml and heldout14.yaml
(`python split.py 14`), round 15 (writers zo, zp and zq) dev15.yaml and heldout15.yaml
(`python split.py 15`), round 16 (writers zr, zs and zt) dev16.yaml and heldout16.yaml
(`python split.py 16`), round 17 (writers zu, zv and zw) dev17.yaml and heldout17.yaml
(`python split.py 17`), round 18 (writers zx, zy and zz) dev18.yaml and heldout18.yaml
(`python split.py 18`), round 19 (writers za1 and za2; the file of za3, generated from
templates, left out unscored) dev19.yaml and heldout19.yaml (`python split.py 19`), round 20
(writers za4, za5 and za6) dev20.yaml and heldout20.yaml (`python split.py 20`), round 21
(writers za7, za8 and za9) dev21.yaml and heldout21.yaml (`python split.py 21`), round 22
(writers za10, za11 and za12) dev22.yaml and heldout22.yaml (`python split.py 22`), round 23
(writers za13, za14 and za15) dev23.yaml and heldout23.yaml (`python split.py 23`), round 24
(writers za16, za17 and za18) dev24.yaml and heldout24.yaml (`python split.py 24`); from
round 8 on, texts already in an earlier round's file were dropped
first. An entry goes
to a half by the SHA-256 of its text (even first byte: development), so the split depends on
nothing a rule writer could choose. Each entry keeps the name of the file it came from.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).parent
HEADER = """\
# {half} half of the screening corpus: texts written apart from the screening rules by
# writers who followed LABELS.md only (see docs/screening.md). Split by split.py before any rule
# was tuned on it.{warning}
"""


def main(suffix: str = "") -> int:
    halves: dict[str, list] = {"dev": [], "heldout": []}
    seen: set[str] = set()
    for path in sorted(HERE.glob("incoming_*.yaml")):
        source = path.stem.removeprefix("incoming_")
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            if entry["text"] in seen:
                continue
            seen.add(entry["text"])
            digest = hashlib.sha256(entry["text"].encode("utf-8")).digest()
            half = "dev" if digest[0] % 2 == 0 else "heldout"
            halves[half].append({"source": source, **entry})
    for half, entries in halves.items():
        warning = ("\n# Never tune a rule on it: it measures the rules on text they were not "
                   "written for." if half == "heldout" else "")
        text = HEADER.format(half="Held-out" if half == "heldout" else "Development",
                             warning=warning)
        text += yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100)
        (HERE / f"{half}{suffix}.yaml").write_text(text, encoding="utf-8")
        print(half, len(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
