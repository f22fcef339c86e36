"""Beckhoff ADS/AMS: tshark `ams` vs reefwatch `ads` events.

reefwatch writes one event per transaction when the response arrives (its
frame), so tshark's messages are joined the same way: a request is
remembered by TCP stream and invoke id, and its fields are compared,
prefixed `req_`, with the response's at the response's frame. A request
tshark sees answered is reported as ignored with that reason (its fields
are compared in the transaction). A request never answered is logged by
reefwatch at flow end (another frame): it counts as found only when such
an event with its command and invoke id exists, else as missed. A
DeviceNotification (no response) and a response without its request are
one-message transactions, compared at their own frame. The UDP discovery
and route service (port 48899) has no tshark dissector (unit tests cover
it).

Compared: AMS target/sender net id and port, command id, state flags,
cbData, error code, invoke id; per command the index group and offset,
lengths (read, write, data), ADS result, ADS and device state, notification
handle, transmission mode, max delay and cycle time, device name and
version."""

NAME = "ads"
EVENT_TYPES = ("ads",)
TSHARK_PROTOS = "frame tcp ams"
TSHARK_FILTER = "ams"
DEFAULT_DIRS = ["beckhoff-ads-ams"]

_pending = {}
_last = [0]
_eve_unanswered = set()


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


def _msg(el):
    flags = _int(first(el, "ams.stateflags")) or 0
    cmd = _int(first(el, "ams.cmdid"))
    resp = bool(flags & 1)
    m = {
        "cmd": cmd, "flags": flags, "cbdata": first(el, "ams.cbdata"),
        "error": first(el, "ams.errorcode"), "invoke": first(el, "ams.invokeid"),
        "target": first(el, "ams.targetnetid"), "tport": first(el, "ams.targetport"),
        "sender": first(el, "ams.sendernetid"), "sport": first(el, "ams.senderport"),
    }
    for k, f in (("ig", "ads_indexgroup"), ("io", "ads_indexoffset"),
                 ("rlen", "ads_cbreadlength"), ("wlen", "ads_cbwritelength"),
                 ("result", "adsresult"), ("ads_state", "ads_state"),
                 ("dev_state", "ads_devicestate"), ("handle", "ads_notificationhandle"),
                 ("transmode", "ads_transmode"), ("maxdelay", "ads_maxdelay"),
                 ("cycletime", "ads_cycletime"), ("name", "ads_devicename")):
        v = first(el, "ams." + f)
        if v is not None:
            m[k] = v
    cb = first(el, "ams.ads_cblength")
    if cb is not None:
        m["cblength"] = cb
    ver = first(el, "ams.ads_versionversion")
    if ver is not None:
        m["version"] = "%s.%s.%s" % (ver, first(el, "ams.ads_versionrevision"),
                                     first(el, "ams.ads_versionbuild"))
    m["_response"] = resp
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
                _pending.clear()
                _eve_unanswered.clear()
            _last[0] = n
            continue
        if name == "tcp":
            stream = first(el, "tcp.stream")
            continue
        if name != "ams":
            continue
        m = _msg(el)
        key = (stream, m["invoke"])
        if m["_response"]:
            req = _pending.pop(key, None)
            msgs.append(_merge(req, m) if req else m)
        elif m["cmd"] == 8:
            msgs.append(m)
        else:
            m["_req"] = True
            _pending[key] = m
            msgs.append(m)
    return msgs


def IGNORE_TSHARK(msg):
    if not msg.get("_req"):
        return None
    if msg.get("_answered"):
        return "request: compared within its transaction at the response's frame"
    if (msg["cmd"], _int(msg["invoke"]), msg["sender"], _int(msg["sport"])) in _eve_unanswered:
        return "unanswered request: reefwatch logs it at flow end (found by command and invoke id)"
    return None


def _net(a):
    return (a or {}).get("net_id"), (a or {}).get("port")


def _fields(o, cmd, invoke):
    if not o:
        return {}
    t, tp = _net(o.get("target"))
    s, sp = _net(o.get("source"))
    flags = o.get("state_flags", 0)
    m = {"cmd": cmd, "flags": flags, "cbdata": o.get("data_len"), "error": o.get("error_code"),
         "invoke": invoke, "target": t, "tport": tp, "sender": s, "sport": sp}
    for k, f in (("ig", "index_group"), ("io", "index_offset"), ("wlen", "write_length"),
                 ("result", "result"), ("ads_state", "ads_state_raw"),
                 ("dev_state", "device_state"), ("handle", "handle"),
                 ("transmode", "transmission_mode"), ("maxdelay", "max_delay"),
                 ("cycletime", "cycle_time")):
        if o.get(f) is not None:
            m[k] = o[f]
    if cmd == 9 and not flags & 1:
        m["rlen"] = o.get("read_length")
    else:
        for f in ("read_length", "data_length", "notification_length"):
            if o.get(f) is not None:
                m["cblength"] = o[f]
                break
    return m


def eve_messages(ev):
    o = ev.get("ads", {})
    if o.get("type") == "udp":
        return []
    cmd, inv = o.get("command_id"), o.get("invoke_id")
    req, resp = o.get("request"), o.get("response")
    if o.get("type") == "unanswered":
        s, sp = _net(req.get("source"))
        _eve_unanswered.add((cmd, inv, s, sp))
        return []
    ident = o.get("identity") or {}
    if resp:
        m = _fields(resp, cmd, inv)
        if "version" in ident:
            m["version"] = ident["version"]
            m["name"] = ident.get("device_name")
        for k, v in _fields(req, cmd, inv).items():
            m["req_" + k] = v
        return [m]
    return [_fields(req, cmd, inv)]


KNOWN_DIFFERENCES = {}
