"""`make preview`: serve the site on localhost and rebuild a page when its chapter is saved."""
from __future__ import annotations

import shutil
import subprocess
import time

from common import OUT, ROOT, STAGE, BuildError, book_pages
from render import render
from execute import execute_all
from stage import stage


def preview(port: int) -> None:
    """Serve the site on localhost and rebuild what changes (polling the pages' modification times).

    With Quarto, `quarto preview` serves the staged book and re-renders it. Without it, the book is rendered
    as `make book` does (so chapter numbers and notebook downloads are there too), _book/ is served by
    Python's own HTTP server, and a changed chapter is executed again and the site re-rendered."""
    import functools
    import http.server
    import threading

    quarto = shutil.which("quarto")
    execute_all(stage())
    if quarto:
        server = subprocess.Popen([quarto, "preview", str(STAGE), "--port", str(port), "--no-browser"])
        alive = lambda: server.poll() is None
    else:
        render()
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(OUT))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        alive = lambda: True
    pages = [p.as_posix() for p in book_pages()]
    stamp = {p: (ROOT / p).stat().st_mtime for p in pages}
    print(f"Serving http://127.0.0.1:{port}/ ; save a chapter and it is executed and rebuilt. Ctrl-C stops.", flush=True)
    try:
        while alive():
            time.sleep(1)
            changed = [p for p in pages if (ROOT / p).exists() and (ROOT / p).stat().st_mtime != stamp[p]]
            for p in changed:
                stamp[p] = (ROOT / p).stat().st_mtime
            if changed:
                try:
                    execute_all(stage(changed))
                    if not quarto:
                        render()
                    print(f"rebuilt after a change to {', '.join(changed)}", flush=True)
                except BuildError as e:
                    print(e, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        if quarto:
            server.terminate()
        else:
            httpd.shutdown()
