"""Draw a zoo model's graph page and photograph it in headless Chromium (docs/graph.png).

    python tools/graph_screenshot.py                       # swin_t, fp16: writes docs/graph.png
    python tools/graph_screenshot.py --model resnet18 --precision fp32 --html /tmp/r18.html \\
        --expand layer1.0 --output /tmp/r18.png

The model is built and converted as the zoo tests do (tests/models/zoo.py: seeded random
weights, the zoo's dynamic profile) on the reference backend.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from models.zoo import BY_NAME  # noqa: E402  (needs tests/ on sys.path)
from support.torchvision_cpu import import_torchvision  # noqa: E402

import trtconv  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="swin_t", choices=sorted(BY_NAME))
    parser.add_argument("--precision", default="fp16")
    parser.add_argument("--expand", default="features.1.0.attn",
                        help="module paths to open, comma-separated")
    parser.add_argument("--layer", default="features.1.0.attn/softmax_0",
                        help="a layer whose call is opened and scrolled to")
    parser.add_argument("--html", help="keep the page here (default: a temporary file)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "graph.png"))
    parser.add_argument("--size", default="1400,1250", help="window width,height")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        parser.error("needs chromium (apt-get install chromium)")
    spec = BY_NAME[args.model]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = trtconv.convert(spec.build(import_torchvision()), [spec.example_input()],
                                    backend="reference", precision=args.precision,
                                    **spec.dynamic_profile())
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(args.html or Path(tmp) / "graph.html")
        converted.graph(page, title=f"{args.model}: {converted.metadata['num_layers']} layers, "
                                    f"{args.precision}, dynamic batch and H/W")
        fragment = "&".join(f for f in (args.expand and f"expand={args.expand}",
                                        args.layer and f"layer={args.layer}") if f)
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp}/profile",
                        f"--window-size={args.size}", f"--screenshot={args.output}",
                        f"{page.resolve().as_uri()}#{fragment}"], check=True,
                       capture_output=True)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
