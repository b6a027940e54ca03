"""Run in the Triton environment: parse config.pbtxt files with Triton's ModelConfig.

Prints a JSON list with one dict per file (MessageToDict, proto field names); exits 1 with
the parser's message when a file does not parse (unknown fields, bad enum values, ...).
"""

import json
import sys

from google.protobuf import json_format, text_format
from tritonclient.grpc import model_config_pb2

parsed = []
for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    try:
        config = text_format.Parse(text, model_config_pb2.ModelConfig())
    except text_format.ParseError as e:
        sys.exit(f"{path}: {e}\n{text}")
    parsed.append(json_format.MessageToDict(config, preserving_proto_field_name=True))
print(json.dumps(parsed))
