"""python -m ml.bench {lifter,pipeline,quality,live,multiperson} [args...] (the web app's own benchmarks are in tools/)"""
import importlib
import sys

COMMANDS = {"lifter": "ml.bench.lifter", "pipeline": "ml.bench.pipeline", "quality": "ml.bench.quality",
            "live": "ml.bench.live",
            "multiperson": "ml.bench.multiperson"}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m ml.bench {{{','.join(COMMANDS)}}} [args...]  (--help after the command)")
        return 2
    mod = importlib.import_module(COMMANDS[argv[0]])   # lazy: each bench imports only what it needs
    return mod.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main() or 0)
