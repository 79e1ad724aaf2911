"""A small Flask app: counts hits in Redis and keeps each visit in PostgreSQL,
reaching both by their service names."""

import socket

import psycopg2
import redis
from flask import Flask

app = Flask(__name__)
cache = redis.Redis(host="cache", socket_timeout=3)


def database():
    with open("/run/secrets/db_password") as secret:
        password = secret.read().strip()
    return psycopg2.connect(host="db", user="postgres", password=password,
                            dbname="postgres", connect_timeout=3)


def migrate():
    """Run once, by the migrate service, before the app starts."""
    with database() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS visits ("
                    "id serial PRIMARY KEY, at timestamptz DEFAULT now(), host text)")
    print("migrate: table visits ready")


@app.get("/")
def index():
    hits = cache.incr("hits")
    with database() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO visits (host) VALUES (%s)", (socket.gethostname(),))
        cur.execute("SELECT count(*) FROM visits")
        (visits,) = cur.fetchone()
    return (f"Hello from webapp: {hits} hits since the cache started, {visits} visits "
            f"kept in postgres (served by {socket.gethostname()})\n")


@app.get("/health")
def health():
    return "ok\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8000, threaded=True)
