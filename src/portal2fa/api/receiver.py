"""A webhook receiver to try the signed events with: `python -m portal2fa.api.receiver --port
9000 --secret whsec_…`. Verifies each request with the `standardwebhooks` package (401 when the
signature, or its timestamp, is wrong), drops a webhook-id it has seen (a retry or a replay of a
message it has), and prints each new event as one JSON line. For trying out, not for production."""

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def serve(
    port: int, secret: str, *, host: str = "127.0.0.1", out=sys.stdout
) -> ThreadingHTTPServer:
    hook, seen, lock = Webhook(secret), set(), threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: `deliver` keeps its connections

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                event = hook.verify(body, headers)
            except WebhookVerificationError as error:
                self._answer(401, str(error))
                return
            with lock:
                new = headers["webhook-id"] not in seen
                seen.add(headers["webhook-id"])
                if new:
                    print(json.dumps({"webhook-id": headers["webhook-id"], **event}), file=out)
                    out.flush()
            self._answer(204)

        def _answer(self, status, text=""):
            data = text.encode()
            self.send_response(status)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # several deliver workers' connections at once
        daemon_threads = True

    return Server((host, port), Handler)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal2fa.api.receiver", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_ secret")
    args = parser.parse_args(argv)
    server = serve(args.port, args.secret)
    print(f"Receiving on http://127.0.0.1:{args.port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
