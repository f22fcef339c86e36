"""Omron FINS: tshark `omron` vs reefwatch `omron` events.

A message is one FINS frame (UDP datagram, or FINS/TCP "frame send") or a
FINS/TCP message without a frame (node address data send). Compared: the
FINS/TCP command and error code, the node addresses of the node address
exchange, ICF, GCT, destination and source (network, node, unit), SID,
command code, the end code of responses, the memory area code, address,
bit and item count of memory area commands (the first item of a multiple
read), and the model and version of controller data read responses."""

NAME = "omron"
EVENT_TYPES = ("omron",)
TSHARK_PROTOS = "omron"
TSHARK_FILTER = "omron"
DEFAULT_DIRS = ["omron-fins"]


def _int(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None


HDR = ("icf", "gct", "dna", "da1", "da2", "sna", "sa1", "sa2", "sid")


def tshark_messages(protos):
    msgs = []
    for name, el in protos:
        if name != "omron":
            continue
        m = {}
        tc = first(el, "omron.tcp.command")
        if tc is not None:
            m["tcp_command"] = tc
            m["tcp_error_code"] = first(el, "omron.tcp.error_code")
            m["client_node"] = first(el, "omron.tcp.client_node_address")
            m["server_node"] = first(el, "omron.tcp.server_node_address")
        cmd = first(el, "omron.command")
        if cmd is not None:
            for k in HDR:
                m[k] = first(el, "omron." + k)
            m["command"] = cmd
            icf = _int(m["icf"]) or 0
            if icf & 0x40:
                m["end_code"] = first(el, "omron.response.code")
                m["model"] = first(el, "omron.controller.model")
                m["version"] = first(el, "omron.controller.version")
            elif _int(cmd) in (0x0101, 0x0102, 0x0103, 0x0104, 0x0105):
                m["area"] = first(el, "omron.memory.area.read")
                m["address"] = first(el, "omron.memory.address")
                m["bit"] = first(el, "omron.memory.address.bits")
                if _int(cmd) != 0x0104:
                    m["count"] = first(el, "omron.memory.numitems")
        if m:
            msgs.append(m)
    return msgs


def _hdr(o, m):
    m["icf"] = o.get("icf")
    m["gct"] = o.get("gct")
    d, s = o.get("destination") or {}, o.get("source") or {}
    m["dna"], m["da1"], m["da2"] = d.get("network"), d.get("node"), d.get("unit")
    m["sna"], m["sa1"], m["sa2"] = s.get("network"), s.get("node"), s.get("unit")
    m["sid"] = o.get("sid")
    m["command"] = o.get("command_raw")


def eve_messages(ev):
    d = ev.get("omron", {})
    t = d.get("type")
    if t not in ("request", "response", "node_address", "tcp"):
        return []
    m = {}
    tcp = d.get("tcp")
    if tcp:
        m["tcp_command"] = tcp.get("command")
        m["tcp_error_code"] = tcp.get("error_code")
    if t in ("node_address", "tcp"):
        m["client_node"] = d.get("client_node")
        m["server_node"] = d.get("server_node")
        return [m]
    o = d.get(t) or {}
    _hdr(o, m)
    if t == "response":
        m["end_code"] = o.get("end_code_raw")
        ident = o.get("identity") or {}
        m["model"] = ident.get("model")
        m["version"] = ident.get("version")
    else:
        mem = o.get("memory")
        if mem:
            m["area"] = mem.get("area_raw")
            m["address"] = mem.get("address")
            m["bit"] = mem.get("bit")
            if m["command"] != 0x0104:
                m["count"] = mem.get("count")
    return [m]
