"""OPC UA binary: tshark `opcua` vs reefwatch `opcua` events.

reefwatch writes one event per transaction when it completes (the
response's frame), so tshark's messages are joined the same way: a request
is remembered (HEL by stream; OPN by stream; MSG by stream, secure channel
and request id) and its fields are compared, prefixed `req_`, with the
response's at the response's frame. A request tshark sees answered is
reported as ignored with that reason (its fields are compared in the
transaction). A request never answered in the capture is logged by
reefwatch at flow end (`opcua.unanswered`, another frame): it counts as
found only when such an event with its channel and request id exists, else
as missed (or, when tshark cannot reassemble the response but reefwatch
pairs one, as ignored with that reason). CLO, RHE, a lone ERR and the messages of Sign/SignAndEncrypt
channels are one-message transactions, compared at their own frame.

Compared: message type, size, secure channel id, token id, sequence number,
request id, service type id, request handle, service result, HEL/ACK
buffer sizes and endpoint URL, ERR code and reason, OPN security policy
URI, the GetEndpoints request's endpoint URL and the first endpoint's
server application URI of GetEndpoints responses. On secured channels
tshark decodes ciphertext as sequence numbers and service ids; reefwatch
does not log those (not compared)."""

NAME = "opcua"
EVENT_TYPES = ("opcua",)
TSHARK_PROTOS = "frame tcp opcua"
TSHARK_FILTER = "opcua"
DEFAULT_DIRS = ["opcua"]
# the two captures of the family on other ports (MANIFEST.tsv)
TSHARK_ARGS = ["-d", "tcp.port==48010,opcua", "-d", "tcp.port==12001,opcua"]

POLICY_NONE = "http://opcfoundation.org/UA/SecurityPolicy#None"

_pending = {}
_secured = set()
_last = [0]
_eve_unanswered = set()
# requests of reefwatch transactions with a response (by channel, request id)
_eve_answered = set()


def _showname(el, name):
    for f in el.iter("field"):
        if f.get("name") == name:
            return f.get("showname") or ""
    return ""


def _msg(el):
    t = first(el, "opcua.transport.type")
    m = {"type": t, "size": first(el, "opcua.transport.size")}
    if t in ("HEL", "ACK"):
        for k, f in (("ver", "ver"), ("rbs", "rbs"), ("sbs", "sbs"), ("mms", "mms"), ("mcc", "mcc")):
            m[k] = first(el, "opcua.transport." + f)
        if t == "HEL":
            m["endpoint"] = first(el, "opcua.transport.endpoint")
    elif t == "ERR":
        m["error"] = first(el, "opcua.transport.error")
        m["reason"] = first(el, "opcua.transport.reason")
    elif t in ("OPN", "CLO", "MSG"):
        m["scid"] = first(el, "opcua.transport.scid")
        if t == "OPN":
            m["spu"] = first(el, "opcua.security.spu")
        else:
            m["tokenid"] = first(el, "opcua.security.tokenid")
        m["seq"] = first(el, "opcua.security.seq")
        m["rqid"] = first(el, "opcua.security.rqid")
        sid = first(el, "opcua.servicenodeid.numeric")
        if sid is not None:
            m["service"] = sid
            m["handle"] = first(el, "opcua.RequestHandle")
            res = first(el, "opcua.ServiceResult")
            if res is not None:
                m["result"] = res
            if sid == "428":
                m["endpoint"] = first(el, "opcua.EndpointUrl")
            if sid == "431":
                m["app_uri"] = first(el, "opcua.ApplicationUri")
        sn = _showname(el, "opcua.servicenodeid.numeric")
        m["_request"] = "Request (" in sn
        m["_response"] = "Response (" in sn or "ServiceFault" in sn
    return m


def _merge(req, resp):
    req["_answered"] = True
    out = dict(resp)
    for k, v in req.items():
        if not k.startswith("_"):
            out["req_" + k] = v
    return out


def tshark_messages(protos):
    msgs = []
    stream = None
    for name, el in protos:
        if name == "frame":
            n = int(first(el, "frame.number") or 0)
            if n <= _last[0]:
                # a new capture file
                _pending.clear()
                _secured.clear()
                _eve_unanswered.clear()
                _eve_answered.clear()
            _last[0] = n
            continue
        if name == "tcp":
            stream = first(el, "tcp.stream")
            continue
        if name != "opcua":
            continue
        m = _msg(el)
        t = m["type"]
        if t == "OPN":
            if m.get("spu") and m["spu"] != POLICY_NONE:
                _secured.add(stream)
            else:
                _secured.discard(stream)
        secured = stream in _secured
        if t == "HEL":
            m["_req"] = True
            m["_key"] = ("HEL", None, None)
            _pending[(stream, "HEL")] = m
            msgs.append(m)
        elif t in ("ACK", "ERR") and (stream, "HEL") in _pending:
            msgs.append(_merge(_pending.pop((stream, "HEL")), m))
        elif t == "OPN":
            req = _pending.get((stream, "OPN"))
            is_req = m["_request"] or (not m["_response"] and req is None)
            if is_req:
                m["_req"] = True
                m["_key"] = ("OPN", m.get("scid"), None if secured else m.get("rqid"))
                _pending[(stream, "OPN")] = m
                msgs.append(m)
            else:
                _pending.pop((stream, "OPN"), None)
                msgs.append(_merge(req, m) if req else m)
        elif t == "MSG" and not secured and (m["_request"] or m["_response"]):
            key = (stream, m.get("scid"), m.get("rqid"))
            if m["_request"]:
                m["_req"] = True
                m["_key"] = ("MSG", m.get("scid"), m.get("rqid"))
                _pending[key] = m
                msgs.append(m)
            else:
                req = _pending.pop(key, None)
                msgs.append(_merge(req, m) if req else m)
        else:
            msgs.append(m)
    return msgs


def IGNORE_TSHARK(msg):
    if not msg.get("_req"):
        return None
    if msg.get("_answered"):
        return "request: compared within its transaction at the response's frame"
    t, scid, rqid = msg["_key"]
    if (t, str(scid) if scid is not None else None, str(rqid) if rqid is not None else None) \
            in _eve_unanswered or (t, None, None) in _eve_unanswered:
        return "unanswered request: reefwatch logs it at flow end (found by channel and request id)"
    if (t, scid, rqid) in _eve_answered:
        return ("request tshark sees unanswered (it does not reassemble the response after a "
                "TCP retransmission overlap); reefwatch pairs it with its response")
    return None


def _fields(o):
    if not o:
        return {}
    t = o.get("message_type")
    m = {"type": t, "size": o.get("size") if o.get("chunk_count", 1) == 1 else None}
    if t in ("HEL", "ACK"):
        m.update({"ver": o.get("version"), "rbs": o.get("receive_buffer_size"),
                  "sbs": o.get("send_buffer_size"), "mms": o.get("max_message_size"),
                  "mcc": o.get("max_chunk_count")})
        if t == "HEL":
            m["endpoint"] = o.get("endpoint_url")
    elif t == "ERR":
        m["error"] = (o.get("error") or {}).get("code")
        m["reason"] = o.get("reason", "")
    else:
        m.update({"scid": o.get("secure_channel_id"), "tokenid": o.get("security_token_id"),
                  "seq": o.get("sequence_number"), "rqid": o.get("request_id"),
                  "service": o.get("service_id"), "handle": o.get("request_handle")})
        if t == "OPN":
            m["spu"] = o.get("security_policy_uri")
        if o.get("service_result") is not None:
            m["result"] = o["service_result"].get("code")
        if o.get("service_id") == 428:
            m["endpoint"] = o.get("endpoint_url")
        if o.get("service_id") == 431:
            eps = o.get("endpoints") or []
            m["app_uri"] = eps[0]["server"].get("application_uri") if eps else None
    return m


def eve_messages(ev):
    o = ev.get("opcua", {})
    req, resp = o.get("request"), o.get("response")
    if req and not resp and "opcua.unanswered" in (o.get("anomalies") or []):
        t = req.get("message_type")
        if t == "HEL":
            _eve_unanswered.add(("HEL", None, None))
        else:
            s, r = req.get("secure_channel_id"), req.get("request_id")
            _eve_unanswered.add((t, str(s) if s is not None else None,
                                 str(r) if r is not None else None))
        return []
    if resp and req and req.get("message_type") == "MSG":
        s, r = req.get("secure_channel_id"), req.get("request_id")
        _eve_answered.add(("MSG", str(s) if s is not None else None,
                           str(r) if r is not None else None))
    if resp:
        m = _fields(resp)
        for k, v in _fields(req).items():
            m["req_" + k] = v
        return [m]
    return [_fields(req)]


def reconcile(tm, rm):
    # tshark writes a null String as "" (reason of an ERR)
    if tm.get("reason") == "" and rm.get("reason") in ("", None):
        rm["reason"] = ""
    return None


KNOWN_DIFFERENCES = {}
