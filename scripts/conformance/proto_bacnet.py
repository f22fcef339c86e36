"""BACnet/IP: tshark `bvlc`/`bacnet`/`bacapp` vs reefwatch `bacnet` events.

A message is one BVLC datagram (one per frame). Compared: BVLC function,
NPDU control, DNET, SNET, hop count, network message type, APDU type,
confirmed/unconfirmed service, invoke id, and the first object (type,
instance) and property of the service parameters, the I-Am vendor id, the
error class/code and the reject/abort reason. Keys reefwatch does not
decode for a service (e.g. the objects of a COV notification) are absent on
its side and not compared."""

NAME = "bacnet"
EVENT_TYPES = ("bacnet",)
TSHARK_PROTOS = "bvlc bacnet bacapp"
TSHARK_FILTER = "bvlc || bacnet"
DEFAULT_DIRS = ["bacnet"]


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def tshark_messages(protos):
    names = [n for n, _ in protos]
    if "bvlc" not in names and "bacnet" not in names:
        return []
    m = {}
    if "bvlc" not in names:
        m["_no_ip"] = True
    for name, el in protos:
        if name == "_ws.malformed":
            m["_malformed"] = True
        elif name == "bvlc":
            m["bvlc_function"] = first(el, "bvlc.function")
        elif name == "bacnet":
            m["control"] = first(el, "bacnet.control")
            m["dnet"] = first(el, "bacnet.dnet")
            m["snet"] = first(el, "bacnet.snet")
            m["hop_count"] = first(el, "bacnet.hopc")
            m["message_type"] = first(el, "bacnet.mesgtyp")
        elif name == "bacapp":
            t = _int(first(el, "bacapp.type"))
            m["pdu_type"] = t
            m["confirmed_service"] = first(el, "bacapp.confirmed_service")
            m["unconfirmed_service"] = first(el, "bacapp.unconfirmed_service")
            m["invoke_id"] = first(el, "bacapp.invoke_id")
            m["instance"] = first(el, "bacapp.instance_number")
            m["object_type"] = first(el, "bacapp.objectType")
            m["property"] = first(el, "bacapp.property_identifier")
            m["vendor_id"] = first(el, "bacapp.vendor_identifier")
            m["error_class"] = first(el, "bacapp.error_class")
            m["error_code"] = first(el, "bacapp.error_code")
            m["reason"] = first(el, "bacapp.reject_reason") or first(el, "bacapp.abort_reason")
    return [m]


def IGNORE_TSHARK(msg):
    if msg.get("_no_ip"):
        return ("BACnet over Ethernet/802.2 LLC (no IP): needs the engine's L2 path "
                "(issue 18, GOOSE/PROFINET part)")
    return None


def _first_object(apdu):
    for k in ("device", "object", "file"):
        if k in apdu:
            return apdu[k]
    props = apdu.get("properties") or []
    if props and "object" in props[0]:
        return props[0]["object"]
    return None


def eve_messages(ev):
    d = ev.get("bacnet", {})
    if d.get("type") == "unanswered":
        return []
    b = d.get("bvlc") or {}
    m = {"bvlc_function": b.get("function_raw")}
    n = d.get("npdu")
    if n is not None:
        m["control"] = n.get("control")
        m["dnet"] = n.get("dnet")
        m["snet"] = n.get("snet")
        m["hop_count"] = n.get("hop_count")
        m["message_type"] = n.get("message_type_raw")
    a = d.get("apdu")
    if a is not None:
        t = a.get("pdu_type_raw")
        m["pdu_type"] = t
        s = a.get("service_raw")
        if t == 1:
            m["unconfirmed_service"] = s
        elif t != 4:
            m["confirmed_service"] = s
        m["invoke_id"] = a.get("invoke_id")
        o = _first_object(a)
        if o is not None:
            m["instance"] = o.get("instance")
            m["object_type"] = o.get("type_raw")
        p = a.get("property_raw")
        if p is None and a.get("properties"):
            p = a["properties"][0].get("property_raw")
        m["property"] = p
        m["vendor_id"] = a.get("vendor_id")
        m["error_class"] = a.get("error_class_raw")
        m["error_code"] = a.get("error_code_raw")
        m["reason"] = a.get("reason_raw")
    return [m]
