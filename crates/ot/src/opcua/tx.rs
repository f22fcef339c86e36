//! OPC UA messages and transactions as kept (owned, bounded): what the
//! state pairs and the logger writes.

use super::parser::{DataValue, MsgType, NodeId, Value};
use crate::common::Operation;
use reefwatch_applayer::Anomalies;

/// HEL / ACK fields.
#[derive(Clone, Debug, Default)]
pub struct Hello {
    pub version: u32,
    pub receive_buffer_size: u32,
    pub send_buffer_size: u32,
    pub max_message_size: u32,
    pub max_chunk_count: u32,
    pub endpoint_url: Option<String>,
}

/// An ApplicationDescription (identity facts).
#[derive(Clone, Debug, Default)]
pub struct App {
    pub uri: Option<String>,
    pub product_uri: Option<String>,
    pub name: Option<String>,
    pub app_type: u32,
}

/// An EndpointDescription.
#[derive(Clone, Debug, Default)]
pub struct Endpoint {
    pub url: Option<String>,
    pub server: App,
    /// ServerCertificate length (None: null)
    pub certificate_len: Option<usize>,
    pub security_mode: u32,
    pub security_policy: Option<String>,
    pub user_token_types: Vec<u32>,
    pub security_level: u8,
}

/// Service parameters decoded (None-mode channels only).
#[derive(Clone, Debug, Default)]
pub enum Detail {
    #[default]
    None,
    OpenRequest {
        request_type: u32,
        security_mode: u32,
        lifetime: u32,
    },
    OpenResponse {
        channel_id: u32,
        token_id: u32,
        revised_lifetime: u32,
    },
    GetEndpoints {
        endpoint_url: Option<String>,
    },
    Endpoints {
        endpoints: Vec<Endpoint>,
        omitted: u32,
    },
    CreateSession {
        client: App,
        endpoint_url: Option<String>,
        session_name: Option<String>,
        certificate_len: Option<usize>,
    },
    SessionCreated {
        session_id: NodeId,
        timeout: f64,
        certificate_len: Option<usize>,
        endpoints: Vec<Endpoint>,
        omitted: u32,
    },
    ActivateSession {
        /// identity token type id (321 anonymous, 324 user name, 327 X.509, 940 issued)
        token_type: Option<u32>,
        policy_id: Option<String>,
        user_name: Option<String>,
    },
    /// Browse / Read / … : node ids (with attribute ids for Read)
    Nodes {
        nodes: Vec<(NodeId, Option<u32>)>,
        count: u32,
    },
    Write {
        items: Vec<(NodeId, u32, Option<Value>)>,
        count: u32,
    },
    Values {
        values: Vec<DataValue>,
        count: u32,
    },
    Call {
        methods: Vec<(NodeId, NodeId, u32)>,
        count: u32,
    },
    CreateSubscription {
        publishing_interval: f64,
        lifetime_count: u32,
        max_keep_alive_count: u32,
        max_notifications: u32,
        publishing_enabled: bool,
        priority: u8,
    },
    SubscriptionCreated {
        subscription_id: u32,
        publishing_interval: f64,
        lifetime_count: u32,
        max_keep_alive_count: u32,
    },
    Publish {
        acknowledgements: u32,
    },
    Published {
        subscription_id: u32,
        sequence_number: u32,
        more_notifications: bool,
        notifications: u32,
    },
    /// per-operation results of a response
    Results {
        results: Vec<u32>,
        count: u32,
    },
}

/// One transport message (a whole message after chunk reassembly).
#[derive(Clone, Debug)]
pub struct Message {
    pub msg_type: MsgType,
    /// total size of its chunks
    pub size: u32,
    pub chunks: u32,
    pub channel_id: Option<u32>,
    pub token_id: Option<u32>,
    pub security_policy: Option<String>,
    pub sender_certificate_len: Option<usize>,
    pub receiver_thumbprint_len: Option<usize>,
    pub sequence_number: Option<u32>,
    pub request_id: Option<u32>,
    /// body not readable (Sign / SignAndEncrypt channel)
    pub secured: bool,
    pub service_id: Option<u32>,
    pub request_handle: Option<u32>,
    pub timeout_hint: Option<u32>,
    pub service_result: Option<u32>,
    pub hello: Option<Hello>,
    /// ERR: error code and reason
    pub error: Option<(u32, Option<String>)>,
    /// RHE: server uri and endpoint url
    pub reverse_hello: Option<(Option<String>, Option<String>)>,
    pub detail: Detail,
    pub anomalies: Anomalies,
}

impl Message {
    pub fn new(msg_type: MsgType, size: u32) -> Self {
        Message {
            msg_type,
            size,
            chunks: 1,
            channel_id: None,
            token_id: None,
            security_policy: None,
            sender_certificate_len: None,
            receiver_thumbprint_len: None,
            sequence_number: None,
            request_id: None,
            secured: false,
            service_id: None,
            request_handle: None,
            timeout_hint: None,
            service_result: None,
            hello: None,
            error: None,
            reverse_hello: None,
            detail: Detail::None,
            anomalies: Anomalies::default(),
        }
    }
}

/// An open request, waiting for its response.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: u64,
    pub msg: Message,
    pub operation: Option<Operation>,
}
