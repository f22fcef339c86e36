"""DNP3: tshark `dnp3` vs reefwatch `dnp3` events.

A message is a link frame without user data (`type: link`) or a complete
application fragment (reported by tshark in the link frame whose transport
segment has FIN). Compared: link src/dst/function, application function,
sequence, IIN, the object list (group.variation.qualifier, in order) and
the number of points."""

NAME = "dnp3"
EVENT_TYPES = ("dnp3",)
TSHARK_PROTOS = "dnp3"
TSHARK_FILTER = "dnp3"
DEFAULT_DIRS = ["dnp3"]
# Captures with DNP3 on a non-standard port (tshark needs decode-as).
TSHARK_ARGS = ["-d", "tcp.port==20001,dnp3", "-d", "udp.port==20001,dnp3"]


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def tshark_messages(protos):
    msgs = []
    for name, el in protos:
        if name == "_ws.malformed":
            if msgs:
                msgs[-1]["_malformed"] = True
            continue
        if name != "dnp3":
            continue
        prm = first(el, "dnp3.ctl.prm")
        lf = first(el, "dnp3.ctl.prifunc") if prm == "1" else first(el, "dnp3.ctl.secfunc")
        m = {"src": first(el, "dnp3.src"), "dst": first(el, "dnp3.dst"), "link_function": lf}
        func = first(el, "dnp3.al.func")
        if func is not None:
            m["function"] = func
            m["app_seq"] = first(el, "dnp3.al.seq")
            iin = first(el, "dnp3.al.iin")
            if iin is not None:
                m["iin"] = _int(iin)
            objs = []
            for f in el.iter("field"):
                if f.get("name") in ("dnp3.al.fragment.error", "dnp3.al.fragment.overlap.conflict"):
                    m["_frag_error"] = True
                if f.get("name") == "dnp3.al.fragment.reassembled.length":
                    m["_frag_len"] = _int(f.get("show"))
                if f.get("name") == "dnp3.al.obj":
                    if "Unknown Object" in (f.get("showname") or "") and "_partial" not in m:
                        m["_partial"] = len(objs) + 1
                    gv = _int(f.get("show"))
                    if gv is None:
                        continue
                    pre = rng = None
                    for c in f.iter("field"):
                        n = c.get("name")
                        if n == "dnp3.al.objq.prefix" and pre is None:
                            pre = _int(c.get("show"))
                        elif n == "dnp3.al.objq.range" and rng is None:
                            rng = _int(c.get("show"))
                    q = ((pre or 0) << 4) | (rng or 0)
                    objs.append(f"{gv >> 8}.{gv & 0xff}.{q:02x}")
                    if (rng or 0) in (10, 12, 13, 14, 15) and "_reserved_range" not in m:
                        m["_reserved_range"] = len(objs)
            m["objects"] = " ".join(objs)
        elif first(el, "dnp3.tr.ctl") is not None:
            m["_segment"] = True
        msgs.append(m)
    return msgs


def reconcile(t, r):
    if "objects" not in t or "objects" not in r:
        return None
    hdr = 4 if _int(t.get("function")) in (129, 130, 131) else 2
    if t["objects"] == "" and r["objects"] != "" and (t.get("_frag_len") or 0) > hdr:
        t["objects"] = None
        return "tshark does not dissect the objects of this function (e.g. assign_class, stop_appl, secure authentication)"
    rr = t.get("_reserved_range")
    if rr is not None:
        t["objects"] = " ".join(t["objects"].split()[:rr])
        return ("object with a reserved range code: its length is undefined, tshark decodes "
                "the bytes after it as further objects; compared up to it")
    if t.get("_malformed"):
        n = len(r["objects"].split())
        if t["objects"].split()[:n] == r["objects"].split():
            t["objects"] = r["objects"]
            return ("tshark marks the packet malformed and decodes trailing bytes as object "
                    "headers; compared the objects before them")
    p = t.get("_partial")
    if p is not None:
        r["objects"] = " ".join(r["objects"].split()[:p])
        return "tshark stops at an object it does not know (e.g. g51v2 CTO unsynchronised); compared up to it"
    return None


def IGNORE_TSHARK(msg):
    if msg.get("_frag_error"):
        return "tshark transport reassembly overlap conflict (transport sequence reuse): tshark decodes stale data"
    if msg.get("_segment"):
        return "transport segment of a fragment completed in a later frame (counted there)"
    return None


def eve_messages(ev):
    d = ev.get("dnp3", {})
    t = d.get("type")
    if t not in ("link", "request", "response", "unsolicited_response"):
        return []
    ctl = d.get("control") or {}
    m = {"src": d.get("src"), "dst": d.get("dst"), "link_function": ctl.get("function_code")}
    if t != "link":
        app = d.get("application") or {}
        m["function"] = app.get("function_code")
        m["app_seq"] = (app.get("control") or {}).get("sequence")
        if "iin" in d:
            m["iin"] = _iin_tshark_order(d["iin"].get("raw"))
        m["objects"] = " ".join(
            f"{o.get('group')}.{o.get('variation')}.{o.get('qualifier', 0) & 0x7f:02x}"
            for o in app.get("objects", []))
    return [m]


def _iin_tshark_order(raw):
    # reefwatch logs IIN1 | IIN2 << 8; tshark shows IIN1 << 8 | IIN2.
    if raw is None:
        return None
    return ((raw & 0xFF) << 8) | (raw >> 8)
