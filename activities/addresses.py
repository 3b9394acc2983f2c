"""Which IP addresses the handlers must not call on a configuration's say-so: the internal-address
rule, applied to an IPv6 address and to every IPv4 address it embeds.

Pure: no name resolution and no I/O (`activities.destinations` resolves and applies the rule).
"""

from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_network

IPAddress = IPv4Address | IPv6Address

LOCAL_USE_NAT64 = IPv6Network("64:ff9b:1::/48")
"""RFC 8215: not globally reachable (IANA), though Pythons before 3.11.10 call it global."""
LAST_32_BITS = tuple(
    ip_network(prefix)
    for prefix in (
        "::/96",  # IPv4-compatible (deprecated, RFC 4291)
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
        "64:ff9b::/96",  # NAT64 (RFC 6052)
        str(LOCAL_USE_NAT64),  # in its /96 layout; the whole prefix is internal anyway
    )
)
"""Prefixes whose addresses carry an IPv4 address in their last 32 bits."""
ISATAP_MASK, ISATAP_TAG = 0xFDFF_FFFF, 0x0000_5EFE
"""RFC 5214 interface identifiers `0000:5efe:a.b.c.d` and `0200:5efe:a.b.c.d` (the bit between
them is the universal/local flag)."""


def embedded_ipv4(ip: IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses a packet to `ip` may end up at: translated (NAT64, SIIT, mapped,
    compatible) or tunnelled (6to4, Teredo, ISATAP)."""
    found: list[IPv4Address] = []
    if any(ip in prefix for prefix in LAST_32_BITS):
        found.append(IPv4Address(int(ip) & 0xFFFF_FFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # the server, and the client (de-obfuscated)
    if (int(ip) >> 32) & ISATAP_MASK == ISATAP_TAG:
        found.append(IPv4Address(int(ip) & 0xFFFF_FFFF))
    return found


def is_internal(ip: IPAddress) -> bool:
    """Not a public unicast address: loopback, private, link-local, unspecified, multicast,
    reserved, shared (CGNAT), documentation, ..."""
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or ip.is_reserved
        or ip in LOCAL_USE_NAT64
    )


def internal_reason(ip: IPAddress) -> str | None:
    """Why `ip` is refused ("" when it is internal itself, "(it embeds 10.0.0.1)" when an
    IPv4 address it embeds is), or None when it may be called."""
    if isinstance(ip, IPv6Address):
        for inner in embedded_ipv4(ip):
            if is_internal(inner):
                return f" (it embeds {inner})"
    return "" if is_internal(ip) else None
