"""DNS: tshark `dns` vs reefwatch `dns` events (one per message).

Compared per message: id, qr (request/response), opcode, rcode (responses),
first query name and type, answer count, and the answers' names, types,
TTLs and A/AAAA/CNAME data (as ordered lists)."""

NAME = "dns"
EVENT_TYPES = ("dns",)
TSHARK_PROTOS = "dns"
TSHARK_FILTER = "dns && !mdns && !llmnr"
DEFAULT_DIRS = ["../pcaps-it/dns"]
TSHARK_ARGS = ["-J", "dns"]

RRTYPES = {
    "A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8, "MR": 9, "NULL": 10,
    "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14, "MX": 15, "TXT": 16, "RP": 17, "AFSDB": 18,
    "X25": 19, "ISDN": 20, "RT": 21, "NSAP": 22, "NSAPPTR": 23, "SIG": 24, "KEY": 25, "PX": 26,
    "GPOS": 27, "AAAA": 28, "LOC": 29, "NXT": 30, "SRV": 33, "ATMA": 34, "NAPTR": 35, "KX": 36,
    "CERT": 37, "A6": 38, "DNAME": 39, "OPT": 41, "APL": 42, "DS": 43, "SSHFP": 44, "IPSECKEY": 45,
    "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52,
    "HIP": 55, "CDS": 59, "CDNSKEY": 60, "SVCB": 64, "HTTPS": 65, "SPF": 99, "TKEY": 249,
    "TSIG": 250, "MAILA": 253, "ANY": 255, "URI": 256,
}
RCODES = {
    "NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5,
    "YXDOMAIN": 6, "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9, "NOTZONE": 10,
}


def _rr(v):
    if v is None:
        return None
    if isinstance(v, int):
        return v
    return RRTYPES.get(v, v)


def _answers(el):
    """Answer records of one tshark dns proto element, in order."""
    out = []
    for tree in el.iter("field"):
        if tree.get("name") == "" and (tree.get("show") or "").startswith("Answers"):
            for rec in tree:
                r = {"name": first(rec, "dns.resp.name"), "type": first(rec, "dns.resp.type"),
                     "ttl": first(rec, "dns.resp.ttl")}
                for k in ("dns.a", "dns.aaaa", "dns.cname"):
                    v = first(rec, k)
                    if v is not None:
                        r["data"] = v
                out.append(r)
    return out


def tshark_messages(protos):
    msgs = []
    for name, el in protos:
        if name != "dns":
            continue
        flags = first(el, "dns.flags")
        m = {
            "id": first(el, "dns.id"),
            "qr": first(el, "dns.flags.response"),
            "opcode": first(el, "dns.flags.opcode"),
            "rrname": first(el, "dns.qry.name"),
            "rrtype": first(el, "dns.qry.type"),
        }
        if flags is None and m["id"] is None:
            continue
        if m["rrname"] == "<Root>":
            m["rrname"] = ""
        if m["qr"] == "1":
            m["rcode"] = first(el, "dns.flags.rcode")
            ans = _answers(el)
            m["answers"] = len(ans)
            m["answer_names"] = ",".join(a["name"] or "" for a in ans)
            m["answer_types"] = ",".join(str(a["type"]) for a in ans)
            m["answer_ttls"] = ",".join(str(a["ttl"]) for a in ans)
            m["answer_data"] = ",".join(a.get("data", "") for a in ans)
        msgs.append(m)
    return msgs


def eve_messages(ev):
    d = ev.get("dns", {})
    if d.get("version") != 3:
        return []
    resp = d.get("type") == "response"
    qs = d.get("queries") or []
    m = {
        "id": d.get("id"),
        "qr": 1 if resp else 0,
        "opcode": d.get("opcode"),
        "rrname": qs[0].get("rrname") if qs else None,
        "rrtype": _rr(qs[0].get("rrtype")) if qs else None,
    }
    if resp:
        rc = d.get("rcode")
        m["rcode"] = RCODES.get(rc, rc)
        ans = d.get("answers") or []
        m["answers"] = len(ans)
        m["answer_names"] = ",".join(a.get("rrname", "") for a in ans)
        m["answer_types"] = ",".join(str(_rr(a.get("rrtype"))) for a in ans)
        m["answer_ttls"] = ",".join(str(a.get("ttl")) for a in ans)
        m["answer_data"] = ",".join(
            a.get("rdata", "") if _rr(a.get("rrtype")) in (1, 28, 5) else "" for a in ans)
    return [m]
