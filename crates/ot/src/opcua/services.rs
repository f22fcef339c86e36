//! Decoding of one OPC UA message: the transport fields, the security
//! headers, and (None-mode channels) the service type, request/response
//! header and the main parameters of the services logged. Bounded: arrays
//! keep at most `MAX_ITEMS` elements and count the rest.

use super::parser::*;
use super::tx::*;

/// The security part of a secure-channel chunk: fills the channel facts of
/// `m` and returns where the body starts, or `None` when the body is not
/// readable (secured channel, or truncated).
pub fn security_headers(m: &mut Message, chunk: &[u8], secured: bool) -> Option<usize> {
    let mut r = Rd::new(chunk);
    r.pos = HEADER_LEN;
    m.channel_id = Some(r.u32()?);
    if m.msg_type == MsgType::Opn {
        let policy = r.bytes()?;
        m.security_policy = policy.map(text);
        m.sender_certificate_len = r.bytes()?.map(|b| b.len());
        m.receiver_thumbprint_len = r.bytes()?.map(|b| b.len());
        if policy != Some(POLICY_NONE) {
            m.secured = true;
            return None;
        }
    } else {
        m.token_id = Some(r.u32()?);
        if secured {
            m.secured = true;
            return None;
        }
    }
    m.sequence_number = Some(r.u32()?);
    m.request_id = Some(r.u32()?);
    Some(r.pos)
}

/// HEL / ACK / ERR / RHE fields from a whole message.
pub fn connection_message(m: &mut Message, b: &[u8]) {
    let mut r = Rd::new(b);
    r.pos = HEADER_LEN;
    let ok = match m.msg_type {
        MsgType::Hel | MsgType::Ack => (|| {
            let mut h = Hello {
                version: r.u32()?,
                receive_buffer_size: r.u32()?,
                send_buffer_size: r.u32()?,
                max_message_size: r.u32()?,
                max_chunk_count: r.u32()?,
                endpoint_url: None,
            };
            if m.msg_type == MsgType::Hel {
                h.endpoint_url = r.string()?;
            }
            if h.version != 0 {
                m.anomalies.set(A_BAD_VERSION);
            }
            m.hello = Some(h);
            Some(())
        })(),
        MsgType::Err => (|| {
            let code = r.u32()?;
            m.error = Some((code, r.string()?));
            Some(())
        })(),
        MsgType::Rhe => (|| {
            let s = r.string()?;
            m.reverse_hello = Some((s, r.string()?));
            Some(())
        })(),
        _ => Some(()),
    };
    if ok.is_none() {
        m.anomalies.set(A_TRUNCATED);
    } else if r.rest() > 0 {
        m.anomalies.set(A_TRAILING);
    }
}

/// The service body of a readable message.
pub fn body(m: &mut Message, b: &[u8]) {
    let mut r = Rd::new(b);
    if service_body(m, &mut r).is_none() {
        m.anomalies.set(A_TRUNCATED);
    }
}

fn service_body(m: &mut Message, r: &mut Rd<'_>) -> Option<()> {
    let t = r.expanded_node_id()?;
    let id = t.numeric();
    m.service_id = Some(id.unwrap_or(0));
    let Some((_, is_request)) = id.and_then(service) else {
        m.anomalies.set(A_UNKNOWN_SERVICE);
        return Some(());
    };
    let id = id.unwrap_or(0);
    if is_request {
        r.node_id()?; // authentication token
        r.u64()?; // timestamp
        m.request_handle = Some(r.u32()?);
        r.u32()?; // return diagnostics
        r.bytes()?; // audit entry id
        m.timeout_hint = Some(r.u32()?);
        r.extension_object()?;
        m.detail = request(id, r)?;
    } else {
        r.u64()?;
        m.request_handle = Some(r.u32()?);
        m.service_result = Some(r.u32()?);
        r.diagnostic_info(0)?;
        for _ in 0..r.count()? {
            r.bytes()?;
        }
        r.extension_object()?;
        m.detail = response(id, r)?;
    }
    Some(())
}

fn app(r: &mut Rd<'_>) -> Option<App> {
    let a = App {
        uri: r.string()?,
        product_uri: r.string()?,
        name: r.localized_text()?,
        app_type: r.u32()?,
    };
    r.bytes()?; // gateway server uri
    r.bytes()?; // discovery profile uri
    for _ in 0..r.count()? {
        r.bytes()?;
    }
    Some(a)
}

fn endpoint(r: &mut Rd<'_>) -> Option<Endpoint> {
    let url = r.string()?;
    let server = app(r)?;
    let certificate_len = r.bytes()?.map(|b| b.len());
    let security_mode = r.u32()?;
    let security_policy = r.string()?;
    let mut user_token_types = Vec::new();
    for _ in 0..r.count()? {
        r.bytes()?;
        let t = r.u32()?;
        if user_token_types.len() < MAX_ITEMS {
            user_token_types.push(t);
        }
        r.bytes()?;
        r.bytes()?;
        r.bytes()?;
    }
    r.bytes()?; // transport profile
    Some(Endpoint {
        url,
        server,
        certificate_len,
        security_mode,
        security_policy,
        user_token_types,
        security_level: r.u8()?,
    })
}

fn endpoints(r: &mut Rd<'_>) -> Option<(Vec<Endpoint>, u32)> {
    let n = r.count()?;
    let mut v = Vec::new();
    for _ in 0..n {
        let e = endpoint(r)?;
        if v.len() < MAX_ITEMS {
            v.push(e);
        }
    }
    Some((v, n))
}

fn request(id: u32, r: &mut Rd<'_>) -> Option<Detail> {
    Some(match id {
        446 => {
            r.u32()?; // client protocol version
            let request_type = r.u32()?;
            let security_mode = r.u32()?;
            r.bytes()?;
            Detail::OpenRequest {
                request_type,
                security_mode,
                lifetime: r.u32()?,
            }
        }
        428 => Detail::GetEndpoints {
            endpoint_url: r.string()?,
        },
        461 => {
            let client = app(r)?;
            r.bytes()?; // server uri
            let endpoint_url = r.string()?;
            let session_name = r.string()?;
            r.bytes()?; // nonce
            Detail::CreateSession {
                client,
                endpoint_url,
                session_name,
                certificate_len: r.bytes()?.map(|b| b.len()),
            }
        }
        467 => {
            r.bytes()?;
            r.bytes()?; // client signature
            for _ in 0..r.count()? {
                r.bytes()?;
                r.bytes()?;
            }
            for _ in 0..r.count()? {
                r.bytes()?;
            }
            let (t, body) = r.extension_object()?;
            let token_type = t.numeric();
            let mut policy_id = None;
            let mut user_name = None;
            if let Some(b) = body {
                let mut br = Rd::new(b);
                policy_id = br.string().flatten();
                if token_type == Some(324) {
                    user_name = br.string().flatten();
                }
            }
            Detail::ActivateSession {
                token_type,
                policy_id,
                user_name,
            }
        }
        527 => {
            r.node_id()?;
            r.u64()?;
            r.u32()?; // view
            r.u32()?; // max references
            let count = r.count()?;
            let mut nodes = Vec::new();
            for _ in 0..count {
                let n = r.node_id()?;
                r.u32()?;
                r.node_id()?;
                r.u8()?;
                r.u32()?;
                r.u32()?;
                if nodes.len() < MAX_ITEMS {
                    nodes.push((n, None));
                }
            }
            Detail::Nodes { nodes, count }
        }
        631 => {
            r.f64()?;
            r.u32()?;
            let count = r.count()?;
            let mut nodes = Vec::new();
            for _ in 0..count {
                let n = r.node_id()?;
                let a = r.u32()?;
                r.bytes()?;
                r.qualified_name()?;
                if nodes.len() < MAX_ITEMS {
                    nodes.push((n, Some(a)));
                }
            }
            Detail::Nodes { nodes, count }
        }
        673 => {
            let count = r.count()?;
            let mut items = Vec::new();
            for _ in 0..count {
                let n = r.node_id()?;
                let a = r.u32()?;
                r.bytes()?;
                let v = r.data_value(0)?;
                if items.len() < MAX_ITEMS {
                    items.push((n, a, v.value));
                }
            }
            Detail::Write { items, count }
        }
        712 => {
            let count = r.count()?;
            let mut methods = Vec::new();
            for _ in 0..count {
                let o = r.node_id()?;
                let me = r.node_id()?;
                let args = r.count()?;
                for _ in 0..args {
                    r.variant(0)?;
                }
                if methods.len() < MAX_ITEMS {
                    methods.push((o, me, args));
                }
            }
            Detail::Call { methods, count }
        }
        787 => Detail::CreateSubscription {
            publishing_interval: r.f64()?,
            lifetime_count: r.u32()?,
            max_keep_alive_count: r.u32()?,
            max_notifications: r.u32()?,
            publishing_enabled: r.u8()? != 0,
            priority: r.u8()?,
        },
        826 => {
            let n = r.count()?;
            for _ in 0..n {
                r.u32()?;
                r.u32()?;
            }
            Detail::Publish {
                acknowledgements: n,
            }
        }
        _ => Detail::None,
    })
}

fn results(r: &mut Rd<'_>) -> Option<Detail> {
    let count = r.count()?;
    let mut results = Vec::new();
    for _ in 0..count {
        let s = r.u32()?;
        if results.len() < MAX_ITEMS {
            results.push(s);
        }
    }
    r.diagnostic_infos()?;
    Some(Detail::Results { results, count })
}

fn response(id: u32, r: &mut Rd<'_>) -> Option<Detail> {
    Some(match id {
        449 => {
            r.u32()?;
            let channel_id = r.u32()?;
            let token_id = r.u32()?;
            r.u64()?;
            Detail::OpenResponse {
                channel_id,
                token_id,
                revised_lifetime: r.u32()?,
            }
        }
        431 => {
            let (endpoints, n) = endpoints(r)?;
            Detail::Endpoints {
                omitted: n - endpoints.len() as u32,
                endpoints,
            }
        }
        464 => {
            let session_id = r.node_id()?;
            r.node_id()?; // authentication token
            let timeout = r.f64()?;
            r.bytes()?; // nonce
            let certificate_len = r.bytes()?.map(|b| b.len());
            let (endpoints, n) = endpoints(r)?;
            Detail::SessionCreated {
                session_id,
                timeout,
                certificate_len,
                omitted: n - endpoints.len() as u32,
                endpoints,
            }
        }
        634 => {
            let count = r.count()?;
            let mut values = Vec::new();
            for _ in 0..count {
                let v = r.data_value(0)?;
                if values.len() < MAX_ITEMS {
                    values.push(v);
                }
            }
            Detail::Values { values, count }
        }
        676 => results(r)?,
        790 => Detail::SubscriptionCreated {
            subscription_id: r.u32()?,
            publishing_interval: r.f64()?,
            lifetime_count: r.u32()?,
            max_keep_alive_count: r.u32()?,
        },
        829 => {
            let subscription_id = r.u32()?;
            for _ in 0..r.count()? {
                r.u32()?;
            }
            let more_notifications = r.u8()? != 0;
            let sequence_number = r.u32()?;
            r.u64()?;
            let n = r.count()?;
            for _ in 0..n {
                r.extension_object()?;
            }
            Detail::Published {
                subscription_id,
                sequence_number,
                more_notifications,
                notifications: n,
            }
        }
        _ => Detail::None,
    })
}
