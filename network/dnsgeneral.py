"""The embedded DNS server's general path, through dnspython: what ``dns.py``'s fast
path leaves (other types, PTR, truncation, malformed queries, errors).  Imported
at the first such query: most questions are A and AAAA for names the table knows,
and a supervisor starts sooner, and stays smaller, without dnspython."""

from __future__ import annotations

import random
import struct

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from network.dns import TTL
from network.dnstable import Client, NameTable


def reply(wire: bytes, table: NameTable, client: Client | None, rng: random.Random,
          limit: int) -> bytes | None:
    """``DnsServer.reply`` past its fast path: the answer, None to forward, b"" for
    no answer."""
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return _formerr(wire)
    if query.flags & dns.flags.QR:
        return b""
    if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
        return _error(query, dns.rcode.NOTIMP)
    question = query.question[0]
    if question.rdclass != dns.rdataclass.IN:
        return None
    lookup = table.lookup(client, question.name.to_text(),
                          dns.rdatatype.to_text(question.rdtype), rng)
    if lookup.forward:
        return None
    response = dns.message.make_response(query, recursion_available=True)
    response.flags |= dns.flags.AA
    if lookup.nxdomain:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif lookup.pointer:
        response.answer.append(dns.rrset.from_text(
            question.name, TTL, dns.rdataclass.IN, dns.rdatatype.PTR, lookup.pointer + "."))
    elif lookup.addresses:
        response.answer.append(dns.rrset.from_text_list(
            question.name, TTL, dns.rdataclass.IN, question.rdtype, list(lookup.addresses)))
    size = limit
    if limit < 65535 and query.edns >= 0:  # UDP, with a larger buffer announced
        size = max(limit, min(query.payload, 65535))
    try:
        return response.to_wire(max_size=size)
    except dns.exception.TooBig:
        response.answer.clear()
        response.flags |= dns.flags.TC
        return response.to_wire()


def _error(query: dns.message.Message, rcode: dns.rcode.Rcode) -> bytes:
    response = dns.message.make_response(query, recursion_available=True)
    response.set_rcode(rcode)
    return response.to_wire()


def servfail(wire: bytes) -> bytes:
    try:
        return _error(dns.message.from_wire(wire), dns.rcode.SERVFAIL)
    except dns.exception.DNSException:
        return b""


def _formerr(wire: bytes) -> bytes:
    """A FORMERR echoing the id, when there is at least a header to echo."""
    if len(wire) < 12:
        return b""
    flags = 0x8000 | (wire[2] & 0x78) << 8 | dns.rcode.FORMERR
    return wire[:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0)
