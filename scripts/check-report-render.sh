#!/usr/bin/env bash
# Renders the HTML report of the demo journey in headless Chromium and checks that the screenshot
# shows a page with charts, not a blank or broken one. Registered as the ctest
# omni_report_renders (examples/CMakeLists.txt).
#
# Usage: scripts/check-report-render.sh OMNI OMNI_DEMO WORKDIR
#          OMNI: the omni binary; OMNI_DEMO: examples' omni_demo; WORKDIR: emptied and used for
#          the database, report.html, report.png and the logs.
#        scripts/check-report-render.sh --skip REASON
#          prints REASON and exits 77, which ctest reports as "skipped" (sanitizer builds).
# Environment: CHROMIUM (default: chromium), PYTHON_WITH_PIL (default: /usr/bin/python3, where
# Debian's python3-pil installs PIL). Both come from scripts/install-deps.sh.
set -euo pipefail

if [ "${1:-}" = "--skip" ]; then
  echo "check-report-render: skipped: ${2:-no reason given}"
  exit 77
fi
if [ $# -ne 3 ]; then
  echo "usage: $0 OMNI OMNI_DEMO WORKDIR | $0 --skip REASON" >&2
  exit 2
fi
omni=$1
demo=$2
work=$3
chromium=${CHROMIUM:-chromium}
python=${PYTHON_WITH_PIL:-/usr/bin/python3}

if ! command -v "$chromium" >/dev/null 2>&1; then
  echo "check-report-render: $chromium not found; scripts/install-deps.sh installs chromium" >&2
  exit 1
fi
if ! "$python" -c 'import PIL' >/dev/null 2>&1; then
  echo "check-report-render: $python cannot import PIL; scripts/install-deps.sh installs" \
       "python3-pil" >&2
  exit 1
fi

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
db=$work/demo.db
html=$work/report.html
png=$work/report.png

"$demo" "$db" >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
# The demo's journey runs from 2026-03-02 to 2026-03-10 on its own clock.
"$omni" --db "$db" --tenant acme-broadband --from 2026-03-01T00:00:00Z --to 2026-03-15T00:00:00Z \
  report --html "$html"

# As root Chromium needs --no-sandbox; its profile goes to the work dir, not $HOME.
if ! timeout 60 "$chromium" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
     --no-first-run --hide-scrollbars --user-data-dir="$work/profile" \
     --window-size=1200,2000 --screenshot="$png" "file://$html" >"$work/chromium.log" 2>&1; then
  echo "check-report-render: chromium failed:" >&2
  cat "$work/chromium.log" >&2
  exit 1
fi

"$python" - "$png" <<'EOF'
import sys
from PIL import Image

path = sys.argv[1]
try:
    image = Image.open(path).convert("RGB")
except (OSError, ValueError) as e:
    sys.exit(f"check-report-render: {path}: not a readable PNG: {e}")
width, height = image.size
if (width, height) != (1200, 2000):
    sys.exit(f"check-report-render: screenshot is {width}x{height}, expected 1200x2000")
pixels = list(image.getdata())
colours = {}
for p in pixels:
    colours[p] = colours.get(p, 0) + 1
if len(colours) < 20:
    sys.exit(f"check-report-render: only {len(colours)} distinct colours: a blank page?")
top_colour, top_count = max(colours.items(), key=lambda item: item[1])
if top_count == len(pixels):
    sys.exit(f"check-report-render: every pixel is {top_colour}")
non_white = sum(n for (r, g, b), n in colours.items() if min(r, g, b) < 235)
if non_white < len(pixels) // 50:
    sys.exit(f"check-report-render: only {non_white} non-white pixels")

# The charts: saturated pixels (text and page are grey) in the upper part of the page, where
# the volume chart stands, and several colours of the channel-kind palette.
palette = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#8c6d31", "#1f77b4", "#17becf", "#bcbd22", "#8c564b", "#e377c2",
}
palette_rgb = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in palette}
chart_area = image.crop((0, 200, width, 1000))
saturated = sum(1 for (r, g, b) in chart_area.getdata() if max(r, g, b) - min(r, g, b) > 60)
if saturated < 2000:
    sys.exit(f"check-report-render: only {saturated} coloured pixels in the chart area (y 200-1000)")
seen = {p for p in palette_rgb if colours.get(p, 0) >= 50}
if len(seen) < 3:
    sys.exit(f"check-report-render: only {len(seen)} palette colours drawn; the charts are missing")
print(f"check-report-render: ok: {width}x{height}, {len(colours)} colours, {non_white} non-white "
      f"pixels, {saturated} coloured pixels in the chart area, {len(seen)} palette colours")
EOF
