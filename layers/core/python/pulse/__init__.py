"""Community Pulse: monthly community-management reports.

The package is the core library shared by every Lambda function (as a layer or
inside the report image) and by the ``pulse`` command line.
"""

from __future__ import annotations

__version__ = "0.1.0"
