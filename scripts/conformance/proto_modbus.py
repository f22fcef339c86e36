"""Modbus/TCP: tshark `mbtcp`/`modbus` vs reefwatch `modbus` events.

Compared per message: transaction_id, unit_id, function, exception,
address/quantity (requests; echoed by write responses), read/write
addresses of function 23, MEI type."""

NAME = "modbus"
EVENT_TYPES = ("modbus",)
TSHARK_PROTOS = "mbtcp modbus"
TSHARK_FILTER = "mbtcp"
DEFAULT_DIRS = ["modbus"]


def _int(v):
    try:
        return int(v, 0) if isinstance(v, str) else v
    except (TypeError, ValueError):
        return None


def tshark_messages(protos):
    msgs = []
    cur = None
    for name, el in protos:
        if name == "mbtcp":
            cur = {
                "transaction_id": first(el, "mbtcp.trans_id"),
                "unit_id": first(el, "mbtcp.unit_id"),
            }
            msgs.append(cur)
        elif name == "modbus" and cur is not None:
            fc = _int(first(el, "modbus.func_code"))
            cur["function"] = fc
            exc = first(el, "modbus.exception_code")
            if exc is not None:
                cur["exception"] = exc
            if fc == 23:
                cur["read_address"] = first(el, "modbus.read_reference_num")
                cur["read_quantity"] = first(el, "modbus.read_word_cnt")
                cur["write_address"] = first(el, "modbus.write_reference_num")
                cur["write_quantity"] = first(el, "modbus.write_word_cnt")
            else:
                ref = first(el, "modbus.reference_num")
                if ref is not None:
                    cur["address"] = ref
                q = first(el, "modbus.word_cnt") or first(el, "modbus.bit_cnt")
                if q is not None:
                    cur["quantity"] = q
            mei = first(el, "modbus.mei")
            if mei is not None:
                cur["mei"] = mei
        elif name == "_ws.malformed" and cur is not None:
            cur["_malformed"] = True
    return msgs


def IGNORE_TSHARK(msg):
    if msg.get("_malformed") and msg.get("function") is None:
        return "tshark marks the Modbus PDU malformed and decodes no function"
    return None


def eve_messages(ev):
    m = ev.get("modbus", {})
    t = m.get("type")
    if t not in ("request", "response"):
        return []
    o = m.get(t) or {}
    out = {
        "transaction_id": o.get("transaction_id"),
        "unit_id": o.get("unit_id"),
        "function": (o.get("function_raw") or 0) & 0x7F if o.get("function_raw") is not None else None,
    }
    exc = o.get("exception")
    if exc:
        out["exception"] = exc.get("raw")
        return [out]
    fc = out["function"]
    rd = o.get("read") or {}
    wr = o.get("write") or {}
    if fc == 23:
        if t == "request":
            out["read_address"] = rd.get("address")
            out["read_quantity"] = rd.get("quantity")
            out["write_address"] = wr.get("address")
            out["write_quantity"] = wr.get("quantity")
    elif t == "request":
        if rd:
            out["address"] = rd.get("address")
            out["quantity"] = rd.get("quantity")
        elif wr:
            out["address"] = wr.get("address")
            if fc in (15, 16):
                out["quantity"] = wr.get("quantity")
    else:
        if wr:
            out["address"] = wr.get("address")
            if fc in (15, 16):
                out["quantity"] = wr.get("quantity")
    mei = o.get("mei")
    if mei:
        out["mei"] = mei.get("raw")
    return [out]
