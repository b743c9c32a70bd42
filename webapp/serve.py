"""`python -m webapp.serve`: the web server alone, as the container image runs it (the worker and Redis
are other services there). The same uvicorn command as `make run` (webapp.run.web_command), listening on
HOST:PORT (default 0.0.0.0:8000)."""
import os
import sys

from webapp.run import web_command

if __name__ == "__main__":
    command = web_command(os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "8000")))
    os.execv(command[0], command)
