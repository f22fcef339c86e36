"""EtherNet/IP + CIP: tshark `enip`/`cip` vs reefwatch `enip` events (one
per encapsulation message).

Compared: encapsulation command, session handle, status, sender context;
the CIP service codes of the message in order (top level, then Unconnected
Send embedded and Multiple Service Packet members), and for requests the
class and instance of the top-level path; ListIdentity vendor, product
code, serial. CIP I/O (UDP 2222, tshark `cipio`) is not EtherNet/IP
encapsulation and not compared."""

NAME = "enip"
EVENT_TYPES = ("enip",)
TSHARK_PROTOS = "enip cip cipcm cipcls cipmb cipsafety"
TSHARK_FILTER = "enip"
DEFAULT_DIRS = ["enip-cip"]


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def _hexint(v):
    # tshark prints the sender context as bytes (sometimes shortened);
    # compare numerically
    if not v:
        return None
    try:
        return int(v.replace(":", ""), 16)
    except ValueError:
        return None


def IGNORE_TSHARK(msg):
    if msg.get("command") is None:
        return ("CIP class 0/1 I/O (UDP 2222, common packet format without an encapsulation "
                "header): tshark shows it under `enip`; reefwatch does not parse implicit I/O")
    return None


def _services(el):
    return [str(_int(s)) for s in fields(el, "cip.sc")]


def tshark_messages(protos):
    msgs = []
    cur = None
    for name, el in protos:
        if name == "_ws.malformed":
            if cur is not None:
                cur["_malformed"] = True
            continue
        if name == "enip":
            cur = {
                "command": _int(first(el, "enip.command")),
                "session": _int(first(el, "enip.session")),
                "status": _int(first(el, "enip.status")),
                "context": _hexint(first(el, "enip.context")),
                "_services": [],
            }
            vid = first(el, "enip.lir.vendor")
            if vid is not None:
                cur["vendor"] = _int(vid)
                cur["product_code"] = _int(first(el, "enip.lir.productcode"))
                cur["serial"] = _int(first(el, "enip.lir.serial"))
            msgs.append(cur)
        elif name in ("cip", "cipcm", "cipcls", "cipmb", "cipsafety") and cur is not None:
            cur["_services"].extend(_services(el))
            if name == "cip" and "top_class" not in cur:
                rr = _int(first(el, "cip.rr"))
                if rr == 0:
                    c = first(el, "cip.class")
                    if c is not None:
                        cur["top_class"] = _int(c)
                        i = first(el, "cip.instance")
                        if i is not None:
                            cur["top_instance"] = _int(i)
    for m in msgs:
        s = m.pop("_services")
        if s:
            m["services"] = " ".join(s)
    return msgs


def _flatten(c, out):
    if "service_raw" in c:
        out.append(str(c["service_raw"]))
    if "embedded" in c:
        _flatten(c["embedded"], out)
    for x in c.get("multiple", []):
        _flatten(x, out)


def eve_messages(ev):
    d = ev.get("enip", {})
    t = d.get("type")
    if t not in ("request", "response"):
        return []
    o = d.get(t) or {}
    m = {
        "command": o.get("command_raw"),
        "session": int(d.get("session", "0"), 16),
        "status": o.get("status_raw"),
        "context": _hexint(d.get("sender_context")),
    }
    cip = o.get("cip")
    if cip:
        s = []
        _flatten(cip, s)
        m["services"] = " ".join(s)
        if t == "request" and "class" in cip:
            m["top_class"] = cip["class"]
            if "instance" in cip:
                m["top_instance"] = cip["instance"]
    ident = o.get("identity")
    if ident:
        m["vendor"] = ident.get("vendor_id_raw")
        m["product_code"] = ident.get("product_code")
        m["serial"] = ident.get("serial")
    return [m]
