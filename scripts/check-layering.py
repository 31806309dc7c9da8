#!/usr/bin/env python3
"""Checks that includes between the folders of src/ point one way: down the layers below.

A file in src/<folder>/ may include its own folder and any folder of a lower layer; never one
of its own layer (two folders of a layer stay independent) nor one above. A folder that is not
listed is an error too: place it in LAYERS (and in docs/architecture.md) when you add it.
Exits 1 and prints each offending include line. Run by `make layering-check` (part of `make test`).
"""

import pathlib
import re
import sys

# Top to bottom; docs/architecture.md draws the same order. Folders listed before they exist
# (redis/, saver/) are where cluster mode goes.
LAYERS = [
    ["app"],                   # main(), settings, composition of the server
    ["bench", "saver"],        # the other subcommands: the load generator, the saver
    ["api"],                   # REST routes, the WebSocket and SSE entry points
    ["stomp", "sse"],          # the streaming sessions (STOMP over WebSocket, SSE)
    ["billing", "rooms", "sessions"],  # usage reporting; the chat and live-stream services
    ["auth", "fanout"],        # users and tokens; delivery to this node's listeners
    ["broker"],                # the one way into a room: ids, durability, hand-off
    ["net", "store", "redis"],  # transport (HTTP server and client, WebSocket); databases; Redis
    ["protocol", "metrics", "web"],  # wire formats (Message JSON, STOMP codec, SSE); counters;
                                     # the files built in for browsers
    ["model"],                 # plain records, ids, errors, validation
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]*"')


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "src"
    rank = {folder: depth for depth, layer in enumerate(LAYERS) for folder in layer}
    problems = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".h") or not path.is_file():
            continue
        relative = path.relative_to(root)
        source = relative.parts[0]
        if len(relative.parts) == 1:
            problems.append(f"src/{relative}: files belong in a folder of src/")
            continue
        if source not in rank:
            problems.append(f"src/{relative}: src/{source}/ is in no layer; add it to LAYERS in "
                            f"scripts/check-layering.py and to docs/architecture.md")
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match or match.group(1) == source:
                continue
            target = match.group(1)
            if not (root / target).is_dir():
                continue  # not one of ours (a system or library header)
            if target not in rank:
                problems.append(f"src/{relative}:{number}: {line.strip()}  (src/{target}/ is in "
                                f"no layer)")
            elif rank[target] <= rank[source]:
                where = "the same layer as" if rank[target] == rank[source] else "a layer above"
                problems.append(f"src/{relative}:{number}: {line.strip()}  ({target}/ is {where} "
                                f"{source}/)")
    for problem in problems:
        print(problem)
    if problems:
        print(f"layering check: {len(problems)} include(s) break the layers "
              f"(docs/architecture.md, scripts/check-layering.py)", file=sys.stderr)
        return 1
    print("layering check: every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
