"""A minimal Docker registry token server, for the Bearer-auth registry fixture.

``GET /token?service=...&scope=repository:NAME:pull,push`` answers ``{"token":...}``:
a JWT signed RS256 with KEY, carrying CERT in its ``x5c`` header (the registry
trusts it through ``auth.token.rootcertbundle``).  Requests with the right Basic
credentials get the actions they ask for; anonymous ones get ``pull`` on
repositories under ``public/`` only; wrong credentials get 401.  Signing uses
the openssl command, so the tests need no crypto package.

Run: python token_issuer.py PORT KEY CERT ISSUER SERVICE USER PASSWORD
(prints ``ready`` once listening on 127.0.0.1:PORT).
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    def __init__(self, key: str, cert: str, issuer: str, service: str, user: str,
                 password: str) -> None:
        self.key, self.issuer, self.service = key, issuer, service
        self.user, self.password = user, password
        pem = Path(cert).read_text()
        self.x5c = "".join(line for line in pem.splitlines() if "-----" not in line)

    def token(self, access: list[dict[str, object]], subject: str) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{b64url(json.dumps(header).encode())}." \
                        f"{b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                                   input=signing_input.encode(), capture_output=True,
                                   check=True).stdout
        return f"{signing_input}.{b64url(signature)}"

    def grant(self, scopes: list[str], authenticated: bool) -> list[dict[str, object]]:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository" or not name:
                continue
            wanted = [a for a in actions.split(",") if a]
            allowed = wanted if authenticated else (
                ["pull"] if name.startswith("public/") and "pull" in wanted else [])
            if allowed:
                access.append({"type": "repository", "name": name, "actions": allowed})
        return access


def handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path != "/token" or query.get("service", [""])[0] != issuer.service:
                self.send_error(404)
                return
            authenticated, subject = False, ""
            header = self.headers.get("Authorization", "")
            if header.startswith("Basic "):
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                if (user, password) != (issuer.user, issuer.password):
                    self.send_error(401, "bad credentials")
                    return
                authenticated, subject = True, user
            body = json.dumps({"token": issuer.token(
                issuer.grant(query.get("scope", []), authenticated), subject),
                "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"token: {format % args}\n")

    return Handler


def main() -> None:
    port, key, cert, issuer_name, service, user, password = sys.argv[1:8]
    issuer = Issuer(key, cert, issuer_name, service, user, password)
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), handler(issuer))
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
