"""The `trtconv` commands, one module each; `trtconv/cli.py` lists them in `COMMANDS`."""
