"""igbridge's yt-dlp worker: extracts posts for JSON-line requests on stdin (protocol in worker.go).

stdin:  {"options": {"post": [...], "story": [...]}, "marker": "..."}   once, yt-dlp options per kind
        {"id": N, "url": "...", "story": bool}          then one request per line
stdout: {"op": "hello", "version": "...", "python": "..."}   once yt_dlp is imported
        {"id": N, "ok": true, "info": {...}, "warnings": [...]}
        {"id": N, "ok": false, "error": {...}, "warnings": [...]}
stderr: the marker, alone on a line, as each request is read; the bridge attributes what follows
        to that request.
"""

import json
import os
import platform
import sys

# The protocol writes to a private copy of stdout. fd 1 and sys.stdout go to stderr, so nothing
# that yt-dlp, a library or a child process prints can end up between two protocol lines.
PROTOCOL = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

MAX_WARNINGS = 50
MAX_TEXT = 2000


def send(msg):
    # ASCII escapes keep every line valid UTF-8, even for captions with lone surrogates.
    PROTOCOL.write(json.dumps(msg, ensure_ascii=True, separators=(",", ":")) + "\n")
    PROTOCOL.flush()


class Logger:
    """Collects the warnings of one request (the bridge classifies them) and copies them to stderr."""

    def __init__(self):
        self.warnings = []

    def debug(self, msg):
        pass  # screen messages; the command line's -J keeps them quiet too

    def warning(self, msg):
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(msg[:MAX_TEXT])
        print("WARNING:", msg, file=sys.stderr)

    def error(self, msg):
        print(msg, file=sys.stderr)


def network_cause(exc, network_types):
    """Returns the network error in exc's chain of causes, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, network_types):
            return exc
        exc_info = getattr(exc, "exc_info", None)
        exc = getattr(exc, "cause", None) or (exc_info and exc_info[1]) or exc.__cause__ or exc.__context__
    return None


def describe(exc):
    """The facts the bridge classifies a failure by: exception type, HTTP status, expected."""
    from yt_dlp.networking.exceptions import HTTPError, network_exceptions
    from yt_dlp.utils import DownloadError

    if isinstance(exc, DownloadError):
        # YoutubeDL raises it while handling what the extractor raised; its exc_info skips
        # ahead to the innermost cause, which loses the extractor's message.
        exc = exc.__context__ or (exc.exc_info and exc.exc_info[1]) or exc
    # OSError covers socket errors, timeouts and urllib's URLError.
    cause = network_cause(exc, (OSError, *network_exceptions))
    return {
        "type": type(exc).__name__,
        "expected": bool(getattr(exc, "expected", False)),
        "status": cause.status if isinstance(cause, HTTPError) else None,
        "causes": [t.__name__ for t in type(cause).__mro__[:-1]] if cause is not None else [],
        "message": str(exc)[:MAX_TEXT],
    }


def new_ydl(options, logger):
    import yt_dlp

    ydl_opts = yt_dlp.parse_options(options).ydl_opts
    ydl_opts["logger"] = logger
    # Raise, so the failure is described from the exception. The command line's default
    # ("only_download") reports the error and carries on; its exit status still says it failed.
    ydl_opts["ignoreerrors"] = False
    return yt_dlp.YoutubeDL(ydl_opts)


# Links of each kind for warm_up; never fetched.
WARM_UP_URLS = {
    "post": "https://www.instagram.com/p/C0ffee00000/",
    "story": "https://www.instagram.com/stories/instagram/3141592653589793238/",
}


def warm_up(options, ydls, logger):
    """Does ahead of the first link what yt-dlp does lazily on it, offline: builds the YoutubeDL
    of each option set and matches a link against the extractors in yt-dlp's order, which
    compiles their URL patterns and imports the Instagram extractor (about 150 ms)."""
    from yt_dlp.extractor import gen_extractor_classes

    for kind, url in WARM_UP_URLS.items():
        try:
            ydls[kind] = new_ydl(options[kind], logger)
            next((ie for ie in gen_extractor_classes() if ie.suitable(url)), None)
        except (Exception, SystemExit):
            pass  # the first request of this kind builds it again and reports the error


def main():
    config = json.loads(sys.stdin.readline())
    import yt_dlp

    send({"op": "hello", "version": yt_dlp.version.__version__, "python": platform.python_version()})
    logger = Logger()
    # One YoutubeDL per option set for the life of the process: the extractor sets up its session
    # (home page, LSD token, cookies) once instead of for every link.
    ydls = {}
    warm_up(config["options"], ydls, logger)
    for line in iter(sys.stdin.readline, ""):
        print(config["marker"], file=sys.stderr, flush=True)
        req = json.loads(line)
        kind = "story" if req.get("story") else "post"
        logger.warnings = []
        try:
            if kind not in ydls:
                ydls[kind] = new_ydl(config["options"][kind], logger)
            ydl = ydls[kind]
            info = ydl.extract_info(req["url"], download=False)
            resp = {"id": req["id"], "ok": True, "info": ydl.sanitize_info(info)}
        except (Exception, SystemExit) as exc:  # SystemExit: option parsing calls sys.exit
            resp = {"id": req["id"], "ok": False, "error": describe(exc)}
        resp["warnings"] = logger.warnings
        send(resp)


main()
