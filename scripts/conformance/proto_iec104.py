"""IEC 60870-5-104: tshark `iec60870_104`/`iec60870_asdu` vs reefwatch
`iec104` events (one per APDU).

Compared: APCI type (I/S/U), N(S), N(R), U function, ASDU type id, SQ,
number of objects, cause of transmission, negative and test bits,
originator, common address, and the list of IOAs."""

NAME = "iec104"
EVENT_TYPES = ("iec104",)
TSHARK_PROTOS = "iec60870_104 iec60870_asdu"
TSHARK_FILTER = "iec60870_104"
DEFAULT_DIRS = ["iec104"]

_UTYPE = {0x01: "STARTDT act", 0x02: "STARTDT con", 0x04: "STOPDT act", 0x08: "STOPDT con",
          0x10: "TESTFR act", 0x20: "TESTFR con"}


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def tshark_messages(protos):
    msgs = []
    cur = None
    for name, el in protos:
        if name == "_ws.malformed":
            if cur is not None:
                cur["_malformed"] = True
            continue
        if name == "iec60870_104":
            t = _int(first(el, "iec60870_104.type"))
            cur = {"apci_type": {0: "I", 1: "S", 3: "U"}.get(t, str(t))}
            if t == 0:
                cur["send_seq"] = first(el, "iec60870_104.tx")
            if t in (0, 1):
                cur["recv_seq"] = first(el, "iec60870_104.rx")
            if t == 3:
                cur["u_function"] = _UTYPE.get(_int(first(el, "iec60870_104.utype")), "unknown")
            msgs.append(cur)
        elif name == "iec60870_asdu" and cur is not None:
            cur["type_id"] = first(el, "iec60870_asdu.typeid")
            cur["sq"] = first(el, "iec60870_asdu.sq")
            cur["count"] = first(el, "iec60870_asdu.numix")
            cur["cause"] = first(el, "iec60870_asdu.causetx")
            cur["negative"] = first(el, "iec60870_asdu.nega")
            cur["test"] = first(el, "iec60870_asdu.test")
            cur["originator"] = first(el, "iec60870_asdu.oa")
            cur["common_address"] = first(el, "iec60870_asdu.addr")
            cur["ioas"] = " ".join(fields(el, "iec60870_asdu.ioa"))
    return msgs


def eve_messages(ev):
    d = ev.get("iec104", {})
    apci = d.get("apci")
    if not apci:
        return []
    m = {"apci_type": apci.get("type")}
    if apci.get("type") == "I":
        m["send_seq"] = apci.get("send_seq")
    if apci.get("type") in ("I", "S"):
        m["recv_seq"] = apci.get("recv_seq")
    if apci.get("type") == "U":
        m["u_function"] = apci.get("function")
    a = d.get("asdu")
    if a:
        m["type_id"] = a.get("type_id")
        m["sq"] = a.get("sq")
        m["count"] = a.get("count")
        m["cause"] = a.get("cause")
        m["negative"] = a.get("negative")
        m["test"] = a.get("test")
        m["originator"] = a.get("originator")
        m["common_address"] = a.get("common_address")
        m["ioas"] = " ".join(str(o.get("ioa")) for o in a.get("objects", []))
    return [m]


def IGNORE_TSHARK(msg):
    if msg.get("apci_type") in (None, "None"):
        return ("invalid APDU (length < 4, no control field): tshark shows an empty APCI, "
                "reefwatch reports the anomaly iec104.lost_sync and resynchronises")
    return None
