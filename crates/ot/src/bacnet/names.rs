//! Names of BACnet codes (ASHRAE 135 clause 21), as tshark and the spec
//! spell them. Unknown codes are `"unknown"`; the raw number is always
//! logged beside the name.

pub fn bvlc_function(f: u8) -> &'static str {
    match f {
        0x00 => "bvlc_result",
        0x01 => "write_bdt",
        0x02 => "read_bdt",
        0x03 => "read_bdt_ack",
        0x04 => "forwarded_npdu",
        0x05 => "register_foreign_device",
        0x06 => "read_fdt",
        0x07 => "read_fdt_ack",
        0x08 => "delete_fdt_entry",
        0x09 => "distribute_broadcast_to_network",
        0x0a => "original_unicast_npdu",
        0x0b => "original_broadcast_npdu",
        0x0c => "secure_bvll",
        _ => "unknown",
    }
}

pub fn network_message(t: u8) -> &'static str {
    match t {
        0x00 => "who_is_router_to_network",
        0x01 => "i_am_router_to_network",
        0x02 => "i_could_be_router_to_network",
        0x03 => "reject_message_to_network",
        0x04 => "router_busy_to_network",
        0x05 => "router_available_to_network",
        0x06 => "initialize_routing_table",
        0x07 => "initialize_routing_table_ack",
        0x08 => "establish_connection_to_network",
        0x09 => "disconnect_connection_to_network",
        0x0a => "challenge_request",
        0x0b => "security_payload",
        0x0c => "security_response",
        0x0d => "request_key_update",
        0x0e => "update_key_set",
        0x0f => "update_distribution_key",
        0x10 => "request_master_key",
        0x11 => "set_master_key",
        0x12 => "what_is_network_number",
        0x13 => "network_number_is",
        0x80..=0xff => "proprietary",
        _ => "unknown",
    }
}

pub fn pdu_type(t: u8) -> &'static str {
    match t {
        0 => "confirmed_request",
        1 => "unconfirmed_request",
        2 => "simple_ack",
        3 => "complex_ack",
        4 => "segment_ack",
        5 => "error",
        6 => "reject",
        7 => "abort",
        _ => "unknown",
    }
}

pub fn confirmed_service(s: u8) -> &'static str {
    const N: [&str; 34] = [
        "acknowledgeAlarm",
        "confirmedCOVNotification",
        "confirmedEventNotification",
        "getAlarmSummary",
        "getEnrollmentSummary",
        "subscribeCOV",
        "atomicReadFile",
        "atomicWriteFile",
        "addListElement",
        "removeListElement",
        "createObject",
        "deleteObject",
        "readProperty",
        "readPropertyConditional",
        "readPropertyMultiple",
        "writeProperty",
        "writePropertyMultiple",
        "deviceCommunicationControl",
        "confirmedPrivateTransfer",
        "confirmedTextMessage",
        "reinitializeDevice",
        "vtOpen",
        "vtClose",
        "vtData",
        "authenticate",
        "requestKey",
        "readRange",
        "lifeSafetyOperation",
        "subscribeCOVProperty",
        "getEventInformation",
        "subscribeCOVPropertyMultiple",
        "confirmedCOVNotificationMultiple",
        "confirmedAuditNotification",
        "auditLogQuery",
    ];
    N.get(s as usize).copied().unwrap_or("unknown")
}

pub fn unconfirmed_service(s: u8) -> &'static str {
    const N: [&str; 15] = [
        "i-Am",
        "i-Have",
        "unconfirmedCOVNotification",
        "unconfirmedEventNotification",
        "unconfirmedPrivateTransfer",
        "unconfirmedTextMessage",
        "timeSynchronization",
        "who-Has",
        "who-Is",
        "utcTimeSynchronization",
        "writeGroup",
        "unconfirmedCOVNotificationMultiple",
        "unconfirmedAuditNotification",
        "who-Am-I",
        "you-Are",
    ];
    N.get(s as usize).copied().unwrap_or("unknown")
}

pub fn object_type(t: u16) -> &'static str {
    const N: [&str; 30] = [
        "analog-input",
        "analog-output",
        "analog-value",
        "binary-input",
        "binary-output",
        "binary-value",
        "calendar",
        "command",
        "device",
        "event-enrollment",
        "file",
        "group",
        "loop",
        "multi-state-input",
        "multi-state-output",
        "notification-class",
        "program",
        "schedule",
        "averaging",
        "multi-state-value",
        "trend-log",
        "life-safety-point",
        "life-safety-zone",
        "accumulator",
        "pulse-converter",
        "event-log",
        "global-group",
        "trend-log-multiple",
        "load-control",
        "structured-view",
    ];
    N.get(t as usize).copied().unwrap_or("unknown")
}

pub fn property(p: u32) -> &'static str {
    match p {
        8 => "all",
        12 => "application-software-version",
        28 => "description",
        36 => "event-state",
        44 => "firmware-revision",
        58 => "location",
        62 => "max-apdu-length-accepted",
        70 => "model-name",
        75 => "object-identifier",
        76 => "object-list",
        77 => "object-name",
        79 => "object-type",
        80 => "optional",
        81 => "out-of-service",
        85 => "present-value",
        87 => "priority-array",
        96 => "protocol-object-types-supported",
        97 => "protocol-services-supported",
        98 => "protocol-version",
        103 => "reliability",
        104 => "relinquish-default",
        105 => "required",
        107 => "segmentation-supported",
        111 => "status-flags",
        112 => "system-status",
        117 => "units",
        120 => "vendor-identifier",
        121 => "vendor-name",
        139 => "protocol-revision",
        371 => "property-list",
        _ => "unknown",
    }
}

pub fn segmentation(s: u32) -> &'static str {
    match s {
        0 => "segmented-both",
        1 => "segmented-transmit",
        2 => "segmented-receive",
        3 => "no-segmentation",
        _ => "unknown",
    }
}

pub fn reinitialize_state(s: u32) -> &'static str {
    match s {
        0 => "coldstart",
        1 => "warmstart",
        2 => "start-backup",
        3 => "end-backup",
        4 => "start-restore",
        5 => "end-restore",
        6 => "abort-restore",
        7 => "activate-changes",
        _ => "unknown",
    }
}

pub fn enable_disable(s: u32) -> &'static str {
    match s {
        0 => "enable",
        1 => "disable",
        2 => "disable-initiation",
        _ => "unknown",
    }
}

pub fn error_class(c: u32) -> &'static str {
    match c {
        0 => "device",
        1 => "object",
        2 => "property",
        3 => "resources",
        4 => "security",
        5 => "services",
        6 => "vt",
        7 => "communication",
        _ => "unknown",
    }
}

pub fn error_code(c: u32) -> &'static str {
    match c {
        0 => "other",
        2 => "configuration-in-progress",
        3 => "device-busy",
        9 => "invalid-data-type",
        26 => "password-failure",
        27 => "read-access-denied",
        29 => "service-request-denied",
        31 => "unknown-object",
        32 => "unknown-property",
        37 => "value-out-of-range",
        40 => "write-access-denied",
        42 => "invalid-array-index",
        45 => "optional-functionality-not-supported",
        _ => "unknown",
    }
}

pub fn reject_reason(r: u8) -> &'static str {
    match r {
        0 => "other",
        1 => "buffer-overflow",
        2 => "inconsistent-parameters",
        3 => "invalid-parameter-data-type",
        4 => "invalid-tag",
        5 => "missing-required-parameter",
        6 => "parameter-out-of-range",
        7 => "too-many-arguments",
        8 => "undefined-enumeration",
        9 => "unrecognized-service",
        _ => "unknown",
    }
}

pub fn abort_reason(r: u8) -> &'static str {
    match r {
        0 => "other",
        1 => "buffer-overflow",
        2 => "invalid-apdu-in-this-state",
        3 => "preempted-by-higher-priority-task",
        4 => "segmentation-not-supported",
        5 => "security-error",
        6 => "insufficient-security",
        7 => "window-size-out-of-range",
        8 => "application-exceeded-reply-time",
        9 => "out-of-resources",
        10 => "tsm-timeout",
        11 => "apdu-too-long",
        _ => "unknown",
    }
}
