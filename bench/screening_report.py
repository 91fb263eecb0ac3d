"""Quality and speed of the moderation screening: the command line of
services/moderation/screening_report.py (see its docstring).

    .venv/bin/python bench/screening_report.py --half dev3
    .venv/bin/python bench/screening_report.py --write-docs
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.moderation.screening_report import main  # noqa: E402

if __name__ == "__main__":
    main()
