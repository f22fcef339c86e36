"""HART-IP: tshark `hart_ip` vs reefwatch `hart_ip` events.

A message is one HART-IP message (header and body). Compared: version,
message type, message id, status, sequence number, byte count, the session
initiate host type and inactivity close timer, and for pass-through PDUs
the delimiter, short address or long address (as expanded device type and
device id), command, byte count, response code, device status, checksum
validity, and the command 0 identity (manufacturer, expanded device type,
device id, revisions). HART-IP quoted inside ICMP errors is not a message
(ignored)."""

NAME = "hart_ip"
EVENT_TYPES = ("hart_ip",)
TSHARK_PROTOS = "icmp hart_ip"
TSHARK_FILTER = "hart_ip"
DEFAULT_DIRS = ["hart-ip"]


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def tshark_messages(protos):
    msgs = []
    in_icmp = False
    for name, el in protos:
        if name == "icmp":
            in_icmp = True
            continue
        if name != "hart_ip":
            continue
        m = {"_icmp": in_icmp}
        for k in ("version", "message_type", "message_id", "status"):
            m[k] = first(el, "hart_ip." + k)
        m["sequence"] = first(el, "hart_ip.transaction_id")
        m["byte_count"] = first(el, "hart_ip.msg_length")
        m["host_type"] = first(el, "hart_ip.session_init.master_type")
        m["timer"] = first(el, "hart_ip.session_init.inactivity_close_timer")
        d = first(el, "hart_ip.pt.delimiter")
        if d is not None:
            m["delimiter"] = d
            m["polling_address"] = first(el, "hart_ip.pt.short_addr")
            la = first(el, "hart_ip.pt.long_address")
            if la:
                b = bytes.fromhex(la.replace(":", ""))
                if len(b) == 5:
                    m["device_type"] = ((b[0] & 0x3F) << 8) | b[1]
                    m["device_id"] = int.from_bytes(b[2:5], "big")
            m["command"] = first(el, "hart_ip.pt.command")
            m["response_code"] = first(el, "hart_ip.pt.response_code")
            m["device_status"] = first(el, "hart_ip.pt.device_status")
            m["manufacturer_id"] = first(el, "hart_ip.pt.rsp.manufacturer_Id")
            m["id_device_type"] = first(el, "hart_ip.pt.rsp.expanded_device_type")
            m["universal_revision"] = first(el, "hart_ip.pt.rsp.hart_univ_rev")
            m["device_revision"] = first(el, "hart_ip.pt.rsp.device_rev")
            m["software_revision"] = first(el, "hart_ip.pt.rsp.software_rev")
            did = first(el, "hart_ip.pt.rsp.device_id")
            if did:
                m["id_device_id"] = int(did.replace(":", ""), 16)
        msgs.append(m)
    return msgs


def IGNORE_TSHARK(msg):
    if msg.get("_icmp"):
        return "HART-IP quoted in an ICMP port unreachable error, not a message"
    return None


def eve_messages(ev):
    d = ev.get("hart_ip", {})
    if d.get("type") == "unanswered":
        return []
    h = d.get("header") or {}
    m = {
        "version": h.get("version"),
        "message_type": h.get("message_type_raw"),
        "message_id": h.get("message_id_raw"),
        "status": h.get("status"),
        "sequence": h.get("sequence"),
        "byte_count": h.get("byte_count"),
    }
    s = d.get("session")
    if s:
        m["host_type"] = s.get("host_type")
        m["timer"] = s.get("inactivity_close_timer")
    p = d.get("pdu")
    if p:
        m["delimiter"] = p.get("delimiter")
        m["polling_address"] = p.get("polling_address")
        m["device_type"] = p.get("expanded_device_type")
        m["device_id"] = p.get("device_id")
        m["command"] = p.get("command")
        m["response_code"] = p.get("response_code")
        m["device_status"] = p.get("device_status")
        i = d.get("identity") or {}
        m["manufacturer_id"] = i.get("manufacturer_id")
        m["id_device_type"] = i.get("expanded_device_type")
        m["universal_revision"] = i.get("universal_revision")
        m["device_revision"] = i.get("device_revision")
        m["software_revision"] = i.get("software_revision")
        m["id_device_id"] = i.get("device_id")
    return [m]
