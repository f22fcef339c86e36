"""HTTP/1.x: tshark `http` vs reefwatch `http` events.

reefwatch (like Suricata) writes one `http` event per transaction when its
response completes, so messages are joined on the frame completing the
response; the request's fields come from tshark's `http.request_in` frame.

Compared per transaction: status, response content type, method, host, user
agent, protocol (request version), full request URI, and `length` against
the response's Content-Length when there is one. Responses reefwatch could
not pair with a request of their own are compared on their own fields only.

tshark has no reassembly depth: run reefwatch with `--stream-depth 0` for
this comparison (long bodies otherwise end at the 1 MiB default depth)."""

NAME = "http"
EVENT_TYPES = ("http",)
TSHARK_PROTOS = "frame http"
DEFAULT_DIRS = ["../pcaps-it/http"]
# requests are needed too (for http.request_in), so filter on http only
TSHARK_FILTER = "http && !ssdp"
TSHARK_ARGS = ["-J", "frame http"]

_requests = {}
_last_frame = [0]


def tshark_messages(protos):
    msgs = []
    frame = None
    for name, el in protos:
        if name == "frame":
            frame = first(el, "frame.number")
            if int(frame or 0) < _last_frame[0]:
                _requests.clear()  # a new capture file
            _last_frame[0] = int(frame or 0)
            continue
        if name != "http":
            continue
        if first(el, "http.request") == "1":
            # remember the request by its frame (frames come in order)
            if len(_requests) > 100000:
                _requests.clear()
            _requests[frame] = {
                "method": first(el, "http.request.method"),
                "host": first(el, "http.host"),
                "user_agent": first(el, "http.user_agent"),
                "protocol": first(el, "http.request.version"),
                "uri": first(el, "http.request.full_uri"),
            }
            continue
        if first(el, "http.response") != "1":
            continue
        code = first(el, "http.response.code")
        if code is not None and code.startswith("1") and code != "101":
            continue
        m = {
            "status": code,
            "content_type": first(el, "http.content_type"),
            "uri": first(el, "http.response_for.uri"),
        }
        cl = first(el, "http.content_length")
        if cl is not None and first(el, "http.transfer_encoding") is None:
            m["length"] = cl
        req = _requests.get(first(el, "http.request_in"))
        if req:
            m.update({k: v for k, v in req.items() if k != "uri"})
        msgs.append(m)
    return msgs


def eve_messages(ev):
    h = ev.get("http", {})
    if h.get("status") is None:
        return []
    if h.get("http_method") is None:
        # A response without a request of its own (desynchronised or
        # unsolicited, e.g. after packet loss): reefwatch, like Suricata, logs
        # it alone, while tshark attaches it to the last request seen. Only
        # the response's own fields are compared.
        return [{"status": h.get("status"), "content_type": h.get("http_content_type"),
                 "length": h.get("length")}]
    url = h.get("url", "")
    host = h.get("hostname")
    if url.startswith("http://") or url.startswith("https://") or host is None:
        full = url
    else:
        port = h.get("http_port")
        full = "http://" + host + (f":{port}" if port else "") + url
    m = {
        "status": h.get("status"),
        "content_type": h.get("http_content_type"),
        "uri": full,
        "length": h.get("length"),
        "method": h.get("http_method"),
        "host": host + (f":{h['http_port']}" if h.get("http_port") else "") if host else None,
        "user_agent": h.get("http_user_agent"),
        "protocol": h.get("protocol"),
    }
    return [m]


KNOWN_DIFFERENCES = {}
