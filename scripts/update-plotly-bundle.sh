#!/usr/bin/env bash
# Refresh the partial plotly.js bundle embedded in every report (run by hand, result committed).
#
# Reports draw bar and scatter traces only, so they embed plotly.js' "basic" partial bundle
# (bar, scatter, pie: 1.1 MB) instead of the whole library (4.6 MB). It comes from the npm
# registry at build time; nothing is downloaded when a report is made. Pick the newest
# version that is not newer than the plotly.js the Python `plotly` package ships
# (python -c "import plotly.offline as o, re; print(re.findall(r'version:\"([0-9.]+)\"', o.get_plotlyjs())[0])").
set -euo pipefail
VERSION="${1:?usage: $0 PLOTLY_JS_VERSION (e.g. 3.7.0)}"
DEST="$(dirname "$0")/../layers/core/python/pulse/render/static"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "plotly.js-basic-dist-min@${VERSION}" >/dev/null && tar xzf ./*.tgz)
cp "$WORK/package/plotly-basic.min.js" "$DEST/plotly-basic.min.js"
cp "$WORK/package/LICENSE" "$DEST/plotly-LICENSE.txt"
sha256sum "$DEST/plotly-basic.min.js"
