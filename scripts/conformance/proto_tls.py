"""TLS: tshark `tls` vs reefwatch `tls` events, including JA3/JA3S.

reefwatch writes one `tls` event per flow once the server's first flight is
over: at the ServerHelloDone (TLS <= 1.2), at the ServerHello (TLS 1.3) or
at the server's ChangeCipherSpec (resumption). This module follows each TCP
stream through tshark's decode and emits one message at that same frame,
with: SNI, JA3 string and hash, JA3S string and hash, negotiated version,
and the server certificate's serial and validity (TLS <= 1.2).

JA4 is not in tshark 4.0; it is checked against FoxIO's published example
in the Rust unit tests (`tls::ja::tests::ja4_published_example`)."""

NAME = "tls"
EVENT_TYPES = ("tls",)
TSHARK_PROTOS = "frame tcp tls"
TSHARK_FILTER = "tls"
DEFAULT_DIRS = ["../pcaps-it/tls"]
TSHARK_ARGS = ["-J", "frame tcp tls"]

VERSIONS = {
    "0x0300": "SSLv3", "0x0301": "TLS 1.0", "0x0302": "TLS 1.1", "0x0303": "TLS 1.2",
    "0x0304": "TLS 1.3",
}

_streams = {}
_last_frame = [0]


def _time(s):
    # "2017-11-01 13:48:56 (UTC)" -> "2017-11-01T13:48:56"
    if not s:
        return None
    return s.replace(" (UTC)", "").replace(" ", "T")


def tshark_messages(protos):
    stream = None
    sport = None
    dport = None
    tls_els = []
    for name, el in protos:
        if name == "frame":
            n = int(first(el, "frame.number", "0"))
            if n < _last_frame[0]:
                _streams.clear()  # a new capture file
            _last_frame[0] = n
        elif name == "tcp":
            stream = first(el, "tcp.stream")
            sport = first(el, "tcp.srcport")
            dport = first(el, "tcp.dstport")
        elif name == "tls":
            tls_els.append(el)
    if stream is None or not tls_els:
        return []
    st = _streams.setdefault(stream, {"done": False})
    if st["done"]:
        return []
    fire = False
    for el in tls_els:
        types = fields(el, "tls.handshake.type")
        cts = fields(el, "tls.record.content_type")
        if "1" in types and "ja3" not in st:
            st["ja3"] = first(el, "tls.handshake.ja3_full")
            st["ja3_hash"] = first(el, "tls.handshake.ja3")
            st["sni"] = first(el, "tls.handshake.extensions_server_name")
            st["client_port"] = sport
        if "2" in types and "ja3s" not in st:
            st["ja3s"] = first(el, "tls.handshake.ja3s_full")
            st["ja3s_hash"] = first(el, "tls.handshake.ja3s")
            st["server_port"] = sport
            # the supported_versions extension of the ServerHello, if any
            sv = None
            for hs in el.iter("field"):
                if hs.get("name") == "tls.handshake" and first(hs, "tls.handshake.type") == "2":
                    sv = first(hs, "tls.handshake.extensions.supported_version")
                    st["sh_version"] = first(hs, "tls.handshake.version")
                    break
            st["version"] = VERSIONS.get(sv or st.get("sh_version"), None)
            if sv in ("0x0304",):
                fire = True
        if "11" in types and "serial" not in st and sport == st.get("server_port"):
            st["serial"] = first(el, "x509af.serialNumber")
            times = fields(el, "x509af.utcTime")
            if len(times) >= 2:
                st["notbefore"] = _time(times[0])
                st["notafter"] = _time(times[1])
        if "14" in types and sport == st.get("server_port"):
            fire = True
        if "20" in cts and "ja3s" in st and sport == st.get("server_port"):
            fire = True
    if not fire:
        return []
    st["done"] = True
    m = {k: st.get(k) for k in ("sni", "ja3", "ja3_hash", "ja3s", "ja3s_hash", "version")}
    if {sport, dport} & STARTTLS_PORTS:
        m["_starttls"] = True
    if st.get("serial"):
        m["serial"] = st["serial"].lower()
        m["notbefore"] = st.get("notbefore")
        m["notafter"] = st.get("notafter")
    return [m]


# SMTP, submission, POP3, IMAP, FTP, XMPP, LDAP, IRC, PostgreSQL (SSLRequest),
# MySQL: TLS inside these starts after a cleartext upgrade exchange.
STARTTLS_PORTS = {"25", "587", "110", "143", "21", "5222", "389", "6667", "5432", "15432", "3306"}


def IGNORE_TSHARK(msg):
    if msg.get("_starttls"):
        return ("STARTTLS-style upgrade (SMTP/POP3/IMAP/IRC/PostgreSQL): reefwatch has no parser "
                "to hand the flow over to TLS after the upgrade (known gap)")
    return None


def eve_messages(ev):
    t = ev.get("tls", {})
    ja3 = t.get("ja3") or {}
    ja3s = t.get("ja3s") or {}
    m = {
        "sni": t.get("sni"),
        "ja3": ja3.get("string"),
        "ja3_hash": ja3.get("hash"),
        "ja3s": ja3s.get("string"),
        "ja3s_hash": ja3s.get("hash"),
        "version": t.get("version"),
    }
    if t.get("serial"):
        m["serial"] = t["serial"].lower()
        m["notbefore"] = t.get("notbefore")
        m["notafter"] = t.get("notafter")
    return [m]
