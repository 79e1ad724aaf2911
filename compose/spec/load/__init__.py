"""The loading phases, each a small function over plain data: parse, interpolate,
validate, extends, include, merge, canonical form, checks, the typed model."""
