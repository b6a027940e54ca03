"""`trtconv graph model.pth -o net.html`: the network of a saved TRTModule as one HTML page.

Write the network of a saved TRTModule as one self-contained HTML page: modules (collapsible,
in run order), the torch calls in them, and each call's TensorRT layers with output shapes,
dtypes, fp32 islands and guards. Opens in any browser, without network access. Needs a
reference-backend module (its plan is the network); TensorRT engines do not carry their
network.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import TrtconvError
from ._loading import load_trt_module

HELP = "draw a saved TRTModule's network as one HTML page"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a TRTModule state_dict saved with torch.save")
    parser.add_argument("-o", "--output", required=True, help="the HTML file to write")
    parser.add_argument("--title", default="", help="page title (default: layer count, "
                        "precision, backend)")


def run(args: argparse.Namespace) -> int:
    try:
        module = load_trt_module(args.path)
        module.graph(args.output, title=args.title)
    except TrtconvError as e:
        print(f"trtconv graph: {e}", file=sys.stderr)
        return 1
    meta = module.metadata
    print(f"wrote {args.output}: {meta.get('num_layers')} layers, {meta.get('precision')}")
    return 0
