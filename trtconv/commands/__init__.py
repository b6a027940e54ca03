"""`trtconv` subcommands: one module per command, each with `add_parser(subparsers)` and
`run(args)`."""
