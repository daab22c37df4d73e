#!/usr/bin/env python3
"""Decode DHCPv6 messages with scapy, as an independent check of libdhcp6.

Reads lines "NAME HEX" from standard input (or from the file named as the
only argument), decodes each message with scapy's DHCPv6 layers
(scapy.layers.dhcp6), and prints one JSON object per line:

    {"name": NAME, "scapy": VERSION, "option_layers": [CODE, ...],
     "layers": [LAYER, ...]}

where option_layers lists the option codes this scapy has a layer for, and
LAYER is {"class": scapy class name, "raw": hex of the layer's own
bytes without its payload, "fields": {field name: value}}. Values are
ints, strings (IPv6 addresses as scapy prints them), "hex:..." for bytes,
lists, or nested {"layers": [...]} for packets held in a field (sub-options,
DUIDs, the message inside a Relay Message option). The message's options
follow its header as further layers of the same list, the way scapy chains
them.

Option 87 (DHCPv4 Message) has no scapy DHCPv6 layer; it is decoded as
DHCP6OptUnknown and its data is also dissected with scapy's BOOTP/DHCP
layers, under the extra key "bootp".

Exit status 2 (and a message on stderr) when scapy cannot be imported.
"""

import json
import sys

try:
    from scapy.config import conf
    from scapy.packet import Packet
    from scapy.fields import FlagValue
    from scapy.layers import dhcp6
    from scapy.layers.dhcp import BOOTP
    import scapy
except ImportError as e:  # pragma: no cover - exercised by the Rust test
    print(f"scapy_decode.py: cannot import scapy ({e}); install it with "
          "'pip install scapy'", file=sys.stderr)
    sys.exit(2)

conf.verb = 0


def value(v):
    """A JSON-able form of one field value."""
    if isinstance(v, Packet):
        return {"layers": layers(v)}
    if isinstance(v, FlagValue):
        return int(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, (bytes, bytearray)):
        return "hex:" + bytes(v).hex()
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return [value(x) for x in v]
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return str(v)


def bootp(data):
    """Dissect a DHCPv4 message with scapy's BOOTP/DHCP layers."""
    p = BOOTP(data)
    out = {
        "op": p.op,
        "xid": p.xid,
        "chaddr": "hex:" + bytes(p.chaddr).hex(),
        "dhcp_options": [],
    }
    dhcp = p.getlayer("DHCP options")
    if dhcp is not None:
        for o in dhcp.options:
            if isinstance(o, tuple):
                out["dhcp_options"].append([o[0]] + [value(x) for x in o[1:]])
            else:
                out["dhcp_options"].append(o)
    return out


def layers(pkt):
    """The chain of layers of pkt, each with its own fields."""
    out = []
    layer = pkt
    while layer is not None:
        if layer.__class__.__name__ == "NoPayload":
            break
        own = layer.copy()
        own.remove_payload()
        entry = {
            "class": layer.__class__.__name__,
            "raw": bytes(own).hex(),
            "fields": {f.name: value(layer.getfieldval(f.name))
                       for f in layer.fields_desc},
        }
        if (layer.__class__.__name__ == "DHCP6OptUnknown"
                and layer.getfieldval("optcode") == 87):
            entry["bootp"] = bootp(bytes(layer.getfieldval("data")))
        out.append(entry)
        layer = layer.payload
    return out


def decode(data):
    """Dissect one DHCPv6 message, choosing the class by the type octet."""
    name = dhcp6.dhcp6_cls_by_type.get(data[0]) if data else None
    cls = getattr(dhcp6, name) if name else dhcp6.DHCP6
    return cls(data)


def main():
    src = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    for line in src:
        line = line.strip()
        if not line:
            continue
        name, hexdata = line.split()
        pkt = decode(bytes.fromhex(hexdata))
        print(json.dumps({"name": name, "scapy": scapy.VERSION,
                          "option_layers": sorted(dhcp6.dhcp6opts_by_code),
                          "layers": layers(pkt)}))


if __name__ == "__main__":
    main()
