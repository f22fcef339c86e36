"""S7comm: tshark `s7comm` vs reefwatch `s7comm` events with
`protocol: "s7comm"` (COTP and S7comm-plus events are not compared: tshark
4.0 has no S7comm-plus dissector).

Compared: ROSCTR, PDU reference, error class/code, function, item count,
item areas and DB numbers (requests), userdata function group,
subfunction, SZL id and index."""

NAME = "s7comm"
EVENT_TYPES = ("s7comm",)
TSHARK_PROTOS = "s7comm"
TSHARK_FILTER = "s7comm"
DEFAULT_DIRS = ["s7comm", "s7comm-plus"]


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def _direct(el, name):
    # fields of the header / param / data subtrees, first occurrence
    return first(el, name)


def tshark_messages(protos):
    msgs = []
    for name, el in protos:
        if name == "_ws.malformed":
            if msgs:
                msgs[-1]["_malformed"] = True
            continue
        if name != "s7comm":
            continue
        ros = _int(_direct(el, "s7comm.header.rosctr"))
        m = {"rosctr": ros, "pdu_ref": _direct(el, "s7comm.header.pduref")}
        if ros in (2, 3):
            m["error_class"] = _direct(el, "s7comm.header.errcls")
            m["error_code"] = _direct(el, "s7comm.header.errcod")
        if ros in (1, 2, 3):
            f = _direct(el, "s7comm.param.func")
            if f is not None:
                m["function"] = f
            ic = _direct(el, "s7comm.param.itemcount")
            if ic is not None and _int(f) in (4, 5):
                m["item_count"] = ic
            if ros == 1 and _int(f) in (4, 5):
                areas = fields(el, "s7comm.param.item.area")
                dbs = fields(el, "s7comm.param.item.db")
                if areas:
                    m["item_areas"] = " ".join(str(_int(a)) for a in areas)
                    m["item_dbs"] = " ".join(dbs)
        if ros == 7:
            m["group"] = _direct(el, "s7comm.param.userdata.funcgroup")
            m["subfunction"] = _direct(el, "s7comm.param.userdata.subfunc")
            szl = _direct(el, "s7comm.data.userdata.szl_id")
            if szl is not None:
                m["szl_id"] = szl
                m["szl_index"] = _direct(el, "s7comm.data.userdata.szl_index")
        msgs.append(m)
    return msgs


def eve_messages(ev):
    d = ev.get("s7comm", {})
    if d.get("protocol") != "s7comm" or "rosctr_raw" not in d:
        return []
    ros = d.get("rosctr_raw")
    m = {"rosctr": ros, "pdu_ref": d.get("pdu_ref")}
    if ros in (2, 3):
        e = d.get("error") or {}
        m["error_class"] = e.get("class", 0)
        m["error_code"] = e.get("code", 0)
    if ros in (1, 2, 3):
        if "function_raw" in d:
            m["function"] = d["function_raw"]
        if "item_count" in d:
            m["item_count"] = d["item_count"]
        if ros == 1 and "items" in d:
            m["item_areas"] = " ".join(str(i.get("area_raw")) for i in d["items"] if "area_raw" in i)
            m["item_dbs"] = " ".join(str(i.get("db")) for i in d["items"] if "area_raw" in i)
    if ros == 7:
        u = d.get("userdata") or {}
        m["group"] = u.get("group")
        m["subfunction"] = u.get("subfunction")
        if "szl_id" in u:
            m["szl_id"] = u["szl_id"]
            m["szl_index"] = u.get("szl_index")
    return [m]
