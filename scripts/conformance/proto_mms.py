"""IEC 61850 / ISO 9506 MMS: tshark `mms` vs reefwatch `mms` events (one
per MMS PDU; ACSE-only and unanswered events are not messages).

Compared: PDU kind, invokeID, service (confirmed/unconfirmed tag), the
object names in document order (variable list name, then variables;
`domain/item` or the vmd/aa identifier; first 16), their count, the
top-level data types of listOfData / listOfAccessResult (first 16; a
failed AccessResult is `failure`), identify's vendor/model/revision."""

NAME = "mms"
EVENT_TYPES = ("mms",)
TSHARK_PROTOS = "mms"
TSHARK_FILTER = "mms"
DEFAULT_DIRS = ["iec61850-mms"]

MAX = 16
PDUS = {
    "confirmed_RequestPDU_element": "confirmed_request",
    "confirmed_ResponsePDU_element": "confirmed_response",
    "confirmed_ErrorPDU_element": "confirmed_error",
    "unconfirmed_PDU_element": "unconfirmed",
    "rejectPDU_element": "reject",
    "cancel_RequestPDU": "cancel_request",
    "cancel_ResponsePDU": "cancel_response",
    "cancel_ErrorPDU_element": "cancel_error",
    "initiate_RequestPDU_element": "initiate_request",
    "initiate_ResponsePDU_element": "initiate_response",
    "initiate_ErrorPDU_element": "initiate_error",
    "conclude_RequestPDU_element": "conclude_request",
    "conclude_ResponsePDU_element": "conclude_response",
    "conclude_ErrorPDU_element": "conclude_error",
}


def _names(el):
    out = []
    dom = None
    for f in el.iter("field"):
        n = f.get("name")
        if n == "mms.domainId":
            dom = f.get("show")
        elif n == "mms.itemId":
            out.append(f"{dom}/{f.get('show')}")
            dom = None
        elif n in ("mms.vmd_specific", "mms.aa_specific"):
            out.append(f.get("show"))
    return out


def _data_types(el):
    for f in el.iter("field"):
        n = f.get("name")
        if n in ("mms.listOfData", "mms.listOfAccessResult"):
            types = []
            for c in f:
                cn = c.get("name")
                if cn == "mms.AccessResult":
                    if c.get("show") == "0":
                        types.append("failure")
                    else:
                        s = next((x for x in c if x.get("name") == "mms.success"), None)
                        types.append(s.get("show") if s is not None else "?")
                elif cn == "mms.Data":
                    types.append(c.get("show"))
            return types
    return None


def tshark_messages(protos):
    msgs = []
    for name, el in protos:
        if name == "_ws.malformed":
            if msgs:
                msgs[-1]["_malformed"] = True
            continue
        if name != "mms":
            continue
        top = next((f for f in el if f.get("name", "")[4:] in PDUS), None)
        if top is None:
            continue
        m = {"pdu": PDUS[top.get("name")[4:]]}
        inv = first(el, "mms.invokeID")
        if inv is None and m["pdu"].startswith("cancel"):
            inv = top.get("show")
        if inv is not None:
            m["invoke_id"] = inv
        svc = first(el, "mms.confirmedServiceRequest") or first(el, "mms.confirmedServiceResponse") \
            or first(el, "mms.unconfirmedService")
        if svc is not None:
            m["service"] = svc
        names = _names(el)
        if names:
            m["names"] = " ".join(names[:MAX])
            m["name_count"] = len(names)
        types = _data_types(el)
        if types is not None:
            m["data_types"] = " ".join(types[:MAX])
            m["data_count"] = len(types)
        for k in ("vendorName", "modelName", "revision"):
            v = first(el, "mms." + k)
            if v is not None:
                m[k] = v
        msgs.append(m)
    return msgs


def _name(o):
    if "domain" in o:
        return f"{o['domain']}/{o.get('item')}"
    return o.get("vmd", o.get("aa"))


def eve_messages(ev):
    d = ev.get("mms", {})
    if "pdu" not in d or d.get("pdu") == "acse":
        return []
    m = {"pdu": d["pdu"]}
    if "invoke_id" in d:
        m["invoke_id"] = d["invoke_id"]
    if "service_raw" in d:
        m["service"] = d["service_raw"]
    names = []
    if "variable_list" in d:
        names.append(_name(d["variable_list"]))
    names += [_name(v) for v in d.get("variables", [])]
    count = len(names) - len(d.get("variables", [])) + d.get("variable_count", 0)
    if names:
        m["names"] = " ".join(str(n) for n in names[:MAX])
        m["name_count"] = count
    if "values" in d:
        types = []
        for v in d["values"]:
            t = v.get("type")
            types.append("failure" if t == "failure" else str(TYPE_RAW.get(t, "?")))
        m["data_types"] = " ".join(types[:MAX])
        m["data_count"] = d.get("value_count")
    ident = d.get("identity") or {}
    for k, ek in (("vendorName", "vendor"), ("modelName", "model"), ("revision", "revision")):
        if ek in ident:
            m[k] = ident[ek]
    return [m]


TYPE_RAW = {
    "array": 1, "structure": 2, "boolean": 3, "bit-string": 4, "integer": 5, "unsigned": 6,
    "floating-point": 7, "octet-string": 9, "visible-string": 10, "generalized-time": 11,
    "binary-time": 12, "bcd": 13, "booleanArray": 14, "objId": 15, "mMSString": 16,
    "utc-time": 17,
}
