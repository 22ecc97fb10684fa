"""Measure what the deployment artifacts weigh, unzipped.

Lambda allows 250 MB (262,144,000 bytes) unzipped for a zip function plus all
its layers, and 10 GB for a container image. This script installs the runtime
dependencies of ``pyproject.toml`` (no ``render``/``dev`` extras) into a
temporary directory exactly as the layer build does, with Lambda's wheels
(manylinux x86_64, CPython 3.12 by default), and prints the size of every
distribution, the total, and the Debian packages the report image adds.

    python scripts/measure_sizes.py                 # needs PyPI
    python scripts/measure_sizes.py --json sizes.json
    python scripts/measure_sizes.py --without plotly --without typer --without rich
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_UNZIPPED_LIMIT = 262_144_000  # 250 MiB, function + layers
IMAGE_DEBIAN_PACKAGES = ("chromium", "chromium-common", "fonts-dejavu-core", "fonts-noto-color-emoji")
MB = 1_000_000


def runtime_requirements(without: set[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements: list[str] = project["dependencies"]
    return [r for r in requirements if _name(r) not in without]


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def install(target: Path, requirements: list[str], python_version: str, platform: str) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(target), "--only-binary=:all:",
        "--python-version", python_version, "--implementation", "cp",
        *[arg for p in platform.split(",") for arg in ("--platform", p)],
        *requirements,
    ]  # fmt: skip
    subprocess.run(command, check=True)


def sizes_by_distribution(target: Path) -> dict[str, int]:
    """Bytes on disk per installed distribution, from each ``*.dist-info/RECORD``."""
    sizes: dict[str, int] = defaultdict(int)
    owned: set[Path] = set()
    for record in target.glob("*.dist-info/RECORD"):
        dist = record.parent.name.split("-")[0].lower().replace("_", "-")
        with record.open(newline="") as handle:
            for row in csv.reader(handle):
                if not row:
                    continue
                path = (target / row[0]).resolve()
                if path.is_file() and path not in owned:
                    owned.add(path)
                    sizes[dist] += path.stat().st_size
    # Files no RECORD lists (bytecode compiled later, stray files) under "(other)".
    for path in target.rglob("*"):
        if path.is_file() and path.resolve() not in owned:
            sizes["(other)"] += path.stat().st_size
    return dict(sizes)


def project_code_size() -> int:
    """Our own package as the layer ships it (layers/core/python/pulse, without caches)."""
    package = ROOT / "layers" / "core" / "python" / "pulse"
    return sum(p.stat().st_size for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def debian_installed_sizes(packages: tuple[str, ...]) -> dict[str, int | None]:
    """Installed-Size (bytes) of Debian packages: dpkg if installed here, else apt-cache."""
    result: dict[str, int | None] = {}
    for package in packages:
        size: int | None = None
        dpkg = subprocess.run(
            ["dpkg-query", "-Wf", "${Installed-Size}", package], capture_output=True, text=True, check=False
        )
        if dpkg.returncode == 0 and dpkg.stdout.strip().isdigit():
            size = int(dpkg.stdout.strip()) * 1024
        elif shutil.which("apt-cache"):
            show = subprocess.run(["apt-cache", "show", package], capture_output=True, text=True, check=False)
            match = re.search(r"^Installed-Size:\s*(\d+)", show.stdout, re.MULTILINE)
            size = int(match.group(1)) * 1024 if match else None
        result[package] = size
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument(
        "--platform", default="manylinux_2_28_x86_64,manylinux2014_x86_64,manylinux_2_17_x86_64"
    )
    parser.add_argument("--without", action="append", default=[], help="leave a dependency out (repeatable)")
    parser.add_argument(
        "--with",
        dest="extra",
        action="append",
        default=[],
        help="add a requirement, e.g. playwright==1.65.2 to size the image's Python part (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--keep", type=Path, help="install into this directory and keep it")
    args = parser.parse_args(argv)

    requirements = runtime_requirements({_name(w) for w in args.without}) + args.extra
    with tempfile.TemporaryDirectory(prefix="pulse-layer-") as tmp:
        target = args.keep or Path(tmp) / "python"
        install(target, requirements, args.python_version, args.platform)
        sizes = sizes_by_distribution(target)
    sizes["community-pulse (our code)"] = project_code_size()
    total = sum(sizes.values())

    print(f"Layer content (python/), CPython {args.python_version}, {args.platform.split(',')[0]}:")
    for dist, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {dist:32s} {size / MB:8.1f} MB")
    print(f"  {'TOTAL':32s} {total / MB:8.1f} MB  (Lambda limit {LAMBDA_UNZIPPED_LIMIT / MB:.1f} MB)")
    print(f"  headroom                         {(LAMBDA_UNZIPPED_LIMIT - total) / MB:8.1f} MB")

    debian = debian_installed_sizes(IMAGE_DEBIAN_PACKAGES)
    print("Report image, Debian packages (Installed-Size, without their other dependencies):")
    for package, installed in debian.items():
        print(f"  {package:32s} {'unknown' if installed is None else f'{installed / MB:8.1f} MB'}")

    if args.json:
        args.json.write_text(
            json.dumps(
                {"layer": sizes, "layer_total": total, "limit": LAMBDA_UNZIPPED_LIMIT, "debian": debian},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
