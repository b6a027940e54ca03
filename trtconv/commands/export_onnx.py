"""`trtconv export-onnx model.pth -o net.onnx`: a saved TRTModule's network as ONNX.

Write the network of a saved TRTModule as ONNX: one node per TensorRT layer, named after it;
standard ONNX operators where one computes exactly the same, otherwise a node in the 'trt'
domain with the layer's properties as attributes. Weights are initializers, every tensor has
its shape and dtype. Checked with onnx.checker; onnxruntime runs it when every node is
standard. Needs a reference-backend module (its plan is the network).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from ..errors import TrtconvError
from ._loading import load_trt_module

HELP = "write a saved TRTModule's network as an ONNX file (Netron)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a TRTModule state_dict saved with torch.save")
    parser.add_argument("-o", "--output", required=True, help="the .onnx file to write")


def run(args: argparse.Namespace) -> int:
    try:
        model = load_trt_module(args.path).to_onnx(args.output)
    except TrtconvError as e:
        print(f"trtconv export-onnx: {e}", file=sys.stderr)
        return 1
    custom = Counter(n.op_type for n in model.graph.node if n.domain)
    detail = ("all standard ONNX operators" if not custom else
              f"{sum(custom.values())} in the trt domain: " +
              ", ".join(f"{op} x{n}" for op, n in custom.most_common()))
    print(f"wrote {args.output}: {len(model.graph.node)} nodes, {detail}")
    return 0
