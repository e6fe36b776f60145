from leanspec.cli import run

run()
