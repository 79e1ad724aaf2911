"""compose/spec/golang/render.py: the text ``config`` prints (checked against docker
compose v2.40.3)."""

from __future__ import annotations

import json

from compose.spec.golang.render import render

MODEL = {
    "name": "x",
    "services": {"a": {
        "command": ["sh", "-c", "a && b $HOME"], "deploy": {"replicas": 2},
        "image": "y", "networks": {"default": None},
        "ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp",
                   "x-foo": "bar"}],
        "x-note": 1,
    }},
    "networks": {"default": {"name": "x_default"}},
    "models": {"m": {"model": "ai/m"}},
    "x-top": {"a": 1},
}


def test_yaml() -> None:
    assert render(MODEL) == """\
name: x
services:
  a:
    command:
      - sh
      - -c
      - a && b $$HOME
    deploy:
      replicas: 2
    image: "y"
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
        x-foo: bar
    x-note: 1
networks:
  default:
    name: x_default
models:
  m:
    model: ai/m
x-top:
  a: 1
"""


def test_json_differs_where_go_encoders_differ() -> None:
    text = render(MODEL, "json")
    assert not text.endswith("\n")
    assert "\\u0026\\u0026" in text  # Go escapes HTML characters
    data = json.loads(text)
    assert list(data) == ["name", "networks", "services", "x-top"]  # sorted, no models
    service = data["services"]["a"]
    assert service["entrypoint"] is None
    assert "x-note" not in service and "x-foo" not in service["ports"][0]
    assert service["deploy"] == {"replicas": 2, "resources": {}, "placement": {}}
    assert data["networks"]["default"] == {"name": "x_default", "ipam": {}}


def test_no_interpolate_prints_the_sorted_map_model() -> None:
    text = render({"name": "x", "services": {"a": {"image": "$X"}},
                   "networks": {"default": {"name": "x_default"}}}, escape=False)
    assert text.splitlines()[:3] == ["name: x", "networks:", "  default:"]
    assert "image: $X" in text
